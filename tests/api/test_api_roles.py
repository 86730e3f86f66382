"""Deny by default: every route in the OpenAPI document refuses an anonymous caller (401)
and every role it does not name (403); health and login are the only public routes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from tests.api.conftest import ROLES, Service

from ptsdrx.api.app import PUBLIC_ROUTES
from ptsdrx.registry._models import AuditRow

FILL = {"patient_id": "pt-nobody", "session_id": "1", "episode_id": "1", "username": "nobody"}


def operations(service: Service) -> list[tuple[str, str, list[str] | None]]:
    """(method, path, roles) for every operation of the OpenAPI document."""
    doc = service.anonymous.get("/openapi.json").json()
    return [
        (method.upper(), path, op.get("x-roles"))
        for path, item in doc["paths"].items()
        for method, op in item.items()
    ]


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: FILL[m.group(1)], path)


def test_every_route_names_its_roles_or_is_public(service: Service) -> None:
    ops = operations(service)
    assert len(ops) >= 30
    for method, path, roles in ops:
        if roles is None:
            assert path in PUBLIC_ROUTES, f"{method} {path} names no roles"
        else:
            assert roles and set(roles) <= set(ROLES), (method, path, roles)


def test_anonymous_and_unnamed_roles_are_refused(service: Service) -> None:
    checked = 0
    for method, path, roles in operations(service):
        if roles is None:
            continue
        url = _fill(path)
        anon = service.anonymous.request(method, url)
        assert anon.status_code == 401, (method, path, anon.text)
        assert anon.headers["www-authenticate"].startswith("Bearer")
        for role in set(ROLES) - set(roles):
            r = service.client(role).request(method, url)
            assert r.status_code == 403, (method, path, role, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            checked += 1
    assert checked >= 80
    # every refusal of a signed-in caller is audited as denied, with its route
    with service.engine.connect() as conn:
        denied = conn.execute(
            select(AuditRow.actor, AuditRow.role, AuditRow.route).where(
                AuditRow.outcome == "denied"
            )
        ).all()
    assert len(denied) == checked
    assert all(d.route and d.route.startswith("/api/v1/") for d in denied)


def test_nurse_sees_safety_summary_only_for_a_session_patient(service: Service) -> None:
    from tests.api.conftest import create_patient

    pid = create_patient(service, "p-nurse")
    nurse = service.client("nurse")
    assert nurse.get(f"/api/v1/patients/{pid}/safety-summary").status_code == 403
    start = {"phase": "dosing", "treatment": "esketamine", "start": "2026-01-12T09:00:00"}
    assert nurse.post(f"/api/v1/patients/{pid}/sessions", json=start).status_code == 201
    r = nurse.get(f"/api/v1/patients/{pid}/safety-summary")
    assert r.status_code == 200
    assert set(r.json()) == {
        "patient_id",
        "age",
        "weight_kg",
        "pregnant",
        "safety_flags",
        "current_medications",
        "open_sessions",
    }
    assert nurse.get(f"/api/v1/patients/{pid}").status_code == 403


@pytest.mark.parametrize("role", ["researcher", "auditor", "nurse"])
def test_no_role_but_clinician_reads_a_record(service: Service, role: str) -> None:
    from tests.api.conftest import create_patient

    pid = create_patient(service, f"p-{role}")
    assert service.client(role).get(f"/api/v1/patients/{pid}").status_code == 403
