"""`ptsdrx train` and `ptsdrx validate-model` on small simulated cohorts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.cohort import simulate
from ptsdrx.response import DEFAULT_POLICY

runner = CliRunner()
ARMS = ["cpt", "sertraline", "mdma_at"]


def test_train_then_validate_on_held_out(tmp_path: Path) -> None:
    simulate(600, arms=ARMS, random_state=1).to_parquet(tmp_path / "train.parquet")
    simulate(400, arms=ARMS, random_state=2).to_parquet(tmp_path / "test.parquet")
    model = tmp_path / "model"
    trained = runner.invoke(
        app, ["train", str(tmp_path / "train.parquet"), "--out", str(model), "--fast"]
    )
    assert trained.exit_code == 0, trained.output
    manifest = json.loads(next(model.glob("*.json")).read_text())
    assert sorted(map(str, manifest["arms"])) == sorted(ARMS)
    report, figure = tmp_path / "v.html", tmp_path / "policies.png"
    checked = runner.invoke(
        app,
        ["validate-model", str(model), str(tmp_path / "test.parquet"), "--report", str(report),
         "--policy-figure", str(figure)],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert checked.exit_code == 0, checked.output
    assert "truth: sqrt(PEHE)" in checked.output  # simulated truth was found and used
    assert report.read_text().lstrip().lower().startswith("<!doctype html")
    # the policy comparison, as the demo prints it: one row per policy, the default named
    table = checked.output[checked.output.index("Treatment policies") :]
    for policy in ("argmax", "shrink", "lcb", "switch", "one_size", "random", "oracle"):
        assert f" {policy} " in table or f" {policy} (default) " in table
    assert f" {DEFAULT_POLICY} (default) " in table
    assert "-0.000" not in table and "true regret" in table
    assert figure.read_bytes().startswith(b"\x89PNG")
    assert "Treatment policies" in report.read_text()
    again = runner.invoke(
        app, ["train", str(tmp_path / "train.parquet"), "--out", str(model), "--fast"]
    )
    assert again.exit_code == 2 and "--overwrite" in again.output


def test_missing_outcome_column_is_named(tmp_path: Path) -> None:
    simulate(50, arms=ARMS, random_state=1).to_parquet(tmp_path / "c.parquet")
    result = runner.invoke(
        app, ["train", str(tmp_path / "c.parquet"), "--out", str(tmp_path / "m"), "--outcome", "x"]
    )
    assert result.exit_code == 2
    assert "no column 'x'" in result.output
