"""``--scorer compact``: distilled once, gated on held-out fidelity, refused when stale."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ptsdrx.batch import GATE, check_fidelity, distill, score_batch, write_source


@pytest.fixture(scope="module")
def source(cohort: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ptsdrx.cohort._record import row_to_record

    records = [
        row_to_record(row).model_copy(update={"patient_id": f"sim-{i:05d}"})
        for i, row in enumerate(cohort.head(1200).to_dict("records"))
    ]
    path = tmp_path_factory.mktemp("compact-src") / "source.parquet"
    write_source(records, path, row_group_size=400)
    return path


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A larger draw of the same population to distil on (the rows to be scored, in use)."""
    from tests.batch.conftest import ARMS

    from ptsdrx.cohort import simulate
    from ptsdrx.cohort._record import row_to_record

    df = simulate(8000, design="randomized", arms=ARMS, random_state=12)
    records = [
        row_to_record(row).model_copy(update={"patient_id": f"pop-{i:05d}"})
        for i, row in enumerate(df.to_dict("records"))
    ]
    path = tmp_path_factory.mktemp("compact-pop") / "population.parquet"
    write_source(records, path, row_group_size=2000)
    return path


@pytest.fixture(scope="module")
def distilled(model_dir: Path, population: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the model directory with a distilled scorer beside the model."""
    from ptsdrx.cli import app

    root = tmp_path_factory.mktemp("distilled") / "model"
    shutil.copytree(model_dir, root)
    result = CliRunner().invoke(app, ["distill", str(root), "--source", str(population)])
    assert result.exit_code == 0, result.output
    assert "passes" in result.output
    return root


def test_the_gate_is_pinned_just_inside_and_just_outside() -> None:
    rmse, agree = GATE["outcome_rmse"], GATE["best_arm_agreement"]
    assert check_fidelity({"outcome_rmse": rmse, "best_arm_agreement": agree}).passed
    over = check_fidelity({"outcome_rmse": rmse + 1e-9, "best_arm_agreement": agree})
    assert not over.passed and "outcome RMSE" in over.failures[0]
    under = check_fidelity({"outcome_rmse": rmse, "best_arm_agreement": agree - 1e-9})
    assert not under.passed and "best-arm agreement" in under.failures[0]
    assert not check_fidelity({}).passed  # unknown fidelity never passes


def test_compact_batch_agrees_with_the_exact_batch(
    distilled: Path, source: Path, tmp_path: Path
) -> None:
    exact = score_batch(source, tmp_path / "exact", distilled, chunk=400)
    compact = score_batch(source, tmp_path / "compact", distilled, chunk=400, scorer="compact")
    assert exact.rows == compact.rows == 1200
    a = pq.read_table(tmp_path / "exact").to_pandas().sort_values("patient_id")
    b = pq.read_table(tmp_path / "compact").to_pandas().sort_values("patient_id")
    assert set(a["scorer"]) == {"exact"} and set(b["scorer"]) == {"compact"}
    assert "compact sha256:" in b["model_version"].iloc[0]
    preds = [c for c in a.columns if c.startswith("pred.")]
    diff = a[preds].to_numpy() - b[preds].to_numpy()
    assert float(np.sqrt(np.mean(diff**2))) <= GATE["outcome_rmse"]
    # the screening and the model's own support check are not distilled
    screens = [c for c in a.columns if c.startswith("screen.")]
    assert (a[screens].to_numpy() == b[screens].to_numpy()).all()
    assert (a["in_support"].to_numpy() == b["in_support"].to_numpy()).all()
    assert float((a["first_option"].to_numpy() == b["first_option"].to_numpy()).mean()) >= 0.9


def test_a_scorer_from_another_model_or_below_the_gate_is_refused(
    distilled: Path, source: Path, tmp_path: Path
) -> None:
    from ptsdrx.batch._run import read_features
    from ptsdrx.response import ModelLoadError, load_model

    bare = tmp_path / "bare"
    shutil.copytree(distilled, bare)
    shutil.rmtree(bare / "outcome" / "compact")
    with pytest.raises(FileNotFoundError, match="ptsdrx distill"):
        score_batch(source, tmp_path / "o1", bare, scorer="compact")

    stale = tmp_path / "stale"
    shutil.copytree(distilled, stale)
    with (stale / "outcome" / "model.skops").open("ab") as fh:
        fh.write(b"\0")  # another model now
    with pytest.raises(ModelLoadError, match="distilled from another model"):
        score_batch(source, tmp_path / "o2", stale, scorer="compact")

    weak = tmp_path / "weak"
    shutil.copytree(distilled, weak)
    names = [str(c) for c in load_model(weak / "outcome").feature_names_in_]
    from ptsdrx.batch import plan_partitions

    X = read_features(plan_partitions(source, 400), names, 400)
    _, fidelity = distill(weak / "outcome", X, n_trees=1, depth=1, learning_rate=0.01)
    assert not fidelity.passed
    with pytest.raises(ValueError, match="fails the fidelity gate"):
        score_batch(source, tmp_path / "o3", weak, scorer="compact")
    with pytest.raises(ValueError, match="scorer must be"):
        score_batch(source, tmp_path / "o4", distilled, scorer="fast")


def test_the_cli_names_what_is_wrong(distilled: Path, source: Path, tmp_path: Path) -> None:
    from ptsdrx.cli import app

    runner = CliRunner()
    r = runner.invoke(
        app,
        ["score-batch", str(source), "--model", str(distilled), "--out", str(tmp_path / "x"),
         "--scorer", "fastest"],
    )  # fmt: skip
    assert r.exit_code == 2 and "--scorer must be exact or compact" in r.output
    r = runner.invoke(app, ["distill", str(tmp_path), "--source", str(source)])
    assert r.exit_code == 2 and "holds no model" in r.output
    r = runner.invoke(
        app,
        ["score-batch", str(source), "--model", str(distilled), "--out", str(tmp_path / "y"),
         "--scorer", "compact", "--chunk", "600"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert pq.read_table(tmp_path / "y").num_rows == 1200
