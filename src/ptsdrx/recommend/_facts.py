"""The facts about each option, gathered once.

Screening, predictions, evidence, availability, burden and history, as one frozen
:class:`OptionFacts` per treatment.

Everything the decision and the explanation read comes from here, typed; nothing later goes
back to screening, the catalog or the evidence files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from ptsdrx.recommend._policy import Candidate, Policy
from ptsdrx.recommend._predictions import ModelView, model_prediction, prior_prediction
from ptsdrx.recommend._result import (
    Availability,
    Caution,
    DosingNote,
    FeatureContribution,
    OptionAdverseEvent,
    OptionBurden,
    Prediction,
    RuleTrace,
)
from ptsdrx.records import Preferences, PriorTreatment

if TYPE_CHECKING:
    from ptsdrx.screening import RuleOutcome, ScreeningResult, TreatmentScreening
    from ptsdrx.treatments import Treatment


@dataclass(frozen=True)
class Evidence:
    """An option's evidence grade, the reasons for it, and trial adverse-event rates."""

    grade: str | None = None
    notes: tuple[str, ...] = ()
    adverse_events: tuple[OptionAdverseEvent, ...] = ()


@dataclass(frozen=True)
class OptionFacts:
    """Everything known about one option for this patient, before any decision."""

    treatment: Treatment
    screening_status: str | None
    rules: tuple[RuleTrace, ...]
    cautions: tuple[Caution, ...]
    """Fired or unknown cautions, major first (``acknowledged`` not yet applied)."""
    exclusions: tuple[str, ...]
    contraindications: tuple[str, ...]
    excluded_until: date | None
    dosing_notes: tuple[DosingNote, ...]
    prediction: Prediction | None
    contributions: tuple[FeatureContribution, ...]
    evidence: Evidence
    availability: Availability
    burden: OptionBurden
    history: tuple[PriorTreatment, ...]
    """The patient's past courses of this treatment."""

    @property
    def id(self) -> str:
        """The treatment id."""
        return self.treatment.id

    def rule_ids(self, level: str) -> tuple[str, ...]:
        """Ids of the cautions at ``level`` ("major" or "minor")."""
        return tuple(c.rule for c in self.cautions if c.level == level)

    def candidate(self) -> Candidate:
        """What the decision needs from these facts."""
        p = self.prediction
        return Candidate(
            treatment=self.id,
            screening_status=self.screening_status,
            availability=self.availability.status,
            investigational=self.treatment.investigational,
            preference_conflicts=self.burden.conflicts,
            expected_pcl5=None if p is None else p.expected_pcl5,
            interval=None if p is None else p.interval,
            evidence_grade=self.evidence.grade,
            history=self.history,
            major_cautions=self.rule_ids("major"),
            minor_cautions=self.rule_ids("minor"),
            exclusions=self.exclusions,
            contraindications=self.contraindications,
            excluded_until=self.excluded_until,
            controlled=True if p is None else p.controlled,
        )


@lru_cache(maxsize=4096)
def _trace(r: RuleOutcome) -> RuleTrace:
    """The option's copy of a rule outcome (immutable, so one copy serves every patient)."""
    return RuleTrace(
        id=r.id,
        effect=r.effect,
        outcome=r.outcome,
        rationale=r.rationale,
        source=r.source,
        verification=r.verification,
        missing=r.missing,
        until=r.until,
    )


def _cautions(per: TreatmentScreening) -> tuple[Caution, ...]:
    major = tuple(
        Caution(rule=r.id, level="major", rationale=r.rationale) for r in per.major_cautions
    )
    minor = tuple(
        Caution(rule=r.id, level="minor", rationale=r.rationale) for r in per.minor_cautions
    )
    return major + minor


def availability(treatment: Treatment, jurisdiction: str | None) -> Availability:
    """Regulatory status here; a subdivision (``US-OR``) falls back to its country."""
    if jurisdiction is None:
        return Availability(jurisdiction=None)
    reg = treatment.availability(jurisdiction)
    if reg is None:
        return Availability(jurisdiction=jurisdiction)
    return Availability(
        jurisdiction=jurisdiction,
        status=reg.status,
        as_of=reg.as_of.isoformat(),
        since=reg.since,
        source=reg.source,
    )


def burden(treatment: Treatment, prefs: Preferences | None, policy: Policy) -> OptionBurden:
    """Visits and hours, and each clash with the patient's stated preferences."""
    b = treatment.burden
    visits = None if b.visits is None else float(b.visits)
    clinic = None if b.clinic_hours is None else float(b.clinic_hours)
    session = None if b.session_hours is None else float(b.session_hours)
    conflicts: list[str] = []
    if prefs is not None:
        tid = treatment.id
        if tid in (prefs.refused_treatments or []):
            conflicts.append("The patient has declined this treatment.")
        if prefs.willing_psychedelic is False and tid in policy.preference_groups["psychedelic"]:
            conflicts.append("The patient does not want a psychedelic treatment.")
        if (
            prefs.willing_psychotherapy is False
            and tid in policy.preference_groups["psychotherapy"]
        ):
            conflicts.append("The patient does not want a psychotherapy-based treatment.")
        max_hours = prefs.max_session_hours
        if max_hours is not None and session is not None and session > max_hours:
            conflicts.append(
                f"Sessions last {session:g} h; the patient accepts up to {max_hours:g} h."
            )
        if prefs.max_visits is not None and visits is not None and visits > prefs.max_visits:
            conflicts.append(
                f"About {visits:g} visits; the patient accepts up to {prefs.max_visits}."
            )
    return OptionBurden(
        visits=visits, clinic_hours=clinic, session_hours=session, conflicts=tuple(conflicts)
    )


@cache
def evidence(treatment_id: str) -> Evidence:
    """Evidence grade, its reasons, and adverse-event rates reported for this arm in trials.

    From the packaged evidence only, which does not change while the process runs.
    """
    from ptsdrx.evidence import grade, trials

    g = grade(treatment_id)
    events = tuple(
        OptionAdverseEvent(
            event=ae.event,
            rate=f"{100 * ae.rate:.1f}%" + (f" ({ae.note})" if ae.note else ""),
            source=f"{trial.id}: {ae.source} [{ae.verification}]",
        )
        for trial in trials(treatment_id)
        for ae in trial.adverse_events
        if ae.arm == treatment_id and ae.rate is not None
    )
    return Evidence(grade=g.grade, notes=g.reasons, adverse_events=events)


def gather(
    *,
    catalog: Mapping[str, Treatment],
    screening: ScreeningResult,
    view: ModelView | None,
    baseline: float | None,
    policy: Policy,
    prefs: Preferences | None,
    jurisdiction: str | None,
    courses: tuple[PriorTreatment, ...],
    basis: str,
) -> dict[str, OptionFacts]:
    """One :class:`OptionFacts` per catalog treatment, in catalog order."""
    out: dict[str, OptionFacts] = {}
    level = 1 - policy.interval_alpha
    for tid, t in catalog.items():
        per = screening.per_treatment.get(tid)
        prediction = model_prediction(view, tid, basis) if view is not None else None
        if prediction is None:
            prediction = prior_prediction(tid, baseline, level=level)
        fired = () if per is None else per.fired
        out[tid] = OptionFacts(
            treatment=t,
            screening_status=None if per is None else per.status,
            rules=() if per is None else tuple(_trace(r) for r in per.rules),
            cautions=() if per is None else _cautions(per),
            exclusions=tuple(r.id for r in fired if r.effect == "exclude"),
            contraindications=tuple(r.id for r in fired if r.effect == "contraindicated"),
            excluded_until=None if per is None else per.excluded_until,
            dosing_notes=()
            if per is None
            else tuple(DosingNote(rule=r.id, text=r.rationale, source=r.source) for r in per.notes),
            prediction=prediction,
            contributions=view.contributions.get(tid, ()) if view is not None else (),
            evidence=evidence(tid),
            availability=availability(t, jurisdiction),
            burden=burden(t, prefs, policy),
            history=tuple(c for c in courses if c.treatment == tid),
        )
    return out
