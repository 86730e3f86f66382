"""Relapse: worsening after response or remission, by configurable criteria.

Criteria (``data/followup.yaml``): *return above the cut-point* after remission, *reliable
worsening* from the best score since the patient was well (Jacobson–Truax RCI; PCL-5 RCI
15–18 points, Marx et al. 2022), and optionally *loss of response* (Feder et al. 2021's
outcome). ``confirm`` consecutive assessments must meet a criterion; the relapse is dated at
the first of them.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from ptsdrx.monitoring._config import FollowupRules, RelapseCriterion
from ptsdrx.monitoring._points import RelapseEvent, TrajectoryPoint
from ptsdrx.monitoring._scores import change_fields


def _meets(
    crit: RelapseCriterion,
    point: TrajectoryPoint,
    nadir: float,
    instrument: str,
    rules: FollowupRules,
) -> bool:
    assert point.total is not None
    if crit.id == "return_above_cutpoint":
        return point.remission is False
    if crit.id == "loss_of_response":
        return point.response is False
    if point.total <= nadir:
        return False
    field = rules.states["reliable_change"].field
    values, _ = change_fields(nadir, point.total, instrument, (field,))
    return values[field] is True


def detect_relapse(
    points: Sequence[TrajectoryPoint], instrument: str, rules: FollowupRules
) -> RelapseEvent | None:
    """The first confirmed relapse among follow-up points (oldest first), or ``None``.

    Points with an unknown total are skipped: they neither confirm nor break a run.
    """
    reached: dict[str, _dt.date] = {}
    nadir: float | None = None
    run: list[tuple[TrajectoryPoint, RelapseCriterion]] = []
    for point in points:
        if point.total is None:
            continue
        hit = None
        if reached and nadir is not None:
            for crit in rules.relapse.criteria:
                if (
                    crit.enabled
                    and set(crit.after) & set(reached)
                    and _meets(crit, point, nadir, instrument, rules)
                ):
                    hit = crit
                    break
        if hit is not None:
            run.append((point, hit))
            if len(run) >= rules.relapse.confirm:
                first, crit = run[0]
                state = next(s for s in crit.after if s in reached)
                well_since = min(reached.values())
                assert first.total is not None and nadir is not None
                return RelapseEvent(
                    date=first.date,
                    confirmed_on=point.date,
                    criterion=crit.id,
                    after_state=state,
                    well_since=well_since,
                    days_well=(first.date - well_since).days,
                    nadir=nadir,
                    total=first.total,
                    description=crit.description,
                    source=crit.source,
                    verification=crit.verification,
                )
            continue
        run.clear()
        for state, flag in (("response", point.response), ("remission", point.remission)):
            if flag is True and state not in reached:
                reached[state] = point.date
        if reached:
            nadir = point.total if nadir is None else min(nadir, point.total)
    return None
