"""``FastScorer``: one pass over a fitted response model for every arm of a block of rows.

Why: ``recommend()`` asked the model for outcomes, intervals, ``in_support``, SHAP and about
twenty advantage intervals, and each call re-evaluated every base learner through
scikit-learn's LightGBM wrapper (``get_params`` and a deep copy of the parameters on every
``predict``: about 1.5 ms per booster, 147 boosters per pass, 23 passes per patient). The
trees themselves take microseconds.

What: the same arithmetic as ``TreatmentResponseModel`` (``ptsdrx.response._terms``'s
decomposition, and ``_intervals``' conformal and group effect bounds, reused, not
re-derived), with each LightGBM base learner called through its native ``Booster`` once per
block, and everything derived from that one pass: outcomes, intervals, advantages,
``in_support`` and (only when asked) TreeSHAP contributions from LightGBM's own
``pred_contrib``. The scorer also has the model's public prediction methods with a one-block
cache, so ``recommend(model=FastScorer(m))`` makes one pass per patient instead of 23.
Agreement with the model is tested to 1e-9.
"""

from __future__ import annotations

import copy
import ctypes
import os
import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

TOLERANCE = 1e-9
"""Largest absolute difference from the full model's outcomes, intervals and effects (PCL-5
points or probability) that the agreement tests accept: float summation order only."""


_NORMAL, _CONTRIB, _FLOAT64 = 0, 3, 1  # LightGBM C API: predict types, data type
_IDENTITY = frozenset({"regression", "regression_l2", "l2", "mse", "regression_l1", "l1", "huber"})
_LOGISTIC = frozenset({"cross_entropy", "xentropy"})
"""LightGBM objectives whose prediction is the raw score, or its logistic transform."""


class _SingleRow:
    """LightGBM's single-row fast C path (``LGBM_BoosterPredictForMatSingleRowFast``).

    One ``FastConfig`` is prepared per booster and prediction type, so a one-row prediction
    is one C call (about 10 us) instead of a ``Booster.predict`` (about 70 us of Python set-up
    per call). The config holds a buffer, so calls are serialised by a lock.
    """

    def __init__(self, booster: Any, n_features: int, predict_type: int, n_out: int) -> None:
        from lightgbm.basic import _LIB, _safe_call

        self._lib, self._safe = _LIB, _safe_call
        self._booster = booster  # keeps the C booster alive as long as the config
        self._handle = ctypes.c_void_p()
        _safe_call(
            _LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
                booster._handle,
                ctypes.c_int(predict_type),
                ctypes.c_int(0),
                ctypes.c_int(-1),
                ctypes.c_int(_FLOAT64),
                ctypes.c_int32(n_features),
                ctypes.c_char_p(b"num_threads=1"),
                ctypes.byref(self._handle),
            )
        )
        self._out = np.zeros(n_out, dtype=np.float64)
        self._len = ctypes.c_int64()
        # the call's arguments, built once: a prediction is then one C call
        self._fn = _LIB.LGBM_BoosterPredictForMatSingleRowFast
        self._out_ptr = self._out.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
        self._len_ref = ctypes.byref(self._len)
        self._lock = threading.Lock()

    def __call__(self, row: FloatArray) -> FloatArray:
        """The prediction for one contiguous float64 row."""
        if not row.flags.c_contiguous or row.dtype != np.float64:
            row = np.ascontiguousarray(row, dtype=np.float64)
        return self.at(ctypes.c_void_p(row.ctypes.data))

    def at(self, row: ctypes.c_void_p) -> FloatArray:
        """The prediction for the row at address ``row`` (kept alive by the caller)."""
        with self._lock:
            if self._fn(self._handle, row, self._len_ref, self._out_ptr) != 0:
                self._safe(-1)  # raises LightGBM's last error
            return self._out[: self._len.value].copy()

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            self._lib.LGBM_FastConfigFree(handle)


def _booster_predict(model: Any, n_features: int) -> Callable[[FloatArray], FloatArray]:
    """The native prediction of a LightGBM base learner.

    It skips the sklearn wrapper: the single-row C path for one row, ``Booster.predict`` for a
    block.
    """
    booster = model.booster_
    single = _SingleRow(booster, n_features, _NORMAL, 1)

    def predict(Xa: FloatArray) -> FloatArray:
        if len(Xa) == 1:
            return single(Xa[0])
        return np.asarray(booster.predict(Xa, num_threads=1), dtype=float)

    return predict


class _FastClassifier:
    """``predict_proba``/``classes_`` of a LightGBM classifier through its booster."""

    def __init__(self, model: Any, n_features: int) -> None:
        self.classes_ = model.classes_
        self._booster = model.booster_
        n_class = max(1, self._booster.num_model_per_iteration())
        self._single = _SingleRow(self._booster, n_features, _NORMAL, n_class)

    def predict_proba(self, Xa: FloatArray) -> FloatArray:
        if len(Xa) == 1:
            p = self._single(Xa[0])
            p = p[None, :] if len(p) > 1 else p
        else:
            p = np.asarray(self._booster.predict(Xa, num_threads=1), dtype=float)
        return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p


@dataclass(frozen=True)
class ScoringPlan:
    """Everything one pass gives for a block of rows (arms in the model's order)."""

    arms: tuple[str, ...]
    outcomes: FloatArray
    """``[rows, arms]`` expected outcome under each arm."""
    in_support: NDArray[np.bool_]
    lo: FloatArray | None = None
    """``[rows, arms]`` lower bounds of the ``1 - alpha`` outcome intervals (continuous only)."""
    hi: FloatArray | None = None
    alpha: float = 0.1
    _bounds: Callable[[FloatArray, int, int, float], tuple[FloatArray, FloatArray]] | None = field(
        default=None, repr=False
    )

    def effect_interval(self, t0: int, t1: int) -> tuple[FloatArray, FloatArray]:
        """Group interval of the effect of arm ``t1`` vs ``t0`` (outcome t1 minus t0)."""
        if self._bounds is None:
            raise ValueError("this plan has no effect intervals (binary outcome)")
        eff = self.outcomes[:, t1] - self.outcomes[:, t0]
        return self._bounds(eff, t0, t1, self.alpha)


_T = TypeVar("_T")
_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _pool(workers: int) -> ThreadPoolExecutor:
    """A process-wide pool of ``workers`` threads for one-row booster calls (made once)."""
    with _POOLS_LOCK:
        if workers not in _POOLS:
            _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="ptsdrx-score")
        return _POOLS[workers]


class _Memo(threading.local):
    """One thread's memory of the block it scored last (a server scores in many threads)."""

    plan: tuple[bytes, float, ScoringPlan] | None
    matrix: tuple[Any, FloatArray] | None
    natives: tuple[bytes, dict[int, FloatArray]] | None
    terms: tuple[bytes, list[list[Any]]] | None

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget everything (in this thread)."""
        self.plan = self.matrix = self.natives = self.terms = None


class FastScorer:
    """A fitted ``TreatmentResponseModel`` scored in one native pass per block of rows.

    Parameters
    ----------
    model : a fitted ``ptsdrx.response.TreatmentResponseModel``.
    threads : int, optional
        Threads for one patient's booster calls (``recommend``); blocks of rows run in the
        calling thread. Default: up to 2 (the cores of a small clinic server). The answer
        does not depend on it.

    Examples
    --------
    >>> scorer = FastScorer(model)  # doctest: +SKIP
    >>> plan = scorer.plan(X, alpha=0.1)  # outcomes, intervals, support at once  # doctest: +SKIP
    >>> recommend(record, model=scorer)  # same Recommendation, one pass  # doctest: +SKIP
    """

    def __init__(self, model: Any, *, threads: int | None = None) -> None:
        if threads is not None and (isinstance(threads, bool) or threads < 1):
            raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
        self.threads = threads if threads is not None else min(2, os.cpu_count() or 1)
        if not hasattr(model, "arms_") or not hasattr(model, "outcome_models_"):
            raise TypeError(
                f"FastScorer needs a fitted TreatmentResponseModel; got {type(model).__name__}"
            )
        self.model = model
        self.arms_: Sequence[Hashable] = list(model.arms_)
        self.feature_names_in_ = model.feature_names_in_
        self.n_features_in_ = model.n_features_in_
        self.outcome_type_: str = model.outcome_type_
        self.feature_schema_ = getattr(model, "feature_schema_", None)
        # a shallow copy whose propensity runs on the boosters: the terms and ``in_support``
        # keep the model's own arithmetic
        self._shim = copy.copy(model)
        self._shim.propensity_models_ = [
            _FastClassifier(p, model.n_features_in_) if hasattr(p, "booster_") else p
            for p in model.propensity_models_
        ]
        self._memo = _Memo()
        probe = np.full((1, self.n_features_in_), np.nan)
        self._native: dict[int, Callable[[FloatArray], FloatArray]] = {}
        self._boosters: dict[int, Any] = {}
        self._contrib_single: dict[int, _SingleRow] = {}
        for one_arm in self._terms(probe):
            for _, base in one_arm:
                if id(base) in self._native:
                    continue
                if hasattr(base, "booster_"):
                    self._native[id(base)] = _booster_predict(base, self.n_features_in_)
                    self._boosters[id(base)] = base
                else:  # e.g. ConstantModel: already cheap
                    self._native[id(base)] = base.predict

    def forget(self) -> None:
        """Drop this thread's memory of the last block (the next call scores afresh)."""
        self._memo.clear()

    # ------------------------------------------------------------------ one pass

    def _terms(self, Xa: FloatArray) -> list[list[Any]]:
        """Each arm's ``(coefficient, base model)`` terms (the model's own decomposition).

        Kept for the one row last scored: outcomes and explanations of a patient share them.
        """
        from ptsdrx.response._terms import arm_terms

        key = Xa.tobytes() if len(Xa) == 1 else None
        memo = self._memo.terms
        if key is not None and memo is not None and memo[0] == key:
            return memo[1]
        terms = arm_terms(self._shim, Xa).terms
        if key is not None:
            self._memo.terms = (key, terms)
        return terms

    def group_bounds(
        self, eff: FloatArray, i: int, j: int, alpha: float
    ) -> tuple[FloatArray, FloatArray]:
        """The model's group interval for predicted effects ``eff`` of arm ``j`` vs ``i``."""
        from ptsdrx.response._intervals import group_bounds

        return group_bounds(self.model.effect_groups_, eff, i, j, alpha)

    def _matrix(self, X: Any) -> FloatArray:
        if isinstance(X, np.ndarray) and X.dtype == np.float64 and X.ndim == 2:
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} columns; the model was fitted on {self.n_features_in_}"
                )
            return np.ascontiguousarray(X)
        last = self._memo.matrix
        if last is not None and last[0] is X:  # recommend() asks ~25 times
            return last[1]
        Xa = np.asarray(self.model._check_X(X, fitting=False), dtype=float)
        self._memo.matrix = (X, Xa)
        return Xa

    def outcomes(self, Xa: FloatArray) -> FloatArray:
        """Expected outcome ``[rows, arms]``: the model's terms on native predictions."""
        cache = self._row_cache(Xa)
        terms = self._terms(Xa)
        todo = {id(b): b for one_arm in terms for _, b in one_arm if id(b) not in cache}
        cache.update(self._each(list(todo), lambda key: self._native[key](Xa), len(Xa)))
        pred = np.zeros((len(Xa), len(self.arms_)))
        for a, one_arm in enumerate(terms):
            for coef, base in one_arm:
                pred[:, a] += coef * cache[id(base)]
        if self.outcome_type_ == "binary":
            pred = np.clip(pred, 0.0, 1.0)
        return pred

    def _each(self, keys: list[int], fn: Callable[[int], _T], rows: int) -> dict[int, _T]:
        """``fn`` for every booster key; one row's calls shared out over ``threads``.

        Each call is one C prediction that releases the GIL, and every booster has its own
        buffer, so a patient's boosters run side by side; the sums are made afterwards in a
        fixed order, so the answer does not depend on the number of threads.
        """
        if rows != 1 or self.threads <= 1 or len(keys) < 2 * self.threads:
            return {k: fn(k) for k in keys}
        chunks = [keys[i :: self.threads] for i in range(self.threads)]
        pool = _pool(self.threads - 1)

        def run(chunk: list[int]) -> list[tuple[int, _T]]:
            return [(k, fn(k)) for k in chunk]

        futures = [pool.submit(run, c) for c in chunks[1:]]
        out = {k: fn(k) for k in chunks[0]}
        for f in futures:
            out.update(f.result())
        return out

    def _row_cache(self, Xa: FloatArray) -> dict[int, FloatArray]:
        """Per-booster predictions for the one row last scored (empty for a block).

        ``explain`` and ``outcomes`` of the same patient share them: SHAP values sum to the
        prediction, so the explanation pass also gives every booster's prediction.
        """
        if len(Xa) != 1:
            return {}
        key = Xa.tobytes()
        memo = self._memo.natives
        if memo is None or memo[0] != key:
            memo = self._memo.natives = (key, {})
        return memo[1]

    def plan(self, X: Any, *, alpha: float = 0.1, cache: bool = True) -> ScoringPlan:
        """Outcomes, ``1 - alpha`` intervals, effect bounds and support for every row at once.

        ``cache`` keeps the last block's plan (``recommend()`` asks about one patient ~25
        times); batch scoring turns it off so no block outlives its partition.
        """
        Xa = self._matrix(X)
        key = Xa.tobytes() if cache else b""
        memo = self._memo.plan
        if cache and memo is not None and memo[0] == key and memo[1] == alpha:
            return memo[2]
        pred = self.outcomes(Xa)
        support = self._support(Xa)
        lo = hi = None
        bounds = None
        conformal = self.model.conformal_
        if conformal is not None:
            from ptsdrx.response._intervals import outcome_bounds

            lo, hi = np.empty_like(pred), np.empty_like(pred)
            for a, iv in enumerate(outcome_bounds(conformal, pred, alpha)):
                lo[:, a], hi[:, a] = iv[:, 0], iv[:, 1]
            bounds = self.group_bounds
        plan = ScoringPlan(
            arms=tuple(str(a) for a in self.arms_),
            outcomes=pred,
            in_support=support,
            lo=lo,
            hi=hi,
            alpha=alpha,
            _bounds=bounds,
        )
        if cache:
            self._memo.plan = (key, alpha, plan)
        return plan

    def _support(self, Xa: FloatArray) -> NDArray[np.bool_]:
        """The model's ``in_support`` rule on native propensities."""
        m = self.model
        from ptsdrx.response._terms import propensity

        ok = propensity(self._shim, Xa).min(axis=1) >= m.overlap_threshold
        nan = np.isnan(Xa)
        inside = nan | ((Xa >= m.x_min_) & (Xa <= m.x_max_))
        inside &= ~(nan & ~m.missing_seen_)
        return np.asarray(ok & inside.all(axis=1))

    # ------------------------------------------------- the model's public contract

    def _index(self, X: Any) -> pd.Index:
        return X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(X))

    def predict_outcomes(self, X: Any) -> pd.DataFrame:
        """Expected outcome under each arm (as ``TreatmentResponseModel.predict_outcomes``).

        The outcomes alone: no intervals or support (a remission model is asked only this).
        """
        Xa = self._matrix(X)
        memo = self._memo.plan
        if memo is not None and memo[0] == Xa.tobytes():
            pred = memo[2].outcomes
        else:
            pred = self.outcomes(Xa)
        return pd.DataFrame(pred, columns=list(self.arms_), index=self._index(X))

    def predict_interval(self, X: Any, alpha: float = 0.1) -> dict[Hashable, pd.DataFrame]:
        """Per-arm ``1 - alpha`` prediction intervals (columns ``lo``, ``hi``)."""
        plan = self.plan(X, alpha=alpha)
        if plan.lo is None or plan.hi is None:
            raise ValueError("predict_interval is for continuous outcomes")
        idx = self._index(X)
        return {
            arm: pd.DataFrame({"lo": plan.lo[:, a], "hi": plan.hi[:, a]}, index=idx)
            for a, arm in enumerate(self.arms_)
        }

    def effect_interval(
        self, X: Any, *, T0: Hashable, T1: Hashable, alpha: float = 0.1
    ) -> tuple[FloatArray, FloatArray]:
        """Group interval for the effect of ``T1`` vs ``T0`` (``kind="group"`` of the model)."""
        i, j = self.model._code(T0, "T0"), self.model._code(T1, "T1")
        if i == j:
            raise ValueError("T0 and T1 must be different arms")
        return self.plan(X, alpha=alpha).effect_interval(i, j)

    def in_support(self, X: Any) -> NDArray[np.bool_]:
        """True for rows inside the training support (as the model's ``in_support``)."""
        return self.plan(X).in_support

    def explain(self, X: Any, *, top: int = 5) -> list[Any]:
        """Per-row TreeSHAP contributions per arm, as ``TreatmentResponseModel.explain``.

        LightGBM's ``pred_contrib`` once per booster; the prediction is the sum of the
        contributions, so one native call gives both.
        """
        from ptsdrx.response import ArmExplanation, Contribution, PatientExplanation

        Xa = self._matrix(X)
        binary = self.outcome_type_ == "binary"
        n, p = Xa.shape
        terms = self._terms(Xa)
        known = self._row_cache(Xa)
        keys = list({id(b): b for one_arm in terms for _, b in one_arm})
        cache = self._each(keys, lambda key: self._contrib(key, Xa, binary, known.get(key)), n)
        if n == 1:
            for key, (pr, _) in cache.items():
                known.setdefault(key, pr)
        pred = np.zeros((n, len(terms)))
        phi = np.zeros((n, len(terms), p))
        for a, one_arm in enumerate(terms):
            for coef, base in one_arm:
                pr, ph = cache[id(base)]
                c = np.asarray(coef, dtype=float)
                pred[:, a] += c * pr
                phi[:, a, :] += (c[:, None] if c.ndim else c) * ph
        names = [str(c) for c in self.feature_names_in_]
        out = []
        for i, idx in enumerate(self._index(X)):
            arms = []
            for a, arm in enumerate(self.arms_):
                order = np.argsort(-np.abs(phi[i, a]))[:top]
                arms.append(
                    ArmExplanation(
                        target=str(arm),
                        prediction=float(pred[i, a]),
                        baseline=float(pred[i, a] - phi[i, a].sum()),
                        top=tuple(
                            Contribution(
                                feature=names[j],
                                value=None if np.isnan(Xa[i, j]) else float(Xa[i, j]),
                                contribution=float(phi[i, a, j]),
                            )
                            for j in order
                        ),
                    )
                )
            out.append(PatientExplanation(row=idx, arms=tuple(arms)))
        return out

    def _contrib(
        self, key: int, Xa: FloatArray, binary: bool, pred: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        """(prediction, SHAP matrix) of one base learner, as ``response._explain._phi``.

        Without a known prediction, an identity or logistic objective's prediction is the
        sum of its contributions (the raw score), so no second pass is needed.
        """
        base = self._boosters.get(key)
        if base is None:
            return (self._native[key](Xa) if pred is None else pred), np.zeros_like(Xa)
        booster = base.booster_
        if len(Xa) == 1:
            if key not in self._contrib_single:
                p = self.n_features_in_
                self._contrib_single[key] = _SingleRow(booster, p, _CONTRIB, p + 1)
            contrib = self._contrib_single[key](Xa[0])[None, :]
        else:
            contrib = np.asarray(booster.predict(Xa, pred_contrib=True, num_threads=1), dtype=float)
        if pred is None:
            raw = contrib.sum(axis=1)
            objective = getattr(base, "objective_", base.objective)
            if objective in _IDENTITY:
                pred = raw
            elif objective in _LOGISTIC:
                pred = 1.0 / (1.0 + np.exp(-raw))
            else:
                pred = self._native[key](Xa)
        phi = contrib[:, :-1]
        if binary and base.objective == "cross_entropy":
            start = 1.0 / (1.0 + np.exp(-contrib[:, -1]))
            total = phi.sum(axis=1)
            scale = np.divide(pred - start, total, out=np.zeros_like(total), where=total != 0)
            phi = phi * scale[:, None]
        return pred, phi
