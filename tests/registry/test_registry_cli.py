"""The registry verbs end to end on a SQLite file: db, patient, assess, session, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.registry import Registry, schema_head

EXAMPLES = Path(__file__).parents[2] / "examples" / "patients"
runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("PTSDRX_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("PTSDRX_ACTOR", "nurse.cli")
    monkeypatch.delenv("PTSDRX_SITE_FILE", raising=False)
    return path


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_verbs_refuse_an_unmigrated_database(cli_db: Path) -> None:
    out = run("patient", "list", code=1)
    assert "ptsdrx db upgrade" in out


def test_patient_lifecycle(cli_db: Path, tmp_path: Path) -> None:
    assert "CREATE TRIGGER audit_log_no_update" in run("db", "upgrade", "--sql")
    assert not cli_db.exists() or cli_db.stat().st_size == 0  # --sql touches nothing
    assert f"revision {schema_head()}" in run("db", "upgrade")
    assert "agree" in run("db", "check")
    assert "imported 10 record(s), skipped 0" in run("patient", "import", str(EXAMPLES))
    pid = run("patient", "add", "--name", "Jane Doe", "--dob", "1980-02-03", "--mrn", "M-1")
    pid = pid.strip()
    listed = json.loads(run("patient", "list", "--json"))
    assert [p["patient_id"] for p in listed][-1] == pid
    assert "Jane" not in json.dumps(listed)
    shown = json.loads(run("patient", "show", pid, "--identifiers", "--json"))
    assert shown["identifiers"]["mrn"] == "M-1"
    assert "identifiers" not in json.loads(run("patient", "show", pid, "--json"))

    out = run(
        "assess", "ex-aud", "phq9", "--responses", "1,1,1,1,1,1,1,1,2", "--date", "2026-11-10"
    )
    assert "SAFETY phq9_item9_positive" in out and "total 10" in out
    bad = run("assess", "ex-aud", "phq9", "--responses", "1,1,1", "--date", "2026-11-10", code=1)
    assert "expected 9 item responses" in bad

    ratings = ",".join(["2"] * 20)
    caps = json.loads(
        run(
            "assess",
            "ex-aud",
            "caps5",
            "--frequency",
            ratings,
            "--intensity",
            ratings,
            "--criterion",
            "criterion_a=yes",
            "--date",
            "2026-11-12",
            "--json",
        )
    )
    assert caps["score"]["total"] == 40 and caps["administration"]["criteria"] == {
        "criterion_a": True
    }

    exported = tmp_path / "ex-aud.json"
    run("patient", "export", "ex-aud", "-o", str(exported))
    record = json.loads(exported.read_text(encoding="utf-8"))
    assert record["patient_id"] == "ex-aud" and len(record["assessments"]) == 5

    reg = Registry.connect(f"sqlite:///{cli_db}", actor="recommender")
    reg.issue_recommendation("ex-aud", model_version="tlearner-0.1", result={"ranked": ["cpt"]})
    issued = json.loads(run("patient", "recommendations", "ex-aud", "--json"))
    assert issued[0]["result"] == {"ranked": ["cpt"]} and issued[0]["issued_by"] == "recommender"
    assert "model tlearner-0.1" in run("patient", "recommendations", "ex-aud")

    everyone = tmp_path / "all.jsonl"
    assert "wrote 11 record(s)" in run("patient", "export", "--all", "-o", str(everyone))
    assert len(everyone.read_text(encoding="utf-8").splitlines()) == 11
    run("patient", "export", code=2)

    trail = json.loads(run("audit", "ex-aud", "--json"))
    assert {(e["action"], e["entity"]) for e in trail} >= {
        ("create", "patient"),
        ("read", "patient_list"),
        ("create", "assessment"),
        ("export", "record"),
    }
    assert {e["actor"] for e in trail} == {"nurse.cli", "recommender"}


def test_import_rejects_a_bad_batch(cli_db: Path, tmp_path: Path) -> None:
    run("db", "upgrade")
    src = tmp_path / "b.jsonl"
    src.write_text('{"patient_id": "a"}\n{"patient_id": "b", "as_of": "nope"}\n', encoding="utf-8")
    out = run("patient", "import", str(src), code=1)
    assert f"{src}:2: as_of:" in out and "nothing was imported" in out
    assert json.loads(run("patient", "list", "--json")) == []
    out = run("patient", "import", str(src), "--skip-invalid")
    assert "imported 1 record(s), skipped 1" in out and f"{src}:2: as_of:" in out


def test_session_verbs(cli_db: Path) -> None:
    run("db", "upgrade")
    run("patient", "add", "--id", "s1")
    assert "episode 1: esketamine" in run(
        "episode", "start", "s1", "--treatment", "esketamine", "--start", "2026-01-05"
    )
    start = ["--treatment", "esketamine", "--start", "2026-01-05T09:00", "--staff", "rn.a"]
    out = run("session", "start", "s1", *start, "--episode", "1")
    assert out.startswith("session 1 started")
    out = run("session", "vitals", "1", "--at", "2026-01-05T09:00", "--bp", "152/88", "--hr", "80")
    assert "predose_bp_above_140_90" in out and "SPRAVATO" in out
    run("session", "dose", "1", "--route", "intranasal", "--mg", "56", "--at", "2026-01-05T09:05")
    out = run("session", "close", "1", "--end", "2026-01-05T09:30", code=1)
    assert "cannot be closed as complete" in out and "observation_2h" in out
    run("session", "vitals", "1", "--at", "2026-01-05T09:45", "--bp", "150/90", "--cadss", "12")
    run(
        "session",
        "ae",
        "1",
        "--term",
        "nausea",
        "--severity",
        "mild",
        "--onset",
        "2026-01-05T09:50",
    )
    done = json.loads(run("session", "close", "1", "--end", "2026-01-05T11:10", "--json"))
    assert done["session"]["status"] == "complete" and done["can_close"]
    assert "--bp must look like" in run("session", "vitals", "1", "--bp", "150", code=2)
    ended = run("episode", "end", "1", "--status", "completed", "--end", "2026-01-05")
    assert "(completed)" in ended
    assert json.loads(run("episode", "list", "s1", "--json"))[0]["status"] == "completed"


def test_site_file_sets_session_thresholds(
    cli_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(
        "session_rules:\n"
        "  overrides:\n"
        "    predose_bp_above_140_90:\n"
        "      limits: {systolic: {above: 130}, diastolic: {above: 85}}\n",
        encoding="utf-8",
    )
    run("db", "upgrade")
    run("patient", "add", "--id", "s1")
    run("session", "start", "s1", "--treatment", "esketamine", "--start", "2026-01-05T09:00")
    at = ["--at", "2026-01-05T09:00", "--bp", "135/80"]
    assert "predose_bp_above_140_90" not in run("session", "vitals", "1", *at)
    monkeypatch.setenv("PTSDRX_SITE_FILE", str(site))
    assert "predose_bp_above_140_90" in run("session", "vitals", "1", *at)
