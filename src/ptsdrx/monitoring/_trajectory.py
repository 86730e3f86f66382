"""A patient's trajectory on one instrument: scores, change, response, remission, relapse.

Each follow-up is compared with the baseline through :func:`ptsdrx.instruments._change`, and
the states are read from the ``ChangeResult`` fields named in ``data/followup.yaml``
(response: ≥30% reduction, Feder 2021 / Osmind; remission: below the cut-point; reliable
change: the instrument's RCI). Unknown stays unknown: a follow-up without a total, or a
trajectory without a baseline, has ``None`` states, never "no response".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import PlainSerializer

from ptsdrx._results import Result
from ptsdrx.monitoring._config import SiteSpec, load_followup_rules
from ptsdrx.monitoring._points import ReadOnlyMap, RelapseEvent, TrajectoryPoint
from ptsdrx.monitoring._relapse import detect_relapse
from ptsdrx.monitoring._scores import change_fields, instrument_cutoff, score
from ptsdrx.records import PatientRecord


def _baseline_date(point: TrajectoryPoint | None) -> date | None:
    return None if point is None else point.date


@dataclass(frozen=True)
class Trajectory(Result):
    """Scores of one instrument over time, with the states reached and the first relapse."""

    patient_id: str | None
    instrument: str
    points: tuple[TrajectoryPoint, ...]
    baseline: Annotated[  # serialised as its date; the point itself is in ``points``
        TrajectoryPoint | None, PlainSerializer(_baseline_date, return_type=date | None)
    ]
    first_response: date | None
    first_remission: date | None
    relapse: RelapseEvent | None
    cutpoint: float | None
    definitions: ReadOnlyMap = field(default_factory=lambda: MappingProxyType({}))

    @property
    def follow_ups(self) -> tuple[TrajectoryPoint, ...]:
        """Points after the baseline."""
        if self.baseline is None:
            return ()
        return tuple(p for p in self.points if p.date > self.baseline.date)

    @property
    def last(self) -> TrajectoryPoint | None:
        """The latest point with a known total."""
        known = [p for p in self.points if p.total is not None]
        return known[-1] if known else None

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per point (flags joined, the change metrics left out)."""
        rows = [p.to_dict() for p in self.points]
        for row in rows:
            row.pop("metrics")
            row["flags"] = ",".join(row["flags"])
        return rows

    def to_text(self) -> str:
        """What a clinician reads: baseline, each follow-up with its states, relapse."""
        who = self.patient_id or "patient"
        if not self.points:
            return f"{who} {self.instrument}: no administrations recorded"
        lines = [f"{who} {self.instrument}: {len(self.points)} administration(s)"]
        if self.baseline is None:
            lines.append("  baseline: unknown (no scored administration); change not computed")
        for p in self.points:
            total = "not computed" if p.total is None else f"{p.total:g}"
            line = f"  {p.date}  {total:>12}"
            if p.is_baseline:
                line += "  baseline"
            elif p.change is not None:
                pct = "" if p.percent_change is None else f" ({p.percent_change:+.0f}%)"
                states = [
                    f"{name} {_yn(v)}"
                    for name, v in (
                        ("response", p.response),
                        ("remission", p.remission),
                        ("reliable", p.reliable_change),
                    )
                ]
                line += f"  {p.change:+g}{pct}  " + ", ".join(states)
            if p.flags:
                line += "  SAFETY " + ", ".join(p.flags)
            lines.append(line)
        lines.append(f"  first response: {self.first_response or 'not reached'}")
        lines.append(f"  first remission: {self.first_remission or 'not reached'}")
        lines.append("  " + (self.relapse.to_text() if self.relapse else "no relapse detected"))
        return "\n".join(lines)


def _yn(v: bool | None) -> str:
    return "unknown" if v is None else ("yes" if v else "no")


def trajectory(
    record: PatientRecord,
    instrument: str = "pcl5",
    *,
    since: date | None = None,
    site: SiteSpec = None,
) -> Trajectory:
    """Build the trajectory of one instrument from ``record.assessments``.

    Parameters
    ----------
    record : the patient record.
    instrument : instrument id, e.g. ``'pcl5'``.
    since : treatment start; the baseline is the latest scored administration on or before
        it (unknown when there is none). Without it, the first scored administration.
    site : site overrides for the follow-up rules (see :func:`load_followup_rules`).

    Examples
    --------
    >>> from datetime import date
    >>> from ptsdrx.records import Administration, PatientRecord
    >>> r = PatientRecord(assessments=[
    ...     Administration(instrument="pcl5", date=date(2026, 1, 5), total=52),
    ...     Administration(instrument="pcl5", date=date(2026, 2, 2), total=24)])
    >>> t = trajectory(r, "pcl5")
    >>> t.first_response, t.first_remission
    (datetime.date(2026, 2, 2), datetime.date(2026, 2, 2))
    """
    rules = load_followup_rules(site)
    administrations = record.administrations(instrument)
    scored = [(adm, score(adm)) for adm in administrations]
    baseline_index = None
    for i, (adm, sc) in enumerate(scored):
        if sc.total is None or (since is not None and adm.date > since):
            continue
        if since is None:
            baseline_index = i
            break
        baseline_index = i
    names = tuple(rules.states[s].field for s in ("response", "remission", "reliable_change"))
    base_total = None if baseline_index is None else scored[baseline_index][1].total
    base_date = None if baseline_index is None else scored[baseline_index][0].date
    points = []
    for i, (adm, sc) in enumerate(scored):
        days = None if base_date is None else (adm.date - base_date).days
        point = TrajectoryPoint(
            date=adm.date,
            total=sc.total,
            days_from_baseline=days,
            context=adm.context,
            flags=sc.flags,
            is_baseline=i == baseline_index,
        )
        if base_total is None or sc.total is None or base_date is None or adm.date <= base_date:
            points.append(point)
            continue
        values, rendered = change_fields(base_total, sc.total, instrument, (*names, "direction"))
        diff = sc.total - base_total
        points.append(
            replace(
                point,
                change=diff,
                percent_change=None if base_total == 0 else 100.0 * diff / base_total,
                response=_bool(values[names[0]]),
                remission=_bool(values[names[1]]),
                reliable_change=_bool(values[names[2]]),
                direction=values["direction"],
                metrics=MappingProxyType(rendered),
            )
        )
    baseline = None if baseline_index is None else points[baseline_index]
    follow = [p for p in points if base_date is not None and p.date > base_date]
    cut = None if base_total is None else instrument_cutoff(instrument, base_total)
    if cut is None and instrument in rules.cutpoints:
        cut = rules.cutpoints[instrument].value
    return Trajectory(
        patient_id=record.patient_id,
        instrument=instrument,
        points=tuple(points),
        baseline=baseline,
        first_response=next((p.date for p in follow if p.response), None),
        first_remission=next((p.date for p in follow if p.remission), None),
        relapse=detect_relapse(follow, instrument, rules),
        cutpoint=cut,
        definitions=MappingProxyType(
            {k: f"{v.description} ({v.source}) [{v.verification}]" for k, v in rules.states.items()}
        ),
    )


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)
