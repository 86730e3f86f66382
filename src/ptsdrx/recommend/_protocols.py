"""The boundary with ``ptsdrx.response``: what ``recommend`` needs from a fitted model.

``recommend`` never imports ``response`` (the model is an argument), so the contract is a
structural :class:`typing.Protocol`: any object with these methods is a response model,
``ptsdrx.response.TreatmentResponseModel`` and the test stand-ins alike.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ArmExplanation", "FeatureEffect", "ResponseModel", "RowExplanation", "ScoringPass"]


class FeatureEffect(Protocol):
    """One feature's SHAP contribution to one arm's prediction."""

    @property
    def feature(self) -> str: ...
    @property
    def value(self) -> Any: ...
    @property
    def contribution(self) -> float: ...


class ArmExplanation(Protocol):
    """The top contributions to one arm's prediction."""

    @property
    def target(self) -> Hashable: ...
    @property
    def top(self) -> Sequence[FeatureEffect]: ...


class RowExplanation(Protocol):
    """The explanation of one patient row, per arm."""

    @property
    def arms(self) -> Sequence[ArmExplanation]: ...


@runtime_checkable
class ResponseModel(Protocol):
    """A fitted treatment-response model (the ``ptsdrx.response`` contract)."""

    arms_: Sequence[Hashable]

    def predict_outcomes(self, X: Any) -> pd.DataFrame:
        """Expected outcome per arm (one column per arm)."""
        ...

    def predict_interval(self, X: Any, alpha: float = 0.1) -> Mapping[Hashable, pd.DataFrame]:
        """Per-arm prediction intervals (columns ``lo``, ``hi``)."""
        ...

    def effect_interval(self, X: Any, *, T0: str, T1: str, alpha: float = 0.1) -> tuple[Any, Any]:
        """Interval of the effect of ``T1`` over ``T0`` per row (``lo``, ``hi`` arrays)."""
        ...

    def in_support(self, X: Any) -> Any:
        """Per row: inside the training support."""
        ...

    def explain(self, X: Any, *, top: int = 5) -> Sequence[RowExplanation]:
        """Per-row SHAP contributions."""
        ...


class ScoringPass(Protocol):
    """Every arm's outcome, interval and support for a block of rows, from one model pass.

    A model may offer it as ``plan(X, alpha=...)`` (``ptsdrx.batch.FastScorer`` does);
    ``recommend`` then reads one pass instead of calling the methods above one by one.
    """

    @property
    def arms(self) -> Sequence[str]: ...
    @property
    def outcomes(self) -> Any: ...
    @property
    def lo(self) -> Any: ...
    @property
    def hi(self) -> Any: ...
    @property
    def in_support(self) -> Any: ...
    def effect_interval(self, t0: int, t1: int) -> tuple[Any, Any]:
        """Interval of the effect of arm ``t1`` over arm ``t0`` per row."""
        ...
