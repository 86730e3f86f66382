"""The cold-start prior: a hand computation, its assumptions, and properties over baselines."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from ptsdrx.evidence import load_prior_config, prior_outcome
from ptsdrx.treatments import TREATMENT_IDS

DATA = Path(__file__).parents[2] / "src/ptsdrx/evidence/data/prior.yaml"


def test_mdma_prior_by_hand() -> None:
    # MAPP1 arm: -24.4 (SD 11.6, n 42), baseline 44 [U]; MAPP2 arm: -23.7 (SD from CI, n 52),
    # baseline 39 [U]. Relative change and spread pooled by n; CAPS->PCL ratio 1.
    sd2 = (-20.44 + 26.94) / (2 * 1.959964) * 52**0.5
    f = (42 * -24.4 / 44 + 52 * -23.7 / 39) / 94
    c = (42 * 11.6 / 44 + 52 * sd2 / 39) / 94
    b = 52.0
    p = prior_outcome("mdma_at", baseline_pcl5=b)
    assert p.expected_change == pytest.approx(f * b, rel=1e-4)
    assert p.expected_pcl5 == pytest.approx(b + f * b, rel=1e-4)
    z = norm.ppf(0.9)
    assert p.interval == pytest.approx((b + f * b - z * c * b, b + f * b + z * c * b), rel=1e-4)
    assert p.response_probability == pytest.approx(norm.cdf((-0.3 * b - f * b) / (c * b)), rel=1e-4)
    assert p.remission_probability == pytest.approx(norm.cdf((33 - b - f * b) / (c * b)), rel=1e-4)
    assert p.trials == ("mapp1", "mapp2")
    assert any(a.startswith("caps5_to_pcl5_ratio=1") and a.endswith("[U]") for a in p.assumptions)


def test_ketamine_prior_uses_the_preprint_and_derives_the_change_sd() -> None:
    p = prior_outcome("ketamine_iv", baseline_pcl5=52.39)
    # Preprint 52.39 -> 29.42; at the same baseline the expected outcome is the reported one.
    assert p.expected_pcl5 == pytest.approx(29.42, abs=1e-6)
    assert p.trials == ("macconnel2024_preprint",)
    assert "r=0.5" in p.basis and "optimistic" in p.basis
    assert "caps5_to_pcl5_ratio" not in " ".join(p.assumptions)  # PCL-5 needs no conversion


def test_conversion_ratio_is_configurable(tmp_path: Path) -> None:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    raw["assumptions"]["caps5_to_pcl5_ratio"]["value"] = 0.5
    path = tmp_path / "prior.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    cfg = load_prior_config(path)
    base = prior_outcome("mdma_at", 50)
    halved = prior_outcome("mdma_at", 50, config=cfg)
    assert halved.expected_change == pytest.approx(base.expected_change / 2)  # type: ignore[operator]
    # PCL-5-based priors are unaffected.
    assert prior_outcome("ketamine_iv", 50, config=cfg) == prior_outcome("ketamine_iv", 50)


def test_rates_only_and_unknown_treatments_stay_unknown() -> None:
    s = prior_outcome("sertraline", 50)
    assert s.expected_pcl5 is None and s.interval is None and s.expected_change is None
    assert s.response_probability == 0.6 and s.remission_probability == 0.25
    for t in ("cpt", "venlafaxine", "ibogaine", "esketamine"):
        p = prior_outcome(t, 50)
        assert p.expected_pcl5 is None and p.response_probability is None
        assert "no arm-level outcome data" in p.basis


def test_control_arm_prior_is_available() -> None:
    therapy = prior_outcome("placebo_therapy", 50)
    mdma = prior_outcome("mdma_at", 50)
    assert therapy.expected_pcl5 is not None and mdma.expected_pcl5 is not None
    assert mdma.expected_pcl5 < therapy.expected_pcl5 < 50


@pytest.mark.parametrize("bad", [-1, 80.5, float("nan")])
def test_bad_baseline_is_named(bad: float) -> None:
    with pytest.raises(ValueError, match="baseline_pcl5 must be between 0 and 80"):
        prior_outcome("mdma_at", bad)


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="baseline_pcl5"):
        prior_outcome("mdma_at", "50")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        prior_outcome("mdma_at", 50, level=1.0)
    with pytest.raises(KeyError, match="allowed"):
        prior_outcome("lsd", 50)


def test_config_refusals(tmp_path: Path) -> None:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    raw["priors"]["sertraline"]["sources"] = [{"trial": "brady2000", "arm": "sertraline"}]
    path = tmp_path / "prior.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="either 'sources'"):
        load_prior_config(path)
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    del raw["assumptions"]["remission_pcl5_below"]
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="remission_pcl5_below"):
        load_prior_config(path)


def test_zero_baseline_has_no_response_probability() -> None:
    p = prior_outcome("mdma_at", 0)
    assert p.expected_pcl5 == 0 and p.response_probability is None
    assert p.remission_probability == 1.0


@pytest.mark.parametrize("treatment", TREATMENT_IDS)
def test_every_treatment_renders(treatment: str) -> None:
    p = prior_outcome(treatment, 45)
    assert treatment in p.summary() and p.to_dict()["treatment"] == treatment


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["mdma_at", "ketamine_iv", "psilocybin_at", "placebo_therapy"]),
    st.floats(1, 80, allow_nan=False),
    st.floats(0.5, 0.95),
)
def test_prior_properties(treatment: str, baseline: float, level: float) -> None:
    p = prior_outcome(treatment, baseline, level=level)
    assert p.interval is not None and p.expected_pcl5 is not None
    lo, hi = p.interval
    assert 0 <= lo <= p.expected_pcl5 <= hi <= 80
    assert p.expected_pcl5 <= baseline  # every sourced arm improved on average
    for prob in (p.response_probability, p.remission_probability):
        assert prob is not None and 0 <= prob <= 1
    wider = prior_outcome(treatment, baseline, level=min(level + 0.04, 0.99)).interval
    assert wider is not None and wider[0] <= lo and wider[1] >= hi
