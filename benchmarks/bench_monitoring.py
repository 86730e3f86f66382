"""Monitoring speed and agreement: trajectories, relapse, alerts, time-to-relapse fits.

Side by side, in the same run:

- ``trajectory()`` per patient (through ``ptsdrx.instruments._change`` at every follow-up)
  against a vectorised NumPy computation of the same default definitions on the wide cohort
  frame (response <= -30 %, remission < 33, relapse = back at/above 33 after remission or a
  rise >= the PCL-5 RCI threshold from the nadir). Reports time per patient and agreement.
- ``relapse_survival()`` against calling lifelines' ``KaplanMeierFitter``/``CoxPHFitter``
  directly on the same table (the overhead of the results object).
- ``session_alerts()`` + ``missing_required_readings()`` per 30-reading session.

Usage: ``python benchmarks/bench_monitoring.py [--n 2000]``; writes
``docs/benchmarks/monitoring.md``.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "monitoring.md"
WEEKS = {"pcl5_w0": 0, "pcl5_w4": 4, "pcl5_w8": 8, "pcl5_w12": 12, "pcl5_w26": 26, "pcl5_w52": 52}


def vectorised_relapse(frame: pd.DataFrame, rci: float, cut: float = 33.0) -> pd.DataFrame:
    """The default relapse rules on a complete wide frame, in NumPy (one pass per column)."""
    w = frame[list(WEEKS)].to_numpy(dtype=float)
    base = w[:, :1]
    pct = np.where(base > 0, 100.0 * (w - base) / np.where(base > 0, base, 1.0), np.nan)
    resp, rem = pct <= -30.0, w < cut
    n, k = w.shape
    well_seen = np.zeros(n, bool)
    rem_seen = np.zeros(n, bool)
    nadir = np.full(n, np.inf)
    relapse = np.full(n, -1)
    first_well = np.full(n, -1)
    for j in range(1, k):
        open_ = relapse < 0
        hit = open_ & well_seen & ((rem_seen & ~rem[:, j]) | (w[:, j] - nadir >= rci))
        relapse[hit] = j
        stay = open_ & ~hit
        now_well = stay & (resp[:, j] | rem[:, j])
        first_well[now_well & (first_well < 0)] = j
        well_seen |= now_well
        rem_seen |= stay & rem[:, j]
        nadir = np.where(stay & well_seen, np.minimum(nadir, w[:, j]), nadir)
    return pd.DataFrame({"first_well": first_well, "relapse": relapse})


def bench_trajectories(n: int) -> dict[str, float]:
    from ptsdrx.cohort import simulate
    from ptsdrx.instruments import change
    from ptsdrx.monitoring import trajectory
    from ptsdrx.records import Administration, PatientRecord

    frame = simulate(n, random_state=0).dropna(subset=list(WEEKS)).reset_index(drop=True)
    start = datetime(2026, 1, 5).date()
    records = [
        PatientRecord(
            patient_id=str(i),
            assessments=[
                Administration(
                    instrument="pcl5", date=start + timedelta(weeks=wk), total=float(row[c])
                )
                for c, wk in WEEKS.items()
            ],
        )
        for i, row in enumerate(frame[list(WEEKS)].to_dict("records"))
    ]
    t0 = time.perf_counter()
    trajs = [trajectory(r) for r in records]
    t_ptsdrx = time.perf_counter() - t0
    rci = change(50, 50).rci_threshold
    assert rci is not None
    t0 = time.perf_counter()
    vec = vectorised_relapse(frame, rci)
    t_vec = time.perf_counter() - t0
    index = {d: j for j, d in enumerate(start + timedelta(weeks=wk) for wk in WEEKS.values())}
    ours_relapse = [index[t.relapse.date] if t.relapse else -1 for t in trajs]
    ours_well = [
        min((index[d] for d in (t.first_response, t.first_remission) if d), default=-1)
        for t in trajs
    ]
    agree = np.mean(
        (np.array(ours_relapse) == vec["relapse"].to_numpy())
        & (np.array(ours_well) == vec["first_well"].to_numpy())
    )
    return {
        "patients": len(records),
        "ptsdrx_s": t_ptsdrx,
        "vector_s": t_vec,
        "agreement": float(agree),
        "relapses": int(sum(r >= 0 for r in ours_relapse)),
        "well": int(sum(w >= 0 for w in ours_well)),
    }


def bench_survival(n: int) -> dict[str, float]:
    from lifelines import CoxPHFitter, KaplanMeierFitter

    from ptsdrx.cohort import simulate
    from ptsdrx.monitoring import relapse_survival, relapse_table_from_wide

    frame = simulate(n, random_state=1)
    t0 = time.perf_counter()
    table = relapse_table_from_wide(frame, WEEKS)
    t_table = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = relapse_survival(table, penalizer=0.01)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _, sub in table.groupby("treatment"):
        KaplanMeierFitter().fit(sub["days"], sub["relapsed"])
    design = pd.get_dummies(table["treatment"], dtype=float).iloc[:, 1:]
    design["d"], design["e"] = table["days"].to_numpy(), table["relapsed"].to_numpy()
    CoxPHFitter(penalizer=0.01).fit(design, "d", "e")
    t_direct = time.perf_counter() - t0
    return {
        "rows": len(table),
        "arms": table["treatment"].nunique(),
        "table_s": t_table,
        "ours_s": t_ours,
        "direct_s": t_direct,
        "logrank_p": result.logrank_p or math.nan,
    }


def bench_alerts(repeats: int) -> dict[str, float]:
    from ptsdrx.monitoring import (
        Dose,
        DosingSession,
        SessionVitals,
        missing_required_readings,
        session_alerts,
    )

    t0 = datetime(2026, 3, 2, 9, 0)
    rng = np.random.default_rng(0)
    readings = tuple(
        SessionVitals(
            taken_at=t0 + timedelta(minutes=5 * i),
            systolic=float(rng.integers(120, 190)),
            diastolic=float(rng.integers(70, 105)),
            heart_rate=float(rng.integers(60, 125)),
            spo2=float(rng.integers(90, 100)),
            temperature_c=36.8,
        )
        for i in range(30)
    )
    session = DosingSession(
        phase="dosing",
        treatment="ketamine_iv",
        start=t0,
        doses=(Dose(given_at=t0 + timedelta(minutes=12), mg_per_kg=0.5, route="iv"),),
        vitals=readings,
    )
    session_alerts(session)
    start = time.perf_counter()
    for _ in range(repeats):
        alerts = session_alerts(session)
        missing_required_readings(session)
    per = (time.perf_counter() - start) / repeats
    return {
        "sessions": repeats,
        "total_s": per * repeats,
        "ms_per_session": 1000 * per,
        "alerts": len(alerts),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--alert-repeats", type=int, default=200)
    args = parser.parse_args()
    traj = bench_trajectories(args.n)
    surv = bench_survival(args.n)
    alerts = bench_alerts(args.alert_repeats)
    us = 1e6 * traj["ptsdrx_s"] / traj["patients"]
    us_vec = 1e6 * traj["vector_s"] / traj["patients"]
    lines = [
        "# Monitoring benchmark",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/bench_monitoring.py` on "
        f"{platform.machine()}, 2 CPUs (shared with other jobs), Python "
        f"{sys.version.split()[0]}.",
        "",
        "| run | units | seconds | per unit |",
        "| --- | ---: | ---: | ---: |",
        f"| `trajectory()` per patient, 6 PCL-5 points (simulated cohort) | "
        f"{traj['patients']:,} patients | {traj['ptsdrx_s']:.2f} | {us:,.0f} µs |",
        f"| vectorised NumPy, same default rules | {traj['patients']:,} patients | "
        f"{traj['vector_s']:.3f} | {us_vec:,.1f} µs |",
        f"| `relapse_table_from_wide()` | {args.n:,} patients | {surv['table_s']:.2f} | |",
        f"| `relapse_survival()` (KM per arm, log-rank, Cox) | {surv['rows']:,} at risk, "
        f"{surv['arms']} arms | {surv['ours_s']:.2f} | |",
        f"| lifelines KM per arm + Cox called directly | {surv['rows']:,} at risk | "
        f"{surv['direct_s']:.2f} | |",
        f"| `session_alerts()` + `missing_required_readings()`, 30 readings | "
        f"{alerts['sessions']} sessions | {alerts['total_s']:.2f} | "
        f"{alerts['ms_per_session']:.2f} ms |",
        "",
        f"- Agreement between `trajectory()` and the vectorised rules on first well week and "
        f"first relapse week: **{100 * traj['agreement']:.1f}%** of {traj['patients']:,} "
        f"patients ({traj['well']:,} reached response or remission, {traj['relapses']:,} "
        "relapsed).",
        f"- The per-patient path is **{us / max(us_vec, 1e-9):,.0f}x** slower than the "
        "vectorised rules: it validates every record, scores every administration and keeps "
        "each `ChangeResult` with its sources. It serves the clinic (one patient, a timeline) "
        "and registries up to ~10^5 patients in minutes; a cohort of millions should use the "
        "vectorised rules (not shipped: they would duplicate the configurable rules).",
        f"- `relapse_survival()` costs {surv['ours_s'] / max(surv['direct_s'], 1e-9):.1f}x the "
        "direct lifelines calls (it adds the log-rank test and convergence checks).",
        f"- Alert engine: {alerts['ms_per_session']:.2f} ms per 30-reading session "
        f"({alerts['alerts']} alerts on the random test session): fast enough to run after "
        "every new reading.",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
