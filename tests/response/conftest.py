"""Fitted response models shared by the whole response suite (fitted once per session).

Fixtures return ``(model, train, test)``; tests must not mutate the models (a test that
changes a parameter restores it in ``finally``).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from ptsdrx.response import CompactScorer, TreatmentResponseModel, multiarm

FAST: dict[str, Any] = {"fast": True, "n_folds": 2}


def _fit(n: int, n_arms: int, design: str, **kwargs: Any) -> tuple[Any, Any, Any]:
    train = multiarm(n, n_arms=n_arms, design=design, random_state=1, **kwargs)  # type: ignore[arg-type]
    test = multiarm(1500, n_arms=n_arms, design=design, random_state=2, **kwargs)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overlap warnings are tested where they are meant
        model = TreatmentResponseModel(**FAST).fit(train.Y, train.T, X=train.X)
    return model, train, test


@pytest.fixture(scope="session")
def two_arm() -> tuple[TreatmentResponseModel, Any, Any]:
    """A fast 2-arm randomized model on 800 rows."""
    return _fit(800, 2, "randomized")


@pytest.fixture(scope="session")
def three_arm() -> tuple[TreatmentResponseModel, Any, Any]:
    """The fast 3-arm randomized model on 2,400 rows (test: 1,500 fresh rows)."""
    return _fit(2400, 3, "randomized")


@pytest.fixture(scope="session")
def three_arm_observational() -> tuple[TreatmentResponseModel, Any, Any]:
    """The fast 3-arm observational (confounded) model on 2,400 rows."""
    return _fit(2400, 3, "observational")


@pytest.fixture(scope="session")
def binary_three_arm() -> tuple[TreatmentResponseModel, Any, Any]:
    """A fast 3-arm model of a binary outcome (remission) on 3,000 rows."""
    train = multiarm(3000, n_arms=3, binary=True, random_state=3)
    test = multiarm(1000, n_arms=3, binary=True, random_state=4)
    model = TreatmentResponseModel(**FAST).fit(train.Y, train.T, X=train.X)
    return model, train, test


@pytest.fixture(scope="session")
def compact() -> tuple[TreatmentResponseModel, CompactScorer, Any, Any]:
    """A 4-arm observational model on 4,000 rows and its CompactScorer: (model, scorer,
    train, test)."""
    model, train, test = _fit(4000, 4, "observational")
    test = multiarm(2000, n_arms=4, design="observational", random_state=2)
    return model, CompactScorer.from_model(model, train.X), train, test
