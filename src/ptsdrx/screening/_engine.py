"""Evaluate the screening rules for one patient record."""

from __future__ import annotations

from collections.abc import Iterable

from ptsdrx.records import PatientRecord
from ptsdrx.screening._logic import Context
from ptsdrx.screening._predicates import unrecognised_medications
from ptsdrx.screening._result import (
    SafetyFlag,
    ScreeningResult,
    TreatmentScreening,
    derive_status,
)
from ptsdrx.screening._rules import RuleSet, load_rules
from ptsdrx.screening._site import apply_site
from ptsdrx.site import CrisisText, SiteConfig


def _safety_flags(ctx: Context, rules: RuleSet) -> tuple[SafetyFlag, ...]:
    """Urgent flags raised by the latest administration of the instruments that raise them."""
    flags: list[SafetyFlag] = []
    for flag, spec in rules.urgent_flags.items():
        latest = ctx.record.latest(spec.instrument)
        if latest is None:
            continue
        try:
            raised = ctx.score(latest).flags
        except ValueError:
            continue  # an unscorable administration raises no flag; the rules report it
        if flag in raised:
            flags.append(
                SafetyFlag(
                    id=flag,
                    instrument=spec.instrument,
                    text=spec.text,
                    suicide_risk=spec.suicide_risk,
                )
            )
    return tuple(flags)


def _crisis(record: PatientRecord, site: SiteConfig | None) -> CrisisText | None:
    """The site's crisis text for the patient's jurisdiction and language, if configured."""
    if site is None or site.safety is None or record.demographics is None:
        return None
    d = record.demographics
    return site.safety.for_patient(d.jurisdiction, d.language)


def screen(
    record: PatientRecord,
    site: SiteConfig | None = None,
    treatments: Iterable[str] | None = None,
    *,
    rules: RuleSet | None = None,
) -> ScreeningResult:
    """Screen a record against every rule, per treatment.

    Parameters
    ----------
    record : the patient; ``None`` parts are unknown and never read as "no problem".
    site : a site configuration (:func:`load_site`) that tightens thresholds or adds rules;
        its ``safety`` section gives the crisis text for the patient's place and language.
    treatments : treatment ids to screen (default: all in the rules file).
    rules : a rule set other than the packaged one (for tests and research).

    Examples
    --------
    >>> from datetime import date
    >>> r = screen(PatientRecord(as_of=date(2026, 1, 5)))
    >>> r.status("mdma_at")
    'needs_information'
    """
    ruleset = rules or load_rules()
    if site is not None:
        ruleset = apply_site(ruleset, site)
    wanted = ruleset.treatments if treatments is None else tuple(dict.fromkeys(treatments))
    unknown = [t for t in wanted if t not in ruleset.treatments]
    if unknown:
        raise ValueError(
            f"treatments: unknown id(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(ruleset.treatments)}"
        )
    ctx = Context(record=record, today=record.reference_date(), params=ruleset.values)
    wanted_set = frozenset(wanted)
    evaluated = {r.id: r.evaluate(ctx) for r in ruleset.rules if r.treatments & wanted_set}
    per_treatment = {}
    for tid in wanted:
        trace = tuple(evaluated[r.id] for r in ruleset.by_treatment[tid])
        per_treatment[tid] = TreatmentScreening(tid, derive_status(trace), trace)
    return ScreeningResult(
        per_treatment=per_treatment,
        safety_flags=_safety_flags(ctx, ruleset),
        as_of=ctx.today,
        patient_id=record.patient_id,
        site=ruleset.site,
        rules_version=ruleset.version,
        parameters=ruleset.values,
        crisis=_crisis(record, site),
        unrecognised_medications=unrecognised_medications(record),
    )
