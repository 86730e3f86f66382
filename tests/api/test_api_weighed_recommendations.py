"""Acknowledged cautions and overrides through the API: applied, stored, audited, refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from tests.api.conftest import Service

from ptsdrx.registry._models import AuditRow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "patients"


def _add(service: Service, name: str) -> str:
    record = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    record.pop("patient_id", None)
    r = service.client("clinician").post("/api/v1/patients", json={"record": record})
    assert r.status_code == 201, r.text
    pid: str = r.json()["patient_id"]
    return pid


def _entries(service: Service, after: int) -> list[Any]:
    with service.engine.connect() as conn:
        stmt = select(AuditRow).where(AuditRow.id > after).order_by(AuditRow.id)
        return list(conn.execute(stmt))


def _mark(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.scalar(select(func.max(AuditRow.id))) or 0)


def test_acknowledgement_and_override_are_applied_stored_and_audited(service: Service) -> None:
    pid = _add(service, "veteran_hypertension")
    c = service.client("clinician")
    plain = c.post(f"/api/v1/patients/{pid}/recommendations")
    assert plain.status_code == 201, plain.text
    assert plain.json()["result"]["acknowledged"] == []
    mark = _mark(service)
    body = {
        "acknowledged": ["ketamine_substance_use_history"],
        "overrides": [{"rule": "mdma_uncontrolled_hypertension", "reason": "BP 128/80 today"}],
    }
    r = c.post(f"/api/v1/patients/{pid}/recommendations", json=body)
    assert r.status_code == 201, r.text
    result = r.json()["result"]
    assert result["acknowledged"] == ["ketamine_substance_use_history"]
    (override,) = result["overrides"]
    assert override["rule"] == "mdma_uncontrolled_hypertension"
    assert override["clinician"] == "clinician1"  # the signed-in user, not a body field
    # stored: the list of issued recommendations returns the weighed one last
    issued = c.get(f"/api/v1/patients/{pid}/recommendations").json()
    assert issued[-1]["result"]["overrides"][0]["reason"] == "BP 128/80 today"
    # audited: rule ids only (no free-text reason in the log)
    created = [e for e in _entries(service, mark) if e.action == "create"]
    assert created and created[-1].patient_id == pid
    detail = json.dumps(created[-1].detail)
    assert "mdma_uncontrolled_hypertension" in detail
    assert "ketamine_substance_use_history" in detail
    assert "BP 128/80" not in detail


def test_a_contraindication_or_unknown_rule_is_refused_with_the_field(service: Service) -> None:
    pid = _add(service, "maoi")
    c = service.client("clinician")
    bad = {"overrides": [{"rule": "sertraline_maoi", "reason": "patient insists"}]}
    r = c.post(f"/api/v1/patients/{pid}/recommendations", json=bad)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["errors"][0]["field"] == "body.overrides"
    assert "can never be overridden" in problem["detail"] and "Traceback" not in r.text
    unknown = {"overrides": [{"rule": "no_such_rule", "reason": "patient insists"}]}
    r = c.post(f"/api/v1/patients/{pid}/recommendations", json=unknown)
    assert r.status_code == 422 and "not an exclusion that fired" in r.json()["detail"]
    r = c.post(f"/api/v1/patients/{pid}/recommendations", json={"acknowledged": ["no_such"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.acknowledged"
    # nothing was stored by the refusals
    assert c.get(f"/api/v1/patients/{pid}/recommendations").json() == []
    # a nurse may not rank at all
    nurse = service.client("nurse").post(f"/api/v1/patients/{pid}/recommendations")
    assert nurse.status_code == 403
