"""The distilled scorer for registry-scale runs: built once, gated on fidelity, labelled.

Why: the exact model evaluates 11,760 trees per patient for all arms (about 4,000 patients
per second per core); a registry re-scored every night needs 50 times that. The
``CompactScorer`` (``ptsdrx.response``) learns the model's own function in a few hundred
oblivious trees. It is not the model, so it is opt-in (``score-batch --scorer compact``),
used only when its held-out fidelity passes :data:`GATE`, and every output row says which
scorer produced it. ``recommend()`` for a patient in front of a clinician always uses the
exact model.

What is exact and what is distilled: the point predictions come from the distilled forest;
the support check (the model's propensities and training ranges), the conformal outcome
intervals and the group effect intervals are the full model's own, applied to the
distilled predictions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ptsdrx.batch._fast import FastScorer, FloatArray, ScoringPlan

COMPACT_DIR = "compact"
"""Where ``ptsdrx distill`` writes the distilled scorer, inside the outcome model directory."""

GATE: dict[str, float] = {"outcome_rmse": 1.5, "best_arm_agreement": 0.95}
"""Largest held-out outcome RMSE against the full model (PCL-5 points: under a sixth of the
10-point minimal important difference) and smallest best-arm agreement a distilled scorer
may have to be used. An engineering tolerance, recorded in ``docs/decisions.md``."""


@dataclass(frozen=True)
class Fidelity:
    """A distilled scorer's held-out agreement with its model, and whether it passes."""

    values: dict[str, float]
    passed: bool
    failures: tuple[str, ...]


def check_fidelity(values: dict[str, Any], gate: dict[str, float] | None = None) -> Fidelity:
    """Compare held-out fidelity with the gate (RMSE at most, agreement at least)."""
    gate = GATE if gate is None else gate
    failures = []
    rmse = float(values.get("outcome_rmse", np.inf))
    if not rmse <= gate["outcome_rmse"]:
        failures.append(f"outcome RMSE {rmse:.3f} > {gate['outcome_rmse']:g}")
    agree = float(values.get("best_arm_agreement", 0.0))
    if not agree >= gate["best_arm_agreement"]:
        failures.append(f"best-arm agreement {agree:.3f} < {gate['best_arm_agreement']:g}")
    return Fidelity({k: float(v) for k, v in values.items()}, not failures, tuple(failures))


def distill(
    outcome_dir: str | Path,
    X: Any,
    *,
    max_rows: int = 100_000,
    random_state: int = 0,
    **params: Any,
) -> tuple[Path, Fidelity]:
    """Distil the model in ``outcome_dir`` on the feature rows ``X`` and save it beside it.

    ``X`` should be the population to be scored (e.g. a sample of the batch source); a
    share of it is held out to measure fidelity. Returns the scorer's directory and its
    fidelity against :data:`GATE` (saved either way; a failing scorer is refused at use).
    """
    from ptsdrx.response import CompactScorer, load_model, save_compact

    outcome_dir = Path(outcome_dir)
    model = load_model(outcome_dir)
    scorer = CompactScorer.from_model(
        model, X, random_state=random_state, max_rows=max_rows, **params
    )
    path = save_compact(scorer, outcome_dir / COMPACT_DIR, source=outcome_dir)
    return path, check_fidelity(scorer.fidelity_)


class CompactEngine:
    """The batch scorer interface (``plan``, ``group_bounds``) on a distilled scorer."""

    scorer_name = "compact"

    def __init__(self, model: Any, compact: Any) -> None:
        # support and intervals: the model's own
        self._exact = FastScorer(model, threads=1, tables=False)
        self._compact = compact
        self.model = model
        self.arms_ = list(model.arms_)
        self.feature_names_in_ = model.feature_names_in_
        if [str(a) for a in compact.arms_] != [str(a) for a in self.arms_]:
            raise ValueError("the distilled scorer's arms differ from the model's")

    def group_bounds(
        self, eff: FloatArray, i: int, j: int, alpha: float
    ) -> tuple[FloatArray, FloatArray]:
        """The model's group interval for predicted effects ``eff`` of arm ``j`` vs ``i``."""
        return self._exact.group_bounds(eff, i, j, alpha)

    def plan(self, X: Any, *, alpha: float = 0.1, cache: bool = False) -> ScoringPlan:
        """Distilled outcomes with the model's support rule and conformal intervals."""
        from ptsdrx.response._intervals import outcome_bounds

        Xa = np.ascontiguousarray(X, dtype=float)
        pred = self._compact._predict(Xa)
        lo = hi = None
        if self.model.conformal_ is not None:
            lo, hi = np.empty_like(pred), np.empty_like(pred)
            for a, iv in enumerate(outcome_bounds(self.model.conformal_, pred, alpha)):
                lo[:, a], hi[:, a] = iv[:, 0], iv[:, 1]
        return ScoringPlan(
            arms=tuple(str(a) for a in self.arms_),
            outcomes=pred,
            in_support=self._exact._support(Xa),
            lo=lo,
            hi=hi,
            alpha=alpha,
            _bounds=self.group_bounds if lo is not None else None,
        )


def load_engine(outcome_dir: str | Path, scorer: str) -> Any:
    """The batch scorer for ``outcome_dir``: ``exact`` (FastScorer) or a gated ``compact``."""
    from ptsdrx.response import load_compact, load_model

    outcome_dir = Path(outcome_dir)
    model = load_model(outcome_dir)
    if scorer == "exact":
        return FastScorer(model, threads=1, tables=False)
    if scorer != "compact":
        raise ValueError(f"scorer must be 'exact' or 'compact', got {scorer!r}")
    if not (outcome_dir / COMPACT_DIR).is_dir():
        raise FileNotFoundError(
            f"{outcome_dir} has no distilled scorer ({COMPACT_DIR}/); run 'ptsdrx distill' first"
        )
    compact, manifest = load_compact(outcome_dir / COMPACT_DIR, source=outcome_dir)
    fidelity = check_fidelity(manifest.get("fidelity", {}))
    if not fidelity.passed:
        raise ValueError(
            "the distilled scorer fails the fidelity gate ("
            + "; ".join(fidelity.failures)
            + "): use --scorer exact or distil with more rows"
        )
    return CompactEngine(model, compact)
