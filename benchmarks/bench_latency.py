"""Latency of ``recommend()`` before/after ``FastScorer``, where it goes, and scoring candidates.

Run: ``.venv/bin/python benchmarks/bench_latency.py --model demo-output/model``
(``ptsdrx demo`` writes that directory). Prints a Markdown report; ``--out FILE`` also
writes it. Sized for a shared 2-core machine: the 10 example patients, a few repeats.

Candidates for scoring every arm (same fitted model, same rows):

- ``sklearn``: ``TreatmentResponseModel.predict_outcomes`` (each LightGBM booster through its
  scikit-learn wrapper), the path ``recommend()`` took;
- ``native``: ``ptsdrx.batch.FastScorer`` (each booster's own C predictor, one pass);
- ``compact``: ``ptsdrx.response.CompactScorer`` distilled from the model (oblivious trees);
- ``treelite``: all boosters concatenated into one treelite model, GTIL per-tree outputs
  summed per booster (only when ``treelite`` is installed: it is not a dependency).
"""

from __future__ import annotations

import argparse
import glob
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def _percentiles(times: list[float]) -> tuple[float, float]:
    a = np.asarray(times) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def _time(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def _profile(fn: Callable[[Any], Any], records: list[Any], top: int = 14) -> list[str]:
    """The top lines of a cProfile of ``fn`` over every record, by cumulative time."""
    import cProfile
    import io
    import pstats

    rounds = 20
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(rounds):
        for rec in records:
            fn(rec)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    calls = rounds * len(records)
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])
    lines = [
        "| function | ms per recommend() (profiled) | calls per recommend() |",
        "|---|---:|---:|",
    ]
    for (file, line, name), (_, ncalls, _, cum, _) in rows:
        if "ptsdrx" not in file or len(lines) >= top + 2:
            continue
        where = file.split("src/")[-1]
        lines.append(
            f"| `{where}:{line}({name})` | {1000 * cum / calls:.2f} | {ncalls / calls:g} |"
        )
    return lines


def _treelite(model: Any, fast: Any) -> Callable[[Any], Any] | None:
    """Outcomes through one concatenated treelite model (GTIL), or None if not installed."""
    try:
        import treelite
        import treelite.frontend
        import treelite.gtil
    except ImportError:
        return None
    bases = list(fast._boosters.items())
    cat = treelite.Model.concatenate(
        [treelite.frontend.from_lightgbm(b.booster_) for _, b in bases]
    )
    sizes = [b.booster_.num_trees() for _, b in bases]
    starts = np.cumsum([0, *sizes[:-1]])

    def outcomes(Xa: Any) -> Any:
        per_tree = treelite.gtil.predict_per_tree(cat, Xa).reshape(len(Xa), -1)
        per_model = np.add.reduceat(per_tree, starts, axis=1)
        native = dict(fast._native)
        for j, (key, _) in enumerate(bases):
            col = per_model[:, j].copy()
            native[key] = lambda _x, c=col: c
        saved, fast._native = fast._native, native
        try:
            return fast.outcomes(Xa)
        finally:
            fast._native = saved

    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("demo-output/model"))
    parser.add_argument("--patients", type=Path, default=Path("examples/patients"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, default=20_000, help="Rows for throughput.")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from ptsdrx.batch import FastScorer
    from ptsdrx.commands.recommend import load_model_dir
    from ptsdrx.features import from_cohort, from_records
    from ptsdrx.recommend import recommend
    from ptsdrx.records import load_record
    from ptsdrx.response import CompactScorer

    model, remission, card = load_model_dir(args.model)
    records = [load_record(f) for f in sorted(glob.glob(str(args.patients / "*.json")))]
    lines = ["# Latency and scoring candidates", ""]

    # ---------------------------------------------------------- recommend() before / after
    def call(m: Any, rem: Any) -> Callable[[Any], Any]:
        return lambda rec: recommend(rec, model=m, remission_model=rem, model_card=card)

    recommend(records[0], model=model, remission_model=remission, model_card=card)  # warm
    before = [
        t
        for _ in range(max(1, args.repeat // 3))
        for rec in records
        for t in _time(lambda rec=rec: call(model, remission)(rec), 1)
    ]
    # the serving scorer, and the same scorer on LightGBM's pred_contrib (no tables): patient
    # by patient in turn, so both see the same speed of the machine
    paths = {
        "tables": call(
            FastScorer(model).warm(), FastScorer(remission).warm() if remission else None
        ),
        "native": call(
            FastScorer(model, tables=False).warm(),
            FastScorer(remission, tables=False).warm() if remission else None,
        ),
        "none": lambda rec: recommend(rec),
    }
    timed: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(args.repeat * 10):
        for rec in records:
            for name, fn in paths.items():
                timed[name] += _time(lambda fn=fn, rec=rec: fn(rec), 1)
    fast = FastScorer(model).warm()
    X1 = from_records(records[:1], schema=model.feature_schema_)
    bare = _time(lambda: model.predict_outcomes(X1), 20)
    bare_fast = _time(lambda: (fast.forget(), fast.predict_outcomes(X1)), 50)
    lines += [
        "## recommend() per patient (demo model + remission model, 10 example patients)",
        "",
        "| path | p50 ms | p99 ms | n |",
        "|---|---:|---:|---:|",
    ]
    for name, ts in (
        ("recommend(model=TreatmentResponseModel) - before", before),
        ("recommend(model=FastScorer) - serving (decision-pattern tables)", timed["tables"]),
        ("recommend(model=FastScorer(tables=False)) - LightGBM pred_contrib", timed["native"]),
        ("recommend() without a model (screening, evidence, prior)", timed["none"]),
        ("bare predict_outcomes, 1 row (sklearn wrappers)", bare),
        ("bare FastScorer.predict_outcomes, 1 row (uncached)", bare_fast),
    ):
        p50, p99 = _percentiles(ts)
        lines.append(f"| {name} | {p50:.1f} | {p99:.1f} | {len(ts)} |")

    # ------------------------------------------- one patient's TreeSHAP: tables vs LightGBM
    tables = fast.tables().tables
    row = X1.to_numpy(dtype=float)
    boosters = [fast._boosters[k].booster_ for k in tables.keys]
    lgbm = np.stack([b.predict(row, pred_contrib=True, num_threads=1)[0] for b in boosters])
    t_tab = [t for _ in range(200) for t in _time(lambda: tables.contrib(row), 1)]
    t_lgb = [
        t
        for _ in range(50)
        for t in _time(
            lambda: [b.predict(row, pred_contrib=True, num_threads=1) for b in boosters], 1
        )
    ]
    diff = float(np.abs(tables.contrib(row)[1][0] - lgbm).max())
    lines += [
        "",
        f"## One patient's TreeSHAP over the {len(boosters)} tabled boosters",
        "",
        "| path | p50 ms | p99 ms | max abs diff vs pred_contrib |",
        "|---|---:|---:|---:|",
    ]
    for name, ts, d in (
        ("decision-pattern tables (`TreeTables.contrib`)", t_tab, f"{diff:.1e}"),
        ("LightGBM `pred_contrib`, one call per booster", t_lgb, "0"),
    ):
        p50, p99 = _percentiles(ts)
        lines.append(f"| {name} | {p50:.2f} | {p99:.2f} | {d} |")

    # ------------------------------------------------------------- where the time goes
    lines += ["", "## Where one recommend() call goes (cProfile, serving scorer)", ""]
    lines += _profile(paths["tables"], records)

    # --------------------------------------------------------------- scoring candidates
    from ptsdrx.cohort import TREATMENTS, simulate

    cohort = simulate(args.rows, design="randomized", arms=list(TREATMENTS), random_state=5)
    X = from_cohort(cohort)
    Xa = X.to_numpy(dtype=float)
    t0 = time.perf_counter()
    compact = CompactScorer.from_model(model, X.iloc[: min(len(X), 20_000)], random_state=0)
    compact_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    treelite_outcomes = _treelite(model, fast)
    treelite_build = time.perf_counter() - t0
    full = model._outcomes(Xa)
    candidates: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
        "sklearn wrappers (model.predict_outcomes)": (
            lambda x: model._outcomes(x),
            lambda x: model.predict_outcomes(x),
        ),
        "FastScorer (tables up to 32 rows, else LightGBM C)": (fast.outcomes, fast.outcomes),
        "CompactScorer (distilled)": (compact._predict, compact._predict),
    }
    if treelite_outcomes is not None:
        candidates["treelite GTIL (concatenated)"] = (treelite_outcomes, treelite_outcomes)
    lines += [
        "",
        f"## Scoring all {len(model.arms_)} arms: latency (1 row) and throughput "
        f"({len(Xa):,} rows, 1 thread)",
        "",
        "| candidate | 1-row p50 ms | 1-row p99 ms | rows/s | max abs diff vs model "
        "(PCL-5) | RMSE | best-arm agreement |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (block, _one) in candidates.items():
        single = [t for i in range(30) for t in _time(lambda i=i, f=block: f(Xa[i : i + 1]), 1)]
        t0 = time.perf_counter()
        got = block(Xa)
        rate = len(Xa) / (time.perf_counter() - t0)
        diff = np.abs(got - full)
        agree = float(np.mean(got.argmin(1) == full.argmin(1)))
        p50, p99 = _percentiles(single)
        lines.append(
            f"| {name} | {p50:.2f} | {p99:.2f} | {rate:,.0f} | {diff.max():.2g} | "
            f"{float(np.sqrt(np.mean(diff**2))):.2g} | {agree:.4f} |"
        )
    lines += [
        "",
        f"Build: CompactScorer {compact_build:.1f} s (distilled on 20,000 rows; "
        f"held-out fidelity {compact.fidelity_}); treelite conversion {treelite_build:.1f} s.",
        f"Trees in the model: {sum(b.booster_.num_trees() for b in fast._boosters.values()):,} "
        f"in {len(fast._boosters)} boosters.",
        "",
        f"Machine: shared 2 cores (load average during the run: "
        f"{' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}).",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report, "utf-8")


if __name__ == "__main__":
    main()
