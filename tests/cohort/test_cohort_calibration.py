"""The simulator reproduces the published trial aggregates within the stated tolerances."""

from __future__ import annotations

import json

import pytest

from ptsdrx.cohort import CalibrationReport, calibration_report, default_config, targets


@pytest.fixture(scope="module")
def report() -> CalibrationReport:
    return calibration_report(n_per_trial=20_000, random_state=0)


def test_every_target_within_tolerance(report: CalibrationReport) -> None:
    outside = [r.label for r in report.rows if not r.within]
    assert report.passed, f"outside tolerance: {outside}\n{report.to_text()}"


@pytest.mark.parametrize("seed", [1, 2])
def test_calibration_holds_for_other_seeds(seed: int) -> None:
    assert calibration_report(n_per_trial=20_000, random_state=seed).passed


def test_issue_targets_are_all_present() -> None:
    found = {(t.id, m.kind, m.arm, m.published) for t in targets() for m in t.metrics}
    for expected in [
        ("mapp1", "mean_change", "mdma_at", -24.4),
        ("mapp1", "mean_change", "placebo_therapy", -13.9),
        ("mapp1", "loss_of_diagnosis", "mdma_at", 0.67),
        ("mapp1", "loss_of_diagnosis", "placebo_therapy", 0.32),
        ("mapp2", "mean_change", "mdma_at", -23.7),
        ("mapp2", "mean_change", "placebo_therapy", -14.8),
        ("feder2021", "responders", "ketamine_iv", 0.67),
        ("feder2021", "responders", "midazolam", 0.20),
        ("ketamine_real_world", "mean_baseline", "ketamine_iv", 52.39),
        ("ketamine_real_world", "mean_endpoint", "ketamine_iv", 29.42),
        ("ketamine_real_world", "within_d", "ketamine_iv", 1.60),
        ("davidson2001", "responders", "sertraline", 0.60),
        ("davidson2001", "responders", "placebo", 0.38),
        ("cpt_vs_inactive", "hedges_g", "cpt", 1.24),
        ("pe_vs_control", "hedges_g", "pe", 1.08),
        ("ketamine_pooled_rcts", "hedges_g", "ketamine_iv", 0.27),
    ]:
        assert expected in found


def test_a_broken_config_fails_calibration() -> None:
    # doubling MDMA's effect must push MAPP out of tolerance: the test can fail
    cfg = default_config().with_overrides({"arms": {"mdma_at": {"fraction": 0.95}}})
    report = calibration_report(n_per_trial=2_000, config=cfg)
    assert not report.passed
    assert any(r.trial == "mapp1" and not r.within for r in report.rows)


def test_renderings(report: CalibrationReport, tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = report.to_text()
    assert "mapp1: mean_change mdma_at" in text and "-24.4" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["passed"] is True and len(data["rows"]) == len(report.rows)
    png = report.plot(tmp_path / "calibration.png")
    assert png.stat().st_size > 10_000


def test_bad_n_per_trial() -> None:
    with pytest.raises(ValueError, match="n_per_trial"):
        calibration_report(n_per_trial=10)
