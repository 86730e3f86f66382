"""Authentication: passwords, lockout, tokens (pinned algorithm, audience, expiry), refresh
rotation and reuse, the web session cookie with CSRF, secrets, rate limiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api.conftest import PASSWORD, SECRET, Service, create_patient, login, settings_for

from ptsdrx.api import create_app
from ptsdrx.api._security import WeakPasswordError, check_password, check_secret
from ptsdrx.registry._models import AuditRow, UserRow


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _forge(claims: dict[str, object], key: str = SECRET, alg: str = "HS256") -> str:
    base: dict[str, object] = {
        "iss": "ptsdrx",
        "aud": "ptsdrx-api",
        "sub": "2",
        "name": "clinician1",
        "role": "clinician",
        "iat": datetime.now(UTC),
        "exp": datetime.now(UTC) + timedelta(minutes=5),
        "jti": "x",
        "typ": "access",
    }
    base.update(claims)
    return jwt.encode(base, key, algorithm=alg)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short", "at least 12"),
        ("password1234", "too common"),
        ("Welcome123!!", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("my-clinician1-pass", "user name"),
    ],
)
def test_password_policy_refuses(password: str, why: str) -> None:
    with pytest.raises(WeakPasswordError, match=why):
        check_password(password, username="clinician1", min_length=12)


def test_password_policy_accepts_a_passphrase() -> None:
    check_password("correct-violet-lantern-42", username="clinician1", min_length=12)


def test_secret_refused_unless_development() -> None:
    for bad in (None, "", "short-secret"):
        with pytest.raises(RuntimeError, match="PTSDRX_SECRET_KEY"):
            check_secret(bad, development=False)
        assert check_secret(bad, development=True)
    assert check_secret("s" * 32, development=False) == "s" * 32


def test_create_app_refuses_default_secret(tmp_path: Path) -> None:
    settings = settings_for(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, secret_key=None)
    with pytest.raises(RuntimeError, match="PTSDRX_SECRET_KEY"):
        create_app(settings)


def test_login_gives_tokens_that_work(service: Service) -> None:
    tok = service.tokens["clinician"]
    assert tok["token_type"] == "bearer" and tok["expires_in"] == 15 * 60
    me = service.anonymous.get("/api/v1/auth/me", headers=_bearer(tok["access_token"]))
    assert me.status_code == 200
    assert me.json() == {
        "user_id": me.json()["user_id"],
        "username": "clinician1",
        "role": "clinician",
        "auth": "bearer",
    }


@pytest.mark.parametrize(
    "token",
    [
        _forge({"exp": datetime.now(UTC) - timedelta(minutes=1)}),  # expired
        _forge({}, key="another-secret-" + "y" * 40),  # forged signature
        _forge({"aud": "someone-else"}),  # wrong audience
        _forge({"iss": "evil"}),  # wrong issuer
        _forge({"typ": "session"}),  # a cookie token used as Bearer
        _forge({"role": "superuser"}),  # unknown role
        jwt.encode({"sub": "2", "role": "admin"}, None, algorithm="none"),  # alg none
        _forge({}, alg="HS512"),  # algorithm switching
        "not-a-token",
    ],
    ids=["expired", "forged", "audience", "issuer", "typ", "role", "alg-none", "hs512", "junk"],
)
def test_bad_tokens_are_refused(service: Service, token: str) -> None:
    r = service.anonymous.get("/api/v1/auth/me", headers=_bearer(token))
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"] == "application/problem+json"


def test_role_claim_cannot_be_escalated(service: Service) -> None:
    """A correctly signed token whose role differs from the account's is refused."""
    with service.engine.connect() as conn:
        uid = conn.scalar(select(UserRow.id).where(UserRow.username == "nurse1"))
    token = _forge({"sub": str(uid), "name": "nurse1", "role": "admin"})
    assert service.anonymous.get("/api/v1/users", headers=_bearer(token)).status_code == 401


def test_lockout_after_repeated_failures(service: Service) -> None:
    c = service.anonymous
    for _ in range(5):
        r = c.post("/api/v1/auth/token", json={"username": "nurse1", "password": "wrong-one-123"})
        assert r.status_code == 401
    r = c.post("/api/v1/auth/token", json={"username": "nurse1", "password": PASSWORD})
    assert r.status_code == 401, "locked: even the right password is refused"
    with service.engine.connect() as conn:
        failed = conn.execute(
            select(AuditRow.client, AuditRow.request_id).where(
                AuditRow.entity == "login", AuditRow.outcome == "failure"
            )
        ).all()
    assert len(failed) == 6
    assert all(a.client for a in failed) and all(a.request_id for a in failed)


def test_refresh_rotates_and_reuse_revokes_the_family(service: Service) -> None:
    c = service.anonymous
    first = service.tokens["nurse"]["refresh_token"]
    r = c.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200
    second = r.json()["refresh_token"]
    assert second != first
    reuse = c.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert reuse.status_code == 401 and "reused" in reuse.json()["detail"]
    # the family is revoked: the legitimate successor no longer works either
    assert c.post("/api/v1/auth/refresh", json={"refresh_token": second}).status_code == 401


def test_logout_revokes(service: Service) -> None:
    c = service.anonymous
    tok = login(c, "auditor1")
    assert (
        c.post("/api/v1/auth/logout", json={"refresh_token": tok["refresh_token"]}).status_code
        == 204
    )
    assert (
        c.post("/api/v1/auth/refresh", json={"refresh_token": tok["refresh_token"]}).status_code
        == 401
    )


def test_disabled_user_is_refused_at_once(service: Service) -> None:
    admin = service.client("admin")
    assert admin.post("/api/v1/users/researcher1/disable").status_code == 200
    assert service.client("researcher").get("/api/v1/auth/me").status_code == 401
    r = service.anonymous.post(
        "/api/v1/auth/token", json={"username": "researcher1", "password": PASSWORD}
    )
    assert r.status_code == 401


def test_web_session_cookie_needs_csrf_for_changes(service: Service) -> None:
    web = TestClient(service.app, raise_server_exceptions=False)
    r = web.post("/api/v1/auth/session", json={"username": "clinician1", "password": PASSWORD})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    csrf = r.json()["csrf_token"]
    assert web.get("/api/v1/auth/me").json()["auth"] == "cookie"
    body = {"record": {"as_of": "2026-01-01"}}
    assert web.post("/api/v1/patients", json=body).status_code == 403
    assert (
        web.post("/api/v1/patients", json=body, headers={"X-CSRF-Token": "0" * 64}).status_code
        == 403
    )
    ok = web.post("/api/v1/patients", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    web.delete("/api/v1/auth/session")
    assert web.get("/api/v1/auth/me").status_code == 401


def test_login_is_rate_limited(tmp_path: Path, sqlite_template: Path) -> None:
    from tests.api.conftest import make_service, new_database

    url, _ = new_database("sqlite", tmp_path, sqlite_template)
    svc = make_service(url, tmp_path, login_rate_per_minute=7)  # 5 logins used by make_service
    c = svc.anonymous
    codes = [
        c.post("/api/v1/auth/token", json={"username": "x1", "password": "y" * 12}).status_code
        for _ in range(4)
    ]
    assert codes[:2] == [401, 401] and codes[2:] == [429, 429]
    r = c.post("/api/v1/auth/token", json={"username": "x1", "password": "y" * 12})
    assert int(r.headers["retry-after"]) >= 1
    svc.engine.dispose()


def test_patient_fixture_works(service: Service) -> None:
    assert create_patient(service, "p-auth")
