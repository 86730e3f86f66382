"""``n_jobs`` fits independent boosters side by side and never changes the model."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from ptsdrx.response import TreatmentResponseModel, _ensemble, multiarm
from ptsdrx.response._base_learners import run_jobs


def test_run_jobs_keeps_order_and_runs_side_by_side() -> None:
    names: set[str] = set()

    def job(i: int) -> int:
        names.add(threading.current_thread().name)
        time.sleep(0.02)  # long enough that one thread cannot take every job
        return i * i

    jobs = [lambda i=i: job(i) for i in range(6)]
    assert run_jobs(jobs, 1) == [i * i for i in range(6)]
    assert len(names) == 1
    names.clear()
    assert run_jobs(jobs, 2) == [i * i for i in range(6)]
    assert len(names) == 2


@pytest.mark.filterwarnings("ignore::ptsdrx.response.OverlapWarning")
@pytest.mark.parametrize("nested_rows", [None, 600], ids=["nested", "subsample"])
def test_two_jobs_fit_the_same_model_as_one(
    nested_rows: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if nested_rows is not None:  # the large-data path: weights from a nested subsample fit
        monkeypatch.setattr(_ensemble, "NESTED_ROWS", nested_rows)
    data = multiarm(1200, n_arms=3, design="observational", random_state=5)
    test = multiarm(300, n_arms=3, design="observational", random_state=6)
    fits = [
        TreatmentResponseModel(fast=True, n_folds=2, n_jobs=jobs).fit(data.Y, data.T, X=data.X)
        for jobs in (1, 2)
    ]
    one, two = (m.predict_outcomes(test.X).to_numpy() for m in fits)
    assert np.array_equal(one, two)  # bit for bit, not approximately
    assert fits[0].weights_ == fits[1].weights_
    assert np.array_equal(fits[0].propensity(test.X), fits[1].propensity(test.X))
    lo1, hi1 = fits[0].effect_interval(test.X, T0=fits[0].arms_[0], T1=fits[0].arms_[1])
    lo2, hi2 = fits[1].effect_interval(test.X, T0=fits[1].arms_[0], T1=fits[1].arms_[1])
    assert np.array_equal(lo1, lo2) and np.array_equal(hi1, hi2)
