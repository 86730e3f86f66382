"""`ptsdrx schema patient` and `ptsdrx validate`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ptsdrx.cli import app

runner = CliRunner()
EXAMPLE = Path(__file__).parents[1] / "examples" / "patients" / "veteran_hypertension.json"


def test_schema_patient_is_json_schema() -> None:
    result = runner.invoke(app, ["schema", "patient"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "PatientRecord"
    assert "demographics" in schema["properties"]


def test_schema_unknown_kind() -> None:
    result = runner.invoke(app, ["schema", "visit"])
    assert result.exit_code == 2
    assert "allowed: patient" in result.stderr


def test_validate_good_file() -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.stderr
    assert "valid" in result.stdout


def test_validate_bad_file_names_every_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "demographics": {"age": 200},
                "vitals": [{"taken_at": "2026-01-01T00:00:00", "systolic": 20, "diastolic": 10}],
            }
        )
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "demographics.age" in result.stderr
    assert "vitals.0.systolic" in result.stderr
