"""Time (and optionally profile) one default ``TreatmentResponseModel().fit`` on scaling data.

The data are those of ``bench_response_scaling.py`` (``multiarm(n, n_arms=10,
design='observational')``). Prints the wall time, the seconds of each stage (from the
``progress`` callback) and, with ``--profile``, the functions with the most cumulative time.
With ``--compare``, fits once per ``--n-jobs`` value and checks that every fit predicts the
same outcomes bit for bit. With ``--schedule W``, a one-job fit also times every booster job
and replays each batch of jobs on ``W`` workers in the order the thread pool takes them: the
fit's wall time on ``W`` free cores if threads never waited for each other (the GIL, memory
bandwidth) — a projection to check against a real run, measurable on one busy core.

Usage: ``python benchmarks/profile_response_fit.py --n 200000 --n-jobs 1,2 [--profile]
[--compare] [--schedule 2]``. Pin it (``taskset -c 1``, or ``-c 0,1`` for two jobs) on a
shared machine.
"""

from __future__ import annotations

import argparse
import cProfile
import heapq
import io
import os
import pstats
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # see bench_response_scaling.py


def makespan(durations: Sequence[float], workers: int) -> float:
    """Wall time of ``durations`` taken in order by the first free of ``workers``."""
    free = [0.0] * workers
    for d in durations:
        heapq.heappush(free, heapq.heappop(free) + d)
    return max(free)


@contextmanager
def timed_jobs() -> Iterator[list[list[float]]]:
    """Run every ``run_jobs`` batch serially and record each job's seconds, batch by batch."""
    from ptsdrx.response import _learners, _nuisance

    batches: list[list[float]] = []

    def serial(jobs: Sequence[Callable[[], Any]], n_jobs: int) -> list[Any]:
        out, seconds = [], []
        for job in jobs:
            t0 = time.perf_counter()
            out.append(job())
            seconds.append(time.perf_counter() - t0)
        batches.append(seconds)
        return out

    saved = _learners.run_jobs, _nuisance.run_jobs
    _learners.run_jobs = _nuisance.run_jobs = serial  # type: ignore[assignment]
    try:
        yield batches
    finally:
        _learners.run_jobs, _nuisance.run_jobs = saved


def fit_once(data: Any, n_jobs: int, *, fast: bool, profile: bool) -> tuple[Any, dict[str, Any]]:
    """Fit on ``data``; the model and its timings (``fit_s``, ``stages``, ``profile`` text)."""
    from bench_response_scaling import _stage_times
    from ptsdrx.response import TreatmentResponseModel

    stages: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    def progress(label: str) -> None:
        stages.append((label, time.perf_counter() - t0))

    warnings.simplefilter("ignore")  # overlap warnings: the observational data are meant so
    model = TreatmentResponseModel(fast=fast, n_jobs=n_jobs)
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    model.fit(data.Y, data.T, X=data.X, progress=progress)
    if profiler is not None:
        profiler.disable()
    out: dict[str, Any] = {"fit_s": time.perf_counter() - t0, "stages": _stage_times(stages)}
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        out["profile"] = text.getvalue()
    return model, out


def main() -> None:
    """Parse the flags, fit, print."""
    from bench_response_scaling import N_ARMS, _data

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--n-jobs", default="1", help="comma-separated, e.g. 1,2")
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--compare", action="store_true", help="check the fits are identical")
    parser.add_argument("--schedule", type=int, help="project a one-job fit onto W workers")
    args = parser.parse_args()
    data, check = _data(args.n, N_ARMS, 0), _data(5_000, N_ARMS, 1)
    if args.schedule:
        with timed_jobs() as batches:
            _, out = fit_once(data, 1, fast=args.fast, profile=False)
        inside = sum(map(sum, batches))
        projected = out["fit_s"] - inside + sum(makespan(b, args.schedule) for b in batches)
        print(
            f"n={args.n:,} n_jobs=1: fit {out['fit_s']:.1f} s, of which {inside:.1f} s in "
            f"{sum(map(len, batches))} booster jobs ({len(batches)} batches); on "
            f"{args.schedule} free cores: {projected:.1f} s ({out['fit_s'] / projected:.2f}x)"
        )
        return
    predictions = {}
    for jobs in (int(j) for j in args.n_jobs.split(",")):
        model, out = fit_once(data, jobs, fast=args.fast, profile=args.profile)
        stages = ", ".join(f"{k} {v:.1f}" for k, v in out["stages"].items())
        print(f"n={args.n:,} n_jobs={jobs}: fit {out['fit_s']:.1f} s ({stages})", flush=True)
        if "profile" in out:
            print(out["profile"])
        if args.compare:
            predictions[jobs] = model.predict_outcomes(check.X).to_numpy()
    if args.compare:
        first = next(iter(predictions.values()))
        same = all(np.array_equal(first, p) for p in predictions.values())
        print(f"identical predictions for n_jobs {sorted(predictions)}: {same}")


if __name__ == "__main__":
    main()
