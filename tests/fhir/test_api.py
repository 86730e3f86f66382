"""The FHIR routes: roles, audit, all-or-nothing import, problems for invalid Bundles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle

from ptsdrx.api import create_app
from ptsdrx.api._accounts import add_user
from ptsdrx.api._security import use_cheap_hashing_for_tests
from ptsdrx.registry import Registry
from ptsdrx.settings import Settings

use_cheap_hashing_for_tests()
FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "correct-violet-lantern-42"
FHIR_JSON = {"Content-Type": "application/fhir+json"}


@pytest.fixture
def clients(registry: Registry, tmp_path: Path) -> dict[str, TestClient]:
    """A service on the test registry, with a logged-in client for two roles."""
    for role in ("clinician", "researcher"):
        add_user(registry, f"{role}1", role, PASSWORD, min_length=12)
    settings = Settings(
        database_url=str(registry.engine.url),
        data_dir=tmp_path,
        secret_key="test-secret-" + "x" * 40,
        login_rate_per_minute=1000,
        actor="test",
    )
    app = create_app(settings)
    anonymous = TestClient(app, raise_server_exceptions=False)
    out = {"anonymous": anonymous}
    for role in ("clinician", "researcher"):
        r = anonymous.post(
            "/api/v1/auth/token", json={"username": f"{role}1", "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        out[role] = TestClient(
            app, headers={"Authorization": f"Bearer {token}"}, raise_server_exceptions=False
        )
    return out


def _epic() -> bytes:
    return (FIXTURES / "epic_searchset.json").read_bytes()


def test_post_bundle_then_everything(clients: dict[str, TestClient], registry: Registry) -> None:
    r = clients["clinician"].post("/api/v1/fhir", content=_epic(), headers=FHIR_JSON)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    (pid,) = body["imported"]
    assert len(body["unmapped"]) == 10
    assert any(e.action == "create" and e.actor == "clinician1" for e in registry.audit_trail(pid))
    got = clients["clinician"].get(f"/api/v1/fhir/Patient/{pid}/$everything")
    assert got.status_code == 200 and got.headers["content-type"].startswith(
        "application/fhir+json"
    )
    Bundle.model_validate(got.json())
    exports = [e for e in registry.audit_trail(pid) if e.action == "export"]
    assert exports and exports[-1].actor == "clinician1"


def test_roles_are_enforced(clients: dict[str, TestClient], registry: Registry) -> None:
    assert (
        clients["anonymous"].post("/api/v1/fhir", content=_epic(), headers=FHIR_JSON).status_code
        == 401
    )
    assert (
        clients["researcher"].post("/api/v1/fhir", content=_epic(), headers=FHIR_JSON).status_code
        == 403
    )
    assert clients["researcher"].get("/api/v1/fhir/Patient/p1/$everything").status_code == 403
    assert registry.patients() == []


def test_invalid_bundle_is_a_problem_naming_paths(
    clients: dict[str, TestClient], registry: Registry
) -> None:
    data = json.loads(_epic())
    del data["entry"][1]["resource"]["status"]
    r = clients["clinician"].post("/api/v1/fhir", content=json.dumps(data), headers=FHIR_JSON)
    assert r.status_code == 422
    problem = r.json()
    assert problem["errors"] and any("status" in e["field"] for e in problem["errors"])
    assert "Traceback" not in r.text
    assert registry.patients() == []
    wrong = clients["clinician"].post(
        "/api/v1/fhir", content=_epic(), headers={"Content-Type": "text/plain"}
    )
    assert wrong.status_code == 415


def test_everything_for_unknown_patient_is_404(clients: dict[str, TestClient]) -> None:
    assert clients["clinician"].get("/api/v1/fhir/Patient/pt-nobody/$everything").status_code == 404
