"""The demo's held-out policy comparison (``ptsdrx.demo``) and how the CLI prints it."""

from __future__ import annotations

import math
from typing import Any

import pytest
from rich.console import Console

from ptsdrx.commands._common import policy_table
from ptsdrx.demo import DemoPolicy, DemoResult, demo_metrics

ARMS = ["cpt", "sertraline", "mdma_at"]


@pytest.fixture(scope="module")
def held_out() -> tuple[dict[str, float], str, tuple[DemoPolicy, ...]]:
    """``demo_metrics`` of a small fast model on a fresh simulated held-out cohort."""
    from ptsdrx.cohort import simulate
    from ptsdrx.features import from_cohort
    from ptsdrx.response import TreatmentResponseModel

    def cohort(n: int, seed: int) -> Any:
        df = simulate(n, design="randomized", arms=ARMS, random_state=seed)
        return df[df["pcl5_w12"].notna()].reset_index(drop=True)

    train, test = cohort(900, 3), cohort(400, 4)
    model = TreatmentResponseModel(fast=True, n_folds=2, random_state=0).fit(
        train["pcl5_w12"], train["arm"], X=from_cohort(train)
    )
    return demo_metrics(model, None, test, from_cohort(test))


def _row(policy: str, gain: float, lo: float, hi: float) -> DemoPolicy:
    return DemoPolicy(policy, 30.0, 29.0, 31.0, gain, lo, hi, 0.0, 30.0, 0.0)


def _printed(rows: list[DemoPolicy], default: str) -> str:
    console = Console(record=True, width=200)
    console.print(policy_table(rows, default, "policies"))
    return console.export_text()


def test_demo_compares_every_policy_with_the_default_named(
    held_out: tuple[dict[str, float], str, tuple[DemoPolicy, ...]],
) -> None:
    from ptsdrx.response import DEFAULT_POLICY, POLICIES

    metrics, default, rows = held_out
    by_name = {r.policy: r for r in rows}
    assert default == DEFAULT_POLICY
    assert set(by_name) == {*POLICIES, "random", "oracle"}  # oracle: the simulator's truth
    assert by_name["one_size"].gain_vs_one_size == 0.0
    assert by_name["oracle"].true_regret == pytest.approx(0.0, abs=1e-9)
    assert all(r.true_regret is not None and r.true_regret > -1e-9 for r in rows)
    assert by_name["random"].true_regret > by_name["oracle"].true_regret
    assert all(
        r.lo <= r.value <= r.hi and r.gain_lo <= r.gain_vs_one_size <= r.gain_hi for r in rows
    )
    # a stored zero is never negative zero (it would print as "-0")
    zeros = [v for v in metrics.values() if v == 0] + [
        by_name["one_size"].gain_vs_one_size,
        by_name["oracle"].true_regret,
    ]
    assert zeros and all(math.copysign(1.0, v) > 0 for v in zeros)
    assert f"{default} (default)" in _printed(list(rows), default)


def test_gains_print_signed_and_never_as_negative_zero() -> None:
    text = _printed(
        [_row("switch", -1e-6, -0.0004, 0.25), _row("argmax", -0.5, -0.9, -0.1)], "switch"
    )
    assert "switch (default)" in text and "argmax (default)" not in text
    assert "+0.000 [+0.000, +0.250]" in text  # tiny negatives round to an unsigned zero
    assert "-0.500 [-0.900, -0.100]" in text  # a real loss keeps its sign
    assert "-0.000" not in text
    result = DemoResult(
        out="o", model_dir="m", formats=("json",), patients=(), default_policy="switch",
        metrics={"gain_vs_one_size": -0.0, "policy_gain": 0.1234, "regret": 0.2},
        policies=(_row("switch", 0.0, -0.1, 0.1),),
    )  # fmt: skip
    assert result.metrics_text() == "gain_vs_one_size +0.000, policy_gain +0.123, regret 0.2"
    assert result.to_dict()["policies"][0]["policy"] == "switch"  # in the JSON too
