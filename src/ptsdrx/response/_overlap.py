"""Overlap (positivity) diagnostics for the propensity of each arm.

Heterogeneous-effect estimates are only identified where every compared arm has a
non-negligible chance of being given (Imbens & Rubin 2015, ch. 14; Crump et al. 2009,
Biometrika 96:187). We report, warn, trim and flag rather than extrapolate silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ptsdrx._results import Result


class OverlapWarning(UserWarning):
    """Many training rows have a near-zero estimated propensity for some arm."""


@dataclass(frozen=True)
class OverlapReport(Result):
    """How well the arms overlap in the training data (cross-fitted propensities)."""

    arms: tuple[str, ...]
    threshold: float
    trim: float
    n_rows: int
    n_below_threshold: int
    n_trimmed: int
    min_propensity_quantiles: dict[str, float]
    arm_share: dict[str, float]
    mean_propensity: dict[str, float]

    @property
    def share_below_threshold(self) -> float:
        """Share of rows whose smallest arm propensity is under ``threshold``."""
        return self.n_below_threshold / self.n_rows if self.n_rows else 0.0

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per arm: its share of rows and mean propensity."""
        return [
            {
                "arm": a,
                "arm_share": self.arm_share[a],
                "mean_propensity": self.mean_propensity[a],
                "share_below_threshold": self.share_below_threshold,
            }
            for a in self.arms
        ]

    def to_text(self) -> str:
        """One paragraph a reader can act on."""
        q = self.min_propensity_quantiles
        return (
            f"Overlap over {len(self.arms)} arms, {self.n_rows} rows: "
            f"{self.share_below_threshold:.1%} have some arm propensity < {self.threshold:g} "
            f"(flagged out of support); {self.n_trimmed} rows with propensity < {self.trim:g} "
            f"were left out of the effect stage. Smallest-arm propensity quantiles "
            f"1%/10%/50%: {q['q01']:.3f}/{q['q10']:.3f}/{q['q50']:.3f}."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, with the derived ``share_below_threshold``."""
        d = super().to_dict()
        d["share_below_threshold"] = self.share_below_threshold
        return d


def overlap_report(
    propensity: NDArray[np.float64],
    codes: NDArray[np.int64],
    arms: tuple[str, ...],
    *,
    threshold: float,
    trim: float,
) -> OverlapReport:
    """Summarise cross-fitted (unclipped) propensities ``propensity[n, arms]``."""
    min_p = propensity.min(axis=1)
    qs = np.quantile(min_p, [0.01, 0.10, 0.50])
    return OverlapReport(
        arms=arms,
        threshold=threshold,
        trim=trim,
        n_rows=len(min_p),
        n_below_threshold=int((min_p < threshold).sum()),
        n_trimmed=int((min_p < trim).sum()),
        min_propensity_quantiles={"q01": float(qs[0]), "q10": float(qs[1]), "q50": float(qs[2])},
        arm_share={a: float(np.mean(codes == i)) for i, a in enumerate(arms)},
        mean_propensity={a: float(propensity[:, i].mean()) for i, a in enumerate(arms)},
    )
