"""Treatment-response models: expected outcome under every arm, effects, intervals, PAI.

Public API::

    from ptsdrx.response import TreatmentResponseModel, load_model, save_model
    from ptsdrx.response import CompactScorer  # fast all-arm scoring distilled from a model
    from ptsdrx.response import validate, ValidationResult  # held-out validation
"""

from ptsdrx.response._explain import (
    ArmExplanation,
    Contribution,
    PatientExplanation,
    explain_advantage,
)
from ptsdrx.response._model import FitSummary, TreatmentResponseModel
from ptsdrx.response._overlap import OverlapReport, OverlapWarning
from ptsdrx.response._persist import (
    ModelLoadError,
    load_compact,
    load_model,
    model_digest,
    read_manifest,
    save_compact,
    save_model,
    training_hash,
)
from ptsdrx.response._policy import DEFAULT_POLICY, POLICIES, PolicyEvidence, TreatmentPolicy
from ptsdrx.response._scorer import CompactScorer
from ptsdrx.response._validate import PolicyComparison, PolicyRow, ValidationResult, validate
from ptsdrx.response.synthetic import (
    HIGH_HETEROGENEITY_ASSUMPTIONS,
    SyntheticData,
    high_heterogeneity,
    multiarm,
    nie_wager,
)

__all__ = [
    "DEFAULT_POLICY",
    "HIGH_HETEROGENEITY_ASSUMPTIONS",
    "POLICIES",
    "ArmExplanation",
    "CompactScorer",
    "Contribution",
    "FitSummary",
    "ModelLoadError",
    "OverlapReport",
    "OverlapWarning",
    "PatientExplanation",
    "PolicyComparison",
    "PolicyEvidence",
    "PolicyRow",
    "SyntheticData",
    "TreatmentPolicy",
    "TreatmentResponseModel",
    "ValidationResult",
    "explain_advantage",
    "high_heterogeneity",
    "load_compact",
    "load_model",
    "model_digest",
    "multiarm",
    "nie_wager",
    "read_manifest",
    "save_compact",
    "save_model",
    "training_hash",
    "validate",
]
