"""Web dashboard render time: p50/p99 per page with a registry of 10,000 patients.

The application is ``ptsdrx.api.create_app`` (API and dashboard) on a SQLite registry in a
temporary folder, driven in process through Starlette's TestClient as a signed-in user,
so the figures are server time (routing, auth, queries, audit writes, templates, the SVG
chart), not network. Each patient has three PCL-5 and three PHQ-9 (about 5% with a positive
item 9, so the safety-first ordering has work to do), a fifth an active ketamine episode.
Writes ``docs/benchmarks/web.md``. Goal (issue 14): p99 under 200 ms per page on 2 cores.

Usage: ``python benchmarks/bench_web.py [--patients 10000] [--repeats 60]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "web.md"
PASSWORD = "Tq7-wombat-lantern-92"


def build(engine: Any, n: int, seed: int = 7) -> list[str]:
    """Register ``n`` synthetic patients in batches of 500 (one transaction each)."""
    from ptsdrx.records import PatientRecord
    from ptsdrx.registry import Registry
    from ptsdrx.registry._db import utcnow
    from ptsdrx.registry._models import TreatmentEpisodeRow

    rng = random.Random(seed)
    reg = Registry(engine, actor="bench")
    ids: list[str] = []
    start = date(2026, 6, 1)
    for first in range(0, n, 500):
        with reg.transaction() as session:
            for i in range(first, min(n, first + 500)):
                pcl0 = rng.randint(30, 70)
                assessments = []
                for k in range(3):
                    day = (start + timedelta(days=28 * k + rng.randint(0, 5))).isoformat()
                    pcl = max(0, pcl0 - k * rng.randint(0, 10))
                    items = [pcl // 20 + (1 if j < pcl % 20 else 0) for j in range(20)]
                    phq = [rng.randint(0, 2) for _ in range(8)]
                    phq.append(1 if rng.random() < 0.05 else 0)
                    assessments += [
                        {"instrument": "pcl5", "date": day, "responses": items},
                        {"instrument": "phq9", "date": day, "responses": phq},
                    ]
                record = PatientRecord.model_validate(
                    {
                        "patient_id": f"pt-bench{i:06d}",
                        "as_of": "2026-09-01",
                        "demographics": {"age": rng.randint(18, 80), "jurisdiction": "US"},
                        "assessments": assessments,
                        "consent": {"research_use": rng.random() < 0.7},
                    }
                )
                pid = reg.insert_record(session, record)
                ids.append(pid)
                if i % 5 == 0:
                    session.add(
                        TreatmentEpisodeRow(
                            patient_id=pid,
                            treatment="ketamine_iv",
                            started_on=start,
                            ended_on=None,
                            status="active",
                            note=None,
                            created_at=utcnow(),
                            created_by="bench",
                        )
                    )
    return ids


def timed(call: Callable[[], Any], repeats: int) -> list[float]:
    """Milliseconds per call (after one warm-up call)."""
    call()
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        response = call()
        out.append(1000 * (time.perf_counter() - t))
        assert response.status_code == 200, (response.status_code, response.text[:300])
    return out


def p(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * len(s)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from ptsdrx.api import create_app
    from ptsdrx.api._accounts import add_user
    from ptsdrx.registry import Registry
    from ptsdrx.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="bench_web_"))
    settings = Settings(
        data_dir=tmp,
        database_url=f"sqlite:///{tmp / 'registry.db'}",
        secret_key="bench-web-secret-" + "b" * 40,
        login_rate_per_minute=1000,
    )
    app = create_app(settings)
    engine = app.state.engine
    t0 = time.perf_counter()
    ids = build(engine, args.patients)
    build_s = time.perf_counter() - t0
    for role in ("clinician", "nurse", "researcher", "admin"):
        add_user(Registry(engine, actor="bench"), role, role, PASSWORD, min_length=12)

    def signed_in(role: str) -> Any:
        c = TestClient(app, base_url="http://127.0.0.1")
        r = c.post("/login", data={"username": role, "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 303
        return c

    clin, nurse, research, admin = (
        signed_in(r) for r in ("clinician", "nurse", "researcher", "admin")
    )
    csrf = {"X-CSRF-Token": str(clin.cookies.get("ptsdrx_csrf"))}
    rng = random.Random(11)
    pick = lambda: rng.choice(ids)  # noqa: E731
    started = nurse.post(
        f"/patients/{ids[0]}/sessions/new",
        data={"treatment": "ketamine_iv", "phase": "dosing", "start": "2026-09-01T09:00"},
        headers={"X-CSRF-Token": str(nurse.cookies.get("ptsdrx_csrf"))},
        follow_redirects=False,
    )
    session_url = started.headers["location"]
    items = {f"item_{i}": "2" for i in range(1, 21)}
    pages: list[tuple[str, Callable[[], Any], int]] = [
        ("patient list, page 1 (clinician)", lambda: clin.get("/patients"), args.repeats),
        ("patient list, page 200", lambda: clin.get("/patients?page=200"), args.repeats),
        ("patient list, search by id", lambda: clin.get("/patients?q=bench0042"), args.repeats),
        (
            "patient list, de-identified (researcher)",
            lambda: research.get("/patients"),
            args.repeats,
        ),
        (
            "patient page (record, assessments, episodes)",
            lambda: clin.get(f"/patients/{pick()}"),
            args.repeats,
        ),
        (
            "trajectory chart fragment (drawn, loaded after the page)",
            lambda: clin.get(f"/patients/{pick()}/chart"),
            args.repeats,
        ),
        ("PCL-5 entry form", lambda: clin.get(f"/patients/{pick()}/assess/pcl5"), args.repeats),
        (
            "PCL-5 live scoring fragment",
            lambda: clin.post(f"/patients/{ids[1]}/assess/pcl5/score", data=items, headers=csrf),
            args.repeats,
        ),
        ("dosing session page (nurse)", lambda: nurse.get(session_url), args.repeats),
        ("open sessions (nurse)", lambda: nurse.get("/sessions"), args.repeats),
        ("admin", lambda: admin.get("/admin"), args.repeats),
        (
            "ranked options fragment (screening, recommend, figure)",
            lambda: clin.post(f"/patients/{pick()}/options", headers=csrf),
            max(10, args.repeats // 4),
        ),
    ]
    rows = []
    for name, call, repeats in pages:
        ms = timed(call, repeats)
        rows.append((name, repeats, statistics.median(ms), p(ms, 0.99), max(ms)))
        print(f"{name:60s} p50 {rows[-1][2]:7.1f} ms  p99 {rows[-1][3]:7.1f} ms", flush=True)

    goal = 200.0
    lines = [
        "## Web dashboard (issue 14)",
        "",
        f"Render time per page, server side (in-process TestClient as a signed-in user), with "
        f"a SQLite registry of {args.patients:,} patients ({6 * args.patients:,} assessments; "
        f"built in {build_s:.0f} s). Every page includes authentication, its audit writes and "
        "template rendering; the trajectory SVG is its own fragment, fetched by the page once "
        "its text is shown. "
        f"`python benchmarks/bench_web.py`.",
        "",
        "| page | requests | p50 (ms) | p99 (ms) | max (ms) | p99 < 200 ms |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, n, p50, p99, mx in rows:
        lines.append(
            f"| {name} | {n} | {p50:.0f} | {p99:.0f} | {mx:.0f} | {'yes' if p99 < goal else 'no'} |"
        )
    lines += [
        "",
        "The ranked-options fragment is loaded on demand (a button on the patient page), not "
        "with the page: it runs screening and the recommender and draws the outcome figure.",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
