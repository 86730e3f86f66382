"""``ptsdrx timeline`` from a record file and from the registry."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.monitoring import Dose, DosingSession, SessionVitals
from ptsdrx.records import PatientRecord

RECORD = {
    "patient_id": "cli-1",
    "as_of": "2026-04-20",
    "assessments": [
        {"instrument": "pcl5", "date": "2026-01-05", "total": 54},
        {"instrument": "pcl5", "date": "2026-01-19", "total": 30},
        {"instrument": "pcl5", "date": "2026-03-30", "total": 45},
    ],
}
START = datetime(2026, 1, 7, 9, 0)
SESSION = DosingSession(
    phase="dosing",
    treatment="ketamine_iv",
    start=START,
    end=START + timedelta(hours=3),
    status="complete",
    doses=(Dose(given_at=START + timedelta(minutes=10), mg_per_kg=0.5, route="iv"),),
)

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    rec = tmp_path / "p.json"
    rec.write_text(json.dumps(RECORD), encoding="utf-8")
    ses = tmp_path / "s.json"
    ses.write_text(json.dumps([SESSION.model_dump(mode="json")]), encoding="utf-8")
    return rec, ses


def test_timeline_from_file_with_plot(files: tuple[Path, Path], tmp_path: Path) -> None:
    rec, ses = files
    png = tmp_path / "t.png"
    result = runner.invoke(app, ["timeline", str(rec), "--sessions", str(ses), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert "relapse on 2026-03-30 (return_above_cutpoint" in result.output
    assert "[booster_review]" in result.output and "1 dosing" in result.output
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_timeline_json(files: tuple[Path, Path]) -> None:
    rec, _ = files
    result = runner.invoke(app, ["timeline", str(rec), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["trajectory"]["first_remission"] == "2026-01-19"
    assert payload["trajectory"]["relapse"]["criterion"] == "return_above_cutpoint"


def test_timeline_errors_name_the_problem(files: tuple[Path, Path], tmp_path: Path) -> None:
    rec, _ = files
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"phase": "dosing", "treatment": "lsd", "start": "x"}]), "utf-8")
    result = runner.invoke(app, ["timeline", str(rec), "--sessions", str(bad)])
    assert result.exit_code == 1 and "0.treatment" in result.output
    result = runner.invoke(app, ["timeline", str(rec), "--since", "March"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
    result = runner.invoke(app, ["timeline", str(tmp_path / "missing.json")])
    assert result.exit_code == 1 and "no such file" in result.output


def test_timeline_from_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ptsdrx.registry import Registry, SessionStore

    url = f"sqlite:///{tmp_path / 'reg.db'}"
    monkeypatch.setenv("PTSDRX_DATABASE_URL", url)
    reg = Registry.connect(url, actor="test")
    reg.upgrade()
    pid = reg.add_patient(PatientRecord.model_validate({**RECORD, "patient_id": None}))
    store = SessionStore(reg)
    opened = SESSION.model_copy(update={"status": "open", "end": None})
    store.start(pid, opened)
    result = runner.invoke(app, ["timeline", pid, "--actor", "dr.test"])
    assert result.exit_code == 0, result.output
    assert "sessions: 1 (1 dosing)" in result.output and "relapse on 2026-03-30" in result.output
    assert any(e.actor == "dr.test" for e in reg.audit_trail(pid))
    missing = runner.invoke(app, ["timeline", "no-such-patient", "--actor", "dr.test"])
    assert missing.exit_code == 1 and "error:" in missing.output


def test_relapse_from_table(tmp_path: Path) -> None:
    km = Path(__file__).parent / "reference" / "km_small.csv"
    png = tmp_path / "km.png"
    result = runner.invoke(app, ["relapse", "--table", str(km), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert "median days=30.0" in result.output and "Cox model (reference B" in result.output
    assert png.read_bytes()[:4] == b"\x89PNG"
    bad = tmp_path / "bad.csv"
    bad.write_text("treatment,days\nA,3\n", encoding="utf-8")
    result = runner.invoke(app, ["relapse", "--table", str(bad)])
    assert result.exit_code == 1 and "lacks columns ['relapsed']" in result.output


def test_relapse_across_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ptsdrx.registry import Registry, SessionStore

    url = f"sqlite:///{tmp_path / 'reg.db'}"
    monkeypatch.setenv("PTSDRX_DATABASE_URL", url)
    reg = Registry.connect(url, actor="test")
    reg.upgrade()
    store = SessionStore(reg)
    courses = {
        "psilocybin_at": [[54, 30, 45], [50, 25, 24], [60, 58, 59]],  # relapse, censored, never
        "mdma_at": [[52, 20, 22], [48, 30, 50]],  # censored, relapse (Feb 5 -> Mar 5: 28 days)
    }
    for treatment, trajectories in courses.items():
        for totals in trajectories:
            rec = PatientRecord.model_validate(
                {
                    "assessments": [
                        {"instrument": "pcl5", "date": f"2026-0{i + 1}-05", "total": t}
                        for i, t in enumerate(totals)
                    ]
                }
            )
            pid = reg.add_patient(rec)
            begin = datetime(2026, 1, 6, 9)
            dosing = DosingSession(
                phase="dosing",
                treatment=treatment,  # type: ignore[arg-type]
                start=begin,
                doses=(Dose(given_at=begin + timedelta(minutes=5), amount_mg=25, route="oral"),),
                vitals=(
                    SessionVitals(
                        taken_at=begin,
                        systolic=120,
                        diastolic=75,
                        heart_rate=70,
                        temperature_c=36.7,
                    ),
                ),
            )
            sid = store.start(pid, dosing).session.session_id
            assert sid is not None
            store.close(sid, begin + timedelta(hours=7))
    from ptsdrx.registry import start_episode

    rec = PatientRecord.model_validate(
        {
            "assessments": [
                {"instrument": "pcl5", "date": f"2026-0{i + 1}-05", "total": t}
                for i, t in enumerate([50, 30, 28])
            ]
        }
    )
    start_episode(reg, reg.add_patient(rec), "sertraline", datetime(2026, 1, 5).date())
    result = runner.invoke(app, ["relapse", "--json", "--actor", "dr.test"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["per_treatment"]["psilocybin_at"] == {"n": 2, "relapses": 1, "median_days": 28.0}
    assert payload["per_treatment"]["sertraline"] == {"n": 1, "relapses": 0, "median_days": None}
