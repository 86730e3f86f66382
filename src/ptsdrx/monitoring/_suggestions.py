"""Re-assessment, booster-review, check-in and safety-review suggestions from rules.

Rules are data (``data/followup.yaml``, each with a source): re-assess before the median time
to loss of response after ketamine (27.5 days, Feder et al. 2021), review boosters when a
relapse is detected, a clinician check-in after a long gap ([U] site setting), and an urgent
suicide-risk review when the latest PHQ-9 or C-SSRS raised a safety flag. These are prompts
for the clinician; nothing is scheduled or given automatically.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import Field, computed_field

from ptsdrx._results import Result
from ptsdrx.monitoring._config import FollowupRules, SiteSpec, SuggestionRule, load_followup_rules
from ptsdrx.monitoring._scores import score
from ptsdrx.monitoring._sessions import DosingSession, Phase
from ptsdrx.monitoring._trajectory import Trajectory, trajectory
from ptsdrx.records import PatientRecord


@dataclass(frozen=True)
class Suggestion(Result):
    """One prompt for the clinician, with the rule, the reason and the source."""

    rule_id: str
    kind: str
    due: date | None
    message: str
    source: str
    verification: str

    def to_text(self) -> str:
        """One line: kind, due date, message, source."""
        due = f" (by {self.due})" if self.due else ""
        return f"[{self.kind}]{due} {self.message} Source: {self.source} [{self.verification}]"


@dataclass(frozen=True)
class FollowUpSuggestions(Result):
    """All suggestions for one patient on one date, urgent ones first."""

    patient_id: str | None
    as_of: date
    items: Annotated[tuple[Suggestion, ...], Field(exclude=True)]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def suggestions(self) -> tuple[Suggestion, ...]:
        """The suggestions, urgent first (the JSON key)."""
        return self.items

    def __iter__(self) -> Iterator[Suggestion]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per suggestion."""
        return [s.to_dict() for s in self.suggestions]

    def to_text(self) -> str:
        """Suggestions for the clinician (nothing here is scheduled automatically)."""
        head = f"{self.patient_id or 'patient'}: follow-up suggestions as of {self.as_of}"
        body = [f"  - {s.to_text()}" for s in self.suggestions] or ["  - none"]
        return "\n".join([head, *body, "  (suggestions only; the clinician decides)"])


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _make(rule: SuggestionRule, due: date | None, **values: Any) -> Suggestion:
    message = " ".join(rule.message.split()).format_map(_Blank(values))
    return Suggestion(rule.id, rule.kind, due, message, rule.source, rule.verification)


def _dosing(sessions: Sequence[DosingSession], treatments: tuple[str, ...] | None) -> list[date]:
    return sorted(
        s.start.date()
        for s in sessions
        if s.phase == Phase.dosing
        and s.status == "complete"
        and (treatments is None or s.treatment in treatments)
    )


def _after_last_session(
    rule: SuggestionRule,
    record: PatientRecord,
    sessions: Sequence[DosingSession],
    instrument: str,
    rules: FollowupRules,
) -> Suggestion | None:
    days = _dosing(sessions, rule.treatments)
    if not days or rule.days is None:
        return None
    traj = trajectory(record, instrument, since=days[0], site=rules)
    state = traj.first_response if rule.requires_state == "response" else traj.first_remission
    if rule.requires_state is not None and state is None:
        return None
    if traj.relapse is not None:
        return None
    last = days[-1]
    window_start = last + timedelta(days=math.floor(rule.days - rule.lead_days))
    if any(a.date >= window_start for a in record.administrations(instrument)):
        return None
    return _make(rule, last + timedelta(days=math.floor(rule.days)), days=rule.days, last=last)


def _relapse(
    rule: SuggestionRule, traj: Trajectory, sessions: Sequence[DosingSession], as_of: date
) -> Suggestion | None:
    if traj.relapse is None:
        return None
    treated = _dosing(sessions, rule.treatments)
    if rule.treatments is not None and not treated:
        return None
    r = traj.relapse
    if any(day > r.date for day in treated):
        return None  # re-treated since the relapse: the prompt has been acted on
    return _make(rule, as_of, criterion=r.criterion, date=r.date, instrument=traj.instrument)


def _gap(
    rule: SuggestionRule, record: PatientRecord, instrument: str, as_of: date
) -> Suggestion | None:
    assert rule.days is not None
    done = [a.date for a in record.administrations(instrument) if a.date <= as_of]
    if done and (as_of - done[-1]).days <= rule.days:
        return None
    gap = f"{(as_of - done[-1]).days} days" if done else "the record"
    last = done[-1].isoformat() if done else "never"
    return _make(rule, as_of, instrument=instrument, gap=gap, last=last)


def _safety(rule: SuggestionRule, record: PatientRecord, as_of: date) -> list[Suggestion]:
    found = []
    for instrument in sorted({a.instrument for a in record.assessments or []}):
        latest = [a for a in record.administrations(instrument) if a.date <= as_of]
        if not latest:
            continue
        flags = [f for f in score(latest[-1]).flags if f in rule.flags]
        if flags:
            found.append(
                _make(
                    rule, as_of, instrument=instrument, date=latest[-1].date, flag=", ".join(flags)
                )
            )
    return found


def suggest(
    record: PatientRecord,
    sessions: Sequence[DosingSession] = (),
    *,
    instrument: str = "pcl5",
    as_of: date | None = None,
    site: SiteSpec = None,
) -> FollowUpSuggestions:
    """Follow-up suggestions for one patient from the rules in force.

    Parameters
    ----------
    record : the patient record (assessments drive trajectories and safety flags).
    sessions : the patient's dosing sessions (only ``complete`` dosing sessions count).
    instrument : the outcome instrument followed (default PCL-5).
    as_of : the date of the review; the record's reference date when omitted.
    site : site overrides for the follow-up rules.
    """
    rules = load_followup_rules(site)
    when = as_of or record.reference_date()
    dosing = _dosing(sessions, None)
    traj = trajectory(record, instrument, since=dosing[0] if dosing else None, site=rules)
    found: list[Suggestion] = []
    for rule in rules.suggestions:
        if not rule.enabled:
            continue
        if rule.trigger == "safety_flag":
            found.extend(_safety(rule, record, when))
            continue
        item: Suggestion | None
        if rule.trigger == "after_last_dosing_session":
            item = _after_last_session(rule, record, sessions, instrument, rules)
        elif rule.trigger == "relapse":
            item = _relapse(rule, traj, sessions, when)
        else:
            item = _gap(rule, record, instrument, when)
        if item is not None:
            found.append(item)
    order = {"safety_review": 0, "booster_review": 1, "reassess": 2, "check_in": 3}
    found.sort(key=lambda s: (order[s.kind], s.due or date.max))
    return FollowUpSuggestions(record.patient_id, when, tuple(found))
