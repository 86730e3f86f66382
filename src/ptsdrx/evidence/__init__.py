"""Evidence: the published PTSD trials as data, synthesised and graded.

Their random-effects synthesis, a GRADE-like grade with written reasons, and the cold-start outcome
prior (FACTS.md §5).

Examples
--------
>>> from ptsdrx.evidence import grade, prior_outcome, synthesize
>>> grade("ketamine_iv").grade
'mixed'
>>> synthesize("mdma_at").primary.method
'random_effects_dl'
>>> prior_outcome("venlafaxine", baseline_pcl5=50).expected_pcl5 is None  # unknown stays unknown
True
"""

from ptsdrx.evidence._grade import Caveat, EvidenceGrade, GradingRules, grade, load_grading
from ptsdrx.evidence._plot import forest_plot
from ptsdrx.evidence._prior import (
    PriorConfig,
    PriorOutcome,
    load_prior_config,
    prior_outcome,
)
from ptsdrx.evidence._synthesis import (
    NotPooled,
    PooledEffect,
    Synthesis,
    pool_random_effects,
    synthesize,
)
from ptsdrx.evidence._trials import (
    Arm,
    Effect,
    EvidenceError,
    EvidenceStudy,
    Rate,
    RiskOfBias,
    TrialAdverseEvent,
    get_trial,
    load_trials,
    trials,
)

__all__ = [
    "Arm",
    "Caveat",
    "Effect",
    "EvidenceError",
    "EvidenceGrade",
    "EvidenceStudy",
    "GradingRules",
    "NotPooled",
    "PooledEffect",
    "PriorConfig",
    "PriorOutcome",
    "Rate",
    "RiskOfBias",
    "Synthesis",
    "TrialAdverseEvent",
    "forest_plot",
    "get_trial",
    "grade",
    "load_grading",
    "load_prior_config",
    "load_trials",
    "pool_random_effects",
    "prior_outcome",
    "synthesize",
    "trials",
]
