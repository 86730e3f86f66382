"""Treatment-response models: expected outcome under every arm, effects, intervals, PAI.

Public API::

    from ptsdrx.response import TreatmentResponseModel, load_model, save_model
"""

from ptsdrx.response._explain import (
    ArmExplanation,
    Contribution,
    PatientExplanation,
    explain_advantage,
)
from ptsdrx.response._model import FitSummary, TreatmentResponseModel
from ptsdrx.response._overlap import OverlapReport, OverlapWarning
from ptsdrx.response.synthetic import SyntheticData, multiarm, nie_wager

__all__ = [
    "ArmExplanation",
    "Contribution",
    "FitSummary",
    "OverlapReport",
    "OverlapWarning",
    "PatientExplanation",
    "SyntheticData",
    "TreatmentResponseModel",
    "explain_advantage",
    "multiarm",
    "nie_wager",
]
