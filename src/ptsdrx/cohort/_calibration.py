"""Calibration: simulate each published trial's population and arms, compare aggregates.

The targets live in ``data/calibration_targets.yaml`` with their sources and acceptance
intervals; :func:`calibration_report` returns an immutable :class:`CalibrationReport` that
the CLI prints, renders as JSON and draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, computed_field, model_validator

from ptsdrx._datafiles import Frozen, duplicates, load, packaged
from ptsdrx._figures import new_figure, save
from ptsdrx._results import Result
from ptsdrx.cohort._arms import check_arms
from ptsdrx.cohort._baseline import Arrays, FloatArray, draw_baseline
from ptsdrx.cohort._config import CohortFileError, SimulationConfig, default_config
from ptsdrx.cohort._outcomes import potential_outcomes, trajectory
from ptsdrx.cohort._simulate import config_digest

MetricKind = Literal[
    "mean_baseline",
    "mean_endpoint",
    "mean_change",
    "responders",
    "loss_of_diagnosis",
    "within_d",
    "hedges_g",
    "late_change_below_cutoff",
    "median_weeks_to_loss_of_response",
]


class Bounds(Frozen):
    """Inclusion bounds on a baseline score."""

    min: float | None = None
    max: float | None = None


class Metric(Frozen):
    """One published aggregate with its acceptance interval."""

    kind: MetricKind
    instrument: Literal["pcl5", "caps5"]
    arm: str
    control: str | None = None
    published: float
    lower: float
    upper: float
    basis: str
    source: str
    tag: str

    @model_validator(mode="after")
    def _consistent(self) -> Metric:
        if not self.lower <= self.published <= self.upper:
            raise ValueError(f"published {self.published} outside [{self.lower}, {self.upper}]")
        if (self.kind == "hedges_g") != (self.control is not None):
            raise ValueError("hedges_g needs a control arm; other kinds take none")
        if self.kind == "loss_of_diagnosis" and self.instrument != "caps5":
            raise ValueError("loss_of_diagnosis is defined on caps5")
        return self


class CalibrationTrial(Frozen):
    """A trial population, its arms and the aggregates it published."""

    id: str
    name: str
    endpoint: str
    arms: list[str]
    population: dict[str, Any]
    population_source: str
    inclusion: dict[Literal["pcl5_w0", "caps5_w0"], Bounds] = Field(default_factory=dict)
    metrics: list[Metric]

    @model_validator(mode="after")
    def _arms(self) -> CalibrationTrial:
        check_arms(self.arms)
        for metric in self.metrics:
            used = {metric.arm} | ({metric.control} if metric.control else set())
            if not used <= set(self.arms):
                raise ValueError(f"{self.id}: metric arms {sorted(used)} not in {self.arms}")
        return self


class TargetsFile(Frozen):
    """The calibration targets file: trials with unique ids."""

    trials: tuple[CalibrationTrial, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> TargetsFile:
        dup = duplicates(t.id for t in self.trials)
        if dup:
            raise ValueError(f"duplicate trial id(s): {', '.join(dup)}")
        return self


@cache
def targets() -> tuple[CalibrationTrial, ...]:
    """The calibration targets from ``data/calibration_targets.yaml``."""
    found = packaged("ptsdrx.cohort", "calibration_targets.yaml")
    return load(TargetsFile, found, error=CohortFileError).trials


@dataclass(frozen=True)
class CalibrationRow(Result):
    """Simulated vs published for one metric of one trial."""

    trial: str
    metric: str
    arm: str
    control: str | None
    published: float
    simulated: float
    lower: float
    upper: float
    within: bool
    basis: str
    source: str
    tag: str

    @property
    def label(self) -> str:
        """Short label: ``trial: kind instrument arm``."""
        vs = f" vs {self.control}" if self.control else ""
        return f"{self.trial}: {self.metric} {self.arm}{vs}"


@dataclass(frozen=True)
class CalibrationReport(Result):
    """All calibration rows, with the simulation settings that produced them."""

    rows: tuple[CalibrationRow, ...]
    n_per_trial: int
    random_state: int
    config_digest: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """True when every simulated value lies in its acceptance interval."""
        return all(r.within for r in self.rows)

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per metric: label, published, simulated, interval, within."""
        return [{"label": r.label, **r.to_dict()} for r in self.rows]

    def to_text(self) -> str:
        """Plain-text table, simulated next to published."""
        width = max(len(r.label) for r in self.rows)
        lines = [
            f"Calibration of the cohort simulator (n = {self.n_per_trial} per trial, "
            f"seed {self.random_state}, config {self.config_digest})",
            f"{'metric':<{width}}  {'published':>9}  {'simulated':>9}  {'accepted':>17}  ok",
        ]
        for r in self.rows:
            accepted = f"[{r.lower:.3g}, {r.upper:.3g}]"
            ok = "yes" if r.within else "NO"
            lines.append(
                f"{r.label:<{width}}  {r.published:>9.3g}  {r.simulated:>9.3g}  "
                f"{accepted:>17}  {ok}"
            )
        n_ok = sum(r.within for r in self.rows)
        lines.append(f"{n_ok}/{len(self.rows)} within tolerance")
        return "\n".join(lines)

    def plot(self, path: str | Path) -> Path:
        """Draw published (with acceptance interval) vs simulated per metric to a PNG."""
        groups = {
            "CAPS-5 / PCL-5 points": ("mean_baseline", "mean_endpoint", "mean_change"),
            "proportion": ("responders", "loss_of_diagnosis", "late_change_below_cutoff"),
            "standardised effect / weeks": (
                "within_d",
                "hedges_g",
                "median_weeks_to_loss_of_response",
            ),
        }
        fig = new_figure(16, 7)
        axes = fig.subplots(
            1,
            3,
            gridspec_kw={
                "width_ratios": [
                    sum(r.metric in k for r in self.rows) or 1 for k in groups.values()
                ]
            },
        )
        for ax, (title, kinds) in zip(axes, groups.items(), strict=True):
            rows = [r for r in self.rows if r.metric in kinds]
            y = np.arange(len(rows))
            pub = np.array([r.published for r in rows])
            lo = pub - np.array([r.lower for r in rows])
            hi = np.array([r.upper for r in rows]) - pub
            ax.errorbar(pub, y, xerr=[lo, hi], fmt="o", color="0.3", capsize=4, label="published")
            sim_color = ["tab:blue" if r.within else "tab:red" for r in rows]
            ax.scatter(
                [r.simulated for r in rows],
                y,
                marker="D",
                color=sim_color,
                zorder=3,
                label="simulated",
            )
            ax.set_yticks(y, [r.label.replace(": ", ":\n") for r in rows], fontsize=7)
            ax.invert_yaxis()
            ax.set_title(title)
            ax.grid(axis="x", alpha=0.3)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right", fontsize=9)
        fig.suptitle("Simulated vs published (bar: acceptance interval; red: outside)")
        fig.tight_layout()
        return save(fig, path, dpi=110)


def simulate_trial(
    trial: CalibrationTrial, n: int, rng: np.random.Generator, cfg: SimulationConfig
) -> tuple[Arrays, dict[str, dict[str, FloatArray]]]:
    """Baseline and per-arm endpoint scores (pcl5, caps5) of ``n`` included people."""
    tcfg = cfg.with_overrides({"population": trial.population}) if trial.population else cfg
    parts: list[Arrays] = []
    have = 0
    while have < n:
        base = draw_baseline(rng, max(2 * (n - have), 1000), tcfg.population)
        keep = np.ones(len(base["age"]), dtype=bool)
        for col, bounds in trial.inclusion.items():
            if bounds.min is not None:
                keep &= base[col] >= bounds.min
            if bounds.max is not None:
                keep &= base[col] <= bounds.max
        parts.append({k: v[keep] for k, v in base.items()})
        have += int(keep.sum())
    base = {k: np.concatenate([p[k] for p in parts])[:n] for k in parts[0]}
    arms = tuple(trial.arms)
    po = potential_outcomes(rng, base, arms, tcfg, with_caps5=True)
    assert po.caps5 is not None
    ends: dict[str, dict[str, FloatArray]] = {}
    for j, arm in enumerate(arms):
        traj = trajectory(rng, base, po, np.full(n, j, dtype=np.intp), arms, tcfg)
        ends[arm] = {
            "pcl5": po.pcl5[:, j].astype(float),
            "caps5": po.caps5[:, j].astype(float),
            "pcl5_w52": traj.pcl5[52],
            "relapse_weeks": traj.relapse_weeks,
            "relapse_event": traj.relapse_event.astype(float),
        }
    return base, ends


def _value(
    metric: Metric, base: Arrays, ends: dict[str, dict[str, FloatArray]], cfg: SimulationConfig
) -> float:
    b = base[f"{metric.instrument}_w0"].astype(float)
    e = ends[metric.arm][metric.instrument]
    if metric.kind == "mean_baseline":
        return float(b.mean())
    if metric.kind == "mean_endpoint":
        return float(e.mean())
    if metric.kind == "mean_change":
        return float((e - b).mean())
    if metric.kind == "responders":
        with np.errstate(divide="ignore", invalid="ignore"):
            reduction = np.where(b > 0, (b - e) / b, 0.0)
        return float((reduction >= cfg.outcome.responder_fraction).mean())
    if metric.kind == "loss_of_diagnosis":
        return float((e < cfg.outcome.caps5_loss_of_diagnosis_below).mean())
    if metric.kind == "late_change_below_cutoff":
        cutoff = cfg.outcome.remission_pcl5_below
        return float((ends[metric.arm]["pcl5_w52"] < cutoff).mean() - (e < cutoff).mean())
    if metric.kind == "median_weeks_to_loss_of_response":
        from lifelines import KaplanMeierFitter

        weeks = ends[metric.arm]["relapse_weeks"]
        responders = ~np.isnan(weeks)
        km = KaplanMeierFitter().fit(
            weeks[responders], ends[metric.arm]["relapse_event"][responders]
        )
        return float(km.median_survival_time_)
    if metric.kind == "within_d":
        return float((b.mean() - e.mean()) / np.sqrt((b.var(ddof=1) + e.var(ddof=1)) / 2))
    assert metric.control is not None
    c = ends[metric.control][metric.instrument]
    return float((c.mean() - e.mean()) / np.sqrt((c.var(ddof=1) + e.var(ddof=1)) / 2))


def calibration_report(
    *, n_per_trial: int = 20_000, random_state: int = 0, config: SimulationConfig | None = None
) -> CalibrationReport:
    """Simulate every target trial and compare with its published aggregates.

    Each trial's population is simulated with its overrides and inclusion bounds; every
    simulated person has an outcome under every arm of the trial, so the simulated values
    are population values (sampling error of the trial is in the acceptance interval).

    Examples
    --------
    >>> report = calibration_report(n_per_trial=2000)
    >>> len(report.rows) > 10
    True
    """
    if isinstance(n_per_trial, bool) or not isinstance(n_per_trial, int) or n_per_trial < 100:
        raise ValueError(f"n_per_trial must be an integer >= 100, got {n_per_trial!r}")
    cfg = config or default_config()
    seeds = np.random.SeedSequence(random_state).spawn(len(targets()))
    rows: list[CalibrationRow] = []
    for trial, seed in zip(targets(), seeds, strict=True):
        tcfg = cfg.with_overrides({"population": trial.population}) if trial.population else cfg
        base, ends = simulate_trial(trial, n_per_trial, np.random.default_rng(seed), cfg)
        for metric in trial.metrics:
            sim = _value(metric, base, ends, tcfg)
            rows.append(
                CalibrationRow(
                    trial=trial.id,
                    metric=metric.kind,
                    arm=metric.arm,
                    control=metric.control,
                    published=metric.published,
                    simulated=round(sim, 4),
                    lower=metric.lower,
                    upper=metric.upper,
                    within=metric.lower <= sim <= metric.upper,
                    basis=metric.basis,
                    source=metric.source,
                    tag=metric.tag,
                )
            )
    return CalibrationReport(tuple(rows), n_per_trial, random_state, config_digest(cfg))
