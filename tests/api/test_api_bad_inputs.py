"""The bad-input corpus (``bad_inputs/*.json``): each case gets its exact 4xx as an RFC 9457
problem without a trace or SQL, and the database is unchanged (row count and checksum of
every table; the audit log may only gain failure/denied entries, and the account tables
only the counters and revocations that record the attempt itself)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.api.conftest import (
    DB_PARAMS,
    PASSWORD,
    SECRET,
    Service,
    login,
    make_service,
    new_database,
    sample_record,
    table_state,
)

from ptsdrx.registry._models import AuditRow

CORPUS = Path(__file__).parent / "bad_inputs"
CASES: list[dict[str, Any]] = [
    c for f in sorted(CORPUS.glob("*.json")) for c in json.loads(f.read_text("utf-8"))
]
ATTEMPT_TABLES = ("audit_log", "refresh_tokens", "users")
LEAKS = ("Traceback", "sqlalchemy", "[SQL:", "psycopg", "sqlite3", 'File "', "sqlalche.me")


def test_corpus_size() -> None:
    assert len(CASES) >= 200
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.fixture(scope="module", params=DB_PARAMS)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[Service, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("bad")
    url, cleanup = new_database(request.param, tmp, sqlite_template)
    svc = make_service(url, tmp)
    c = svc.client("clinician")
    body = {"record": sample_record("p-seed"), "identifiers": {"mrn": "SEED-MRN", "name": "Seed"}}
    assert c.post("/api/v1/patients", json=body).status_code == 201
    start = {"phase": "dosing", "treatment": "esketamine", "start": "2026-01-12T09:00:00"}
    sid = svc.client("nurse").post("/api/v1/patients/p-seed/sessions", json=start).json()
    eid = c.post(
        "/api/v1/patients/p-seed/episodes",
        json={"treatment": "esketamine", "started_on": "2026-01-10"},
    ).json()
    other = {"record": sample_record("p-other")}  # a patient with no open session
    assert c.post("/api/v1/patients", json=other).status_code == 201
    yield svc, {"sid": str(sid["session_id"]), "eid": str(eid["id"])}
    svc.engine.dispose()
    cleanup()


def _claims(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "iss": "ptsdrx",
        "aud": "ptsdrx-api",
        "sub": "2",
        "name": "clinician1",
        "role": "clinician",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "j",
        "typ": "access",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def _token(kind: str, svc: Service) -> str:
    forged = {
        "expired": lambda: jwt.encode(_claims(exp=datetime.now(UTC) - timedelta(hours=1)), SECRET),
        "forged": lambda: jwt.encode(_claims(), "not-the-secret-" + "z" * 40),
        "alg_none": lambda: jwt.encode(_claims(role="admin"), None, algorithm="none"),
        "wrong_audience": lambda: jwt.encode(_claims(aud="other-service"), SECRET),
        "wrong_issuer": lambda: jwt.encode(_claims(iss="evil"), SECRET),
        "hs512": lambda: jwt.encode(_claims(), SECRET, algorithm="HS512"),
        "malformed": lambda: "abc.def.ghi",
        "session_as_bearer": lambda: jwt.encode(_claims(typ="session"), SECRET),
        "unknown_user": lambda: jwt.encode(_claims(sub="999999", name="ghost"), SECRET),
        "no_exp": lambda: jwt.encode(_claims(exp=None), SECRET),
        "nurse_claims_admin": lambda: jwt.encode(
            _claims(sub=str(_user_id(svc, "nurse1")), name="nurse1", role="admin"), SECRET
        ),
    }
    return forged[kind]()


def _user_id(svc: Service, name: str) -> int:
    from ptsdrx.registry._models import UserRow

    with svc.engine.connect() as conn:
        return int(conn.scalar(select(UserRow.id).where(UserRow.username == name)))


def _request(svc: Service, case: dict[str, Any], ids: dict[str, str]) -> Any:
    path = case["path"].replace("{sid}", ids["sid"]).replace("{eid}", ids["eid"])
    headers: dict[str, str] = dict(case.get("headers", {}))
    client = svc.anonymous
    who: str = case["as"]
    kwargs: dict[str, Any] = {}
    if "json" in case:
        kwargs["json"] = case["json"]
    if who.startswith("token:"):
        kind = who.removeprefix("token:")
        if kind == "empty":
            headers["Authorization"] = "Bearer "
        elif kind == "basic":
            headers["Authorization"] = "Basic Y2xpbmljaWFuMTpwYXNzd29yZA=="
        else:
            headers["Authorization"] = f"Bearer {_token(kind, svc)}"
    elif who == "refresh:reused":
        old = login(svc.anonymous, "auditor1")["refresh_token"]
        assert svc.anonymous.post("/api/v1/auth/refresh", json={"refresh_token": old}).is_success
        kwargs["json"] = {"refresh_token": old}
    elif who == "refresh:access":
        kwargs["json"] = {"refresh_token": svc.tokens["nurse"]["access_token"][:256]}
    elif who.startswith("cookie:"):
        client = TestClient(svc.app, raise_server_exceptions=False)
        r = client.post(
            "/api/v1/auth/session", json={"username": "clinician1", "password": PASSWORD}
        )
        assert r.status_code == 200
        if who == "cookie:wrong_csrf":
            headers["X-CSRF-Token"] = "f" * 64
    elif who != "anonymous":
        client = svc.client(who)
    if "raw" in case or "raw_hex" in case or "oversized" in case:
        if "oversized" in case:
            n = case["oversized"]
            content = b'{"record": {"note": "' + b"x" * n + b'"}}'
        elif "raw_hex" in case:
            content = bytes.fromhex(case["raw_hex"])
        else:
            content = case["raw"].encode("utf-8", "surrogatepass")
        kwargs["content"] = content
        ctype = case.get("content_type", "application/json")
        if ctype:
            headers["Content-Type"] = ctype
        else:
            headers["Content-Type"] = ""
    return client.request(case["method"], path, headers=headers, **kwargs)


def _audit_after(svc: Service, mark: int) -> list[str]:
    """Outcomes of the entries written since ``mark`` (a case's own log-in steps aside)."""
    with svc.engine.connect() as conn:
        return list(
            conn.scalars(
                select(AuditRow.outcome).where(
                    AuditRow.id > mark, AuditRow.entity.not_in(("login", "token_refresh"))
                )
            )
        )


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case: dict[str, Any], seeded: tuple[Service, dict[str, str]]) -> None:
    svc, ids = seeded
    before = table_state(svc.engine, skip=ATTEMPT_TABLES)
    with svc.engine.connect() as conn:
        mark = int(conn.scalar(select(func.max(AuditRow.id))) or 0)
    r = _request(svc, case, ids)
    assert r.status_code == case["expect"], (r.status_code, r.text[:500])
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == r.status_code and problem["title"]
    assert not any(leak in r.text for leak in LEAKS), r.text[:500]
    if r.status_code == 422 and problem.get("errors"):
        assert all(e["field"] and e["message"] for e in problem["errors"])
    assert table_state(svc.engine, skip=ATTEMPT_TABLES) == before
    assert "success" not in _audit_after(svc, mark)
