"""Input and parameter checks shared by the response model, the compact scorer and validation.

One constraint table type (:class:`Allowed`, a predicate and the words that say what is
allowed) checked in ``fit`` (never in ``__init__``, so ``clone`` and ``set_params`` work as in
scikit-learn), and one feature-matrix check: numeric columns named as in fit (re-ordered when
only the order differs), NaN for missing, no infinities.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.exceptions import NotFittedError

from ptsdrx.response._base_learners import FloatArray
from ptsdrx.response._learners import ECONML_LEARNERS, NATIVE_LEARNERS


@dataclass(frozen=True)
class Allowed:
    """One parameter's rule: ``ok(value)`` and the words for what is allowed."""

    ok: Callable[[Any], bool]
    text: str


def is_int(v: Any) -> bool:
    """An integer that is not a bool."""
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
    """An int or float that is not a bool."""
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def int_range(lo: int, hi: int) -> Allowed:
    """An integer from ``lo`` to ``hi``."""
    return Allowed(lambda v: is_int(v) and lo <= v <= hi, f"an integer from {lo} to {hi}")


def number_range(lo: float, hi: float, text: str) -> Allowed:
    """A number in the closed range ``[lo, hi]`` (``text`` says it for the message)."""
    return Allowed(lambda v: is_number(v) and lo <= v <= hi, text)


def one_of(*options: str) -> Allowed:
    """One of the given strings."""
    words = ", ".join(repr(o) for o in options[:-1]) + f" or {options[-1]!r}"
    return Allowed(lambda v: v in options, words)


SEED = Allowed(lambda v: is_int(v) and v >= 0, "a non-negative integer")


def _learner_list(v: Any) -> bool:
    return (
        isinstance(v, Sequence)
        and not isinstance(v, str)
        and len(v) > 0
        and len(set(v)) == len(v)
        and all(x in NATIVE_LEARNERS + ECONML_LEARNERS for x in v)
    )


def _optional_dict(v: Any) -> bool:
    return v is None or isinstance(v, dict)


#: the declarative table ``TreatmentResponseModel.fit`` validates against
MODEL_CONSTRAINTS: dict[str, Allowed] = {
    "learners": Allowed(
        _learner_list,
        f"a non-empty sequence of distinct names from {NATIVE_LEARNERS + ECONML_LEARNERS}",
    ),
    "combine": one_of("stack", "select"),
    "loss": one_of("r", "dr"),
    "n_folds": int_range(2, 20),
    "outcome_type": one_of("auto", "continuous", "binary"),
    "outcome_direction": one_of("auto", "lower_is_better", "higher_is_better"),
    "propensity_clip": Allowed(
        lambda v: isinstance(v, float | int) and 0 < v < 0.5, "a number in (0, 0.5)"
    ),
    "trim": Allowed(lambda v: isinstance(v, float | int) and 0 <= v < 0.5, "a number in [0, 0.5)"),
    "overlap_threshold": Allowed(
        lambda v: isinstance(v, float | int) and 0 <= v < 0.5, "a number in [0, 0.5)"
    ),
    "outcome_params": Allowed(_optional_dict, "None or a dict"),
    "effect_params": Allowed(_optional_dict, "None or a dict"),
    "propensity_params": Allowed(_optional_dict, "None or a dict"),
    "fast": Allowed(lambda v: isinstance(v, bool), "True or False"),
    "n_jobs": Allowed(lambda v: isinstance(v, int) and v != 0, "a non-zero integer"),
    "random_state": SEED,
}


def validate_params(estimator: Any, table: Mapping[str, Allowed]) -> None:
    """Raise ``ValueError`` naming the first parameter of ``estimator`` outside ``table``."""
    for name, rule in table.items():
        value = getattr(estimator, name)
        if not rule.ok(value):
            raise ValueError(
                f"{type(estimator).__name__} parameter {name!r} must be {rule.text}; got {value!r}"
            )


def check_fitted(estimator: Any, attribute: str, message: str) -> None:
    """Raise scikit-learn's ``NotFittedError`` with ``message`` unless ``attribute`` is set."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(message)


def check_features(X: Any, expected: Sequence[str] | None = None) -> tuple[FloatArray, list[str]]:
    """The feature-matrix contract: ``(array, column names)`` for a table ``X``.

    Numeric columns (NaN allowed for missing, no infinities). With ``expected`` (the names seen
    in fit) the columns must be the same set and are re-ordered to it; an array gets the names
    ``x0, x1, ...``.
    """
    if not isinstance(X, pd.DataFrame):
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"X must be a 2-D table of features; got shape {arr.shape}")
        X = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    if X.shape[1] == 0:
        raise ValueError("X must have at least one feature column")
    bad = [
        str(c)
        for c, dtype in zip(X.columns, X.dtypes, strict=True)
        if not pd.api.types.is_numeric_dtype(dtype)
    ]
    if bad:
        raise ValueError(f"X columns must be numeric (NaN allowed for missing); not numeric: {bad}")
    names = [str(c) for c in X.columns]
    if expected is not None:
        expected = [str(c) for c in expected]
        if names != expected:
            missing = [c for c in expected if c not in names]
            extra = [c for c in names if c not in expected]
            if missing or extra:
                raise ValueError(
                    f"X columns differ from those seen in fit: missing {missing}, "
                    f"unexpected {extra}"
                )
            X = X.set_axis(names, axis=1)[expected]
            names = expected
    arr = X.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(arr).any():
        cols = [names[j] for j in np.where(np.isinf(arr).any(axis=0))[0]]
        raise ValueError(f"X has infinite values in columns {cols}; use NaN for missing")
    return np.ascontiguousarray(arr), names


def check_arm(arms: Sequence[Hashable], arm: Hashable, name: str) -> int:
    """The index of ``arm`` among ``arms``, or a ``ValueError`` naming the parameter."""
    try:
        return list(arms).index(arm)
    except ValueError:
        raise ValueError(
            f"{name}={arm!r} is not an arm of this model; arms: {list(arms)}"
        ) from None


def check_alpha(alpha: float) -> None:
    """``alpha`` must be a miscoverage level in (0, 1)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}")


def frame_index(X: Any) -> pd.Index:
    """The row index of ``X`` (a DataFrame's own, else 0..n-1)."""
    return X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(X))


@dataclass(frozen=True)
class CheckedOutcome:
    """A checked outcome and arm vector: values, arms in order, integer codes, counts."""

    y: FloatArray
    arms: list[Hashable]
    codes: NDArray[np.int64]
    counts: pd.Series
    outcome_type: str
    direction: str


def _sorted_arms(labels: Iterable[Hashable]) -> list[Hashable]:
    uniq = list(dict.fromkeys(labels))
    try:
        return sorted(uniq)  # type: ignore[type-var]
    except TypeError:
        return sorted(uniq, key=str)


def check_outcome_and_arms(
    Y: Any, T: Any, n: int, n_folds: int, outcome_type: str, outcome_direction: str
) -> CheckedOutcome:
    """Check ``Y`` and ``T`` for ``n`` feature rows; resolve the ``auto`` settings.

    ``Y`` finite, 0/1 when binary; ``T`` labelled, two or more arms, each with at least two rows per
    fold.
    """
    y = np.asarray(Y, dtype=float).ravel()
    labels = np.asarray(T, dtype=object).ravel()
    if len(y) != n or len(labels) != n:
        raise ValueError(f"Y ({len(y)}), T ({len(labels)}) and X ({n}) must have equal length")
    if np.isnan(y).any() or np.isinf(y).any():
        raise ValueError(
            f"Y has {int((~np.isfinite(y)).sum())} missing or infinite values; drop those rows"
        )
    if any(v is None or (isinstance(v, float) and np.isnan(v)) for v in labels):
        raise ValueError("T has missing labels; every row needs the arm it received")
    arms = _sorted_arms(labels.tolist())
    if len(arms) < 2:
        raise ValueError(f"T must contain at least two arms; got {arms}")
    counts = pd.Series(labels).value_counts()
    small = {str(a): int(c) for a, c in counts.items() if c < 2 * n_folds}
    if small:
        raise ValueError(
            f"each arm needs at least {2 * n_folds} rows (2 per fold); too few: {small}"
        )
    values = set(np.unique(y).tolist())
    if outcome_type == "binary" and not values <= {0.0, 1.0}:
        raise ValueError("outcome_type='binary' needs Y coded 0/1")
    binary = outcome_type == "binary" or (outcome_type == "auto" and values <= {0.0, 1.0})
    direction = outcome_direction
    if direction == "auto":
        direction = "higher_is_better" if binary else "lower_is_better"
    lookup = {a: i for i, a in enumerate(arms)}
    codes = np.fromiter((lookup[v] for v in labels), dtype=np.int64, count=n)
    return CheckedOutcome(y, arms, codes, counts, "binary" if binary else "continuous", direction)
