"""``ptsdrx recommend`` and ``ptsdrx demo`` on the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.response import DEFAULT_POLICY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients"
runner = CliRunner()


def test_recommend_cli_json_table_and_report(tmp_path: Path) -> None:
    patient = EXAMPLES / "veteran_hypertension.json"
    out = runner.invoke(app, ["recommend", str(patient), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert [o["rank"] for o in data["options"]] == list(range(1, 14))
    table = runner.invoke(app, ["recommend", str(patient), "--report", str(tmp_path / "r.html")])
    assert table.exit_code == 0, table.output
    assert "Treatment options for ex-veteran-htn" in table.stdout
    assert "Decision support only" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_recommend_cli_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"demographics": {"age": 300}}', encoding="utf-8")
    out = runner.invoke(app, ["recommend", str(bad)])
    assert out.exit_code == 1
    assert "demographics.age" in out.output
    patient = EXAMPLES / "little_data.json"
    wrong = runner.invoke(app, ["recommend", str(patient), "--report", str(tmp_path / "r.txt")])
    assert wrong.exit_code == 2 and "must end in .html or .pdf" in wrong.output
    assert not (tmp_path / "r.txt").exists()
    missing = runner.invoke(app, ["recommend", str(patient), "--model", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "is not a directory" in missing.output


def test_recommend_cli_site_file(tmp_path: Path) -> None:
    # Hypertension on treatment, controlled today: a caution only for venlafaxine by default
    # (uncontrolled BP would exclude it: venlafaxine_uncontrolled_hypertension).
    data = json.loads((EXAMPLES / "veteran_hypertension.json").read_text(encoding="utf-8"))
    for reading in data["vitals"]:
        reading.update(systolic=128, diastolic=82)
    patient = tmp_path / "controlled.json"
    patient.write_text(json.dumps(data), encoding="utf-8")
    plain = json.loads(runner.invoke(app, ["recommend", str(patient), "--json"]).stdout)
    by_id = {o["treatment"]: o["status"] for o in plain["options"]}
    assert by_id["venlafaxine"] == "alternative"
    site = tmp_path / "site.yaml"
    site.write_text("site: Test clinic\nescalate: [venlafaxine_hypertension]\n", encoding="utf-8")
    out = runner.invoke(app, ["recommend", str(patient), "--json", "--site", str(site)])
    assert out.exit_code == 0, out.output
    by_id = {o["treatment"]: o["status"] for o in json.loads(out.stdout)["options"]}
    assert by_id["venlafaxine"] == "excluded"  # the site escalated the caution to exclude
    site.write_text("site: Test clinic\nescalate: [no_such_rule]\n", encoding="utf-8")
    bad = runner.invoke(app, ["recommend", str(patient), "--site", str(site)])
    assert bad.exit_code == 2 and "no_such_rule" in bad.output


def test_recommend_cli_demo_small(tmp_path: Path) -> None:
    patients = tmp_path / "patients"
    patients.mkdir()
    shutil.copy(EXAMPLES / "veteran_hypertension.json", patients)
    out_dir = tmp_path / "out"
    args = ["demo", "--out", str(out_dir), "--patients", str(patients), "--n", "600", "--no-pdf"]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    # the held-out policy comparison: every policy, the default named, gains signed, no "-0"
    for policy in ("argmax", "lcb", "switch", "one_size", "random", "oracle"):
        assert policy in result.output
    assert f"{DEFAULT_POLICY} (default)" in result.output
    words = " ".join(result.output.split())  # rich wraps long lines
    assert "gain_vs_one_size +" in words and "-0.000" not in words
    for name in ("veteran_hypertension",):
        data = json.loads((out_dir / f"{name}.json").read_text(encoding="utf-8"))
        assert data["prediction_source"] in ("model", "mixed")
        assert data["model_card"]["metrics"]["n_test"] > 0
        assert (out_dir / f"{name}.html").exists()
    card = json.loads((out_dir / "model" / "model_card.json").read_text(encoding="utf-8"))
    assert 0.6 <= card["metrics"]["coverage_90"] <= 1.0
    # the saved model is usable from the recommend verb
    again = runner.invoke(
        app,
        [
            "recommend",
            str(patients / "veteran_hypertension.json"),
            "--model",
            str(out_dir / "model"),
        ],
    )
    assert again.exit_code == 0, again.output


def test_recommend_cli_table_names_the_gating_rules() -> None:
    patient = EXAMPLES / "lithium.json"
    out = runner.invoke(app, ["recommend", str(patient)], env={"COLUMNS": "260"})
    assert out.exit_code == 0, out.output
    # excluded: the exclusion that fired, by id, with its short rationale
    assert "psilocybin_lithium: Lithium now or within the last 30 days with a classic" in out.stdout
    # needs information: the rule that could not be evaluated, and what to record
    sparse = EXAMPLES / "little_data.json"
    thin = runner.invoke(app, ["recommend", str(sparse)], env={"COLUMNS": "260"})
    assert thin.exit_code == 0, thin.output
    assert "safety_cssrs_high_risk: C-SSRS screener high risk" in thin.stdout
    assert "missing: assessments.cssrs (within 30 days)" in thin.stdout
    # the prior's basis is labelled in the table and explained below it
    assert "derived" in out.stdout and "not from a trial arm" in out.stdout
    data = json.loads(runner.invoke(app, ["recommend", str(patient), "--json"]).stdout)
    mdma = next(o for o in data["options"] if o["treatment"] == "mdma_at")
    assert any(r["id"] == "mdma_qtc_prolongation" for r in mdma["rules"])  # full trace kept


def test_recommend_cli_module_imports_no_heavy_library() -> None:
    code = (
        "import sys, ptsdrx.commands.recommend\n"
        "heavy = ('pandas', 'scipy', 'sklearn', 'lightgbm', 'sqlalchemy', 'weasyprint',"
        " 'matplotlib')\n"
        "print(','.join(h for h in heavy if h in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
