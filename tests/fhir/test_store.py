"""FHIR against the registry: all-or-nothing import, identifiers apart, audited export, CLI."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.fhir import BundleInvalidError, export_patient, import_bundle, read_bundle
from ptsdrx.monitoring import DosingSession, SessionVitals
from ptsdrx.registry import Registry
from ptsdrx.registry._sessions import SessionStore

FIXTURES = Path(__file__).parent / "fixtures"


def bundle(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _two_patients() -> dict[str, Any]:
    """The Cerner Bundle with a second patient (a copy with other ids) appended."""
    data = copy.deepcopy(bundle("cerner_transaction"))
    old, new = "1b8a4f1c0", "1b8a4f1c9"
    second = json.loads(json.dumps(data["entry"]).replace(old, new))
    second[0]["resource"]["identifier"][0]["value"] = "C-000002"
    data["entry"] += second
    return data


def test_import_stores_each_patient_with_identifiers_apart(registry: Registry) -> None:
    ids, result = import_bundle(registry, _two_patients())
    assert len(ids) == 2 and len(result.patients) == 2
    for pid, p in zip(ids, result.patients, strict=True):
        assert registry.record(pid) == p.record.model_copy(update={"patient_id": pid})
        assert registry.identifiers(pid) == p.identifiers
    created = [e for e in registry.audit_trail(ids[0]) if e.action == "create"]
    assert created and created[0].detail is not None and created[0].detail["source"] == "fhir"


def test_fixture_postal_codes_land_in_postal_code_and_export_as_zip3(
    registry: Registry, tmp_path: Path
) -> None:
    import pandas as pd

    from ptsdrx.research import export_research

    (epic,), _ = import_bundle(registry, bundle("epic_searchset"))
    (cerner,), _ = import_bundle(registry, bundle("cerner_transaction"))
    epic_ids, cerner_ids = registry.identifiers(epic), registry.identifiers(cerner)
    assert epic_ids is not None and cerner_ids is not None
    assert (epic_ids.postal_code, cerner_ids.postal_code) == ("97201", "80302")
    assert "80302" not in (cerner_ids.contact or "")
    out = tmp_path / "research"
    export_research(registry, out, secret=b"fixture-secret-0123456789", require_consent=False)
    patients = pd.read_parquet(out / "patients.parquet")
    assert sorted(patients["zip3"]) == ["803", "972"]


def test_nothing_is_stored_unless_the_whole_bundle_is_accepted(registry: Registry) -> None:
    data = _two_patients()
    second_patient = next(
        e for e in data["entry"][1:] if e["resource"]["resourceType"] == "Patient"
    )
    second_patient["resource"]["identifier"][0]["value"] = "C-778899"  # MRN taken by the first
    with pytest.raises(Exception, match="already belongs"):
        import_bundle(registry, data)
    assert registry.patients() == []


def test_invalid_bundle_touches_nothing(registry: Registry) -> None:
    with pytest.raises(BundleInvalidError):
        import_bundle(registry, {"resourceType": "Bundle"})  # type is required
    assert registry.patients() == []


def test_strict_refuses_unmapped(registry: Registry) -> None:
    with pytest.raises(BundleInvalidError, match="Encounter"):
        import_bundle(registry, bundle("cerner_transaction"), strict=True)
    assert registry.patients() == []


def test_export_from_registry_validates_and_is_audited(registry: Registry) -> None:
    (pid,), result = import_bundle(registry, bundle("epic_searchset"))
    store = SessionStore(registry)
    t0 = datetime(2026, 2, 5, 9, 0, tzinfo=timezone(timedelta(hours=-8)))
    review = store.start(pid, DosingSession(phase="dosing", treatment="esketamine", start=t0))
    sid = review.session.session_id
    assert sid is not None
    store.add_vitals(sid, SessionVitals(taken_at=t0, systolic=150, diastolic=90, heart_rate=80))
    data = export_patient(registry, pid)
    Bundle.model_validate(data)
    kinds = [e["resource"]["resourceType"] for e in data["entry"]]
    assert "RiskAssessment" in kinds and "QuestionnaireResponse" in kinds
    risk = next(
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "RiskAssessment"
    )
    assert risk["basis"] and all("source:" in b["display"] for b in risk["basis"])  # rule trace
    session_obs = [
        e["resource"]
        for e in data["entry"]
        if "extension" in e["resource"] and e["resource"]["resourceType"] == "Observation"
    ]
    assert len(session_obs) == 2  # BP panel and heart rate from the dosing session
    phq9_total = next(
        e["resource"]
        for e in data["entry"]
        if {"code": "phq9-total"}.items()
        <= next(iter(e["resource"].get("code", {}).get("coding", [])[1:]), {}).items()
    )
    assert phq9_total["code"]["coding"][0] == {"system": "http://loinc.org", "code": "44261-6"}
    assert phq9_total["interpretation"][0]["coding"][0]["code"] == "band-moderate"  # total 14
    exported = [e for e in registry.audit_trail(pid) if e.action == "export"]
    assert exported and exported[-1].detail == {"format": "fhir"}
    # re-import: the record comes back; session readings are reported, not merged
    again = read_bundle(data)
    assert again.patients[0].record == registry.record(pid)
    assert sum("dosing-session" in u.reason for u in again.unmapped) == 2
    assert result.patients[0].identifiers == again.patients[0].identifiers.model_copy(
        update={"contact": result.patients[0].identifiers.contact}
    )


def test_cli_import_and_export(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTSDRX_DATABASE_URL", str(registry.engine.url))
    monkeypatch.setenv("PTSDRX_ACTOR", "dr.cli")
    runner = CliRunner()
    path = FIXTURES / "epic_searchset.json"
    dry = runner.invoke(app, ["fhir", "import", str(path), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["imported"] == [] and registry.patients() == []
    done = runner.invoke(app, ["fhir", "import", str(path), "--json"])
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    (pid,) = body["imported"]
    assert len(body["unmapped"]) == 10
    out = tmp_path / "out.json"
    exp = runner.invoke(app, ["fhir", "export", pid, "-o", str(out)])
    assert exp.exit_code == 0, exp.output
    Bundle.model_validate_json(out.read_text())
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Bundle", "type": "document"}')
    refused = runner.invoke(app, ["fhir", "import", str(bad)])
    assert refused.exit_code == 2 and "document" in refused.output
    missing = runner.invoke(app, ["fhir", "export", "pt-nobody"])
    assert missing.exit_code == 1 and "Traceback" not in missing.output
