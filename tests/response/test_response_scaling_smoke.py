"""Smoke test of ``benchmarks/bench_response_scaling.py`` so the script cannot rot.

Tiny sizes, no timing assertions: the functions run, return every field ``render`` needs,
and the markdown has one row per configuration in each table.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_response_scaling.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_response_scaling", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_functions_and_report(bench: ModuleType) -> None:
    small = {"n_arms": 4, "score_rows": 3000, "n_jobs": 1}
    stages: list[str] = []
    fit = bench.run_fit(2000, fast=True, full_score_rows=500, report=stages.append, **small)
    eml = bench.run_econml(2000, **small)
    assert stages[0].startswith("nuisance fold") and "conformal calibration" in stages
    assert sum(fit["stages"].values()) == pytest.approx(fit["fit_s"], rel=0.05)
    assert "nuisance fold" in fit["stages"]  # folds summed under one key
    assert fit["rss_fit_gib"] >= fit["rss_data_gib"] > 0
    for key in ("full_rate", "compact_rate_1", "compact_rate_jobs", "compact_build_s"):
        assert fit[key] > 0
    assert fit["fidelity"]["n_holdout"] == 400
    assert np.isfinite([fit["pehe_full"], fit["pehe_compact"], eml["pehe"], eml["rate"]]).all()
    assert eml["fit_s"] > 0
    text = bench.render([fit, eml])
    assert text.count("| 2,000 | fast |") == 3  # fit, scoring and fidelity tables
    assert "## Targets (issue 5)" in text and "patients per second" in text


def test_stage_times_sum_folds(bench: ModuleType) -> None:
    stages = [("nuisance fold 1/2", 1.0), ("nuisance fold 2/2", 3.0), ("learner x", 4.5)]
    assert bench._stage_times(stages) == {"nuisance fold": 3.0, "x": 1.5}
