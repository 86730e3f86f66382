"""A planted identifier in any field that can hold one never reaches an exported file."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptsdrx.monitoring import DosingSession
from ptsdrx.records import (
    Administration,
    Biomarker,
    Consent,
    Demographics,
    Diagnosis,
    ImagingMeasure,
    Medication,
    PatientRecord,
    PriorTreatment,
    VitalSigns,
)
from ptsdrx.registry import Identifiers, Registry
from ptsdrx.registry._episodes import start_episode
from ptsdrx.registry._sessions import SessionStore
from ptsdrx.research import export_research

tokens = st.from_regex(r"Qx[A-Z][a-z]{4,8}", fullmatch=True)
FIELDS = (
    "name", "mrn", "email", "street", "city", "patient_id", "administered_by", "context",
    "diagnosis_note", "drug", "frequency", "biomarker", "unit", "imaging", "imaging_unit",
    "method", "prior", "episode_note", "staff", "session_note",
)  # fmt: skip


def _all_text(out: Path) -> str:
    parts = []
    for f in sorted(out.iterdir()):
        if f.suffix == ".parquet":
            frame = pd.read_parquet(f)
            parts.append(" ".join(map(str, frame.columns)))
            parts.append(frame.astype(str).to_csv(index=False))
        else:
            parts.append(f.read_text(encoding="utf-8"))
    return "\n".join(parts)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    planted=st.lists(tokens, min_size=len(FIELDS), max_size=len(FIELDS), unique=True),
    born=st.dates(min_value=date(1920, 1, 1), max_value=date(2000, 12, 31)),
    zip5=st.from_regex(r"9[0-9]{4}", fullmatch=True),  # no restricted prefix starts with 9
    shift=st.booleans(),
)
def test_no_planted_identifier_is_exported(
    planted: list[str],
    born: date,
    zip5: str,
    shift: bool,
    _migrated: Path,
    tmp_path: Path,
    registry: Registry,
) -> None:
    p = dict(zip(FIELDS, planted, strict=True))
    db = tmp_path / f"{uuid.uuid4().hex}.db"
    shutil.copy(_migrated, db)
    del registry  # requested for its skip while the registry lags the record schema
    reg = Registry.connect(f"sqlite:///{db}", actor="dr.planted")
    day = date(2026, 1, 5)
    rec = PatientRecord(
        patient_id=f"{p['patient_id']}-1",
        as_of=day,
        demographics=Demographics(sex="female", jurisdiction="US-OR"),
        assessments=[
            Administration(
                instrument="pcl5", date=day, responses=[2] * 20,
                administered_by=p["administered_by"], context=p["context"],
            )
        ],
        diagnoses=[Diagnosis(condition="ptsd", status="current", note=p["diagnosis_note"])],
        medications=[
            Medication(name=p["drug"], frequency=p["frequency"]),
            Medication(name="sertraline", frequency=p["frequency"]),
        ],
        vitals=[VitalSigns(taken_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC), heart_rate=70)],
        biomarkers=[Biomarker(name=p["biomarker"], value=1.0, unit=p["unit"])],
        imaging=[
            ImagingMeasure(
                measure=p["imaging"], value=1, unit=p["imaging_unit"], method=p["method"]
            )
        ],
        prior_treatments=[PriorTreatment(treatment=p["prior"])],
        consent=Consent(research_use=True),
    )  # fmt: skip
    contact = f"email: {p['email']}@example.org; address: {p['street']} St, {p['city']}"
    idents = Identifiers(
        name=p["name"], mrn=p["mrn"], date_of_birth=born, contact=contact, postal_code=zip5
    )
    pid = reg.add_patient(rec, idents)
    start_episode(reg, pid, "paroxetine", day, note=p["episode_note"])
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone(timedelta(hours=-8)))
    SessionStore(reg).start(
        pid, DosingSession(phase="dosing", treatment="esketamine", start=t0, staff=(p["staff"],),
                           note=p["session_note"])
    )  # fmt: skip
    out = tmp_path / uuid.uuid4().hex
    key = tmp_path / f"{out.name}.key.json"
    export_research(
        reg, out, secret=b"planted-secret-0123456789",
        dates="shift" if shift else "year", key_file=key if shift else None,
    )  # fmt: skip
    text = _all_text(out)
    for field, token in p.items():
        assert token not in text, f"planted {field} leaked"
    assert born.isoformat() not in text and zip5 not in text and pid not in text
    assert pd.read_parquet(out / "patients.parquet")["zip3"].tolist() == [zip5[:3]]
    if shift:
        assert pid not in key.read_text() and json.loads(key.read_text())["offset_days"]
