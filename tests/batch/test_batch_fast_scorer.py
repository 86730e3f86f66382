"""``FastScorer`` gives the full model's answer (within ``TOLERANCE``), in one pass."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ptsdrx.batch import TOLERANCE, FastScorer

EXAMPLES = sorted(Path("examples/patients").glob("*.json"))


@pytest.fixture(scope="module")
def X(cohort: Any) -> Any:
    from ptsdrx.features import from_cohort

    return from_cohort(cohort.head(120))


def test_outcomes_intervals_support_match_the_model(fitted: Any, X: Any) -> None:
    fast = FastScorer(fitted)
    for rows in (X, X.head(1)):  # a block, and the single-row C path
        want = fitted.predict_outcomes(rows).to_numpy()
        np.testing.assert_allclose(fast.predict_outcomes(rows).to_numpy(), want, atol=TOLERANCE)
        full = fitted.predict_interval(rows, alpha=0.1)
        mine = fast.predict_interval(rows, alpha=0.1)
        for arm in fitted.arms_:
            np.testing.assert_allclose(mine[arm].to_numpy(), full[arm].to_numpy(), atol=TOLERANCE)
        assert (fast.in_support(rows) == fitted.in_support(rows)).all()
        for a, b in itertools.permutations(fitted.arms_, 2):
            lo, hi = fitted.effect_interval(rows, T0=a, T1=b, alpha=0.1)
            flo, fhi = fast.effect_interval(rows, T0=a, T1=b, alpha=0.1)
            np.testing.assert_allclose(flo, lo, atol=TOLERANCE)
            np.testing.assert_allclose(fhi, hi, atol=TOLERANCE)


def test_explanations_match_the_model(fitted: Any, X: Any) -> None:
    fast = FastScorer(fitted)
    for rows in (X.head(5), X.head(1)):
        want, got = fitted.explain(rows, top=5), fast.explain(rows, top=5)
        for w, g in zip(want, got, strict=True):
            for wa, ga in zip(w.arms, g.arms, strict=True):
                assert wa.target == ga.target
                assert abs(wa.prediction - ga.prediction) < TOLERANCE
                assert [c.feature for c in wa.top] == [c.feature for c in ga.top]
                for wc, gc in zip(wa.top, ga.top, strict=True):
                    assert abs(wc.contribution - gc.contribution) < TOLERANCE


def test_a_plan_has_every_arm_and_is_cached_per_block(fitted: Any, X: Any) -> None:
    fast = FastScorer(fitted)
    Xa = X.to_numpy(dtype=float)
    plan = fast.plan(Xa, alpha=0.1)
    assert plan.outcomes.shape == (len(X), len(fitted.arms_))
    assert plan.lo is not None and plan.hi is not None
    assert (plan.lo <= plan.outcomes).all() and (plan.outcomes <= plan.hi).all()
    assert fast.plan(Xa, alpha=0.1) is plan
    assert fast.plan(Xa, alpha=0.2) is not plan


def test_recommend_gives_the_same_recommendation_through_the_scorer(fitted: Any) -> None:
    from ptsdrx.recommend import recommend
    from ptsdrx.records import load_record

    fast = FastScorer(fitted)
    for path in EXAMPLES:
        record = load_record(path)
        want = recommend(record, model=fitted).model_dump()
        assert recommend(record, model=fast).model_dump() == want, path.name


def test_refuses_what_is_not_a_fitted_response_model() -> None:
    with pytest.raises(TypeError, match="fitted TreatmentResponseModel"):
        FastScorer(object())
