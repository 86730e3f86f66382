"""Response-model scaling: fit time, peak memory and all-arm scoring throughput (issue 5).

On simulated observational data with 10 arms (``ptsdrx.response.multiarm``), at n = 10k, 100k
and 1M, each configuration in a fresh subprocess so that its peak memory is its own:

- ``TreatmentResponseModel.fit`` (default and ``fast=True``, ``n_jobs=2``): wall time, the
  time of each stage (from the ``progress`` callback) and the peak resident set size;
- scoring every arm: the full model's ``predict_outcomes``, the ``CompactScorer`` distilled
  from it (build time, fidelity on held-out rows, patients per second), and side by side the
  library a user would otherwise use, EconML's ``DRLearner`` with the same LightGBM bases
  (fit time, ``const_marginal_effect`` throughput for all arms), with sqrt(PEHE) of each
  against the simulator's truth.

Peak memory is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the worker process: the whole
process (interpreter, libraries, data), not only the model.

Workers run with ``OMP_WAIT_POLICY=passive`` unless it is set: on a shared machine, OpenMP's
default spin-waiting makes LightGBM with 2 threads many times slower whenever another process
holds a core (measured: 5 fits of 30k rows took 64 s active, 5.5 s passive, under load).

Usage: ``python benchmarks/bench_response_scaling.py [--sizes 10000,100000,1000000]
[--fast-sizes ...] [--econml-sizes ...] [--out PATH]``; writes
``docs/benchmarks/response_scaling.md`` unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "response_scaling.md"
N_ARMS = 10
N_JOBS = 2
FULL_SCORE_ROWS = 10_000  # the full model scores a few thousand rows/s: keep its timing short
SCORE_ROWS = 200_000
TARGET_FIT_S, GOAL_FIT_S = 600, 300  # 1M patients x 10 arms on 2 cores
TARGET_RATE, GOAL_RATE = 100_000, 200_000  # patients per second, all arms


def peak_rss_gib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _data(n: int, n_arms: int, seed: int) -> Any:
    from ptsdrx.response import multiarm

    return multiarm(n, n_arms=n_arms, design="observational", random_state=seed)


def _sqrt_pehe(outcomes: np.ndarray, truth: np.ndarray) -> float:
    """sqrt(PEHE) over every arm's effect against arm 0 (the truth's first column)."""
    est, true = outcomes - outcomes[:, [0]], truth - truth[:, [0]]
    return float(np.sqrt(np.mean((est[:, 1:] - true[:, 1:]) ** 2)))


def _rate(fn: Callable[[], Any], rows: int) -> float:
    t0 = time.perf_counter()
    fn()
    return rows / (time.perf_counter() - t0)


def run_fit(
    n: int,
    *,
    fast: bool = False,
    n_arms: int = N_ARMS,
    n_jobs: int = N_JOBS,
    full_score_rows: int = FULL_SCORE_ROWS,
    score_rows: int = SCORE_ROWS,
    seed: int = 0,
    report: Callable[[str], None] = lambda _label: None,
) -> dict[str, Any]:
    """Fit the model on ``n`` rows, then time all-arm scoring by the model and its distillate."""
    from ptsdrx.response import CompactScorer, TreatmentResponseModel

    warnings.simplefilter("ignore")
    data, test = _data(n, n_arms, seed), _data(score_rows, n_arms, seed + 1)
    rss_data = peak_rss_gib()
    stages: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    def progress(label: str) -> None:
        stages.append((label, time.perf_counter() - t0))
        report(label)

    model = TreatmentResponseModel(fast=fast, n_jobs=n_jobs, random_state=seed)
    model.fit(data.Y, data.T, X=data.X, progress=progress)
    fit_s = time.perf_counter() - t0
    rss_fit = peak_rss_gib()
    report("scoring with the full model")
    head = test.X.iloc[:full_score_rows]
    t0 = time.perf_counter()
    full = model.predict_outcomes(head)
    full_rate = len(head) / (time.perf_counter() - t0)
    report("distilling the compact scorer")
    t0 = time.perf_counter()
    scorer = CompactScorer.from_model(model, data.X, random_state=seed)
    build_s = time.perf_counter() - t0
    compact = scorer.predict_outcomes(test.X)
    rates = {}
    for jobs in (1, n_jobs):
        scorer.n_jobs = jobs
        rates[jobs] = _rate(lambda: scorer.predict_outcomes(test.X), len(test.X))
    truth = test.mu[model.arms_].to_numpy()
    m = len(head)
    return {
        "kind": "fit",
        "n": n,
        "fast": fast,
        "fit_s": fit_s,
        "stages": _stage_times(stages),
        "weights": model.weights_,
        "rss_data_gib": rss_data,
        "rss_fit_gib": rss_fit,
        "rss_end_gib": peak_rss_gib(),
        "full_rate": full_rate,
        "compact_build_s": build_s,
        "compact_rate_1": rates[1],
        "compact_rate_jobs": rates[n_jobs],
        "fidelity": scorer.fidelity_,
        "pehe_full": _sqrt_pehe(full.to_numpy(), truth[:m]),
        "pehe_compact": _sqrt_pehe(compact.to_numpy()[:m], truth[:m]),
        "pehe_compact_all": _sqrt_pehe(compact.to_numpy(), truth),
    }


def _stage_times(stages: list[tuple[str, float]]) -> dict[str, float]:
    """Seconds per stage from the progress timestamps, folds summed ("nuisance fold 2/3")."""
    out: dict[str, float] = {}
    last = 0.0
    for label, t in stages:
        key = re.sub(r"\s*\d+/\d+$", "", label).removeprefix("learner ")
        out[key] = out.get(key, 0.0) + t - last
        last = t
    return out


def run_econml(
    n: int,
    *,
    n_arms: int = N_ARMS,
    n_jobs: int = N_JOBS,
    score_rows: int = SCORE_ROWS,
    seed: int = 0,
    report: Callable[[str], None] = lambda _label: None,
) -> dict[str, Any]:
    """EconML ``DRLearner`` with our LightGBM bases, 3 folds, median imputation (no NaN).

    ``min_propensity=0.01`` matches our ``propensity_clip`` (EconML's default, 1e-6, lets the
    pseudo-outcomes explode where arms barely overlap, as they do here).
    """
    from econml.dr import DRLearner
    from lightgbm import LGBMClassifier, LGBMRegressor
    from sklearn.impute import SimpleImputer

    from ptsdrx.response._base_learners import params_for

    warnings.simplefilter("ignore")
    data, test = _data(n, n_arms, seed), _data(score_rows, n_arms, seed + 1)
    common: dict[str, Any] = {"random_state": seed, "n_jobs": n_jobs, "verbose": -1}
    est = DRLearner(
        model_propensity=LGBMClassifier(**common, **params_for("propensity", None, False)),
        model_regression=LGBMRegressor(**common, **params_for("outcome", None, False)),
        model_final=LGBMRegressor(**common, **params_for("effect", None, False)),
        cv=3,
        min_propensity=0.01,
        random_state=seed,
    )
    report("EconML DRLearner fit")
    t0 = time.perf_counter()
    imputer = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
    est.fit(data.Y, data.T, X=imputer.fit_transform(data.X))
    fit_s = time.perf_counter() - t0
    rss_fit = peak_rss_gib()
    report("EconML effect for all arms")

    def effects() -> np.ndarray:
        return np.asarray(est.const_marginal_effect(imputer.transform(test.X)))

    tau = effects()
    rate = _rate(effects, len(test.X))
    truth = test.mu.to_numpy()  # columns arm0..; EconML's baseline is the first, arm0
    outcomes = np.column_stack([np.zeros(len(tau)), tau])
    return {
        "kind": "econml",
        "n": n,
        "fit_s": fit_s,
        "rss_fit_gib": rss_fit,
        "rate": rate,
        "pehe": _sqrt_pehe(outcomes, truth),
    }


def _worker(spec: dict[str, Any]) -> None:
    """Run one configuration in this (fresh) process; stream stages, then a result line."""

    def report(label: str) -> None:
        print(f"stage {label}", flush=True)

    kind = spec.pop("kind")
    result = run_fit(**spec, report=report) if kind == "fit" else run_econml(**spec, report=report)
    print("result " + json.dumps(result), flush=True)


def _run(spec: dict[str, Any], on_stage: Callable[[str], None]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "passive")}
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) as proc:
        assert proc.stdout is not None
        result: dict[str, Any] | None = None
        for line in proc.stdout:
            if line.startswith("stage "):
                on_stage(line[6:].strip())
            elif line.startswith("result "):
                result = json.loads(line[7:])
    if proc.returncode != 0 or result is None:
        raise RuntimeError(f"benchmark worker failed ({proc.returncode}): {spec}")
    return result


def _fmt_rate(r: float) -> str:
    return f"{r:,.0f}"


def render(results: list[dict[str, Any]]) -> str:
    """The markdown fragment for ``docs/benchmarks/response_scaling.md``."""
    fits = [r for r in results if r["kind"] == "fit"]
    eml = {r["n"]: r for r in results if r["kind"] == "econml"}
    by_size = sorted(fits, key=lambda r: -r["n"])  # the largest run lists every stage
    stage_keys = list(dict.fromkeys(k for r in by_size for k in r["stages"]))
    lines = [
        "# Response model scaling",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by "
        f"`benchmarks/bench_response_scaling.py` on {platform.machine()}, Python "
        f"{platform.python_version()}, a 2-core machine shared with other jobs (timings are "
        "noisy, and pessimistic when others run).",
        f"Data: `multiarm(n, n_arms={N_ARMS}, design='observational')`, 8 features, 20% "
        f"missing in two; `n_jobs={N_JOBS}`; each row of the tables below ran in a fresh "
        "process. Peak memory is `getrusage(RUSAGE_SELF).ru_maxrss` of that process "
        "(interpreter, libraries and data included). Workers ran with "
        f"`OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'passive')}`: OpenMP's default "
        "spin-waiting makes 2-thread LightGBM many times slower when the cores are shared.",
        "",
        "## Fit",
        "",
        "| n | preset | fit (s) | "
        + " | ".join(stage_keys)
        + " | peak RSS after data (GiB) | peak RSS after fit (GiB) | EconML DRLearner fit (s) "
        "| ratio |",
        "| --- " * (len(stage_keys) + 7) + "|",
    ]
    for r in fits:
        st = r["stages"]
        e = eml.get(r["n"]) if not r["fast"] else None
        cells = [f"{st.get(k, 0.0):.1f}" for k in stage_keys]
        lines.append(
            f"| {r['n']:,} | {'fast' if r['fast'] else 'default'} | {r['fit_s']:.1f} | "
            + " | ".join(cells)
            + f" | {r['rss_data_gib']:.2f} | {r['rss_fit_gib']:.2f} | "
            + (f"{e['fit_s']:.1f} | {r['fit_s'] / e['fit_s']:.2f}x |" if e else "– | – |")
        )
    lines += [
        "",
        "Stage seconds come from the `progress` callback (folds summed). The ratio is our fit "
        "time over EconML's: ours cross-fits the nuisances, several meta-learners "
        f"({', '.join(fits[0]['weights'])}) and conformal calibration, EconML's DRLearner one "
        "meta-learner.",
        "",
        "## Scoring every arm (patients per second)",
        "",
        f"| n (training) | preset | full `predict_outcomes` | `CompactScorer` (1 thread) | "
        f"`CompactScorer` ({N_JOBS} threads) | EconML `const_marginal_effect` | compact / full "
        "| compact / EconML |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in fits:
        e = eml.get(r["n"]) if not r["fast"] else None
        best = max(r["compact_rate_1"], r["compact_rate_jobs"])
        lines.append(
            f"| {r['n']:,} | {'fast' if r['fast'] else 'default'} | {_fmt_rate(r['full_rate'])} | "
            f"{_fmt_rate(r['compact_rate_1'])} | {_fmt_rate(r['compact_rate_jobs'])} | "
            + (f"{_fmt_rate(e['rate'])} | " if e else "– | ")
            + f"{best / r['full_rate']:.0f}x | "
            + (f"{best / e['rate']:.1f}x |" if e else "– |")
        )
    lines += [
        "",
        f"The full model is timed on {FULL_SCORE_ROWS:,} rows, the others on {SCORE_ROWS:,} "
        "(a fresh sample). EconML returns effects against one baseline arm, not outcomes.",
        "",
        "## Compact scorer fidelity and accuracy",
        "",
        "| n (training) | preset | build (s) | rows distilled / held out | outcome RMSE | outcome "
        "max abs | effect RMSE | effect max abs | sd of effects | best-arm agreement | "
        "sqrt(PEHE) full | sqrt(PEHE) compact | sqrt(PEHE) EconML |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in fits:
        f = r["fidelity"]
        e = eml.get(r["n"]) if not r["fast"] else None
        lines.append(
            f"| {r['n']:,} | {'fast' if r['fast'] else 'default'} | {r['compact_build_s']:.1f} | "
            f"{f['n_distil']:,} / {f['n_holdout']:,} | {f['outcome_rmse']:.3f} | "
            f"{f['outcome_max_abs']:.2f} | {f['effect_rmse']:.3f} | {f['effect_max_abs']:.2f} | "
            f"{f['effect_sd_full']:.2f} | {f['best_arm_agreement']:.1%} | {r['pehe_full']:.3f} | "
            f"{r['pehe_compact']:.3f} | " + (f"{e['pehe']:.3f} |" if e else "– |")
        )
    lines += [
        "",
        "Fidelity: compact scorer against the full model on rows held out from the "
        "distillation (PCL-5 points; effects are against the model's reference arm). "
        "sqrt(PEHE): every arm's effect against arm0, against the simulator's truth, on the "
        f"first {FULL_SCORE_ROWS:,} scoring rows.",
        "",
        "## Targets (issue 5)",
        "",
    ]
    largest = max(r["n"] for r in fits)
    for r in (r for r in fits if r["n"] == largest):
        fit_ok = "met" if r["fit_s"] < TARGET_FIT_S else "NOT met"
        goal = "met" if r["fit_s"] < GOAL_FIT_S else "not met"
        lines.append(
            f"- Fit {r['n']:,} patients x {N_ARMS} arms in under {TARGET_FIT_S // 60} minutes "
            f"on 2 cores, {'fast' if r['fast'] else 'default'} preset: {r['fit_s'] / 60:.1f} "
            f"min, {fit_ok} (goal {GOAL_FIT_S // 60} min: {goal})."
        )
    rate = max(max(r["compact_rate_1"], r["compact_rate_jobs"]) for r in fits)
    lines += [
        f"- Score at least {TARGET_RATE:,} patients per second with all arms: `CompactScorer` "
        f"{_fmt_rate(rate)}/s, {'met' if rate >= TARGET_RATE else 'NOT met'} (goal "
        f"{GOAL_RATE:,}: {'met' if rate >= GOAL_RATE else 'not met'}); the full model "
        f"{_fmt_rate(max(r['full_rate'] for r in fits))}/s does not.",
        "",
    ]
    return "\n".join(lines)


def _sizes(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--fast-sizes", default="10000,100000,1000000")
    parser.add_argument("--econml-sizes", default="10000,100000,1000000")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the tables")
    parser.add_argument("--save", type=Path, help="append each result as a JSON line here")
    parser.add_argument("--load", type=Path, help="reuse results saved by --save (not rerun)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(json.loads(args.worker))
        return

    from rich.progress import Progress

    specs: list[dict[str, Any]] = []
    for n in sorted(set(_sizes(args.sizes)) | set(_sizes(args.fast_sizes))):
        if n in _sizes(args.sizes):
            specs.append({"kind": "fit", "n": n, "fast": False})
        if n in _sizes(args.fast_sizes):
            specs.append({"kind": "fit", "n": n, "fast": True})
        if n in _sizes(args.econml_sizes):
            specs.append({"kind": "econml", "n": n})
    results: list[dict[str, Any]] = []
    if args.load:
        lines = args.load.read_text(encoding="utf-8").splitlines()
        results = [json.loads(line) for line in lines if line.strip()]
    done = {(r["kind"], r["n"], r.get("fast", False)) for r in results}
    specs = [s for s in specs if (s["kind"], s["n"], s.get("fast", False)) not in done]
    with Progress() as bar:
        task = bar.add_task("response scaling", total=len(specs))
        for spec in specs:
            name = f"{spec['kind']} n={spec['n']:,}" + (" fast" if spec.get("fast") else "")
            bar.update(task, description=name)

            def on_stage(label: str, name: str = name) -> None:
                bar.update(task, description=f"{name}: {label}")

            result = _run(dict(spec), on_stage)
            results.append(result)
            if args.save:
                with args.save.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(result) + "\n")
            bar.advance(task)
    order = {"fit": 0, "econml": 1}
    text = render(sorted(results, key=lambda r: (r["n"], order[r["kind"]], r.get("fast", False))))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
