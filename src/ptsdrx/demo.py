"""The end-to-end demo: simulate a cohort, train, validate, save, and report on example patients.

The held-out metrics come from :func:`ptsdrx.response.validate` (the same validation a user
runs with ``ptsdrx validate-model``), against observed outcomes and the simulator's true
expected outcomes; this module only pools its per-arm figures into the model card. Heavy
libraries load inside :func:`run_demo`, so importing this module stays light for the CLI.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptsdrx._figures import atomic_write
from ptsdrx._results import Result, fixed

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from rich.console import Console

    from ptsdrx.response import TreatmentResponseModel

__all__ = [
    "MODEL_CARD_FILE",
    "REMISSION_DIR",
    "DemoPatient",
    "DemoPolicy",
    "DemoResult",
    "demo_metrics",
    "factual",
    "run_demo",
]

MODEL_CARD_FILE = "model_card.json"
REMISSION_DIR = "remission"

_OUTCOME = "pcl5_w12"
#: metrics that are gains (positive = better): printed with their sign
_SIGNED_METRICS = frozenset({"policy_gain", "policy_gain_lo", "policy_gain_hi", "gain_vs_one_size"})


@dataclass(frozen=True)
class DemoPatient(Result):
    """One example patient's outcome in the demo: the first-ranked result and safety flags."""

    patient: str
    result: str
    safety_flags: tuple[str, ...]


@dataclass(frozen=True)
class DemoPolicy(Result):
    """One candidate policy on the held-out 20%: a copy of ``ptsdrx.response.PolicyRow``.

    Copied so that this module (imported by the CLI) loads no numerical library. PCL-5 points;
    ``gain_vs_one_size`` is positive when the policy does better than the one-size open arm;
    ``true_regret`` is against the oracle (the simulator's truly best open arm).
    """

    policy: str
    value: float
    lo: float
    hi: float
    gain_vs_one_size: float
    gain_lo: float
    gain_hi: float
    switched: float | None
    true_value: float | None
    true_regret: float | None


@dataclass(frozen=True)
class DemoResult(Result):
    """What the demo wrote: per-patient results, held-out metrics and policies, the model.

    ``policies`` compares every candidate policy on the held-out 20% (doubly robust values,
    true regret from the simulator); ``default_policy`` names the one ``recommend`` uses.
    """

    out: str
    model_dir: str
    formats: tuple[str, ...]
    patients: tuple[DemoPatient, ...]
    metrics: dict[str, float]
    training_notes: tuple[str, ...] = ()
    default_policy: str = ""
    policies: tuple[DemoPolicy, ...] = ()

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per example patient."""
        return [p.to_dict() | {"safety_flags": "; ".join(p.safety_flags)} for p in self.patients]

    def metrics_text(self) -> str:
        """The held-out metrics on one line; gains signed, never ``-0``."""
        return ", ".join(
            f"{k} {fixed(v, sign=True)}" if k in _SIGNED_METRICS else f"{k} {v:.3g}"
            for k, v in self.metrics.items()
        )


def factual(df: pd.DataFrame, prefix: str) -> np.ndarray:
    """The observed value of a per-arm column (``prefix__<arm>``) for each row's own arm."""
    import numpy as np

    out = np.full(len(df), np.nan)
    for arm in df["arm"].unique():
        mask = (df["arm"] == arm).to_numpy()
        out[mask] = df.loc[mask, f"{prefix}__{arm}"].to_numpy(dtype=float)
    return out


def _pooled(per_arm: dict[str, float], counts: dict[str, int], *, squared: bool) -> float:
    """Per-arm figures pooled by the arm's row count (RMSEs pooled on the squared scale)."""
    weights = {a: counts.get(a, 0) for a in per_arm}
    total = sum(weights.values())
    if total == 0:
        return math.nan
    if squared:
        return math.sqrt(sum(weights[a] * v**2 for a, v in per_arm.items()) / total)
    return sum(weights[a] * v for a, v in per_arm.items()) / total


def demo_metrics(
    model: TreatmentResponseModel,
    remission: TreatmentResponseModel | None,
    test: pd.DataFrame,
    X: pd.DataFrame,
    *,
    alpha: float = 0.1,
    random_state: int = 0,
) -> tuple[dict[str, float], str, tuple[DemoPolicy, ...]]:
    """Held-out metrics for the model card, and the policy comparison, from ``validate``.

    Returns ``(metrics, default policy, policies)``; the policies are
    :attr:`ptsdrx.response.ValidationResult.policies`, one :class:`DemoPolicy` each.

    ``rmse_observed`` and ``coverage_<level>`` pool validate's per-arm outcome RMSE and
    interval coverage over the arms patients received; ``policy_gain`` (with its interval)
    is the doubly robust gain of following the model over the best single arm; ``regret``
    and ``gain_vs_one_size`` use the simulator's true expected outcomes (PCL-5 points,
    positive gain = better); ``remission_rmse`` is the remission model's root Brier score.
    Figures validate could not compute (too few patients in every arm) are left out; a
    negative zero is stored as zero.
    """
    from ptsdrx.response import validate

    arms = [str(a) for a in model.arms_]
    truth = test[[f"mu_{_OUTCOME}__{a}" for a in arms]].set_axis(list(model.arms_), axis=1)
    observed = test[_OUTCOME].to_numpy(dtype=float)
    counts = {str(k): int(v) for k, v in test["arm"].astype(str).value_counts().items()}
    v = validate(
        model,
        X,
        observed,
        test["arm"],
        truth=truth,
        interval_alpha=alpha,
        random_state=random_state,
        figures=False,
    )
    metrics: dict[str, float] = {
        "n_test": float(v.n),
        "rmse_observed": _pooled(v.outcome_rmse, counts, squared=True),
        f"coverage_{round(100 * (1 - alpha))}": _pooled(v.interval_coverage, counts, squared=False),
        "policy_gain": v.policy.gain,
        "policy_gain_lo": v.policy.gain_ci[0],
        "policy_gain_hi": v.policy.gain_ci[1],
    }
    if v.truth is not None:
        metrics["regret"] = v.truth.regret_vs_oracle
        metrics["gain_vs_one_size"] = v.truth.gain_vs_best_single
        metrics["effect_interval_coverage"] = v.truth.effect_interval_row_coverage
    if remission is not None:
        rem = validate(
            remission,
            X,
            factual(test, "remission_w12"),
            test["arm"],
            random_state=random_state,
            figures=False,
        )
        metrics["remission_rmse"] = _pooled(rem.outcome_rmse, counts, squared=True)
    kept = {k: float(x) + 0.0 for k, x in metrics.items() if not math.isnan(x)}
    assert v.policies is not None  # validate always compares the policies
    rows = tuple(DemoPolicy(**r.__dict__) for r in v.policies.rows)
    return kept, v.policies.default, rows


def _first_option(status: str, name: str) -> str:
    if status == "recommended":
        return f"recommended: {name}"
    if status == "alternative":
        return f"no clear winner; ranked first: {name}"
    return "no option open now (see report)"


def run_demo(
    *, out: Path, patients: Path, n: int, seed: int, pdf: bool, console: Console
) -> DemoResult:
    """Simulate, train, validate, save, then write JSON/HTML(/PDF) for each example patient.

    Raises ``ValueError`` when ``patients`` holds no patient JSON file (nothing is written).
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from sklearn.model_selection import train_test_split

    from ptsdrx.batch import FastScorer
    from ptsdrx.cohort import TREATMENTS, simulate
    from ptsdrx.features import SCHEMA, from_cohort
    from ptsdrx.recommend import ModelCard, recommend
    from ptsdrx.records import load_record
    from ptsdrx.reports import render_html, render_pdf
    from ptsdrx.response import OverlapWarning, TreatmentResponseModel, save_model

    files = sorted(patients.glob("*.json"))
    if not files:
        raise ValueError(f"no patient JSON files in {patients}")
    out.mkdir(parents=True, exist_ok=True)
    alpha = 0.1
    columns = (
        TextColumn("{task.description:<34}"),
        BarColumn(),
        TextColumn("{task.completed:>5.0f}/{task.total:<5.0f}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        sim = progress.add_task("simulate cohort", total=n)
        cohort = simulate(
            n,
            design="randomized",
            arms=list(TREATMENTS),
            random_state=seed,
            progress=lambda done, total: progress.update(sim, completed=done, total=total),
        )
        cohort = cohort[cohort[_OUTCOME].notna()].reset_index(drop=True)
        train, test = train_test_split(
            cohort, test_size=0.2, random_state=seed, stratify=cohort["arm"]
        )
        train, test = train.reset_index(drop=True), test.reset_index(drop=True)
        fit = progress.add_task("train outcome + remission models", total=2)
        X_train, X_test = from_cohort(train), from_cohort(test)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", OverlapWarning)
            model = TreatmentResponseModel(fast=True, random_state=seed).fit(
                train[_OUTCOME], train["arm"], X=X_train
            )
            progress.advance(fit)
            remission = TreatmentResponseModel(fast=True, random_state=seed).fit(
                factual(train, "remission_w12"), train["arm"], X=X_train
            )
            progress.advance(fit)
        overlap = sorted({str(w.message) for w in caught if w.category is OverlapWarning})
        val = progress.add_task("validate on held-out 20%", total=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OverlapWarning)  # reported once, from training
            metrics, default_policy, policies = demo_metrics(
                model, remission, test, X_test, alpha=alpha, random_state=seed
            )
        progress.advance(val)
        card = ModelCard(
            name="ptsdrx TreatmentResponseModel (demo)",
            version=f"demo-seed{seed}",
            trained_on=(
                f"simulated randomized cohort ({n} patients, {len(TREATMENTS)} arms; "
                "synthetic, calibrated to published trials — not real patients)"
            ),
            n_train=len(train),
            arms=tuple(str(a) for a in model.arms_),
            feature_schema_version=f"{SCHEMA.version} ({SCHEMA.fingerprint})",
            validation=(
                f"held-out 20% of the cohort (n = {len(test)}), ptsdrx.response.validate "
                "against observed outcomes and the simulator's true expected outcomes"
            ),
            metrics=metrics,
            created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
        model_dir = out / "model"
        model_dir.mkdir(exist_ok=True)
        save_model(model, model_dir / "outcome", schema=SCHEMA, metrics=metrics, overwrite=True)
        save_model(remission, model_dir / REMISSION_DIR, schema=SCHEMA, overwrite=True)
        atomic_write(model_dir / MODEL_CARD_FILE, card.model_dump_json(indent=2))

        rep = progress.add_task("recommend + report per patient", total=len(files))
        written: list[DemoPatient] = []
        # served as the clinic and 'ptsdrx recommend' serve it: the same answers, one pass
        fast, fast_remission = FastScorer(model), FastScorer(remission)
        for f in files:
            record = load_record(str(f))
            rec = recommend(record, model=fast, remission_model=fast_remission, model_card=card)
            base = out / f.stem
            atomic_write(base.with_suffix(".json"), json.dumps(rec.to_dict(), indent=2))
            html = render_html(rec, record)
            atomic_write(base.with_suffix(".html"), html)
            if pdf:
                atomic_write(base.with_suffix(".pdf"), render_pdf(html))
            first = rec.options[0]
            flags = tuple(s.id for s in rec.safety_flags)
            written.append(DemoPatient(f.stem, _first_option(first.status, first.name), flags))
            progress.advance(rep)
    return DemoResult(
        out=str(out.resolve()),
        model_dir=str(model_dir),
        formats=("json", "html", "pdf") if pdf else ("json", "html"),
        patients=tuple(written),
        metrics=metrics,
        training_notes=tuple(overlap),
        default_policy=default_policy,
        policies=policies,
    )
