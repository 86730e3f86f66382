"""``ptsdrx treatments`` and ``ptsdrx evidence`` on the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.treatments import TREATMENT_IDS

runner = CliRunner()


def test_treatments_json_for_a_jurisdiction() -> None:
    result = runner.invoke(app, ["treatments", "--jurisdiction", "US-OR", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["id"] for d in data] == list(TREATMENT_IDS)
    by_id = {d["id"]: d for d in data}
    assert by_id["psilocybin_at"]["availability"]["status"] == "state_program"
    assert by_id["ibogaine"]["investigational"] is True


def test_treatments_table() -> None:
    result = runner.invoke(app, ["treatments"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "mdma_at" in result.stdout and "US-CO" in result.stdout


def test_treatments_bad_jurisdiction() -> None:
    result = runner.invoke(app, ["treatments", "--jurisdiction", "usa"])
    assert result.exit_code == 2
    assert "ISO 3166" in result.stderr


def test_evidence_json_for_ketamine() -> None:
    result = runner.invoke(app, ["evidence", "ketamine_iv", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["ketamine_iv"]
    assert data["grade"]["grade"] == "mixed"
    assert data["synthesis"]["primary"]["estimate"] == 0.27
    assert data["prior"]["treatment"] == "ketamine_iv"
    assert {t["id"] for t in data["trials"]} >= {"feder2021", "abdallah2022"}


def test_evidence_text_for_mdma_and_overview() -> None:
    one = runner.invoke(app, ["evidence", "mdma_at"])
    assert one.exit_code == 0
    # issue 12: down one level for functional unblinding (risk of bias)
    assert "evidence moderate" in one.stdout and "2024-08-09" in one.stdout
    assert "Cold-start prior" in one.stdout
    overview = runner.invoke(app, ["evidence"])
    assert overview.exit_code == 0 and "mixed" in overview.stdout


def test_evidence_refuses_unknown_treatment_and_baseline() -> None:
    bad = runner.invoke(app, ["evidence", "lsd"])
    assert bad.exit_code == 2 and "allowed: mdma_at" in bad.stderr
    bad = runner.invoke(app, ["evidence", "mdma_at", "--baseline-pcl5", "90"])
    assert bad.exit_code == 2 and "between 0 and 80" in bad.stderr
