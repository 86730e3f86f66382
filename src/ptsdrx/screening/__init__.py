"""Contraindication and eligibility screening, rules kept as cited data.

Every treatment gets a status (``contraindicated``, ``excluded``, ``hold``,
``needs_information``, ``caution`` or ``eligible``, in that precedence) with the trace of every
rule that applies to it: fired, not fired, or unknown with the missing fields named. Rules
have graded effects (``contraindicated``, ``exclude``, ``hold``, ``caution_major``,
``caution``, ``note``); a washout exclusion says the day it ends. Missing data never reads as
"no contraindication". Rules live in ``screening/data/rules.yaml`` (each with its source and
verification tag); a site file can tighten thresholds, escalate effects and add local rules
without code.

Examples
--------
>>> from datetime import date
>>> from ptsdrx.records import PatientRecord
>>> from ptsdrx.screening import screen
>>> result = screen(PatientRecord(as_of=date(2026, 1, 5), medications=[]))
>>> result.status("psilocybin_at")
'needs_information'
"""

from ptsdrx.screening._conditions import condition_for_icd10, icd10_codes
from ptsdrx.screening._drugs import DrugClass, drug_classes
from ptsdrx.screening._engine import screen
from ptsdrx.screening._errors import RuleFileError, ScreeningInconsistency
from ptsdrx.screening._result import (
    EFFECTS,
    STATUSES,
    Effect,
    RuleOutcome,
    SafetyFlag,
    ScreeningResult,
    Status,
    TreatmentScreening,
    derive_status,
)
from ptsdrx.screening._rules import ParameterSpec, Rule, RuleSet, load_rules
from ptsdrx.screening._site import SiteConfig, apply_site, load_site

__all__ = [
    "EFFECTS",
    "STATUSES",
    "DrugClass",
    "Effect",
    "ParameterSpec",
    "Rule",
    "RuleFileError",
    "RuleOutcome",
    "RuleSet",
    "SafetyFlag",
    "ScreeningInconsistency",
    "ScreeningResult",
    "SiteConfig",
    "Status",
    "TreatmentScreening",
    "apply_site",
    "condition_for_icd10",
    "derive_status",
    "drug_classes",
    "icd10_codes",
    "load_rules",
    "load_site",
    "screen",
]
