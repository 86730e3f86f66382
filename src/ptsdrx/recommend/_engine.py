"""``recommend``: join screening, predictions, evidence, availability, burden and
preferences into one ranked, explained :class:`Recommendation`."""

from __future__ import annotations

from typing import Any

from ptsdrx.recommend._history import HistoryPolicy, demotion_grounds, describe_course
from ptsdrx.recommend._model import (
    ModelView,
    model_prediction,
    model_view,
    prior_prediction,
)
from ptsdrx.recommend._policy import Candidate, Policy, decide, default_policy
from ptsdrx.recommend._result import (
    Advantage,
    AdverseEvent,
    Availability,
    Burden,
    ModelCard,
    Option,
    Prediction,
    Reason,
    Recommendation,
    RuleTrace,
    SafetyFlag,
)
from ptsdrx.records import PatientRecord, Preferences, PriorTreatment

_SAFETY_INSTRUMENTS = ("cssrs", "phq9")


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


def _safety_flags(record: PatientRecord, screening: Any, policy: Policy) -> tuple[SafetyFlag, ...]:
    """Urgent record-level flags: the screening's, plus those on the latest C-SSRS/PHQ-9."""
    from ptsdrx.instruments import score_administration

    found: list[str] = [str(getattr(f, "flag", f)) for f in screening.safety_flags]
    for instrument in _SAFETY_INSTRUMENTS:
        adm = record.latest(instrument)
        if adm is not None and adm.responses is not None:
            found.extend(score_administration(adm).flags)
    flags: list[SafetyFlag] = []
    order = list(policy.safety_flags)
    for flag in sorted(set(found), key=lambda f: (order.index(f) if f in order else len(order), f)):
        if flag in policy.safety_flags:
            text, source = policy.safety_flags[flag]
            flags.append(SafetyFlag(flag=flag, text=text, source=source))
        elif flag.startswith(("cssrs", "phq9")):
            flags.append(SafetyFlag(flag=flag, text=flag.replace("_", " ")))
    return tuple(flags)


def _rule_traces(per: Any) -> tuple[RuleTrace, ...]:
    return tuple(
        RuleTrace(
            id=r.id,
            effect=r.effect,
            outcome=r.outcome,
            rationale=r.rationale,
            source=r.source,
            verification=getattr(r, "verification", None),
            missing=tuple(getattr(r, "missing", ()) or ()),
        )
        for r in per.rules
    )


def _availability(treatment: Any, jurisdiction: str | None) -> Availability:
    """Regulatory status here; a subdivision (``US-OR``) falls back to its country."""
    if jurisdiction is None:
        return Availability(jurisdiction=None)
    tried = [jurisdiction] + ([jurisdiction.split("-")[0]] if "-" in jurisdiction else [])
    for j in tried:
        reg = treatment.availability(j)
        if reg is not None:
            as_of = getattr(reg, "as_of", None)
            return Availability(
                jurisdiction=jurisdiction,
                status=str(reg.status),
                as_of=None if as_of is None else str(as_of),
                source=getattr(reg, "source", None),
            )
    return Availability(jurisdiction=jurisdiction)


def _burden(treatment: Any, prefs: Preferences | None, policy: Policy) -> Burden:
    """Visits and hours, and each clash with the patient's stated preferences."""
    b = getattr(treatment, "burden", None)

    def num(name: str) -> float | None:
        v = getattr(b, name, None) if b is not None else None
        return None if v is None else float(v)

    visits, clinic, session = num("visits"), num("clinic_hours"), num("session_hours")
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
    return Burden(
        visits=visits, clinic_hours=clinic, session_hours=session, conflicts=tuple(conflicts)
    )


def _evidence(treatment_id: str) -> tuple[str | None, tuple[str, ...], tuple[AdverseEvent, ...]]:
    """Evidence grade, its reasons, and adverse-event rates reported for this arm in trials."""
    from ptsdrx.evidence import grade, trials

    try:
        g = grade(treatment_id)
    except (KeyError, LookupError, ValueError):
        return None, (), ()
    events: list[AdverseEvent] = []
    for trial in trials():
        if treatment_id not in trial.treatments:
            continue
        for ae in trial.adverse_events:
            if ae.arm != treatment_id or ae.rate is None:
                continue
            events.append(
                AdverseEvent(
                    event=ae.event,
                    rate=f"{100 * ae.rate:.1f}%" + (f" ({ae.note})" if ae.note else ""),
                    source=f"{trial.id}: {ae.source} [{ae.verification}]",
                )
            )
    return str(g.grade), tuple(str(r) for r in g.reasons), tuple(events)


def _key_trials(treatment_id: str, prediction: Prediction | None) -> tuple[str, ...]:
    """Ids of the trials behind the prediction, else every trial of this treatment."""
    if prediction is not None and prediction.trials:
        return prediction.trials
    from ptsdrx.evidence import trials

    return tuple(t.id for t in trials() if treatment_id in t.treatments)


def _describe(feature: str) -> str:
    """A feature's readable description from the feature schema (its name if unknown)."""
    from ptsdrx.features import SCHEMA

    try:
        return SCHEMA.describe(feature)
    except KeyError:
        return feature


def _catalog() -> list[Any]:
    from ptsdrx.treatments import catalog

    items = catalog()
    return list(items.values()) if isinstance(items, dict) else list(items)


def _plain_reasons(
    option_id: str,
    rules: tuple[RuleTrace, ...],
    prediction: Prediction | None,
    grade: str | None,
    grade_notes: tuple[str, ...],
    availability: Availability,
    burden: Burden,
    prefs: Preferences | None,
    contributions: tuple[Any, ...],
    history: list[PriorTreatment],
    history_policy: HistoryPolicy,
) -> list[Reason]:
    """Reasons in plain words: rules, model contributions, evidence, availability, burden,
    and past courses (those that made the option "not preferred" are already named by the
    decision's reason, so they are not repeated)."""
    out: list[Reason] = []
    for r in rules:
        if r.outcome == "fired":
            verb = "Excludes" if r.effect == "exclude" else "Caution"
            out.append(Reason(kind="rule", text=f"{verb} [{r.id}]: {r.rationale}", source=r.source))
        elif r.outcome == "unknown":
            need = ", ".join(r.missing) or "more information"
            out.append(
                Reason(
                    kind="rule",
                    text=f"Unknown [{r.id}]: {r.rationale} (needs {need})",
                    source=r.source,
                )
            )
    if prediction is not None:
        probs = [
            f"{name} {p:.0%}"
            for name, p in (
                ("P(response)", prediction.response_probability),
                ("P(remission)", prediction.remission_probability),
            )
            if p is not None
        ]
        out.append(
            Reason(
                kind="model" if prediction.source == "model" else "evidence",
                text=f"Predicted week-12 PCL-5 {prediction.expected_pcl5:.0f}"
                + (f", {', '.join(probs)}" if probs else "")
                + f" ({prediction.label_long}).",
                source=prediction.basis,
            )
        )
    for c in contributions[:3]:
        direction = "lowers (better)" if c.points < 0 else "raises (worse)"
        value = (
            "unknown"
            if c.value is None
            else f"{c.value:g}"
            if isinstance(c.value, float)
            else c.value
        )
        out.append(
            Reason(
                kind="model",
                text=f"{_describe(c.feature)} = {value} {direction} the predicted PCL-5 "
                f"by {abs(c.points):.1f} points.",
                source="SHAP contribution from the response model",
            )
        )
    if grade is not None:
        out.append(Reason(kind="evidence", text=f"Evidence grade: {grade.replace('_', ' ')}."))
        out.extend(
            Reason(kind="evidence", text=note[0].upper() + note[1:])
            for note in grade_notes
            if note.startswith(("headline effect", "caveat", "mixed"))
        )
    if availability.status is None:
        where = availability.jurisdiction
        out.append(
            Reason(
                kind="availability",
                text=f"Availability unknown: the catalog has no entry for {where}."
                if where
                else "Availability unknown: no jurisdiction recorded for the patient.",
            )
        )
    else:
        out.append(
            Reason(
                kind="availability",
                text=f"{availability.status.replace('_', ' ')} in {availability.jurisdiction}"
                + (f" (as of {availability.as_of})" if availability.as_of else "")
                + ".",
                source=availability.source,
            )
        )
    out.extend(Reason(kind="burden", text=c) for c in burden.conflicts)
    for past in history:
        if past.treatment == option_id and not demotion_grounds(past, history_policy):
            text = describe_course(past)
            out.append(Reason(kind="history", text=text[0].upper() + text[1:] + "."))
    if prefs is not None and option_id in (prefs.preferred_treatments or []):
        out.append(Reason(kind="preference", text="The patient prefers this option."))
    return out


def recommend(
    record: PatientRecord,
    *,
    model: Any = None,
    remission_model: Any = None,
    site: Any = None,
    preferences: Preferences | None = None,
    model_card: ModelCard | None = None,
    policy: Policy | None = None,
) -> Recommendation:
    """Rank every catalog treatment for this patient, safety flags first.

    Parameters
    ----------
    record : the patient.
    model : a fitted ``ptsdrx.response.TreatmentResponseModel``; without one, predictions
        come from the published-trial prior and are labelled ``evidence_prior``.
    remission_model : optional model of week-12 remission (binary), same features.
    site : a screening site configuration (``ptsdrx.screening.load_site``).
    preferences : overrides ``record.preferences`` (e.g. what the patient said today).
    model_card : shown with the result (version, training data, validation metrics).
    policy : the recommendation policy; the packaged ``policy.yaml`` by default.

    Examples
    --------
    >>> from ptsdrx.records import load_record
    >>> rec = recommend(load_record("examples/patients/little_data.json"))  # doctest: +SKIP
    >>> rec.recommended is None  # little data: nothing can be recommended  # doctest: +SKIP
    True
    """
    from ptsdrx.screening import screen

    policy = policy or default_policy()
    prefs = preferences if preferences is not None else record.preferences
    jurisdiction = record.demographics.jurisdiction if record.demographics else None
    screening = screen(record, site=site)
    baseline = baseline_pcl5(record)
    view: ModelView | None = (
        model_view(record, model, alpha=policy.interval_alpha, remission_model=remission_model)
        if model is not None
        else None
    )
    basis = (
        f"{model_card.name} {model_card.version}, {model_card.validation}"
        if model_card
        else "fitted treatment-response model"
    )

    gathered: dict[str, dict[str, Any]] = {}
    for t in _catalog():
        per = screening.per_treatment.get(t.id)
        prediction = model_prediction(view, t.id, basis) if view is not None else None
        if prediction is None:
            prediction = prior_prediction(t.id, baseline, level=1 - policy.interval_alpha)
        grade, grade_notes, events = _evidence(t.id)
        gathered[t.id] = {
            "t": t,
            "screening_status": None if per is None else str(per.status),
            "rules": () if per is None else _rule_traces(per),
            "prediction": prediction,
            "grade": grade,
            "notes": grade_notes,
            "events": events,
            "availability": _availability(t, jurisdiction),
            "burden": _burden(t, prefs, policy),
            "contributions": view.contributions.get(t.id, ()) if view is not None else (),
        }

    candidates = [
        Candidate(
            treatment=tid,
            screening_status=g["screening_status"],
            availability=g["availability"].status,
            investigational=bool(getattr(g["t"], "investigational", False)),
            preference_conflicts=g["burden"].conflicts,
            expected_pcl5=g["prediction"].expected_pcl5 if g["prediction"] else None,
            interval=g["prediction"].interval if g["prediction"] else None,
            evidence_grade=g["grade"],
            history=tuple(p for p in record.prior_treatments or [] if p.treatment == tid),
        )
        for tid, g in gathered.items()
    ]
    flags = _safety_flags(record, screening, policy)
    held = [f.flag for f in flags if f.flag in policy.hold_flags]
    decision = decide(
        candidates,
        policy=policy,
        advantage_interval=view.advantage if view is not None else None,
        in_support=view.in_support if view is not None else None,
        hold=(
            f"urgent safety flag ({', '.join(held)}): evaluate safety before choosing a treatment"
            if held
            else None
        ),
        names={tid: str(g["t"].name) for tid, g in gathered.items()},
    )

    open_ranked = [
        tid
        for tid in decision.order
        if decision.statuses[tid] in ("recommended", "alternative")
        and gathered[tid]["prediction"] is not None
    ]
    standard = [t for t in open_ranked if t in policy.standard_care]

    def advantage(tid: str, over: str | None, what: str) -> Advantage | None:
        if over is None:
            return None
        mine, theirs = gathered[tid]["prediction"], gathered[over]["prediction"]
        if mine is None or theirs is None:
            return None
        interval = view.advantage(tid, over) if view is not None else None
        same_source = mine.source == theirs.source
        return Advantage(
            over=over,
            points=theirs.expected_pcl5 - mine.expected_pcl5,
            interval=interval,
            basis=f"{what}; "
            + ("model effect interval" if interval else "difference of point predictions")
            + ("" if same_source else " (mixes model and trial prior: compare with care)"),
        )

    options: list[Option] = []
    for rank, tid in enumerate(decision.order, start=1):
        g = gathered[tid]
        t = g["t"]
        others = [o for o in open_ranked if o != tid]
        next_best = others[0] if others else None
        std_ref = next((s for s in standard if s != tid), None)
        reasons = list(decision.reasons.get(tid, ()))
        reasons.extend(
            _plain_reasons(
                tid,
                g["rules"],
                g["prediction"],
                g["grade"],
                g["notes"],
                g["availability"],
                g["burden"],
                prefs,
                g["contributions"],
                record.prior_treatments or [],
                policy.history,
            )
        )
        options.append(
            Option(
                treatment=tid,
                name=str(getattr(t, "name", tid)),
                status=decision.statuses[tid],
                rank=rank,
                screening_status=g["screening_status"],
                rules=g["rules"],
                prediction=g["prediction"],
                advantage_next_best=advantage(tid, next_best, "next-best open option"),
                advantage_standard_care=advantage(tid, std_ref, "best standard-care option (PAI)"),
                evidence_grade=g["grade"],
                evidence_notes=g["notes"],
                key_trials=_key_trials(tid, g["prediction"]),
                availability=g["availability"],
                burden=g["burden"],
                adverse_events=g["events"],
                contributions=g["contributions"],
                investigational=bool(getattr(t, "investigational", False)),
                reasons=tuple(reasons),
            )
        )

    sources = {o.prediction.source for o in options if o.prediction is not None}
    prediction_source = (
        "none" if not sources else next(iter(sources)) if len(sources) == 1 else "mixed"
    )
    notes: list[str] = []
    if baseline is None:
        notes.append("No PCL-5 on record: the trial prior cannot be applied; record a PCL-5.")
    if prediction_source in ("evidence_prior", "mixed"):
        notes.append(
            "Predictions labelled 'trial prior' come from published trial averages, "
            "not from a model of this clinic's patients."
        )
    kinds = {o.prediction.prior_kind for o in options if o.prediction is not None}
    if "effect_sizes" in kinds:
        notes.append(
            "Predictions labelled 'derived prior' (standard care) are derived from effect sizes "
            "vs control, not from a trial arm: a reference control change plus the published "
            "SMD, with wider intervals for the extra assumptions (ptsdrx.evidence prior.yaml)."
        )
    return Recommendation(
        patient_id=record.patient_id,
        as_of=record.reference_date(),
        jurisdiction=jurisdiction,
        safety_flags=flags,
        options=tuple(options),
        abstained=decision.abstained,
        abstention_reason=decision.abstention_reason,
        prediction_source=prediction_source,
        in_support=view.in_support if view is not None else None,
        model_card=model_card,
        policy_version=policy.version,
        notes=tuple(notes),
    )
