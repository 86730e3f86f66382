"""The recommendation decision over columns: open options, first-ranked, recommend or abstain.

The same gates and order as ``ptsdrx.recommend.decide`` for what a registry row holds
(screening status, availability in the patient's jurisdiction, trial-only options, urgent
safety flags, the model's support, the advantage interval of the best open option over the
runner-up against the policy margin), evaluated for a whole chunk at once. A major caution
is never ranked first or recommended (the graded-screening contract). Preferences and
treatment history are not read here (a registry re-score has no visit): the per-patient
``recommend()`` at the visit applies them. The reasons use ``decide``'s wording.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ptsdrx.batch._screen import CAUTION, ELIGIBLE, BulkResult

OPEN, CLOSED = 1, 0


@dataclass(frozen=True)
class Decisions:
    """Per row: first-ranked open option, recommended option (or none) and the reason."""

    first: NDArray[Any]
    recommended: NDArray[Any]
    abstained: NDArray[np.bool_]
    reason: NDArray[Any]


@cache
def _availability(treatment: str, jurisdiction: str) -> str | None:
    """Catalog regulatory status here; a subdivision (``US-OR``) falls back to its country."""
    from ptsdrx.treatments import get_treatment

    t = get_treatment(treatment)
    for j in [jurisdiction] + ([jurisdiction.split("-")[0]] if "-" in jurisdiction else []):
        try:
            reg = t.availability(j)
        except ValueError:
            return None
        if reg is not None:
            return str(reg.status)
    return None


@cache
def _grade_rank(treatment: str, order: tuple[str, ...]) -> int:
    from ptsdrx.evidence import grade

    try:
        g = str(grade(treatment).grade)
    except (KeyError, LookupError, ValueError):
        return len(order)
    return order.index(g) if g in order else len(order)


@cache
def _names() -> dict[str, str]:
    from ptsdrx.treatments import catalog

    return {t.id: str(t.name) for t in catalog()}


def decide_columns(
    *,
    arms: Sequence[str],
    screening: BulkResult,
    outcomes: NDArray[np.float64],
    in_support: NDArray[np.bool_],
    advantage: Any,
    jurisdiction: NDArray[Any],
    hold: NDArray[Any],
    policy: Any,
) -> Decisions:
    """Decide every row (see the module docstring).

    ``outcomes[rows, arms]`` (lower is better, PCL-5); ``advantage(best, other, rows)`` gives
    the ``(lo, hi)`` interval of PCL-5 points ``best`` gains over ``other`` for those rows;
    ``hold`` is the hold reason per row (``None``: no urgent flag).
    """
    from ptsdrx.treatments import get_treatment

    n, k = outcomes.shape
    names = _names()
    col = {tid: i for i, tid in enumerate(screening.treatments)}
    open_ = np.zeros((k, n), dtype=bool)
    codes, places = pd.factorize(pd.Series(jurisdiction, dtype=object), use_na_sentinel=True)
    for a, arm in enumerate(arms):
        if arm not in col:
            continue  # not screened: never open
        status = screening.status[col[arm]]
        ok = ((status == ELIGIBLE) | (status == CAUTION)) & ~screening.major_caution[col[arm]]
        investigational = bool(getattr(get_treatment(arm), "investigational", False))
        if investigational:
            ok[:] = False
        by_place = np.array(
            [
                (s := _availability(arm, str(p))) not in policy.trial_only_statuses
                and s not in policy.unavailable_statuses
                for p in places
            ]
            + [True],  # jurisdiction unknown: availability unknown, not a gate in decide
            dtype=bool,
        )
        ok &= by_place[codes]
        open_[a] = ok & ~np.isnan(outcomes[:, a])
    grade = np.array([_grade_rank(a, tuple(policy.evidence_order)) for a in arms], dtype=float)
    # order: predicted outcome, then evidence grade, then id (decide's sort key)
    ids = np.argsort(np.argsort(np.array(arms, dtype=object)))
    key = np.where(open_.T, outcomes, np.inf)
    order = np.lexsort((np.broadcast_to(ids, (n, k)), np.broadcast_to(grade, (n, k)), key), axis=1)
    n_open = open_.sum(axis=0)
    best = order[:, 0]
    runner = order[:, 1] if k > 1 else best
    first = np.array([arms[b] if m > 0 else None for b, m in zip(best, n_open, strict=True)])
    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    pairs = n_open >= 2
    if pairs.any():
        rows_with = np.flatnonzero(pairs)
        pair_code = best[rows_with] * k + runner[rows_with]
        for code in np.unique(pair_code):
            idx = rows_with[pair_code == code]
            lo[idx], hi[idx] = advantage(int(code // k), int(code % k), idx)
    margin = float(policy.margin_pcl5)
    reason = np.empty(n, dtype=object)
    recommended = np.empty(n, dtype=object)
    abstained = np.ones(n, dtype=bool)
    for i in range(n):
        if hold[i] is not None:
            reason[i] = hold[i]
        elif n_open[i] == 0:
            reason[i] = "no option is open to this patient without more information or a trial"
        elif not in_support[i]:
            reason[i] = "the patient is outside the range of the data the model was trained on"
        elif n_open[i] == 1:
            only = names.get(arms[best[i]], arms[best[i]])
            reason[i] = f"only one option is open ({only}): there is nothing to compare"
        elif lo[i] > margin:
            abstained[i] = False
            reason[i] = "Lowest predicted PCL-5 among the open options, clearly ahead of the next."
        else:
            b, r = (
                names.get(arms[best[i]], arms[best[i]]),
                names.get(arms[runner[i]], arms[runner[i]]),
            )
            reason[i] = (
                f"{b} and {r} are not clearly different (advantage interval: "
                f"{lo[i]:+.1f} to {hi[i]:+.1f} PCL-5 points; needs > {margin:g})"
            )
        recommended[i] = None if abstained[i] else arms[best[i]]
    return Decisions(first=first, recommended=recommended, abstained=abstained, reason=reason)
