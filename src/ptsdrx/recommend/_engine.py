"""``recommend``: one straight path per patient.

Screen, gather the facts of every option once (:mod:`._facts`), decide (:mod:`._policy`), then
explain (:mod:`._reasons`) into one ranked :class:`Recommendation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ptsdrx.recommend._facts import OptionFacts, gather
from ptsdrx.recommend._policy import Decision, Policy, decide, default_policy
from ptsdrx.recommend._predictions import ModelView, model_view
from ptsdrx.recommend._protocols import ResponseModel
from ptsdrx.recommend._reasons import plain_reasons
from ptsdrx.recommend._result import (
    Advantage,
    ModelCard,
    Option,
    Override,
    Recommendation,
)
from ptsdrx.records import PatientRecord, Preferences

if TYPE_CHECKING:
    from ptsdrx.screening import SafetyFlag, ScreeningResult
    from ptsdrx.site import SiteConfig


def baseline_pcl5(record: PatientRecord) -> float | None:
    """The latest PCL-5 total (scored from items when recorded), or ``None`` when unknown."""
    adm = record.latest("pcl5")
    if adm is None:
        return None
    if adm.responses is not None:
        from ptsdrx.instruments import score_administration

        total = score_administration(adm).total
        if total is not None:
            return float(total)
    return adm.total


def _safety_flags(screening: ScreeningResult, policy: Policy) -> tuple[SafetyFlag, ...]:
    """The screening's urgent flags, in the policy's order, with the policy's text."""
    order = list(policy.safety_flags)
    flags = []
    for f in sorted(
        screening.safety_flags, key=lambda f: (order.index(f.id) if f.id in order else 99, f.id)
    ):
        text, source = policy.safety_flags.get(f.id, (f.text, None))
        flags.append(f.model_copy(update={"text": text, "source": source}))
    return tuple(flags)


def _check_clinician_input(
    facts: dict[str, OptionFacts],
    acknowledged: Sequence[str],
    overrides: Sequence[tuple[str, str]],
    clinician: str | None,
) -> tuple[Override, ...]:
    """Acknowledgements name major cautions; overrides name exclusions, with a clinician.

    A contraindication or a hold can never be overridden (a clear error, nothing computed).
    """
    effects = {r.id: r.effect for f in facts.values() for r in f.rules}
    majors = sorted({c.rule for f in facts.values() for c in f.cautions if c.level == "major"})
    for rule in acknowledged:
        if rule not in majors:
            allowed = ", ".join(majors) or "none for this patient"
            raise ValueError(
                f"acknowledged: {rule!r} is not a major caution for this patient; "
                f"allowed: {allowed}"
            )
    if overrides and not (clinician and clinician.strip()):
        raise ValueError("overrides: an override needs the clinician's name (clinician=...)")
    fired = sorted({r for f in facts.values() for r in f.exclusions})
    out = []
    for rule, reason in overrides:
        if effects.get(rule) == "contraindicated":
            raise ValueError(
                f"overrides: {rule!r} is a contraindication; contraindications can never be "
                "overridden"
            )
        if effects.get(rule) == "hold":
            raise ValueError(f"overrides: {rule!r} is a suicide-risk hold; it cannot be overridden")
        if rule not in fired:
            allowed = ", ".join(fired) or "none for this patient"
            raise ValueError(
                f"overrides: {rule!r} is not an exclusion that fired for this patient; "
                f"allowed: {allowed}"
            )
        if len(reason.strip()) < 3:
            raise ValueError(f"overrides: {rule!r} needs a reason (at least 3 characters)")
        out.append(Override(rule=rule, reason=reason.strip(), clinician=str(clinician).strip()))
    return tuple(out)


def _advantage(
    facts: dict[str, OptionFacts], view: ModelView | None, tid: str, over: str | None, what: str
) -> Advantage | None:
    if over is None:
        return None
    mine, theirs = facts[tid].prediction, facts[over].prediction
    if mine is None or theirs is None:
        return None
    interval = view.advantage(tid, over) if view is not None else None
    mixed = mine.source != theirs.source or mine.controlled != theirs.controlled
    return Advantage(
        over=over,
        points=theirs.expected_pcl5 - mine.expected_pcl5,
        interval=interval,
        basis=f"{what}; "
        + ("model effect interval" if interval else "difference of point predictions")
        + (" (mixes kinds of estimate: compare with care)" if mixed else ""),
    )


def _options(
    facts: dict[str, OptionFacts],
    decision: Decision,
    view: ModelView | None,
    policy: Policy,
    prefs: Preferences | None,
    acknowledged: frozenset[str],
    overrides: tuple[Override, ...],
) -> tuple[Option, ...]:
    from ptsdrx.evidence import trials

    held = decision.held
    open_ranked = [
        t
        for t in decision.order
        if decision.statuses[t] in ("recommended", "alternative")
        and facts[t].prediction is not None
    ]
    standard = [t for t in open_ranked if t in policy.standard_care]
    by_rule = {o.rule: o for o in overrides}
    out = []
    for rank, tid in enumerate(decision.order, start=1):
        f = facts[tid]
        cautions = tuple(
            c.model_copy(update={"acknowledged": c.rule in acknowledged}) for c in f.cautions
        )
        nxt = next((o for o in open_ranked if o != tid), None)
        std = next((s for s in standard if s != tid), None)
        tier = decision.tiers.get(tid)
        out.append(
            Option(
                treatment=tid,
                name=f.treatment.name,
                status=decision.statuses[tid],
                rank=None if held else rank,
                screening_status=f.screening_status,
                cautions=cautions,
                safety_tier=decision.safety.get(tid, "none"),
                guideline_tier=tier,
                guideline_tier_label=None if tier is None else policy.guideline.tier(tier).label,
                excluded_until=f.excluded_until,
                override=next((by_rule[r] for r in f.exclusions if r in by_rule), None),
                dosing_notes=f.dosing_notes,
                rules=f.rules,
                prediction=None if held else f.prediction,
                advantage_next_best=None
                if held
                else _advantage(facts, view, tid, nxt, "next-best open option"),
                advantage_standard_care=None
                if held
                else _advantage(facts, view, tid, std, "best standard-care option (PAI)"),
                evidence_grade=f.evidence.grade,
                evidence_notes=f.evidence.notes,
                key_trials=f.prediction.trials
                if f.prediction is not None and f.prediction.trials
                else tuple(t.id for t in trials(tid)),
                availability=f.availability,
                burden=f.burden,
                adverse_events=f.evidence.adverse_events,
                contributions=() if held else f.contributions,
                investigational=f.treatment.investigational,
                reasons=decision.reasons.get(tid, ())
                + tuple(
                    plain_reasons(f, cautions, prefs, policy.history, show_prediction=not held)
                ),
            )
        )
    return tuple(out)


def _notes(options: tuple[Option, ...], baseline: float | None, source: str) -> tuple[str, ...]:
    notes: list[str] = []
    if baseline is None:
        notes.append("No PCL-5 on record: the trial prior cannot be applied; record a PCL-5.")
    if source in ("evidence_prior", "mixed"):
        notes.append(
            "Predictions labelled 'trial prior' come from published trial averages, "
            "not from a model of this clinic's patients."
        )
    preds = [o.prediction for o in options if o.prediction is not None]
    if any(p.prior_kind == "effect_sizes" for p in preds):
        notes.append(
            "Predictions labelled 'derived prior' (standard care) are derived from effect sizes "
            "vs control, not from a trial arm: a reference control change plus the published "
            "SMD, with wider intervals for the extra assumptions (ptsdrx.evidence prior.yaml)."
        )
    if any(not p.controlled for p in preds):
        notes.append(
            "Some priors come from uncontrolled pre-post cohorts (expectancy and regression to "
            "the mean included): they are not ranked against controlled estimates."
        )
    return tuple(notes)


def recommend(
    record: PatientRecord,
    *,
    model: ResponseModel | None = None,
    remission_model: ResponseModel | None = None,
    site: SiteConfig | None = None,
    preferences: Preferences | None = None,
    model_card: ModelCard | None = None,
    policy: Policy | None = None,
    acknowledged: Sequence[str] = (),
    overrides: Sequence[tuple[str, str]] = (),
    clinician: str | None = None,
) -> Recommendation:
    """Rank every catalog treatment for this patient, safety flags first.

    Parameters
    ----------
    record : PatientRecord
        The patient.
    model : ResponseModel, optional
        A fitted ``ptsdrx.response.TreatmentResponseModel``; without one, predictions come
        from the published-trial prior and are labelled ``evidence_prior``.
    remission_model : ResponseModel, optional
        A model of week-12 remission (binary), same features.
    site : SiteConfig, optional
        The site configuration (``ptsdrx.screening.load_site``): rules and crisis texts.
    preferences : Preferences, optional
        Overrides ``record.preferences`` (e.g. what the patient said today).
    model_card : ModelCard, optional
        Shown with the result (version, training data, validation metrics).
    policy : Policy, optional
        The recommendation policy; the packaged ``policy.yaml`` by default.
    acknowledged : sequence of str
        Ids of major-caution rules the clinician has acknowledged for this patient.
    overrides : sequence of (rule id, reason)
        Relative exclusions the clinician overrides; needs ``clinician``. A
        contraindication can never be overridden (``ValueError``).
    clinician : str, optional
        Who acknowledged or overrode (stored with the recommendation).

    Examples
    --------
    >>> from ptsdrx.records import load_record
    >>> rec = recommend(load_record("examples/patients/little_data.json"))  # doctest: +SKIP
    >>> rec.recommended is None  # little data: nothing can be recommended  # doctest: +SKIP
    True
    """
    from ptsdrx.screening import screen
    from ptsdrx.treatments import catalog

    policy = policy or default_policy()
    prefs = preferences if preferences is not None else record.preferences
    jurisdiction = record.demographics.jurisdiction if record.demographics else None
    screening = screen(record, site=site)
    flags = _safety_flags(screening, policy)
    held = [f.id for f in flags if f.id in policy.hold_flags]
    hold = (
        f"urgent safety flag ({', '.join(held)}): evaluate safety before choosing a treatment"
        if held
        else None
    )
    on_hold = hold is not None or any(p.status == "hold" for p in screening.per_treatment.values())
    baseline = baseline_pcl5(record)
    view = (
        model_view(record, model, alpha=policy.interval_alpha, remission_model=remission_model)
        if model is not None and not on_hold
        else None
    )
    basis = (
        f"{model_card.name} {model_card.version}, {model_card.validation}"
        if model_card
        else "fitted treatment-response model"
    )
    courses = tuple(record.prior_treatments or ())
    facts = gather(
        catalog={t.id: t for t in catalog()},
        screening=screening,
        view=view,
        baseline=baseline,
        policy=policy,
        prefs=prefs,
        jurisdiction=jurisdiction,
        courses=courses,
        basis=basis,
    )
    recorded = _check_clinician_input(facts, acknowledged, overrides, clinician)
    decision = decide(
        [f.candidate() for f in facts.values()],
        policy=policy,
        advantage_interval=view.advantage if view is not None else None,
        in_support=view.in_support if view is not None else None,
        hold=hold,
        names={tid: f.treatment.name for tid, f in facts.items()},
        acknowledged=acknowledged,
        overrides=recorded,
        courses=courses,
    )
    options = _options(facts, decision, view, policy, prefs, frozenset(acknowledged), recorded)
    sources = {o.prediction.source for o in options if o.prediction is not None}
    prediction_source = (
        "none" if not sources else next(iter(sources)) if len(sources) == 1 else "mixed"
    )
    suicide = any(f.suicide_risk for f in flags)
    return Recommendation(
        patient_id=record.patient_id,
        as_of=record.reference_date(),
        jurisdiction=jurisdiction,
        safety_flags=flags,
        options=options,
        abstained=decision.abstained,
        abstention_reason=decision.abstention_reason,
        prediction_source=prediction_source,
        in_support=view.in_support if view is not None else None,
        model_card=model_card,
        policy_version=policy.version,
        notes=_notes(options, baseline, prediction_source),
        hold=decision.abstention_reason if decision.held else None,
        crisis=screening.crisis if suicide else None,
        crisis_missing=screening.crisis_missing,
        acknowledged=tuple(acknowledged),
        overrides=recorded,
        clinician=clinician,
    )
