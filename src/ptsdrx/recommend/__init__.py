"""Recommendations: screening, predictions, evidence, availability, burden and preferences
joined into one ranked, explained list per patient (issue 6).

>>> from ptsdrx.recommend import recommend, Recommendation  # doctest: +SKIP
"""

from ptsdrx.recommend._engine import baseline_pcl5, recommend
from ptsdrx.recommend._policy import Candidate, Decision, Policy, decide, default_policy
from ptsdrx.recommend._result import (
    NEVER_RECOMMENDED,
    STATUSES,
    Advantage,
    AdverseEvent,
    Availability,
    Burden,
    Contribution,
    ModelCard,
    Option,
    Prediction,
    Reason,
    Recommendation,
    RuleTrace,
    SafetyFlag,
    Status,
)

__all__ = [
    "NEVER_RECOMMENDED",
    "STATUSES",
    "Advantage",
    "AdverseEvent",
    "Availability",
    "Burden",
    "Candidate",
    "Contribution",
    "Decision",
    "ModelCard",
    "Option",
    "Policy",
    "Prediction",
    "Reason",
    "Recommendation",
    "RuleTrace",
    "SafetyFlag",
    "Status",
    "baseline_pcl5",
    "decide",
    "default_policy",
    "recommend",
]
