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

from ptsdrx.batch._tables import TreeTables

FloatArray = NDArray[np.float64]

TOLERANCE = 1e-9
"""Largest absolute difference from the full model's outcomes, intervals and effects (PCL-5
points or probability) that the agreement tests accept: float summation order only."""


_NORMAL, _CONTRIB, _FLOAT64 = 0, 3, 1  # LightGBM C API: predict types, data type
_TABLE_ROWS = 32
"""Blocks up to this many rows are scored from the decision-pattern tables (``_tables``);
larger blocks go to LightGBM's C predictor, which is faster per row at scale."""
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
    natives: tuple[bytes, FloatArray] | None
    weights: tuple[bytes, FloatArray] | None

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget everything (in this thread)."""
        self.plan = self.matrix = self.natives = self.weights = None


class FastScorer:
    """A fitted ``TreatmentResponseModel`` scored in one native pass per block of rows.

    Parameters
    ----------
    model : a fitted ``ptsdrx.response.TreatmentResponseModel``.
    threads : int, optional
        Threads for the booster calls that the decision-pattern tables do not cover
        (``recommend``); blocks of rows run in the calling thread. Default: up to 2 (the
        cores of a small clinic server). The answer does not depend on it.
    tables : bool, default True
        Score blocks of up to 32 rows from the decision-pattern tables (``_tables``). Batch
        scoring turns them off, so that a row's numbers never depend on the size of the
        block it came in (summation order differs at 1e-14).

    Examples
    --------
    >>> scorer = FastScorer(model)  # doctest: +SKIP
    >>> plan = scorer.plan(X, alpha=0.1)  # outcomes, intervals, support at once  # doctest: +SKIP
    >>> recommend(record, model=scorer)  # same Recommendation, one pass  # doctest: +SKIP
    """

    def __init__(self, model: Any, *, threads: int | None = None, tables: bool = True) -> None:
        if threads is not None and (isinstance(threads, bool) or threads < 1):
            raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
        self.threads = threads if threads is not None else min(2, os.cpu_count() or 1)
        self.use_tables = tables
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
        self._native: dict[int, Callable[[FloatArray], FloatArray]] = {}
        self._boosters: dict[int, Any] = {}
        self._contrib_single: dict[int, _SingleRow] = {}
        self._tables: _Tabled | None = None
        self._tables_lock = threading.Lock()
        from ptsdrx.response._terms import arm_terms

        # every base learner once, in a fixed order: column k of the weights and predictions
        for one_arm in arm_terms(self._shim, np.full((1, self.n_features_in_), np.nan)).terms:
            for _, base in one_arm:
                if id(base) in self._native:
                    continue
                if hasattr(base, "booster_"):
                    self._native[id(base)] = _booster_predict(base, self.n_features_in_)
                    self._boosters[id(base)] = base
                else:  # e.g. ConstantModel: already cheap
                    self._native[id(base)] = base.predict
        self._keys = list(self._native)
        self._col = {key: k for k, key in enumerate(self._keys)}

    def warm(self) -> FastScorer:
        """Build the tables and take every one-row path once, so no patient waits for that.

        A service calls this at start-up: the tables take about a second per model.
        """
        row = np.full((1, self.n_features_in_), np.nan)
        if self.use_tables:
            self.tables()
        self.plan(row, cache=False)
        self.explain(row)
        self.forget()
        return self

    def forget(self) -> None:
        """Drop this thread's memory of the last block (the next call scores afresh)."""
        self._memo.clear()

    # ------------------------------------------------------------------ one pass

    def _weights(self, Xa: FloatArray) -> FloatArray:
        """``[rows, arms, base learners]``: each arm's prediction is weights @ predictions.

        From the model's own decomposition (``response._terms``); kept for the one row last
        scored, which the outcomes and the explanation of a patient share.
        """
        from ptsdrx.response._terms import arm_terms

        key = Xa.tobytes() if len(Xa) == 1 else None
        memo = self._memo.weights
        if key is not None and memo is not None and memo[0] == key:
            return memo[1]
        terms = arm_terms(self._shim, Xa).terms
        col = self._col
        if key is not None:  # one row: plain floats, one array at the end
            rows = [[0.0] * len(self._keys) for _ in terms]
            for a, one_arm in enumerate(terms):
                for coef, base in one_arm:
                    rows[a][col[id(base)]] += coef if isinstance(coef, float) else float(coef[0])
            W = np.array(rows)[None]
        else:
            W = np.zeros((len(Xa), len(terms), len(self._keys)))
            for a, one_arm in enumerate(terms):
                for coef, base in one_arm:
                    W[:, a, col[id(base)]] += coef
        if key is not None:
            self._memo.weights = (key, W)
        return W

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
            if np.isinf(X).any():
                raise ValueError("X has infinite values; use NaN for missing")
            return np.ascontiguousarray(X)
        last = self._memo.matrix
        if last is not None and last[0] is X:  # recommend() asks ~25 times
            return last[1]
        Xa = np.asarray(self.model._check_X(X, fitting=False), dtype=float)
        self._memo.matrix = (X, Xa)
        return Xa

    def outcomes(self, Xa: FloatArray) -> FloatArray:
        """Expected outcome ``[rows, arms]``: the model's terms on native predictions."""
        if self.use_tables and len(Xa) <= _TABLE_ROWS:
            pred = np.einsum("nak,nk->na", self._weights(Xa), self._base_predictions(Xa))
        else:  # a block: no [rows, arms, learners] tensor, LightGBM's C predictor per learner
            from ptsdrx.response._terms import arm_terms

            terms = arm_terms(self._shim, Xa).terms
            each = self._each(self._keys, lambda key: self._native[key](Xa), len(Xa))
            pred = np.zeros((len(Xa), len(terms)))
            for a, one_arm in enumerate(terms):
                for coef, base in one_arm:
                    pred[:, a] += coef * each[id(base)]
        if self.outcome_type_ == "binary":
            pred = np.clip(pred, 0.0, 1.0)
        return pred

    def _base_predictions(self, Xa: FloatArray) -> FloatArray:
        """``[rows, base learners]`` for a few rows, from the tables where they reach.

        The one row last scored is kept: its explanation gives the same predictions.
        """
        known = self._known(Xa)
        if known is not None:
            return known
        P = np.empty((len(Xa), len(self._keys)))
        tab = self.tables()
        P[:, tab.cols] = tab.predictions(tab.tables.raw(Xa), Xa)
        for key, values in self._each(tab.rest, lambda k: self._native[k](Xa), len(Xa)).items():
            P[:, self._col[key]] = values
        self._remember(Xa, P)
        return P

    def _each(self, keys: list[int], fn: Callable[[int], _T], rows: int) -> dict[int, _T]:
        """``fn`` for every booster key; one row's calls shared out over ``threads``.

        Each call is one C prediction that releases the GIL, and every booster has its own
        buffer, so a patient's boosters run side by side; the sums are made afterwards in a
        fixed order, so the answer does not depend on the number of threads.
        """
        heavy = [k for k in keys if k in self._boosters]  # a constant is not worth a thread
        if rows != 1 or self.threads <= 1 or len(heavy) < 2 * self.threads:
            return {k: fn(k) for k in keys}
        chunks = [heavy[i :: self.threads] for i in range(self.threads)]
        pool = _pool(self.threads - 1)

        def run(chunk: list[int]) -> list[tuple[int, _T]]:
            return [(k, fn(k)) for k in chunk]

        futures = [pool.submit(run, c) for c in chunks[1:]]
        out = {k: fn(k) for k in keys if k not in self._boosters}
        out.update((k, fn(k)) for k in chunks[0])
        for f in futures:
            out.update(f.result())
        return out

    def _known(self, Xa: FloatArray) -> FloatArray | None:
        """Base-learner predictions of the one row last scored, if ``Xa`` is that row."""
        memo = self._memo.natives
        if len(Xa) == 1 and memo is not None and memo[0] == Xa.tobytes():
            return memo[1]
        return None

    def _remember(self, Xa: FloatArray, P: FloatArray) -> None:
        if len(Xa) == 1:
            self._memo.natives = (Xa.tobytes(), P)

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
        known = self._known(Xa)
        P = np.empty((n, len(self._keys)))
        Phi = np.zeros((n, len(self._keys), p))
        todo = self._keys
        if self.use_tables and n <= _TABLE_ROWS:
            tab = self.tables()
            raw, contrib = tab.tables.contrib(Xa)
            pr = tab.predictions(raw, Xa) if known is None else known[:, tab.cols]
            P[:, tab.cols] = pr
            Phi[:, tab.cols] = _shap(contrib, pr, tab.cross_entropy if binary else None)
            todo = tab.rest

        def one(key: int) -> tuple[FloatArray, FloatArray]:
            return self._contrib(
                key, Xa, binary, None if known is None else known[:, self._col[key]]
            )

        for key, (pr, ph) in self._each(todo, one, n).items():
            P[:, self._col[key]], Phi[:, self._col[key]] = pr, ph
        if known is None:
            self._remember(Xa, P)
        W = self._weights(Xa)
        pred = np.einsum("nak,nk->na", W, P)
        phi = np.einsum("nak,nkp->nap", W, Phi)
        names = [str(c) for c in self.feature_names_in_]
        order = np.argsort(-np.abs(phi), axis=2)[:, :, :top]  # per row and arm, as one call
        tops = np.take_along_axis(phi, order, axis=2).tolist()
        values = [[None if v != v else v for v in row] for row in Xa.tolist()]  # NaN: None
        baselines = (pred - phi.sum(axis=2)).tolist()
        out = []
        for i, idx in enumerate(self._index(X)):
            arms = []
            for a, arm in enumerate(self.arms_):
                arms.append(
                    ArmExplanation(
                        target=str(arm),
                        prediction=float(pred[i, a]),
                        baseline=baselines[i][a],
                        top=tuple(
                            Contribution(feature=names[j], value=values[i][j], contribution=c)
                            for j, c in zip(order[i, a].tolist(), tops[i][a], strict=True)
                        ),
                    )
                )
            out.append(PatientExplanation(row=idx, arms=tuple(arms)))
        return out

    def _contrib(
        self, key: int, Xa: FloatArray, binary: bool, pred: FloatArray | None
    ) -> tuple[FloatArray, FloatArray]:
        """(prediction, SHAP matrix) of one base learner by LightGBM's ``pred_contrib``.

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
        one = _Objectives([base], [self._native[key]])
        if pred is None:
            pred = one.predictions(contrib.sum(axis=1)[:, None], Xa)[:, 0]
        ce = one.cross_entropy if binary else None
        return pred, _shap(contrib[:, None, :], pred[:, None], ce)[:, 0]

    def tables(self) -> _Tabled:
        """The decision-pattern tables of this model's boosters (built once, on first use)."""
        if self._tables is None:
            with self._tables_lock:
                if self._tables is None:
                    self._tables = _Tabled(self, TreeTables(self._boosters, self.n_features_in_))
        return self._tables


class _Objectives:
    """How a group of boosters turn raw scores into predictions, column by column."""

    def __init__(self, boosters: Sequence[Any], natives: Sequence[Callable[[FloatArray], Any]]):
        objective = [getattr(b, "objective_", b.objective) for b in boosters]
        self.logistic = np.array([o in _LOGISTIC for o in objective], dtype=bool)
        self.other = [j for j, o in enumerate(objective) if o not in _IDENTITY | _LOGISTIC]
        self.cross_entropy = np.array(
            [b.objective == "cross_entropy" for b in boosters], dtype=bool
        )
        self._natives = natives

    def predictions(self, raw: FloatArray, Xa: FloatArray) -> FloatArray:
        """``[rows, boosters]`` predictions: the raw score, its logistic, or LightGBM's own."""
        pred = raw.copy()
        pred[:, self.logistic] = 1.0 / (1.0 + np.exp(-raw[:, self.logistic]))
        for j in self.other:
            pred[:, j] = self._natives[j](Xa)
        return pred


class _Tabled(_Objectives):
    """The boosters the decision-pattern tables cover, and where they sit in the scorer."""

    def __init__(self, scorer: FastScorer, tables: TreeTables) -> None:
        keys = tables.keys
        super().__init__([scorer._boosters[k] for k in keys], [scorer._native[k] for k in keys])
        self.tables = tables
        self.cols = np.array([scorer._col[k] for k in keys], dtype=np.int64)
        tabled = set(keys)
        self.rest = [k for k in scorer._keys if k not in tabled]


def _shap(contrib: FloatArray, pred: FloatArray, cross_entropy: Any) -> FloatArray:
    """SHAP ``[rows, boosters, p]`` in prediction units from ``pred_contrib`` (+ base column).

    For a binary outcome each cross-entropy booster's log-odds contributions are rescaled to
    its probability change (as ``response._explain._phi``); ``cross_entropy`` is then the
    mask of those boosters, else None.
    """
    phi = contrib[:, :, :-1]
    if cross_entropy is None or not np.any(cross_entropy):
        return phi
    phi = phi.copy()
    ce = np.asarray(cross_entropy, dtype=bool)
    start = 1.0 / (1.0 + np.exp(-contrib[:, ce, -1]))
    total = phi[:, ce].sum(axis=2)
    scale = np.divide(pred[:, ce] - start, total, out=np.zeros_like(total), where=total != 0)
    phi[:, ce] *= scale[:, :, None]
    return phi
