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


def _same(got: Any, want: Any, where: str = "") -> None:
    """Equal, except floats within ``TOLERANCE`` (summation order only)."""
    if isinstance(want, float) and isinstance(got, float):
        assert abs(got - want) <= TOLERANCE, (where, got, want)
    elif isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), where
        for k in want:
            _same(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, list | tuple):
        assert isinstance(got, list | tuple) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _same(g, w, f"{where}[{i}]")
    else:
        assert got == want, (where, got, want)


def test_recommend_gives_the_same_recommendation_through_the_scorer(
    fitted: Any, remission_model: Any
) -> None:
    from ptsdrx.recommend import recommend
    from ptsdrx.records import load_record

    fast, fast_rem = FastScorer(fitted), FastScorer(remission_model)
    for path in EXAMPLES:
        record = load_record(path)
        want = recommend(record, model=fitted, remission_model=remission_model).model_dump()
        got = recommend(record, model=fast, remission_model=fast_rem).model_dump()
        _same(got, want, path.name)
        assert [o["treatment"] for o in got["options"]] == [o["treatment"] for o in want["options"]]


def test_the_same_comparison_can_fail() -> None:
    _same({"a": (1.0, "x")}, {"a": (1.0 + TOLERANCE / 2, "x")})
    for got, want in (({"a": 1.0}, {"a": 1.0 + 10 * TOLERANCE}), ([1, 2], [1]), ("x", "y")):
        with pytest.raises(AssertionError):
            _same(got, want)


def test_refuses_what_is_not_a_fitted_response_model() -> None:
    with pytest.raises(TypeError, match="fitted TreatmentResponseModel"):
        FastScorer(object())


def test_one_scorer_serves_many_threads_at_once(fitted: Any, remission_model: Any) -> None:
    """A server scores patients in a thread pool: no thread may see another's patient."""
    from concurrent.futures import ThreadPoolExecutor

    from ptsdrx.recommend import recommend
    from ptsdrx.records import load_record

    fast, fast_rem = FastScorer(fitted), FastScorer(remission_model)
    records = [load_record(p) for p in EXAMPLES]

    def one(i: int) -> dict[str, Any]:
        return recommend(
            records[i % len(records)], model=fast, remission_model=fast_rem
        ).model_dump()

    want = [one(i) for i in range(len(records))]
    with ThreadPoolExecutor(6) as pool:
        got = list(pool.map(one, range(6 * len(records))))
    for i, g in enumerate(got):
        assert g == want[i % len(records)], EXAMPLES[i % len(records)].name


def test_the_answer_does_not_depend_on_the_number_of_threads(fitted: Any, X: Any) -> None:
    one, three = FastScorer(fitted, threads=1), FastScorer(fitted, threads=3)
    for i in range(5):
        row = X.iloc[[i]]
        assert np.array_equal(one.plan(row).outcomes, three.plan(row).outcomes)
        a, b = one.explain(row)[0], three.explain(row)[0]
        assert a == b
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        FastScorer(fitted, threads=0)
