"""Random-effects pooling checked against a hand computation (reference CSV) and by property."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptsdrx.evidence import get_trial, pool_random_effects, synthesize
from ptsdrx.treatments import TREATMENT_IDS

REFERENCE = Path(__file__).parent / "reference" / "dersimonian_laird_worked.csv"


def _cases() -> list[dict[str, str]]:
    lines = [ln for ln in REFERENCE.read_text(encoding="utf-8").splitlines() if ln[:1] != "#"]
    return list(csv.DictReader(lines))


def _floats(cell: str) -> list[float]:
    return [float(x) for x in cell.split(";")]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["case"])
def test_pooling_matches_hand_computation(case: dict[str, str]) -> None:
    r = pool_random_effects(_floats(case["effects"]), _floats(case["variances"]))
    for key in ("tau2", "i2", "q", "estimate", "ci_low", "ci_high"):
        assert r[key] == pytest.approx(float(case[key]), abs=1e-8), key
    assert sum(r["weights"]) == pytest.approx(1.0)


def test_mdma_synthesis_matches_the_worked_mapp_row() -> None:
    (case,) = [c for c in _cases() if c["case"] == "mapp1_mapp2"]
    pooled = synthesize("mdma_at").primary
    assert pooled is not None and pooled.method == "random_effects_dl"
    assert pooled.trials == ("mapp1", "mapp2") and pooled.k == 2
    assert pooled.estimate == pytest.approx(float(case["estimate"]), abs=1e-8)
    assert pooled.ci_low == pytest.approx(float(case["ci_low"]), abs=1e-8)
    assert pooled.tau2 == 0.0 and pooled.i2 == 0.0
    assert pooled.ci_excludes_zero is True


def test_mapp1_reported_d_agrees_with_its_arm_data() -> None:
    # Cohen's d from the MAPP1 arms (pooled SD) should reproduce the published 0.91.
    mdma, placebo = (get_trial("mapp1").arm(a)[0] for a in ("mdma_at", "placebo_therapy"))
    n1, n2 = mdma.n_analysed, placebo.n_analysed
    assert n1 and n2 and mdma.change_sd and placebo.change_sd
    assert mdma.change_mean is not None and placebo.change_mean is not None
    sd = math.sqrt(((n1 - 1) * mdma.change_sd**2 + (n2 - 1) * placebo.change_sd**2) / (n1 + n2 - 2))
    assert (placebo.change_mean - mdma.change_mean) / sd == pytest.approx(0.91, abs=0.01)


def test_ketamine_headline_is_the_meta_analysis_not_the_small_rct() -> None:
    s = synthesize("ketamine_iv")
    assert s.primary is not None and s.primary.method == "published"
    assert s.primary.trials == ("ketamine_meta2024",) and s.primary.estimate == 0.27
    assert [p.method for p in s.pooled] == ["single_study"]  # Feder 2021 alone
    reasons = {n.trial: n.reason for n in s.not_pooled}
    assert reasons["abdallah2022"] == "no between-group SMD reported"
    assert reasons["osmind_ketamine"] == "not randomised"


def test_unverified_effects_never_become_the_headline_when_verified_exist() -> None:
    s = synthesize("cpt")
    assert s.primary is not None and s.primary.trials == ("asmundson2019_cpt",)
    assert any(p.verification == "U" for p in s.published)  # Cusack SMD kept, tagged


def test_indirect_and_unpoolable_rows_are_listed_with_reasons() -> None:
    s = synthesize("psilocybin_at")
    assert s.primary is None and s.pooled == () and s.published == ()
    assert {n.trial: n.reason for n in s.not_pooled} == {
        "mcgowan2025": "not randomised",
        "goodwin2022": "indirect (depression)",
        "raison2023": "indirect (depression)",
    }


@pytest.mark.parametrize("treatment", TREATMENT_IDS)
def test_every_treatment_synthesises_and_renders(treatment: str) -> None:
    s = synthesize(treatment)
    assert treatment in s.summary()
    d = s.to_dict()
    assert d["treatment"] == treatment and "primary" in d


def test_pooling_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="at least two"):
        pool_random_effects([0.5], [0.1])
    with pytest.raises(ValueError, match="positive and finite"):
        pool_random_effects([0.5, 0.6], [0.1, 0.0])
    with pytest.raises(KeyError, match="allowed"):
        synthesize("lsd")


def _hand_dl(y: list[float], v: list[float]) -> tuple[float, float]:
    w = [1 / x for x in v]
    fe = sum(a * b for a, b in zip(w, y, strict=True)) / sum(w)
    q = sum(a * (b - fe) ** 2 for a, b in zip(w, y, strict=True))
    c = sum(w) - sum(a * a for a in w) / sum(w)
    tau2 = max(0.0, (q - (len(y) - 1)) / c)
    ws = [1 / (x + tau2) for x in v]
    return sum(a * b for a, b in zip(ws, y, strict=True)) / sum(ws), tau2


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-2, 3, allow_nan=False), st.floats(0.005, 0.5, allow_nan=False)),
        min_size=2,
        max_size=8,
    )
)
def test_pooling_equals_hand_dl_and_stays_in_range(pairs: list[tuple[float, float]]) -> None:
    y, v = [p[0] for p in pairs], [p[1] for p in pairs]
    r = pool_random_effects(y, v)
    estimate, tau2 = _hand_dl(y, v)
    assert r["estimate"] == pytest.approx(estimate, abs=1e-9)
    assert r["tau2"] == pytest.approx(tau2, abs=1e-9) and r["tau2"] >= 0
    assert 0 <= r["i2"] < 1
    assert min(y) - 1e-9 <= r["estimate"] <= max(y) + 1e-9
    assert r["ci_low"] <= r["estimate"] <= r["ci_high"]
