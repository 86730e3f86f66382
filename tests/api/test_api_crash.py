"""Crash safety: ``ptsdrx serve`` killed with SIGKILL in the middle of a batch import and
during a stream of session vitals; after a restart there is no partial record and every
acknowledged write is present (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from tests.api.conftest import DB_PARAMS, PASSWORD, new_database, sample_record
from tests.api.test_api_docs import free_port, service_env, start_server

from ptsdrx.registry import make_engine
from ptsdrx.registry._models import Patient, SessionVitalsRow


@pytest.fixture(params=DB_PARAMS)
def crash_db(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    url, cleanup = new_database(request.param, tmp_path, sqlite_template)
    yield url
    cleanup()


def _token(base: str, user: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", json={"username": user, "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _patients(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = int(conn.scalar(select(func.count()).select_from(Patient)) or 0)
    engine.dispose()
    return n


def test_kill_during_batch_import_and_vitals(crash_db: str, tmp_path: Path) -> None:
    env = service_env(tmp_path, PTSDRX_DATABASE_URL=crash_db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port)
    try:
        clin = _token(base, "clinician1")
        r = httpx.post(
            f"{base}/api/v1/patients", json={"record": sample_record("p-crash")}, headers=clin
        )
        assert r.status_code == 201
        before = _patients(crash_db)
        batch = "\n".join(json.dumps(sample_record(f"batch-{i:04d}")) for i in range(1500))

        answered: list[int] = []

        def send() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                r = httpx.post(
                    f"{base}/api/v1/patients/import",
                    content=batch,
                    headers={**clin, "Content-Type": "application/x-ndjson"},
                    timeout=120,
                )
                answered.append(r.status_code)

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(1.5)  # mid-import (1,500 scored records take several seconds)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        sender.join(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    after_import = _patients(crash_db)
    assert after_import in (before, before + 1500), "a batch is all or nothing"
    if not answered:  # killed mid-import: nothing of the batch was kept
        assert after_import == before

    server = start_server(env, port)
    try:
        nurse = _token(base, "nurse1")
        start = {"phase": "dosing", "treatment": "esketamine", "start": "2026-01-12T09:00:00"}
        sid = httpx.post(
            f"{base}/api/v1/patients/p-crash/sessions", json=start, headers=nurse
        ).json()["session_id"]
        acked: list[int] = []
        stop = threading.Event()

        def stream() -> None:
            for minute in range(600):
                if stop.is_set():
                    return
                body = {
                    "taken_at": f"2026-01-12T{9 + minute // 60:02d}:{minute % 60:02d}:00",
                    "heart_rate": 60 + minute % 40,
                }
                try:
                    r = httpx.post(
                        f"{base}/api/v1/sessions/{sid}/vitals", json=body, headers=nurse, timeout=30
                    )
                except httpx.HTTPError:
                    return
                if r.status_code == 200:
                    acked.append(minute)

        streamer = threading.Thread(target=stream)
        streamer.start()
        deadline = time.monotonic() + 60
        while len(acked) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        stop.set()
        streamer.join(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert len(acked) >= 20
    server = start_server(env, port)  # restart: every acknowledged reading is there
    try:
        r = httpx.get(f"{base}/api/v1/sessions/{sid}", headers=_token(base, "nurse1"))
        stored = r.json()["session"]["vitals"]
        minutes = {int(v["taken_at"][11:13]) * 60 + int(v["taken_at"][14:16]) - 540 for v in stored}
        assert set(acked) <= minutes
        assert len(stored) <= len(acked) + 1  # at most the one in flight when killed
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine = make_engine(crash_db)
    with engine.connect() as conn:
        assert int(conn.scalar(select(func.count()).select_from(SessionVitalsRow))) == len(stored)
    engine.dispose()
