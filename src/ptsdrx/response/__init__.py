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
    load_model,
    read_manifest,
    save_model,
    training_hash,
)
from ptsdrx.response._scorer import CompactScorer
from ptsdrx.response._validate import ValidationResult, validate
from ptsdrx.response.synthetic import SyntheticData, multiarm, nie_wager

__all__ = [
    "ArmExplanation",
    "CompactScorer",
    "Contribution",
    "FitSummary",
    "ModelLoadError",
    "OverlapReport",
    "OverlapWarning",
    "PatientExplanation",
    "SyntheticData",
    "TreatmentResponseModel",
    "ValidationResult",
    "explain_advantage",
    "load_model",
    "multiarm",
    "nie_wager",
    "read_manifest",
    "save_model",
    "training_hash",
    "validate",
]
