"""The accuracy benchmark (benchmarks/bench_response.py) runs end to end on tiny data.

Not a benchmark: it only keeps the script from rotting. ptsdrx and one EconML learner always
run; CausalML (``bench`` dependency group) is exercised only when it is installed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_response.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_response_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny(bench: ModuleType):
    return bench.nie_wager_data("B", 300, n_test=200, seed=0)


def test_metrics_are_exact_on_known_predictions(bench: ModuleType) -> None:
    mu = np.array([[1.0, 3.0, 2.0], [5.0, 4.0, 6.0]])
    perfect = bench.metrics(mu + 7.0, mu, lower_is_better=True)  # a per-row constant is free
    assert perfect == pytest.approx(
        {"sqrt_pehe": 0.0, "mean_pair_sqrt_pehe": 0.0, "regret": 0.0, "ate_error": 0.0}
    )
    flat = bench.metrics(np.zeros_like(mu), mu, lower_is_better=True)  # always picks arm 0
    assert flat["regret"] == pytest.approx(0.5)  # row 2: arm 0 (5) vs best arm 1 (4)
    higher = bench.metrics(np.zeros_like(mu), mu, lower_is_better=False)
    assert higher["regret"] == pytest.approx((2.0 + 1.0) / 2)
    # pairs (0,1), (0,2), (1,2): true effects per row 2, 1, -1 and -1, 1, 2
    assert flat["sqrt_pehe"] == pytest.approx(np.sqrt((4 + 1 + 1 + 1 + 1 + 4) / 6))


def test_ptsdrx_and_econml_side_by_side(bench: ModuleType, tiny) -> None:
    frame = bench.run([lambda: tiny], [bench.DEFAULT, "EconML XLearner", bench.ATE_ONLY])
    assert list(frame["method"]) == [bench.DEFAULT, "EconML XLearner", bench.ATE_ONLY]
    assert np.isfinite(frame[["sqrt_pehe", "regret", "ate_error", "fit_s"]]).all().all()
    assert frame["sqrt_pehe_ratio"].min() == pytest.approx(1.0)
    # setup B's effect varies (sd about 1.2): a heterogeneous model must beat predicting 0
    assert frame["sqrt_pehe"].max() < 3.0
    doc = bench.markdown(frame, header=["# test"])
    assert "| ptsdrx default |" in doc and "EconML XLearner" in doc


def test_simulator_data_set_is_held_out(bench: ModuleType) -> None:
    data = bench.simulator("observational", 300, n_test=100, seed=0)
    assert len(data.arms) == 10 and data.mu_test.shape == (100, 10)
    assert set(data.T) <= set(data.arms) and data.lower_is_better
    assert not np.allclose(data.X.to_numpy()[:5, :3], data.X_test.to_numpy()[:5, :3])


def test_causalml_x_learner(bench: ModuleType, tiny) -> None:
    pytest.importorskip("causalml", reason="CausalML is only in the `bench` dependency group")
    fitted = bench.fit_method("CausalML X-learner", tiny)
    assert fitted.pred.shape == (200, 2) and np.isfinite(fitted.pred).all()
