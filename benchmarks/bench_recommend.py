"""Recommendation speed and the value of its choices, on simulated patients with known truth.

Side by side, in the same run, on held-out simulated patients turned into records
(``ptsdrx.cohort.row_to_record``):

- ``recommend()`` (screening, evidence, availability, preferences, model, SHAP reasons) against
  the bare library call a user would otherwise make: ``TreatmentResponseModel.best_arm`` with a
  screening mask. Time per patient for each.
- The true expected week-12 PCL-5 (the simulator's noise-free ``mu_pcl5_w12__<arm>``) under the
  option ``recommend`` ranks first among open options, under ``best_arm`` (masked to the same
  open options, to those plus the options set aside only by the treatment-history rule, by
  screening alone, and unmasked), under the single arm best on average, under a random open
  option, and under the oracle's best open option; with the share of abstentions, of patients
  outside support, and of options per status. Stops with the reason (statuses, missing fields)
  instead of writing NaN means when no patient has an open option.
- Report rendering: HTML and PDF per patient.

Usage: ``python benchmarks/bench_recommend.py [--n-train 4000] [--n-test 60]``; writes
``docs/benchmarks/recommend.md``.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ptsdrx.records import Demographics

OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks" / "recommend.md"
OPEN = ("recommended", "alternative")
JURISDICTION = "US-OR"


def complete(record: Any) -> Any:
    """Fill the safety fields the simulator does not model, as if assessed and negative.

    Simulated records have no C-SSRS, no PHQ-9 items, no medication list, no family history,
    no pregnancy or lactation status and no ECG, so screening rightly says "needs information"
    for the options whose rules ask for them. To compare choices rather than missing data, the
    benchmark records a negative C-SSRS screener, PHQ-9 items with item 9 = 0 that keep the
    simulated total (capped at 24), no medications, no family history of psychosis or bipolar
    disorder, not pregnant and not lactating, a normal QTc, and treatment in US-OR. Blood
    pressure is simulated (and sometimes unmeasured): it is left as it is.
    """
    from ptsdrx.records import Administration, FamilyHistory, VitalSigns

    day = record.reference_date()
    phq = record.latest("phq9")
    total = min(int(phq.total or 0), 24) if phq is not None else 0
    items = [min(3, max(0, total - 3 * k)) for k in range(8)] + [0]
    others = [a for a in record.assessments or [] if a.instrument != "phq9"]
    demographics = (record.demographics or Demographics()).model_copy(
        update={"jurisdiction": JURISDICTION, "pregnant": False, "lactating": False}
    )
    return record.model_copy(
        update={
            "demographics": demographics,
            "assessments": [
                *others,
                Administration(instrument="phq9", date=day, responses=items),
                Administration(
                    instrument="cssrs", date=day, responses=[0, 0, None, None, None, 0, None]
                ),
            ],
            "medications": [],
            "family_history": FamilyHistory(psychosis=False, bipolar=False),
            "vitals": [
                *(record.vitals or []),
                VitalSigns(taken_at=datetime.combine(day, datetime.min.time()), qtc_ms=410),
            ],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=4000)
    parser.add_argument("--n-test", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from ptsdrx.cohort import TREATMENTS, row_to_record, simulate
    from ptsdrx.features import from_cohort, from_records
    from ptsdrx.recommend import STATUSES, default_policy, recommend
    from ptsdrx.recommend._history import demotion_grounds
    from ptsdrx.reports import render_html, render_pdf
    from ptsdrx.response import TreatmentResponseModel
    from ptsdrx.screening import screen

    warnings.simplefilter("ignore")
    arms = list(TREATMENTS)
    t0 = time.perf_counter()
    cohort = simulate(args.n_train + args.n_test, arms=arms, random_state=args.seed)
    t_sim = time.perf_counter() - t0
    train = cohort.iloc[: args.n_train]
    train = train[train["pcl5_w12"].notna()]
    test = cohort.iloc[args.n_train :].reset_index(drop=True)
    t0 = time.perf_counter()
    model = TreatmentResponseModel(fast=True, random_state=args.seed).fit(
        train["pcl5_w12"], train["arm"], X=from_cohort(train)
    )
    t_fit = time.perf_counter() - t0

    truth = test[[f"mu_pcl5_w12__{a}" for a in model.arms_]].to_numpy(dtype=float)
    col = {a: i for i, a in enumerate(model.arms_)}
    one_size = model.arms_[int(truth.mean(axis=0).argmin())]
    rng = np.random.default_rng(args.seed)
    policy = default_policy()
    history = policy.history
    rows: list[dict[str, float]] = []
    status_counts: Counter[str] = Counter()
    missing_counts: Counter[str] = Counter()
    t_rec = t_lib = 0.0
    for i, row in test.iterrows():
        record = complete(row_to_record(row))
        t0 = time.perf_counter()
        rec = recommend(record, model=model)
        t_rec += time.perf_counter() - t0
        t0 = time.perf_counter()
        X = from_records([record])
        result = screen(record)
        eligible = pd.DataFrame(
            {a: [result.status(a) in ("eligible", "caution")] for a in model.arms_}
        )
        masked = model.best_arm(X, eligible=eligible).iloc[0]
        t_lib += time.perf_counter() - t0
        unmasked = model.best_arm(X).iloc[0]
        failed = {
            p.treatment for p in record.prior_treatments or [] if demotion_grounds(p, history)
        }
        open_mask = pd.DataFrame({a: [rec.status(a) in OPEN] for a in model.arms_})
        open_best = model.best_arm(X, eligible=open_mask).iloc[0]
        # the same choice with the history rule off: options set aside only by a failed course
        set_aside = [
            o.treatment
            for o in rec.options
            if o.status == "not preferred"
            and o.treatment in failed
            and not o.burden.conflicts
            and o.availability.status not in policy.unavailable_statuses
        ]
        no_history = model.best_arm(
            X, eligible=open_mask.assign(**{a: [True] for a in set_aside if a in open_mask})
        ).iloc[0]
        status_counts.update(o.status for o in rec.options)
        missing_counts.update(
            field
            for o in rec.options
            if o.status == "needs information"
            for r in o.rules
            if r.outcome == "unknown"
            for field in r.missing
        )
        open_ids = [o.treatment for o in rec.options if o.status in OPEN]
        t = truth[int(i)]
        rows.append(
            {
                "recommend_first_open": t[col[open_ids[0]]] if open_ids else np.nan,
                "best_arm_masked": t[col[masked]] if masked is not None else np.nan,
                "best_arm_open": t[col[open_best]] if open_best is not None else np.nan,
                "history_off": t[col[no_history]] if no_history is not None else np.nan,
                "best_arm_unmasked": t[col[unmasked]],
                "one_size": t[col[one_size]],
                "random_open": t[col[rng.choice(open_ids)]] if open_ids else np.nan,
                "oracle_open": min(t[col[a]] for a in open_ids) if open_ids else np.nan,
                "abstained": float(rec.abstained),
                "recommended": float(rec.recommended is not None),
                "outside_support": float(rec.in_support is False),
                "no_open_option": float(not open_ids),
                "history_demoted": float(
                    any(o.status == "not preferred" and o.treatment in failed for o in rec.options)
                ),
            }
        )
    frame = pd.DataFrame(rows)
    if frame["no_open_option"].all():
        # every mean below would be NaN: say why instead of writing an empty table
        raise SystemExit(
            "no held-out patient has an open option, so no choice can be compared; "
            f"statuses: {dict(status_counts)}; most frequent missing fields behind "
            f"'needs information': {missing_counts.most_common(5)} (extend complete())"
        )
    record = complete(row_to_record(test.iloc[0]))
    rec = recommend(record, model=model)
    t0 = time.perf_counter()
    html = render_html(rec, record)
    t_html = time.perf_counter() - t0
    t0 = time.perf_counter()
    pdf = render_pdf(html)
    t_pdf = time.perf_counter() - t0

    n = len(test)
    has_open = frame["no_open_option"] == 0
    value = frame[has_open]
    lines = [
        "# Recommendation benchmark",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/bench_recommend.py` "
        f"on {platform.machine()}, Python {platform.python_version()}, shared 2-core machine.",
        f"Training cohort: {args.n_train} simulated patients, {len(arms)} arms, randomised "
        f"(simulate {t_sim:.1f} s, fit {t_fit:.1f} s with `fast=True`); {n} held-out patients,",
        "their safety fields completed as assessed-negative and treated in US-OR (see",
        "`complete()`: the simulator models no C-SSRS, medications, pregnancy or ECG).",
        "",
        "## Speed per patient",
        "",
        "| step | ms per patient | ratio to the bare library |",
        "| --- | --- | --- |",
        f"| `recommend()` with model (screening, evidence, SHAP) | {1000 * t_rec / n:.0f} | "
        f"{t_rec / t_lib:.1f}x |",
        f"| `screen()` + `best_arm(eligible=...)` (bare library) | {1000 * t_lib / n:.0f} | 1x |",
        f"| `render_html()` | {1000 * t_html:.0f} | |",
        f"| `render_pdf()` (WeasyPrint, {len(pdf) // 1024} KiB) | {1000 * t_pdf:.0f} | |",
        "",
        f"## True expected week-12 PCL-5 of the chosen option ({int(has_open.sum())} patients "
        "with at least one open option; lower is better)",
        "",
        "| policy | mean true PCL-5 |",
        "| --- | --- |",
    ]
    for key, label in [
        ("oracle_open", "oracle: best open option (truth)"),
        ("recommend_first_open", "`recommend()`: first-ranked open option"),
        ("best_arm_open", "`best_arm` masked to the options `recommend()` leaves open"),
        ("history_off", "the same with the history rule off (failed courses back in)"),
        ("best_arm_masked", "`best_arm` with screening mask only (may pick trial-only options)"),
        ("random_open", "random open option"),
        ("one_size", f"one size for all: {one_size} (ignores screening)"),
        ("best_arm_unmasked", "`best_arm` without screening (ignores contraindications)"),
    ]:
        lines.append(f"| {label} | {value[key].mean():.2f} |")
    lines += [
        "",
        "| share of patients | value |",
        "| --- | --- |",
        f"| abstained (no option clearly better) | {frame['abstained'].mean():.0%} |",
        f"| an option `recommended` | {frame['recommended'].mean():.0%} |",
        f"| outside the model's support | {frame['outside_support'].mean():.0%} |",
        f"| no open option (excluded / needs information / trial only) | "
        f"{frame['no_open_option'].mean():.0%} |",
        f"| an option `not preferred` because of a failed past course | "
        f"{frame['history_demoted'].mean():.0%} |",
        "",
        "| status of the options (all patients) | share |",
        "| --- | --- |",
        *(
            f"| {status} | {status_counts[status] / sum(status_counts.values()):.0%} |"
            for status in STATUSES
        ),
        "",
        "Missing fields behind `needs information` (option count): "
        + (
            ", ".join(f"{field} {k}" for field, k in missing_counts.most_common(4))
            if missing_counts
            else "none"
        )
        + ".",
        "",
        "Simulated records carry each prior failed SSRI trial as an adequate course with no",
        "response (alternating sertraline and paroxetine), so the policy's `treatment_history`",
        "rule [U] sets those SSRIs aside; the simulator lowers SSRI benefit per failed trial.",
        "",
        "The policy rows without screening can pick contraindicated options: their numbers are",
        "not achievable in practice and are shown only as a bound.",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
