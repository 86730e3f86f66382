"""The research export end to end: tables, dictionary, k-anonymity, audit, suppression, and a
model trained and validated on it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.registry import Registry
from ptsdrx.research import TABLES, export_research, pseudonym

SECRET = b"research-secret-for-tests-0123456789"


def test_tables_dictionary_report_and_audit(
    registry: Registry, populated: Callable[[int], list[str]], tmp_path: Path
) -> None:
    ids = populated(24)
    out = tmp_path / "export"
    result = export_research(registry, out, secret=SECRET)
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(
        [f"{t}.parquet" for t in TABLES] + ["data_dictionary.csv", "report.json"]
    )
    patients = pd.read_parquet(out / "patients.parquet")
    assert sorted(patients["pseudonym"]) == sorted(pseudonym(SECRET, p) for p in ids)
    assert set(patients["zip3"]) <= {"972", "803", "000", "100", "606"}
    assert (patients.loc[patients["zip3"] == "000"].shape[0]) == 8  # 03601 and 69201, 4 each
    assert set(patients["record_date"]) <= set(range(2000, 2100))  # years only
    dictionary = pd.read_csv(out / "data_dictionary.csv")
    for t in TABLES:
        cols = list(pd.read_parquet(out / f"{t}.parquet").columns)
        assert cols == list(dictionary.loc[dictionary["table"] == t, "column"])
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    assert len(outcomes) == 24 and set(outcomes["arm"]) <= {"paroxetine", "pe"}
    report = json.loads((out / "report.json").read_text())
    assert report["anonymity"]["k"] == result.after.k >= 1  # type: ignore[union-attr]
    assert report["patients"] == 24 and "secret" not in json.dumps(report)
    for pid in ids:
        entries = [e for e in registry.audit_trail(pid) if e.action == "export"]
        assert [(e.entity, e.actor) for e in entries] == [("research", "dr.research")]


def test_suppression_reaches_k_and_removes_every_row(
    registry: Registry, populated: Callable[[int], list[str]], tmp_path: Path
) -> None:
    from datetime import date

    from ptsdrx.records import Consent, Demographics, PatientRecord, TraumaHistory
    from ptsdrx.registry import Identifiers

    populated(20)
    twins = []
    for i in range(3):  # one equivalence class of three: kept at k = 2
        rec = PatientRecord(
            as_of=date(2026, 1, 5),
            demographics=Demographics(age=41 + i, sex="female"),
            trauma=TraumaHistory(years_since_trauma=6, index_trauma_type="accident"),
            consent=Consent(research_use=True),
        )
        twins.append(registry.add_patient(rec, Identifiers(postal_code="97201")))
    result = export_research(registry, tmp_path / "k", secret=SECRET, k=2)
    assert result.before is not None and result.before.k == 1
    assert result.after is not None and result.after.k >= 2
    kept = set(pd.read_parquet(tmp_path / "k" / "patients.parquet")["pseudonym"])
    assert {pseudonym(SECRET, p) for p in twins} <= kept
    assert len(kept) == 23 - result.suppressed == result.patients
    for t in TABLES:
        frame = pd.read_parquet(tmp_path / "k" / f"{t}.parquet")
        if "pseudonym" in frame.columns:
            assert set(frame["pseudonym"]) <= kept
    n_outcomes = len(pd.read_parquet(tmp_path / "k" / "outcomes.parquet"))
    assert n_outcomes == len(kept - {pseudonym(SECRET, p) for p in twins})
    suppressed_ids = [
        e.patient_id for p in twins for e in registry.audit_trail(p) if e.action == "export"
    ]
    assert len(suppressed_ids) == 3  # only exported patients are audited as exported


def test_shifted_dates_keep_intervals_and_the_key_stays_outside(
    registry: Registry, populated: Callable[[int], list[str]], tmp_path: Path
) -> None:
    populated(6)
    key = tmp_path / "keys" / "offsets.json"
    with pytest.raises(ValueError, match="outside"):
        export_research(
            registry,
            tmp_path / "s",
            secret=SECRET,
            dates="shift",
            key_file=tmp_path / "s" / "k.json",
        )
    export_research(registry, tmp_path / "s", secret=SECRET, dates="shift", key_file=key)
    offsets = json.loads(key.read_text())["offset_days"]
    assert len(offsets) == 6 and all(-365 <= v <= 365 for v in offsets.values())
    a = pd.read_parquet(tmp_path / "s" / "assessments.parquet")
    pcl5 = a[a["instrument"] == "pcl5"].groupby("pseudonym")["date"].agg(["min", "max"])
    assert ((pd.to_datetime(pcl5["max"]) - pd.to_datetime(pcl5["min"])).dt.days == 84).all()
    assert not any(p.name == key.name for p in (tmp_path / "s").iterdir())


def test_consent_is_required_by_default(registry: Registry, tmp_path: Path) -> None:
    from ptsdrx.records import Consent, PatientRecord

    registry.add_patient(PatientRecord(patient_id="p-no", consent=Consent(research_use=False)))
    registry.add_patient(PatientRecord(patient_id="p-yes", consent=Consent(research_use=True)))
    assert export_research(registry, tmp_path / "c", secret=SECRET).patients == 1
    everyone = export_research(
        registry, tmp_path / "c", secret=SECRET, require_consent=False, overwrite=True
    )
    assert everyone.patients == 2


def test_trains_and_validates_a_model_end_to_end(
    registry: Registry,
    populated: Callable[[int], list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    populated(80)
    monkeypatch.setenv("PTSDRX_DATABASE_URL", str(registry.engine.url))
    monkeypatch.setenv("PTSDRX_RESEARCH_SECRET", SECRET.decode())
    runner = CliRunner()
    out = tmp_path / "research"
    done = runner.invoke(app, ["export", "research", str(out), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["patients"] == 80
    cohort = out / "outcomes.parquet"
    trained = runner.invoke(app, ["train", str(cohort), "--out", str(tmp_path / "m"), "--fast"])
    assert trained.exit_code == 0, trained.output
    checked = runner.invoke(app, ["validate-model", str(tmp_path / "m"), str(cohort)])
    assert checked.exit_code == 0, checked.output


def test_cli_refuses_a_missing_secret(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PTSDRX_DATABASE_URL", str(registry.engine.url))
    monkeypatch.delenv("PTSDRX_RESEARCH_SECRET", raising=False)
    r = CliRunner().invoke(app, ["export", "research", str(tmp_path / "x")])
    assert r.exit_code == 2 and "secret" in r.output
