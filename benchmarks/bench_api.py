"""Load benchmark of the clinic service: ``ptsdrx serve`` (uvicorn) on PostgreSQL, loopback.

50 simulated staff for 60 s: clinicians read records, list patients and store assessments;
nurses record session vitals and read their session. Reports throughput, p50/p99 per route,
errors (must be 0) and lost writes (writes acknowledged vs rows counted in the database).

    PTSDRX_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_api \\
        .venv/bin/python benchmarks/bench_api.py [--staff 50] [--seconds 60]

The database's ``public`` schema is replaced: point it at a database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

import httpx
from sqlalchemy import func, select, text

from ptsdrx.api._accounts import add_user
from ptsdrx.registry import Registry, make_engine, upgrade_schema
from ptsdrx.registry._models import AssessmentRow, SessionVitalsRow

PASSWORD = "bench-violet-lantern-42"
SECRET = "bench-secret-" + "b" * 40
PATIENTS = 200
ACCOUNTS = 5  # per role; the simulated staff share them


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str) -> None:
    """A fresh schema with accounts (the service seeds patients through the API)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade_schema(engine)
    reg = Registry(engine, actor="bench")
    for i in range(ACCOUNTS):
        add_user(reg, f"clinician{i}", "clinician", PASSWORD, min_length=12)
        add_user(reg, f"nurse{i}", "nurse", PASSWORD, min_length=12)
    engine.dispose()


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = {
            "assessments": int(conn.scalar(select(func.count()).select_from(AssessmentRow)) or 0),
            "vitals": int(conn.scalar(select(func.count()).select_from(SessionVitalsRow)) or 0),
        }
    engine.dispose()
    return out


def record(i: int) -> dict[str, Any]:
    return {
        "record": {
            "patient_id": f"bench-{i:04d}",
            "as_of": "2026-01-10",
            "demographics": {"age": 30 + i % 40, "sex": "female" if i % 2 else "male"},
            "assessments": [
                {"instrument": "pcl5", "date": "2026-01-05", "responses": [i % 5] * 20}
            ],
        },
        "identifiers": {"name": f"Bench Person {i}", "mrn": f"B{i:05d}"},
    }


class Stats:
    """Latencies per route, errors, acknowledged writes."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.acked: dict[str, int] = defaultdict(int)
        self.samples: dict[str, str] = {}

    def add(self, route: str, started: float, response: httpx.Response, ok: int) -> None:
        self.latency[route].append(1000 * (time.perf_counter() - started))
        if response.status_code != ok:
            key = f"{route} {response.status_code}"
            self.errors[key] += 1
            self.samples.setdefault(key, response.text[:300])


async def clinician(
    client: httpx.AsyncClient, token: str, stats: Stats, stop: float, rng: random.Random
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    day = 0
    while time.monotonic() < stop:
        pid = f"bench-{rng.randrange(PATIENTS):04d}"
        roll = rng.random()
        t = time.perf_counter()
        if roll < 0.4:
            r = await client.get(f"/api/v1/patients/{pid}", headers=auth)
            stats.add("GET /patients/{id}", t, r, 200)
        elif roll < 0.6:
            offset = rng.randrange(0, PATIENTS - 20)
            r = await client.get(f"/api/v1/patients?offset={offset}&limit=20", headers=auth)
            stats.add("GET /patients", t, r, 200)
        else:
            day += 1
            body = {
                "instrument": "pcl5",
                "date": f"2026-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}",
                "responses": [rng.randrange(5) for _ in range(20)],
            }
            r = await client.post(f"/api/v1/patients/{pid}/assessments", json=body, headers=auth)
            stats.add("POST /patients/{id}/assessments", t, r, 201)
            if r.status_code == 201:
                stats.acked["assessments"] += 1


async def nurse(
    client: httpx.AsyncClient,
    token: str,
    sid: int,
    stats: Stats,
    stop: float,
    rng: random.Random,
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    minute = 0
    while time.monotonic() < stop:
        t = time.perf_counter()
        if rng.random() < 0.7:
            minute += 1
            body = {
                "taken_at": f"2026-01-12T{9 + minute // 60 % 12:02d}:{minute % 60:02d}:00",
                "systolic": rng.randrange(100, 160),
                "diastolic": rng.randrange(60, 95),
                "heart_rate": rng.randrange(55, 110),
            }
            r = await client.post(f"/api/v1/sessions/{sid}/vitals", json=body, headers=auth)
            stats.add("POST /sessions/{id}/vitals", t, r, 200)
            if r.status_code == 200:
                stats.acked["vitals"] += 1
        else:
            r = await client.get(f"/api/v1/sessions/{sid}", headers=auth)
            stats.add("GET /sessions/{id}", t, r, 200)


async def run(base: str, staff: int, seconds: float) -> tuple[Stats, float]:
    limits = httpx.Limits(max_connections=staff + 5, max_keepalive_connections=staff + 5)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        tokens: dict[str, str] = {}
        for role in ("clinician", "nurse"):
            for i in range(ACCOUNTS):
                r = await client.post(
                    "/api/v1/auth/token",
                    json={"username": f"{role}{i}", "password": PASSWORD},
                )
                r.raise_for_status()
                tokens[f"{role}{i}"] = r.json()["access_token"]
        auth = {"Authorization": f"Bearer {tokens['clinician0']}"}
        for i in range(PATIENTS):
            (await client.post("/api/v1/patients", json=record(i), headers=auth)).raise_for_status()
        nurses = staff * 2 // 5
        sessions = []
        for n in range(nurses):
            r = await client.post(
                f"/api/v1/patients/bench-{n:04d}/sessions",
                json={"phase": "dosing", "treatment": "esketamine", "start": "2026-01-12T09:00:00"},
                headers={"Authorization": f"Bearer {tokens[f'nurse{n % ACCOUNTS}']}"},
            )
            r.raise_for_status()
            sessions.append(int(r.json()["session_id"]))
        stats = Stats()
        stop = time.monotonic() + seconds
        started = time.perf_counter()
        tasks = [
            nurse(
                client, tokens[f"nurse{n % ACCOUNTS}"], sessions[n], stats, stop, random.Random(n)
            )
            for n in range(nurses)
        ]
        tasks += [
            clinician(
                client, tokens[f"clinician{c % ACCOUNTS}"], stats, stop, random.Random(1000 + c)
            )
            for c in range(staff - nurses)
        ]
        await asyncio.gather(*(guarded(t, stats) for t in tasks))
        return stats, time.perf_counter() - started


async def guarded(task: Any, stats: Stats) -> None:
    """Run one simulated staff member; a transport failure is counted, not raised."""
    try:
        await task
    except httpx.TransportError as exc:
        stats.errors[f"transport {type(exc).__name__}"] += 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--staff", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    url = os.environ.get(
        "PTSDRX_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_api"
    )
    prepare(url)
    port = _port()
    env = {
        **os.environ,
        "PTSDRX_DATABASE_URL": url,
        "PTSDRX_SECRET_KEY": SECRET,
        "PTSDRX_LOGIN_RATE_PER_MINUTE": "1000",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "ptsdrx", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        before = counts(url)
        stats, elapsed = asyncio.run(run(base, args.staff, args.seconds))
        after = counts(url)
        alive = server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)
    requests = sum(len(v) for v in stats.latency.values())
    stored = {k: after[k] - before[k] - (PATIENTS if k == "assessments" else 0) for k in after}
    report = {
        "staff": args.staff,
        "seconds": round(elapsed, 1),
        "server_alive_at_end": alive,
        "requests": requests,
        "throughput_rps": round(requests / elapsed, 1),
        "errors": dict(stats.errors),
        "error_samples": stats.samples,
        "acknowledged_writes": dict(stats.acked),
        "stored_writes": stored,
        "lost_writes": {k: stats.acked[k] - stored[k] for k in stats.acked},
        "routes": {
            route: {
                "n": len(v),
                "p50_ms": round(statistics.median(v), 1),
                "p99_ms": round(percentile(v, 0.99), 1),
            }
            for route, v in sorted(stats.latency.items())
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
