"""Routes do what they say: ETag/If-Match, import in one transaction, assessments with
safety flags first, dosing-session close refusal, paging and search, and every PHI route
leaves an audit entry with the right actor, action and patient."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.api.conftest import Service, create_patient, sample_record, table_state

from ptsdrx.registry._models import AuditRow, Patient


def _audit(svc: Service, after: int) -> list[Any]:
    with svc.engine.connect() as conn:
        return list(conn.execute(select(AuditRow).where(AuditRow.id > after).order_by(AuditRow.id)))


def _last_id(svc: Service) -> int:
    with svc.engine.connect() as conn:
        return int(conn.scalar(select(func.max(AuditRow.id))) or 0)


def test_second_stale_write_gets_412(service: Service) -> None:
    c = service.client("clinician")
    pid = create_patient(service, "p-etag")
    got = c.get(f"/api/v1/patients/{pid}")
    tag = got.headers["etag"]
    body = {"record": {**got.json()["record"], "as_of": "2026-02-01"}}
    assert c.put(f"/api/v1/patients/{pid}", json=body).status_code == 428
    first = c.put(f"/api/v1/patients/{pid}", json=body, headers={"If-Match": tag})
    assert first.status_code == 200 and first.headers["etag"] != tag
    before = table_state(service.engine, skip=("audit_log",))
    second = c.put(f"/api/v1/patients/{pid}", json=body, headers={"If-Match": tag})
    assert second.status_code == 412
    assert second.headers["content-type"] == "application/problem+json"
    assert table_state(service.engine, skip=("audit_log",)) == before
    assert c.get(f"/api/v1/patients/{pid}").json()["record"]["as_of"] == "2026-02-01"


def test_import_jsonl_is_one_transaction(service: Service) -> None:
    c = service.client("clinician")
    good = [json.dumps(sample_record(f"imp-{i}")) for i in range(3)]
    bad = json.dumps(sample_record("imp-bad", demographics={"age": -4}))
    before = table_state(service.engine, skip=("audit_log",))
    r = c.post(
        "/api/v1/patients/import",
        content="\n".join([*good, bad]),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 422
    fields = [e["field"] for e in r.json()["errors"]]
    assert any(f.startswith("body:4: demographics.age") for f in fields), fields
    assert table_state(service.engine, skip=("audit_log",)) == before
    ok = c.post(
        "/api/v1/patients/import",
        content="\n".join(good),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert ok.status_code == 200 and ok.json()["imported"] == ["imp-0", "imp-1", "imp-2"]
    single = c.post("/api/v1/patients/import", json=sample_record("imp-single"))
    assert single.json()["imported"] == ["imp-single"]


def test_assessment_leads_with_safety_flags(service: Service) -> None:
    c = service.client("clinician")
    pid = create_patient(service, "p-phq")
    adm = {"instrument": "phq9", "date": "2026-01-08", "responses": [3, 3, 3, 3, 3, 3, 3, 3, 2]}
    r = c.post(f"/api/v1/patients/{pid}/assessments", json=adm)
    assert r.status_code == 201, r.text
    data = r.json()
    assert next(iter(data)) == "safety_flags" and data["safety_flags"], data
    assert data["total"] == 26
    bad = {"instrument": "phq9", "date": "2026-01-08", "responses": [9] * 9}
    r = c.post(f"/api/v1/patients/{pid}/assessments", json=bad)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "responses"


def test_no_dosing_session_during_a_suicide_risk_hold(service: Service) -> None:
    """A C-SSRS high-risk screen holds treatment: a dosing session is refused (409, naming
    the flag) while preparation stays possible; a newer negative C-SSRS lifts the hold."""
    clinician, nurse = service.client("clinician"), service.client("nurse")
    pid = create_patient(service, "p-hold")
    high = {"instrument": "cssrs", "date": "2026-01-08", "responses": [1, 1, 0, 1, 0, 0, 0]}
    assert clinician.post(f"/api/v1/patients/{pid}/assessments", json=high).status_code == 201
    dosing = {"phase": "dosing", "treatment": "esketamine", "start": "2026-01-12T09:00:00"}
    r = nurse.post(f"/api/v1/patients/{pid}/sessions", json=dosing)
    assert r.status_code == 409, r.text
    assert "cssrs_high_risk" in r.json()["detail"]
    assert "no dosing session" in r.json()["detail"]
    listed = nurse.get(f"/api/v1/patients/{pid}/sessions")
    assert listed.status_code == 200 and listed.json() == []  # nothing was stored
    prep = dosing | {"phase": "preparation"}
    assert nurse.post(f"/api/v1/patients/{pid}/sessions", json=prep).status_code == 201
    low = {"instrument": "cssrs", "date": "2026-01-10", "responses": [0, 0, 0, 0, 0, 0, 0]}
    assert clinician.post(f"/api/v1/patients/{pid}/assessments", json=low).status_code == 201
    assert nurse.post(f"/api/v1/patients/{pid}/sessions", json=dosing).status_code == 201


def test_session_close_refused_while_readings_missing(service: Service) -> None:
    nurse = service.client("nurse")
    pid = create_patient(service, "p-sess")
    start = {"phase": "dosing", "treatment": "esketamine", "start": "2026-01-12T09:00:00"}
    sid = nurse.post(f"/api/v1/patients/{pid}/sessions", json=start).json()["session_id"]
    r = nurse.post(f"/api/v1/sessions/{sid}/close", json={"end": "2026-01-12T11:00:00"})
    assert r.status_code == 409
    assert {e["field"] for e in r.json()["errors"]} >= {"dose_recorded"}
    v = nurse.post(
        f"/api/v1/sessions/{sid}/vitals",
        json={"taken_at": "2026-01-12T09:40:00", "systolic": 190, "diastolic": 100},
    )
    assert v.status_code == 200 and v.json()["alerts"], v.text
    aborted = nurse.post(
        f"/api/v1/sessions/{sid}/close",
        json={"end": "2026-01-12T11:00:00", "aborted_note": "hypertension"},
    )
    assert aborted.status_code == 200 and aborted.json()["status"] == "aborted"


def test_paging_and_search(service: Service) -> None:
    c = service.client("clinician")
    for i in range(5):
        create_patient(service, f"pg-{i}", name=f"Person Number{i}", mrn=f"M{i}")
    page = c.get("/api/v1/patients", params={"offset": 2, "limit": 2}).json()
    assert page["total"] == 5 and [p["patient_id"] for p in page["items"]] == ["pg-2", "pg-3"]
    assert [
        p["patient_id"] for p in c.get("/api/v1/patients", params={"q": "M3"}).json()["items"]
    ] == ["pg-3"]
    assert c.get("/api/v1/patients", params={"q": "number4"}).json()["total"] == 1
    assert "Person" not in c.get("/api/v1/patients").text  # the list carries no identifiers


# (method, path, role, body) for every route that touches one patient's data
def _phi_calls(pid: str, sid: int, eid: int) -> list[tuple[str, str, str, Any, str]]:
    p = f"/api/v1/patients/{pid}"
    s = f"/api/v1/sessions/{sid}"
    vit = {"taken_at": "2026-01-12T09:40:00", "systolic": 120, "diastolic": 80}
    return [
        ("GET", p, "clinician", None, "read"),
        ("PUT", p, "clinician", {"record": sample_record(pid)}, "update"),
        (
            "POST",
            f"{p}/assessments",
            "clinician",
            {"instrument": "pcl5", "date": "2026-01-20", "responses": [1] * 20},
            "create",
        ),
        ("GET", f"{p}/screening", "clinician", None, "read"),
        ("POST", f"{p}/recommendations", "clinician", None, "create"),
        ("GET", f"{p}/recommendations", "clinician", None, "read"),
        (
            "POST",
            f"{p}/episodes",
            "clinician",
            {"treatment": "sertraline", "started_on": "2026-01-15"},
            "create",
        ),
        ("GET", f"{p}/episodes", "clinician", None, "read"),
        (
            "POST",
            f"/api/v1/episodes/{eid}/end",
            "clinician",
            {"ended_on": "2026-02-01", "status": "completed"},
            "update",
        ),
        ("GET", f"{p}/timeline", "clinician", None, "read"),
        ("GET", f"{p}/timeline.png", "clinician", None, "read"),
        ("GET", f"{p}/report.html", "clinician", None, "read"),
        ("GET", f"{p}/report.pdf", "clinician", None, "read"),
        ("GET", f"{p}/safety-summary", "nurse", None, "read"),
        ("GET", f"/api/v1/fhir/Patient/{pid}/$everything", "clinician", None, "export"),
        (
            "POST",
            f"{p}/sessions",
            "nurse",
            {"phase": "dosing", "treatment": "esketamine", "start": "2026-01-13T09:00:00"},
            "create",
        ),
        ("GET", f"{p}/sessions", "nurse", None, "read"),
        ("GET", s, "nurse", None, "read"),
        ("POST", f"{s}/vitals", "nurse", vit, "create"),
        (
            "POST",
            f"{s}/doses",
            "nurse",
            {"given_at": "2026-01-12T09:05:00", "amount_mg": 56, "route": "intranasal"},
            "create",
        ),
        (
            "POST",
            f"{s}/adverse-events",
            "nurse",
            {"term": "nausea", "onset": "2026-01-12T09:30:00", "severity": "mild"},
            "create",
        ),
        ("GET", f"{s}/alerts", "nurse", None, "read"),
        (
            "POST",
            f"{s}/close",
            "nurse",
            {"end": "2026-01-12T11:00:00", "aborted_note": "test"},
            "update",
        ),
        ("GET", "/api/v1/audit", "auditor", None, "read"),
        ("GET", "/api/v1/research/patients", "researcher", None, "export"),
    ]


def test_every_phi_route_is_audited(service: Service) -> None:
    pid = create_patient(service, "p-audit")
    nurse = service.client("nurse")
    start = {"phase": "dosing", "treatment": "esketamine", "start": "2026-01-12T09:00:00"}
    sid = nurse.post(f"/api/v1/patients/{pid}/sessions", json=start).json()["session_id"]
    eid = (
        service.client("clinician")
        .post(
            f"/api/v1/patients/{pid}/episodes",
            json={"treatment": "esketamine", "started_on": "2026-01-10"},
        )
        .json()["id"]
    )
    calls = _phi_calls(pid, sid, eid)
    # the table covers every route of the document that names a patient, session or episode
    doc = service.anonymous.get("/openapi.json").json()
    phi_ops = {
        (m.upper(), path)
        for path, item in doc["paths"].items()
        for m in item
        if re.search(r"\{(patient_id|session_id|episode_id)\}", path)
    }
    covered = {
        (
            m,
            re.sub(rf"/{pid}(?=/|$)", "/{patient_id}", path)
            .replace(f"/sessions/{sid}", "/sessions/{session_id}")
            .replace(f"/episodes/{eid}/", "/episodes/{episode_id}/"),
        )
        for m, path, *_ in calls
    }
    assert phi_ops <= covered, phi_ops - covered
    for method, path, role, body, action in calls:
        headers = {}
        if method == "PUT":
            headers["If-Match"] = service.client(role).get(path).headers["etag"]
        mark = _last_id(service)
        r = service.client(role).request(method, path, json=body, headers=headers)
        assert r.status_code < 300, (method, path, r.status_code, r.text[:300])
        entries = _audit(service, mark)
        mine = [e for e in entries if e.actor == f"{role}1" and e.role == role]
        assert mine, (method, path)
        assert any(e.action == action for e in mine), (method, path, [e.action for e in mine])
        if "/patients/" in path or "/sessions/" in path or "/episodes/" in path:
            assert any(e.patient_id == pid for e in mine), (method, path)
        assert all(e.request_id == r.headers["x-request-id"] for e in mine)
        assert all(e.outcome == "success" and e.client for e in mine)
    with service.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Patient)) == 1


def test_logs_carry_no_identifiers_or_contents(
    service: Service, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    pid = create_patient(service, "p-logged", name="Zebulon Quixote", mrn="MRN-LOGGED")
    service.client("clinician").get(f"/api/v1/patients/{pid}")
    service.client("clinician").get("/api/v1/patients", params={"q": "Zebulon"})
    logs = capfd.readouterr().err
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert any(e.get("route") == "/api/v1/patients/{patient_id}" for e in lines)
    for secret in ("Zebulon", "Quixote", "MRN-LOGGED", "p-logged", "female"):
        assert secret not in logs


def test_a_mounted_router_must_name_roles(tmp_path: Path) -> None:
    from fastapi import APIRouter, Depends
    from tests.api.conftest import settings_for

    from ptsdrx.api import create_app
    from ptsdrx.api.deps import Principal, require_roles

    open_router = APIRouter()

    @open_router.get("/web/open")
    def _open() -> dict[str, str]:
        return {}

    settings = settings_for(f"sqlite:///{tmp_path / 'r.db'}", tmp_path)
    with pytest.raises(RuntimeError, match="no require_roles"):
        create_app(settings, routers=[open_router])
    web = APIRouter()

    @web.get("/web/page")
    def _page(who: Principal = Depends(require_roles("clinician"))) -> dict[str, str]:
        return {"user": who.username}

    app = create_app(settings, routers=[web])
    assert app.openapi()["paths"]["/web/page"]["get"]["x-roles"] == ["clinician"]
