"""Recommendations: one ranked, explained list of treatment options per patient.

Screening, predictions, evidence, availability, burden and preferences joined (issue 6), ranked
lexicographically by status, safety tier, guideline tier, predicted benefit and evidence (issue 12).

>>> from ptsdrx.recommend import recommend, Recommendation  # doctest: +SKIP
"""

from ptsdrx.recommend._engine import baseline_pcl5, recommend
from ptsdrx.recommend._facts import OptionFacts
from ptsdrx.recommend._guideline import Guideline, GuidelineTier, default_guideline, load_guideline
from ptsdrx.recommend._policy import (
    Candidate,
    Decision,
    Gates,
    Policy,
    PolicyFile,
    decide,
    default_policy,
    gate_options,
    load_policy,
    parse_policy,
    safety_tier,
)
from ptsdrx.recommend._protocols import ResponseModel
from ptsdrx.recommend._result import (
    NEVER_RECOMMENDED,
    NO_CRISIS_TEXT,
    OPTION_STATUSES,
    SAFETY_TIERS,
    Advantage,
    Availability,
    Caution,
    DosingNote,
    FeatureContribution,
    ModelCard,
    Option,
    OptionAdverseEvent,
    OptionBurden,
    OptionStatus,
    Override,
    Prediction,
    Reason,
    Recommendation,
    RuleTrace,
    SafetyTier,
)

__all__ = [
    "NEVER_RECOMMENDED",
    "NO_CRISIS_TEXT",
    "OPTION_STATUSES",
    "SAFETY_TIERS",
    "Advantage",
    "Availability",
    "Candidate",
    "Caution",
    "Decision",
    "DosingNote",
    "FeatureContribution",
    "Gates",
    "Guideline",
    "GuidelineTier",
    "ModelCard",
    "Option",
    "OptionAdverseEvent",
    "OptionBurden",
    "OptionFacts",
    "OptionStatus",
    "Override",
    "Policy",
    "PolicyFile",
    "Prediction",
    "Reason",
    "Recommendation",
    "ResponseModel",
    "RuleTrace",
    "SafetyTier",
    "baseline_pcl5",
    "decide",
    "default_guideline",
    "default_policy",
    "gate_options",
    "load_guideline",
    "load_policy",
    "parse_policy",
    "recommend",
    "safety_tier",
]
