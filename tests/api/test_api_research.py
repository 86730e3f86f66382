"""A researcher never sees an identifier: identifiers planted in names, contacts, MRNs,
dates of birth, the patient id and every free-text field never appear in any response a
researcher can get."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.api.conftest import DB_PARAMS, Service, make_service, new_database

from ptsdrx.records import PatientRecord
from ptsdrx.registry import Identifiers, Registry

# Identifier-like tokens: long enough that a chance match in other output is impossible.
token = st.text(alphabet="ABCDEFGHJKMNPQRSTUVWXYZ23456789", min_size=10, max_size=16)


@pytest.fixture(scope="module", params=DB_PARAMS)
def research_service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("research")
    url, cleanup = new_database(request.param, tmp, sqlite_template)
    svc = make_service(url, tmp)
    yield svc
    svc.engine.dispose()
    cleanup()


@given(
    name=token,
    mrn=token,
    contact=token,
    note=token,
    context=token,
    staff=token,
    pid=token,
    born=st.dates(min_value=date(1930, 1, 1), max_value=date(2005, 12, 31)),
)
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_researcher_never_sees_identifiers(
    research_service: Service,
    name: str,
    mrn: str,
    contact: str,
    note: str,
    context: str,
    staff: str,
    pid: str,
    born: date,
) -> None:
    svc = research_service
    reg = Registry(svc.engine, actor="setup")
    pid = f"id-{pid}"
    mrn = f"M{mrn}{pid}"  # unique per patient id (hypothesis repeats values)
    record = PatientRecord.model_validate(
        {
            "patient_id": pid,
            "as_of": "2026-01-10",
            "demographics": {"age": 95, "sex": "male"},
            "diagnoses": [{"condition": "ptsd", "status": "current", "note": f"see {note}"}],
            "assessments": [
                {
                    "instrument": "pcl5",
                    "date": "2026-01-05",
                    "responses": [2] * 20,
                    "context": f"with {context}",
                    "administered_by": staff,
                }
            ],
            "consent": {"research_use": True},
        }
    )
    if svc.client("clinician").get(f"/api/v1/patients/{pid}").status_code == 200:
        return  # hypothesis repeated an id (and MRN) already planted
    ids = Identifiers(
        name=f"Pat {name}", mrn=mrn, contact=f"{contact}@example.org", date_of_birth=born
    )
    reg.add_patient(record, ids)
    planted = [name, mrn, contact, note, context, staff, pid, born.isoformat()]
    researcher = svc.client("researcher")
    texts = [researcher.get("/api/v1/research/patients", params={"limit": 200}).text]
    texts += [
        researcher.get(path).text
        for path in (
            f"/api/v1/patients/{pid}",
            f"/api/v1/patients/{pid}/report.html",
            f"/api/v1/patients/{pid}/timeline",
            "/api/v1/patients",
            "/api/v1/audit",
            f"/api/v1/patients/{pid}/safety-summary",
        )
    ]
    found = texts[0]
    assert '"age":90' in found, "ages above 89 are reported as 90"
    for text in texts:
        for value in planted:
            assert value not in text
