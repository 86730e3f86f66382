"""``CompactScorer``: a fitted ``TreatmentResponseModel`` distilled into one small forest.

Why: the full model averages every fold's outcome, X-learner, DR and propensity boosters,
thousands of trees per row, so scoring all arms runs at a few thousand patients per second.
Population-scale scoring (registries, batch re-scoring) needs far more.

What: gradient-boosted *oblivious* trees (one split per level, as in CatBoost; Prokhorenkova
et al. 2018, NeurIPS) with *vector leaves* that hold every arm's output at once, fitted by
least squares to the full model's own predictions (the target is the model's function, not
the observed outcome). Trees are grown on the reference arm's outcome and the effects of the
other arms against it, so that split gains go to treatment-effect heterogeneity rather than
repeating the shared prognosis once per arm; the leaves are then mapped back to outcomes.
Scoring an oblivious tree is ``depth`` comparisons and a bit pack per row, vectorised in
numpy over rows and trees: no per-node branching and no extra dependency.

Missing values: each split learns which side missing values go to (like LightGBM's default
direction). ``fidelity_`` reports the error against the full model on rows held out from
the distillation.
"""

from __future__ import annotations

from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator

from ptsdrx.response._base_learners import FloatArray
from ptsdrx.response._checks import (
    SEED,
    Allowed,
    check_features,
    check_fitted,
    int_range,
    number_range,
    validate_params,
)
from ptsdrx.response._terms import predict_outcomes

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_CHUNK = 2048  # rows scored at a time: keeps the per-chunk split matrix in cache
_CONSTRAINTS: dict[str, Allowed] = {
    "n_trees": int_range(1, 5000),
    "depth": int_range(1, 10),
    "learning_rate": number_range(1e-4, 1.0, "a number in [0.0001, 1]"),
    "max_bins": int_range(2, 254),
    "reg_lambda": number_range(0.0, 1e6, "a number in [0, 1e6]"),
    "subsample": number_range(0.01, 1.0, "a number in [0.01, 1]"),
    "holdout": number_range(0.01, 0.5, "a number in [0.01, 0.5]"),
    "max_rows": Allowed(
        lambda v: isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 10**8,
        "an integer from 100 to 1e8",
    ),
    "n_jobs": int_range(1, 256),
    "random_state": SEED,
}


class CompactScorer(BaseEstimator):
    """Fast all-arm scoring distilled from a fitted ``TreatmentResponseModel``.

    Build with :meth:`from_model` (or ``CompactScorer(**params).fit(model, X)``);
    :meth:`predict_outcomes` has the model's contract (one column per arm, the input's index,
    probabilities clipped to [0, 1] for a binary outcome). Same data and ``random_state``:
    same trees, same predictions. Parameters are checked in ``fit``, as in scikit-learn.

    Attributes
    ----------
    arms_ : list
        The model's arms, one output column each.
    fidelity_ : dict
        Errors against the full model on rows held out from the distillation.
    """

    def __init__(
        self,
        *,
        n_trees: int = 150,
        depth: int = 8,
        learning_rate: float = 0.25,
        max_bins: int = 64,
        reg_lambda: float = 1.0,
        subsample: float = 0.5,
        holdout: float = 0.2,
        max_rows: int = 100_000,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.n_trees = n_trees
        self.depth = depth
        self.learning_rate = learning_rate
        self.max_bins = max_bins
        self.reg_lambda = reg_lambda
        self.subsample = subsample
        self.holdout = holdout
        self.max_rows = max_rows
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------------ building

    @classmethod
    def from_model(
        cls, model: Any, X_reference: Any, *, random_state: int = 0, **params: Any
    ) -> CompactScorer:
        """Distil ``model`` on the rows of ``X_reference`` (e.g. its training features).

        At most ``max_rows`` rows are used (a seeded random subset); a share ``holdout`` of
        them is kept out of the distillation to measure ``fidelity_``. The full model is
        evaluated once on those rows, which dominates the build time.
        """
        return cls(random_state=random_state, **params).fit(model, X_reference)

    def fit(self, model: Any, X_reference: Any) -> CompactScorer:
        """Distil ``model`` (see :meth:`from_model`)."""
        validate_params(self, _CONSTRAINTS)
        check_fitted(
            model,
            "arms_",
            "CompactScorer needs a fitted TreatmentResponseModel; call model.fit first",
        )
        Xa = check_features(X_reference, list(model.feature_names_in_))[0]
        n = len(Xa)
        if n < 50:
            raise ValueError(f"X_reference needs at least 50 rows to distil from; got {n}")
        rng = np.random.default_rng(self.random_state)
        rows = np.sort(rng.choice(n, self.max_rows, replace=False)) if n > self.max_rows else None
        if rows is not None:
            Xa = Xa[rows]
            n = len(Xa)
        outcomes = predict_outcomes(model, Xa)
        self.arms_: list[Hashable] = list(model.arms_)
        self.feature_names_in_ = np.asarray(model.feature_names_in_, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.outcome_type_: str = model.outcome_type_
        self.reference_ = model.reference_
        ref = self.arms_.index(model.reference_)

        perm = rng.permutation(n)
        n_hold = max(1, round(self.holdout * n))
        hold, train = np.sort(perm[:n_hold]), np.sort(perm[n_hold:])
        # trees learn [outcome of ref, effects vs ref]; leaves map back to outcomes linearly
        to_outcomes = np.eye(len(self.arms_))
        to_outcomes[ref, :] = 1.0  # outcome_a = z_ref + z_a (a != ref), outcome_ref = z_ref
        target = outcomes - np.where(np.arange(len(self.arms_)) == ref, 0.0, outcomes[:, [ref]])
        base, self.feats_, self.thr_, self.nan_right_, leaves = self._grow(
            Xa[train], target[train], rng
        )
        self.base_: FloatArray = base @ to_outcomes
        self.leaves_: FloatArray = leaves @ to_outcomes
        higher = getattr(model, "outcome_direction_", "lower_is_better") == "higher_is_better"
        self.fidelity_ = _fidelity(outcomes[hold], self._predict(Xa[hold]), ref, higher)
        self.fidelity_["n_distil"] = len(train)
        self.fidelity_["n_holdout"] = len(hold)
        return self

    def _grow(
        self, X: FloatArray, Z: FloatArray, rng: np.random.Generator
    ) -> tuple[FloatArray, IntArray, FloatArray, BoolArray, FloatArray]:
        """Least-squares boosting of oblivious vector-leaf trees on binned features.

        Returns the base value, then per tree and level the split feature, threshold and
        missing-goes-right flag, and per tree the leaf vectors.
        """
        n, p = X.shape
        m, d, lam = Z.shape[1], self.depth, float(self.reg_lambda)
        edges = [_edges(X[:, j], self.max_bins) for j in range(p)]
        nb = max(len(e) for e in edges) + 2  # value bins 0..len(e); bin nb - 1 is "missing"
        Xb = np.empty((n, p), dtype=np.int64)
        for j in range(p):
            col = X[:, j]
            Xb[:, j] = np.where(np.isnan(col), nb - 1, np.searchsorted(edges[j], col))
        base = Z.mean(axis=0)
        R = Z - base
        feats = np.zeros((self.n_trees, d), dtype=np.int64)
        bins = np.zeros((self.n_trees, d), dtype=np.int64)
        nan_right = np.zeros((self.n_trees, d), dtype=bool)
        leaves = np.zeros((self.n_trees, 2**d, m))
        n_sub = max(2, int(self.subsample * n))
        shifted = Xb + (np.arange(p) * nb)[None, :]  # one histogram row per (feature, bin)
        for t in range(self.n_trees):
            sub = np.sort(rng.choice(n, n_sub, replace=False)) if n_sub < n else np.arange(n)
            Rs, Xs = R[sub], shifted[sub]
            weights = np.asfortranarray(np.repeat(Rs, p, axis=0))  # one row per (row, feature)
            node = np.zeros(len(sub), dtype=np.int64)
            for level in range(d):
                size = 2**level * p * nb
                idx = (node[:, None] * (p * nb) + Xs).ravel()
                cnt = np.bincount(idx, minlength=size).reshape(2**level, p, nb)
                per_out = [
                    np.bincount(idx, weights=weights[:, k], minlength=size) for k in range(m)
                ]
                hist = np.stack(per_out, axis=-1, dtype=float).reshape(2**level, p, nb, m)
                j, b, right = _best_split(hist, cnt, lam)
                feats[t, level], bins[t, level], nan_right[t, level] = j, b, right
                node |= _goes_right(Xb[sub, j], b, right, nb).astype(np.int64) << level
            count = np.bincount(node, minlength=2**d)
            sums = np.stack([np.bincount(node, weights=Rs[:, k], minlength=2**d) for k in range(m)])
            leaves[t] = self.learning_rate * sums.T / (count[:, None] + lam)
            code = np.zeros(n, dtype=np.int64)
            for level in range(d):
                go = _goes_right(Xb[:, feats[t, level]], bins[t, level], nan_right[t, level], nb)
                code |= go.astype(np.int64) << level
            R -= leaves[t][code]
        # bin b holds values in (edges[b-1], edges[b]]: "bin > b" is "value > edges[b]"
        thr = np.array(
            [
                [edges[j][b] if b < len(edges[j]) else np.inf for j, b in zip(fs, bs, strict=True)]
                for fs, bs in zip(feats, bins, strict=True)
            ]
        ).reshape(feats.shape)
        # a feature never missing here: route NaN as 0, as LightGBM (hence the model) does
        unseen = ~np.asarray(np.isnan(X).any(axis=0))[feats]
        return base, feats, thr, np.where(unseen, thr < 0, nan_right), leaves

    # ------------------------------------------------------------------ scoring

    def predict_outcomes(self, X: Any) -> pd.DataFrame:
        """Expected outcome under each arm (probabilities for a binary outcome)."""
        check_fitted(
            self, "leaves_", "This CompactScorer is not built yet; use CompactScorer.from_model"
        )
        Xa = check_features(X, list(self.feature_names_in_))[0]
        index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(Xa))
        return pd.DataFrame(self._predict(Xa), columns=self.arms_, index=index)

    def _predict(self, Xa: FloatArray) -> FloatArray:
        """All arms' outcomes, scored in chunks of rows (on ``n_jobs`` threads)."""
        T, d = self.feats_.shape
        leaves = self.leaves_.astype(np.float32).reshape(T * 2**d, -1)
        offsets = (np.arange(T, dtype=np.int32) * 2**d)[:, None]
        splits = self.feats_.ravel()
        by_feature = [(int(j), np.where(splits == j)[0]) for j in np.unique(splits)]
        thr, nan_right = self.thr_.ravel()[:, None], self.nan_right_.ravel()
        xT = np.ascontiguousarray(Xa.T)
        out = np.empty((len(Xa), len(self.arms_)))

        def score(start: int) -> None:
            x = xT[:, start : start + _CHUNK]
            bits = np.empty((T * d, x.shape[1]), dtype=bool)
            for j, cols in by_feature:
                bits[cols] = x[j] > thr[cols]  # NaN compares False: missing goes left ...
                nr = cols[nan_right[cols]]
                if len(nr):
                    bits[nr] |= np.isnan(x[j])  # ... unless the split sends it right
            levels = bits.reshape(T, d, -1).view(np.uint8)
            codes = offsets + levels[:, 0]
            for level in range(1, d):
                codes |= levels[:, level].astype(np.int32) << level
            out[start : start + x.shape[1]] = np.take(leaves, codes, axis=0).sum(axis=0)

        starts = range(0, len(Xa), _CHUNK)
        if self.n_jobs > 1 and len(starts) > 1:
            with ThreadPoolExecutor(self.n_jobs) as pool:  # numpy releases the GIL
                list(pool.map(score, starts))
        else:
            for start in starts:
                score(start)
        out += self.base_
        if self.outcome_type_ == "binary":
            np.clip(out, 0.0, 1.0, out=out)
        return out


def _edges(col: FloatArray, max_bins: int) -> FloatArray:
    """Split candidates: up to ``max_bins - 1`` distinct quantiles of the observed values."""
    v = col[~np.isnan(col)]
    if len(v) == 0:
        return np.zeros(0)
    q = np.quantile(v, np.linspace(0, 1, max_bins + 1)[1:-1])
    return np.unique(q)


def _best_split(hist: FloatArray, cnt: NDArray[np.int64], lam: float) -> tuple[int, int, bool]:
    """(feature, bin, missing-go-right) maximising the summed least-squares gain."""
    s_nan, c_nan = hist[:, :, -1], cnt[:, :, -1]
    sl = np.cumsum(hist[:, :, :-1], axis=2)  # left = bins <= b (non-missing)
    cl = np.cumsum(cnt[:, :, :-1], axis=2)
    s_tot = sl[:, :, -1:] + s_nan[:, :, None]
    c_tot = cl[:, :, -1:] + c_nan[:, :, None]
    gains = []
    for right in (False, True):
        sL = sl if right else sl + s_nan[:, :, None]
        cL = cl if right else cl + c_nan[:, :, None]
        sR, cR = s_tot - sL, c_tot - cL
        g = (sL**2).sum(-1) / (cL + lam) + (sR**2).sum(-1) / (cR + lam)
        gains.append(g.sum(axis=0))  # oblivious: one split for every node of the level
    G = np.stack(gains)  # (2, p, nb - 1)
    r, j, b = np.unravel_index(int(np.argmax(G)), G.shape)
    return int(j), int(b), bool(r)


def _goes_right(col: NDArray[np.int64], b: int, nan_right: bool, nb: int) -> NDArray[np.bool_]:
    """Rows of a binned column sent right by the split "bin > b" (missing: ``nan_right``)."""
    missing = col == nb - 1
    return (col > b) & ~missing | (missing & nan_right)


def _fidelity(full: FloatArray, compact: FloatArray, ref: int, higher: bool) -> dict[str, Any]:
    """RMSE and max abs error of outcomes and of effects vs the reference; best-arm agreement.

    The best arm is the lowest predicted outcome (PCL-5) unless ``higher`` is better.
    """
    best = np.argmax if higher else np.argmin
    others = [a for a in range(full.shape[1]) if a != ref]
    eff_full = full[:, others] - full[:, [ref]]
    eff_compact = compact[:, others] - compact[:, [ref]]
    return {
        "outcome_rmse": float(np.sqrt(np.mean((compact - full) ** 2))),
        "outcome_max_abs": float(np.max(np.abs(compact - full))),
        "effect_rmse": float(np.sqrt(np.mean((eff_compact - eff_full) ** 2))),
        "effect_max_abs": float(np.max(np.abs(eff_compact - eff_full))),
        "effect_sd_full": float(np.std(eff_full)),
        "best_arm_agreement": float(np.mean(best(full, axis=1) == best(compact, axis=1))),
    }
