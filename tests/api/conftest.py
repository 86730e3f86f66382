"""API fixtures: a service on SQLite and (with ``PTSDRX_TEST_DATABASE_URL``) PostgreSQL,
one account per role, and a logged-in client for each."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text

from ptsdrx.api import create_app
from ptsdrx.api._accounts import add_user
from ptsdrx.api._security import use_cheap_hashing_for_tests
from ptsdrx.registry import Registry, make_engine, upgrade_schema
from ptsdrx.registry._models import Base
from ptsdrx.settings import Settings

PG_ENV = "PTSDRX_TEST_DATABASE_URL"
use_cheap_hashing_for_tests()  # Argon2id at full cost would dominate the suite's time
ROLES = ("admin", "clinician", "nurse", "researcher", "auditor")
PASSWORD = "correct-violet-lantern-42"
SECRET = "test-secret-" + "x" * 40


def _pg_url(schema: str) -> str:
    base = os.environ[PG_ENV]
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite registry migrated once, with one account per role (copied per test)."""
    path = tmp_path_factory.mktemp("api-template") / "registry.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    _add_staff(engine)
    engine.dispose()
    return path


def _add_staff(engine: Engine) -> None:
    reg = Registry(engine, actor="setup")
    for role in ROLES:
        add_user(reg, f"{role}1", role, PASSWORD, min_length=12)


def new_database(kind: str, tmp_path: Path, template: Path) -> tuple[str, Callable[[], None]]:
    """A migrated database with staff accounts: (url, cleanup)."""
    if kind == "sqlite":
        dest = tmp_path / f"registry-{uuid.uuid4().hex[:6]}.db"
        shutil.copyfile(template, dest)
        return f"sqlite:///{dest}", lambda: None
    if not os.environ.get(PG_ENV):
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    admin = make_engine(os.environ[PG_ENV])
    schema = f"ptsdrx_api_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _pg_url(schema)
    engine = make_engine(url)
    upgrade_schema(engine)
    _add_staff(engine)
    engine.dispose()

    def cleanup() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url, cleanup


DB_PARAMS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def settings_for(url: str, tmp_path: Path, **extra: Any) -> Settings:
    """Service settings for a test database."""
    values: dict[str, Any] = {
        "database_url": url,
        "data_dir": tmp_path,
        "secret_key": SECRET,
        "login_rate_per_minute": 1000,
        "actor": "test",
    }
    values.update(extra)
    return Settings(**values)


@dataclass
class Service:
    """A running app on a test database, with a logged-in client per role."""

    app: FastAPI
    url: str
    anonymous: TestClient
    clients: dict[str, TestClient]
    tokens: dict[str, dict[str, Any]]

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.state.engine
        return engine

    def client(self, role: str) -> TestClient:
        return self.clients[role]


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    """Log in through the API; the token response."""
    r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def make_service(url: str, tmp_path: Path, **extra: Any) -> Service:
    """Start the app and log every role in."""
    app = create_app(settings_for(url, tmp_path, **extra))
    anonymous = TestClient(app, raise_server_exceptions=False)
    clients: dict[str, TestClient] = {}
    tokens: dict[str, dict[str, Any]] = {}
    for role in ROLES:
        tok = login(anonymous, f"{role}1")
        tokens[role] = tok
        clients[role] = TestClient(
            app,
            headers={"Authorization": f"Bearer {tok['access_token']}"},
            raise_server_exceptions=False,
        )
    return Service(app, url, anonymous, clients, tokens)


@pytest.fixture(params=DB_PARAMS)
def service(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Service]:
    """A fresh service per test, on SQLite and PostgreSQL."""
    url, cleanup = new_database(request.param, tmp_path, sqlite_template)
    svc = make_service(url, tmp_path)
    try:
        yield svc
    finally:
        svc.engine.dispose()
        cleanup()


def table_state(engine: Engine, skip: tuple[str, ...] = ()) -> dict[str, tuple[int, int]]:
    """Per table: (row count, checksum of every row's values)."""
    out: dict[str, tuple[int, int]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = conn.execute(select(table)).all()
            n = conn.execute(select(func.count()).select_from(table)).scalar_one()
            digest = hash(tuple(sorted(repr(tuple(r)) for r in rows)))
            out[table.name] = (n, digest)
    return out


def sample_record(pid: str | None = None, **extra: Any) -> dict[str, Any]:
    """A small valid record (PCL-5 at baseline)."""
    rec: dict[str, Any] = {
        "as_of": "2026-01-10",
        "demographics": {"age": 41, "sex": "female", "weight_kg": 70.0},
        "diagnoses": [{"condition": "ptsd", "status": "current"}],
        "assessments": [
            {"instrument": "pcl5", "date": "2026-01-05", "responses": [2] * 20},
        ],
        "consent": {"research_use": True},
    }
    if pid is not None:
        rec["patient_id"] = pid
    rec.update(extra)
    return rec


def create_patient(svc: Service, pid: str | None = None, **identifiers: Any) -> str:
    """Register a patient as the clinician; its id."""
    body: dict[str, Any] = {"record": sample_record(pid)}
    if identifiers:
        body["identifiers"] = identifiers
    r = svc.client("clinician").post("/api/v1/patients", json=body)
    assert r.status_code == 201, r.text
    pid_out: str = r.json()["patient_id"]
    return pid_out
