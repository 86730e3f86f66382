"""``ptsdrx simulate`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from ptsdrx.cli import app

runner = CliRunner()


def test_simulate_writes_parquet(tmp_path: Path) -> None:
    out = tmp_path / "cohort.parquet"
    result = runner.invoke(app, ["simulate", "--n", "300", "--seed", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    df = pd.read_parquet(out)
    assert len(df) == 300 and "mu_pcl5_w12__mdma_at" in df.columns
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_simulate_observational_subset_csv(tmp_path: Path) -> None:
    out = tmp_path / "cohort.csv"
    args = ["simulate", "--n", "200", "--design", "observational", "--arms", "cpt,pe"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(out)["arm"]) <= {"cpt", "pe"}


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    cases = [
        (["--n", "10", "--out", str(tmp_path / "x.txt")], "--out must end in .parquet"),
        (["--n", "10", "--design", "x", "--out", str(tmp_path / "x.parquet")], "--design"),
        (["--n", "10", "--arms", "lsd", "--out", str(tmp_path / "x.parquet")], "unknown arm"),
        (["--n", "10"], "give --n N and --out"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["simulate", *args])
        assert result.exit_code == 2
        assert message in result.output
    assert not list(tmp_path.iterdir())


def test_calibration_report_json_and_plot(tmp_path: Path) -> None:
    png = tmp_path / "calibration.png"
    args = ["simulate", "--calibration-report", "--json", "--n-per-trial", "2000"]
    result = runner.invoke(app, [*args, "--plot", str(png)])
    data = json.loads(result.output)
    assert result.exit_code == (0 if data["passed"] else 1)
    assert len(data["rows"]) >= 20 and png.exists()
