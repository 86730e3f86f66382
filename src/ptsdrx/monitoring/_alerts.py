"""Vital-sign alerts and required readings for dosing sessions, from site-configurable rules.

Rules live in ``data/session_rules.yaml``. Only the SPRAVATO label numbers are [V]
(pre-dose > 140/90 "weigh before proceeding", the ~40-minute post-dose check, ≥2 h
observation, rises ≥40/≥25 mmHg); every other threshold is a site setting with an
unverified default ([U], FACTS.md 6.2 and Appendix A.5). Alerts are prompts for the team,
never automatic actions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import computed_field

from ptsdrx._results import Result
from ptsdrx.monitoring._config import SessionRule, SiteSpec, load_session_rules
from ptsdrx.monitoring._sessions import DosingSession, Phase, SessionVitals

_UNITS = {
    "systolic": "mmHg",
    "diastolic": "mmHg",
    "heart_rate": "/min",
    "spo2": "%",
    "temperature_c": "°C",
    "cadss": "CADSS",
}
_LABELS = {
    "systolic": "SBP",
    "diastolic": "DBP",
    "heart_rate": "HR",
    "spo2": "SpO2",
    "temperature_c": "temp",
    "cadss": "CADSS",
}


@dataclass(frozen=True)
class Alert(Result):
    """An alert: the rule that fired, the reading that fired it, what to do, and the source."""

    rule_id: str
    severity: str
    reading: str
    taken_at: datetime | None
    action: str
    source: str
    verification: str

    def to_text(self) -> str:
        """One line for a clinician: severity, rule, reading, action, source."""
        tag = " (UNVERIFIED default: site setting)" if self.verification == "U" else ""
        return (
            f"[{self.severity.upper()}] {self.rule_id}: {self.reading}. {self.action} "
            f"Source: {self.source} [{self.verification}]{tag}"
        )


@dataclass(frozen=True)
class MissingReading(Result):
    """A reading (or observation time) a rule requires that the session lacks."""

    rule_id: str
    description: str
    detail: str
    source: str
    verification: str

    def to_text(self) -> str:
        """One line: what is missing and why it is required."""
        return (
            f"missing {self.description} ({self.rule_id}): {self.detail}. "
            f"Source: {self.source} [{self.verification}]"
        )


class SessionIncompleteError(ValueError):
    """Raised when closing a session as complete while required readings are missing."""

    def __init__(self, missing: tuple[MissingReading, ...]) -> None:
        self.missing = missing
        lines = "\n".join(f"  - {m.to_text()}" for m in missing)
        super().__init__(f"session cannot be closed as complete; missing:\n{lines}")


@dataclass(frozen=True)
class SessionReview(Result):
    """Alerts and missing readings of one session, as one result for CLI, API and reports."""

    session: DosingSession
    alerts: tuple[Alert, ...]
    missing: tuple[MissingReading, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def can_close(self) -> bool:
        """Whether the session may be closed as complete."""
        return not self.missing

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per alert, then one per missing reading."""
        rows = [{"kind": "alert", "rule_id": a.rule_id, "detail": a.reading} for a in self.alerts]
        rows += [
            {"kind": "missing", "rule_id": m.rule_id, "detail": m.detail} for m in self.missing
        ]
        return rows

    def to_text(self) -> str:
        """Alerts, then what is missing before the session can be closed."""
        s = self.session
        head = f"{s.treatment} {s.phase.value} session {s.session_id or ''} ({s.status})".strip()
        lines = [head, f"  {len(s.vitals)} vitals reading(s), {len(s.adverse_events)} AE(s)"]
        lines += [f"  {a.to_text()}" for a in self.alerts] or ["  no alerts"]
        if self.missing:
            lines += ["  cannot close as complete yet:"]
            lines += [f"    - {m.to_text()}" for m in self.missing]
        else:
            lines += ["  all required readings present"]
        return "\n".join(lines)


def _when(v: SessionVitals, dose: datetime | None) -> str:
    clock = v.taken_at.strftime("%H:%M")
    if dose is None:
        return f"at {clock} (pre-dose)"
    minutes = (v.taken_at - dose).total_seconds() / 60
    if minutes < 0:
        return f"at {clock} (pre-dose)"
    return f"at {clock} ({minutes:.0f} min after dose)"


def _describe(v: SessionVitals, measures: Iterator[str] | tuple[str, ...]) -> str:
    shown = []
    names = set(measures)
    if names & {"systolic", "diastolic"} and v.systolic is not None:
        shown.append(f"BP {v.systolic:g}/{v.diastolic:g} mmHg")
    for m in ("heart_rate", "spo2", "temperature_c", "cadss"):
        value = getattr(v, m)
        if m in names and value is not None:
            shown.append(f"{_LABELS[m]} {value:g} {_UNITS[m]}".replace(" %", "%"))
    return ", ".join(shown)


def _in_window(rule: SessionRule, session: DosingSession) -> tuple[SessionVitals, ...]:
    readings = session.ordered_vitals()
    if rule.window == "any":
        return readings
    if session.phase != Phase.dosing:
        return ()
    dose = session.dose_time
    if rule.window == "pre_dose":
        return tuple(v for v in readings if dose is None or v.taken_at < dose)
    return () if dose is None else tuple(v for v in readings if v.taken_at >= dose)


def _baseline(session: DosingSession, measure: str) -> float | None:
    dose = session.dose_time
    pre = [
        getattr(v, measure)
        for v in session.ordered_vitals()
        if dose is not None and v.taken_at < dose and getattr(v, measure) is not None
    ]
    return pre[-1] if pre else None


def _fires(rule: SessionRule, v: SessionVitals, session: DosingSession) -> bool | None:
    """True/False when the reading meets/misses the rule; None when it has no such measure."""
    known = False
    for measure, limit in rule.limits.items():
        value = getattr(v, measure)
        if value is None:
            continue
        if limit.rise is not None:
            base = _baseline(session, measure)
            if base is None:
                continue
            known = True
            if value - base >= limit.rise:
                return True
            continue
        known = True
        if (limit.above is not None and value > limit.above) or (
            limit.below is not None and value < limit.below
        ):
            return True
    return False if known else None


def _limits_text(rule: SessionRule) -> str:
    parts = []
    for measure, lim in rule.limits.items():
        if lim.above is not None:
            parts.append(f"{_LABELS[measure]} > {lim.above:g}")
        elif lim.below is not None:
            parts.append(f"{_LABELS[measure]} < {lim.below:g}")
        else:
            parts.append(f"{_LABELS[measure]} rise ≥ {lim.rise:g}")
    return " or ".join(parts)


def _threshold_alerts(rule: SessionRule, session: DosingSession) -> list[Alert]:
    alerts: list[Alert] = []
    run: list[SessionVitals] = []
    alerted = False
    dose = session.dose_time
    for v in _in_window(rule, session):
        hit = _fires(rule, v, session)
        if hit is None:
            continue
        gap_ok = (
            not run
            or rule.within_minutes is None
            or (v.taken_at - run[-1].taken_at) <= timedelta(minutes=rule.within_minutes)
        )
        if not hit:
            run, alerted = [], False
            continue
        run = [*run, v] if gap_ok else [v]
        if not gap_ok:
            alerted = False
        if len(run) >= rule.consecutive and not alerted:
            alerted = True
            readings = "; ".join(
                f"{_describe(r, tuple(rule.limits))} {_when(r, dose)}" for r in run
            )
            if rule.kind == "rise":
                base = ", ".join(
                    f"{_LABELS[m]} {_baseline(session, m):g}"
                    for m in rule.limits
                    if _baseline(session, m) is not None
                )
                readings += f" vs pre-dose {base}"
            count = f" ({len(run)} readings in a row)" if rule.consecutive > 1 else ""
            alerts.append(
                Alert(
                    rule_id=rule.id,
                    severity=rule.severity,
                    reading=f"{readings}{count}; rule: {_limits_text(rule)}",
                    taken_at=v.taken_at,
                    action=rule.action,
                    source=rule.source,
                    verification=rule.verification,
                )
            )
    return alerts


def _observation_minutes(session: DosingSession) -> float | None:
    dose = session.dose_time
    if dose is None or session.end is None:
        return None
    return (session.end - dose).total_seconds() / 60


def session_alerts(session: DosingSession, site: SiteSpec = None) -> tuple[Alert, ...]:
    """Alerts for a session under the rules in force at a site.

    Thresholds are strict (``above 140`` fires at 141, not at 140); ``consecutive`` rules
    need that many readings in a row within ``within_minutes`` of each other. One alert per
    run of readings beyond a limit. A short observation (session ended before the minimum
    time after the dose) is an alert too.

    Examples
    --------
    >>> from datetime import datetime
    >>> from ptsdrx.monitoring._sessions import Dose, DosingSession, SessionVitals
    >>> s = DosingSession(phase="dosing", treatment="esketamine", start=datetime(2026, 1, 5, 9),
    ...     doses=[Dose(given_at=datetime(2026, 1, 5, 9, 10), amount_mg=56, route="intranasal")],
    ...     vitals=[SessionVitals(taken_at=datetime(2026, 1, 5, 9, 0), systolic=152,
    ...                           diastolic=88)])
    >>> [a.rule_id for a in session_alerts(s)]
    ['predose_bp_above_140_90']
    """
    rules = load_session_rules(site)
    alerts: list[Alert] = []
    for rule in rules.for_treatment(session.treatment):
        if rule.kind in ("threshold", "rise"):
            alerts.extend(_threshold_alerts(rule, session))
        elif rule.kind == "observation" and session.phase == Phase.dosing:
            minutes = _observation_minutes(session)
            assert rule.min_minutes is not None
            if minutes is not None and minutes < rule.min_minutes:
                alerts.append(
                    Alert(
                        rule_id=rule.id,
                        severity=rule.severity,
                        reading=(
                            f"session ended {minutes:.0f} min after the dose "
                            f"(minimum {rule.min_minutes:g} min)"
                        ),
                        taken_at=session.end,
                        action=f"Observation shorter than required: {rule.description}.",
                        source=rule.source,
                        verification=rule.verification,
                    )
                )
    return tuple(sorted(alerts, key=lambda a: (a.taken_at or datetime.max, a.rule_id)))


def _has_all(v: SessionVitals, measures: tuple[str, ...]) -> bool:
    return all(getattr(v, m) is not None for m in measures)


def missing_required_readings(
    session: DosingSession, site: SiteSpec = None
) -> tuple[MissingReading, ...]:
    """What a dosing session still lacks before it may be closed as complete.

    Only dosing sessions have required readings. A session with no dose recorded cannot be
    closed as complete (close it as ``aborted`` with a note instead).
    """
    if session.phase != Phase.dosing:
        return ()
    rules = load_session_rules(site)
    dose = session.dose_time
    missing: list[MissingReading] = []
    if dose is None:
        missing.append(
            MissingReading(
                rule_id="dose_recorded",
                description="dose",
                detail="no dose recorded; a session without a dose is closed as 'aborted'",
                source="ptsdrx session model",
                verification="D",
            )
        )
    for rule in rules.for_treatment(session.treatment):
        if rule.kind == "required":
            measures = rule.measures
            if rule.window == "pre_dose":
                found = any(_has_all(v, measures) for v in _in_window(rule, session))
                detail = f"no pre-dose reading with {', '.join(measures)}"
            elif dose is None or rule.at_minutes is None:
                found = any(_has_all(v, measures) for v in _in_window(rule, session))
                detail = f"no post-dose reading with {', '.join(measures)}"
            else:
                lo = dose + timedelta(minutes=rule.at_minutes - rule.tolerance_minutes)
                hi = dose + timedelta(minutes=rule.at_minutes + rule.tolerance_minutes)
                found = any(
                    lo <= v.taken_at <= hi and _has_all(v, measures) for v in session.vitals
                )
                detail = (
                    f"no reading with {', '.join(measures)} between {lo:%H:%M} and {hi:%H:%M} "
                    f"({rule.at_minutes:g} ± {rule.tolerance_minutes:g} min after the dose)"
                )
            if not found:
                missing.append(
                    MissingReading(
                        rule.id, rule.description, detail, rule.source, rule.verification
                    )
                )
        elif rule.kind == "observation":
            assert rule.min_minutes is not None
            minutes = _observation_minutes(session)
            if minutes is None or minutes < rule.min_minutes:
                detail = (
                    "no end time recorded"
                    if minutes is None
                    else f"{minutes:.0f} of {rule.min_minutes:g} minutes after the dose"
                )
                missing.append(
                    MissingReading(
                        rule.id, rule.description, detail, rule.source, rule.verification
                    )
                )
    return tuple(missing)


def review_session(session: DosingSession, site: SiteSpec = None) -> SessionReview:
    """Alerts and missing readings together (what ``ptsdrx session`` and reports show)."""
    rules = load_session_rules(site)
    return SessionReview(
        session=session,
        alerts=session_alerts(session, rules),
        missing=missing_required_readings(session, rules),
    )


def close_session(session: DosingSession, end: datetime, site: SiteSpec = None) -> DosingSession:
    """The session closed as complete at ``end``, or :class:`SessionIncompleteError`.

    The hard stop: a dosing session cannot be complete while a required reading (pre-dose BP,
    the ~40-minute BP, the observation time, per the site's rules) is missing.
    """
    if session.status != "open":
        raise ValueError(f"session is already {session.status}")
    data = session.model_dump()
    data["end"] = end
    ended = DosingSession.model_validate(data)
    missing = missing_required_readings(ended, site)
    if missing:
        raise SessionIncompleteError(missing)
    data["status"] = "complete"
    return DosingSession.model_validate(data)
