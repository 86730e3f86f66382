"""Reasons in plain words for one option, from its gathered facts (after the decision).

Order: the highest-severity caution first (so the status column and the first reason say
the same thing), then the rules, dosing notes, the prediction and its drivers, evidence,
availability, burden, past courses and preferences.
"""

from __future__ import annotations

from ptsdrx.recommend._facts import OptionFacts
from ptsdrx.recommend._history import HistoryPolicy, demotion_grounds, describe_course
from ptsdrx.recommend._result import Availability, Caution, Prediction, Reason, reason
from ptsdrx.records import Preferences

_VERB = {
    "contraindicated": "Contraindicated",
    "exclude": "Excludes",
    "hold": "Hold",
    "caution_major": "Major caution",
    "caution": "Caution",
}


def _describe(feature: str) -> str:
    """A feature's readable description from the feature schema (its name if unknown)."""
    from ptsdrx.features import SCHEMA

    try:
        return SCHEMA.describe(feature)
    except KeyError:
        return feature


def caution_reasons(cautions: tuple[Caution, ...]) -> list[Reason]:
    """One reason per caution, major first, saying whether it was acknowledged."""
    out = []
    for c in cautions:
        if c.level == "major":
            state = "acknowledged by the clinician" if c.acknowledged else "not acknowledged"
            text = f"Major caution [{c.rule}] ({state}): {c.rationale}"
        else:
            text = f"Caution [{c.rule}]: {c.rationale}"
        out.append(reason(kind="safety", text=text))
    return out


def _rules(facts: OptionFacts) -> list[Reason]:
    out: list[Reason] = []
    for r in facts.rules:
        if r.effect in ("caution_major", "caution", "note"):
            continue  # cautions come first (caution_reasons); notes are dosing notes
        if r.outcome == "fired":
            until = f" until {r.until.isoformat()}" if r.until else ""
            text = f"{_VERB.get(r.effect, r.effect)}{until} [{r.id}]: {r.rationale}"
            out.append(reason(kind="rule", text=text, source=r.source))
        elif r.outcome == "unknown":
            need = ", ".join(r.missing) or "more information"
            text = f"Unknown [{r.id}]: {r.rationale} (needs {need})"
            out.append(reason(kind="rule", text=text, source=r.source))
    return out


def _prediction(p: Prediction) -> Reason:
    probs = [
        f"{name} {v:.0%}"
        for name, v in (
            ("P(response)", p.response_probability),
            ("P(remission)", p.remission_probability),
        )
        if v is not None
    ]
    kind = "uncontrolled pre-post cohorts; " if not p.controlled else ""
    return Reason(
        kind="model" if p.source == "model" else "evidence",
        text=f"Predicted week-12 PCL-5 {p.expected_pcl5:.0f}"
        + (f", {', '.join(probs)}" if probs else "")
        + f" ({kind}{p.label_long}).",
        source=p.basis,
    )


def _availability(a: Availability) -> Reason:
    if a.status is None:
        where = a.jurisdiction
        text = (
            f"Availability unknown: the catalog has no entry for {where}."
            if where
            else "Availability unknown: no jurisdiction recorded for the patient."
        )
        return reason(kind="availability", text=text)
    dates = ", ".join(
        x
        for x in (f"since {a.since}" if a.since else "", f"as of {a.as_of}" if a.as_of else "")
        if x
    )
    return reason(
        kind="availability",
        text=f"{a.status.replace('_', ' ')} in {a.jurisdiction}"
        + (f" ({dates})" if dates else "")
        + ".",
        source=a.source,
    )


def plain_reasons(
    facts: OptionFacts,
    cautions: tuple[Caution, ...],
    prefs: Preferences | None,
    history_policy: HistoryPolicy,
    *,
    show_prediction: bool = True,
) -> list[Reason]:
    """Everything known about the option, in plain words.

    The decision's reasons come first, added by the caller. Courses that made the option "not
    preferred" are named by the decision and not repeated; ``show_prediction`` is off during a
    safety hold.
    """
    out = caution_reasons(cautions) + _rules(facts)
    out.extend(
        reason(kind="rule", text=f"Dosing [{n.rule}]: {n.text}", source=n.source)
        for n in facts.dosing_notes
    )
    if show_prediction and facts.prediction is not None:
        out.append(_prediction(facts.prediction))
    for c in facts.contributions[:3] if show_prediction else ():
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
    grade = facts.evidence.grade
    if grade is not None:
        out.append(reason(kind="evidence", text=f"Evidence grade: {grade.replace('_', ' ')}."))
        out.extend(
            reason(kind="evidence", text=note[0].upper() + note[1:])
            for note in facts.evidence.notes
            if note.startswith(("headline effect", "caveat", "mixed", "down one level"))
        )
    out.append(_availability(facts.availability))
    out.extend(reason(kind="burden", text=c) for c in facts.burden.conflicts)
    for past in facts.history:
        if not demotion_grounds(past, history_policy):
            text = describe_course(past)
            out.append(reason(kind="history", text=text[0].upper() + text[1:] + "."))
    if prefs is not None and facts.id in (prefs.preferred_treatments or []):
        out.append(reason(kind="preference", text="The patient prefers this option."))
    return out
