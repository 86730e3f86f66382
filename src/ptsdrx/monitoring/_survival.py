"""Time to relapse across patients: Kaplan–Meier per treatment and a Cox model (lifelines).

Patients enter the risk set when they first respond or remit and leave at their first
relapse (an event) or at their last scored follow-up (censored). Relapse criteria are those
of :mod:`ptsdrx.monitoring._relapse`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptsdrx._results import Result
from ptsdrx.monitoring._config import SiteSpec, load_followup_rules
from ptsdrx.monitoring._sessions import DosingSession, Phase
from ptsdrx.monitoring._trajectory import Trajectory, trajectory
from ptsdrx.records import Administration, PatientRecord

if TYPE_CHECKING:
    import pandas as pd
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from matplotlib.figure import Figure

COLUMNS = ("patient_id", "treatment", "well_since", "days", "relapsed")


def relapse_table(items: Iterable[tuple[str, Trajectory]]) -> pd.DataFrame:
    """One row per patient at risk of relapse: ``(treatment, trajectory)`` pairs in.

    Trajectories that never reached response or remission are left out (not at risk); a
    trajectory with no follow-up after becoming well contributes 0 days, censored.
    """
    import pandas as pd

    rows = []
    for treatment, traj in items:
        starts = [d for d in (traj.first_response, traj.first_remission) if d is not None]
        if not starts:
            continue
        well = min(starts)
        if traj.relapse is not None:
            end, event = traj.relapse.date, True
        else:
            known = [p.date for p in traj.follow_ups if p.total is not None]
            end, event = max(known), False
        rows.append((traj.patient_id, treatment, well, (end - well).days, event))
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype({"days": float, "relapsed": bool})


@dataclass(frozen=True)
class Course:
    """A treatment course to follow from its start (e.g. a registry treatment episode)."""

    treatment: str
    start: date


def relapse_table_from_patients(
    patients: Iterable[tuple[PatientRecord, Sequence[DosingSession] | Course]],
    *,
    instrument: str = "pcl5",
    site: SiteSpec = None,
) -> pd.DataFrame:
    """Relapse table from patients and their courses (e.g. a whole registry).

    Each patient comes with an explicit :class:`Course`, or with their dosing sessions: the
    course is then the first complete dosing session's treatment and date. The baseline is
    the last assessment on or before the course start. A patient without either is left out.
    """
    rules = load_followup_rules(site)
    pairs = []
    for record, given in patients:
        course = given if isinstance(given, Course) else _first_dosing(given)
        if course is not None:
            traj = trajectory(record, instrument, since=course.start, site=rules)
            pairs.append((course.treatment, traj))
    return relapse_table(pairs)


def _first_dosing(sessions: Sequence[DosingSession]) -> Course | None:
    dosing = [s for s in sessions if s.phase == Phase.dosing and s.status == "complete"]
    if not dosing:
        return None
    first = min(dosing, key=lambda s: s.start)
    return Course(first.treatment, first.start.date())


def relapse_table_from_wide(
    frame: pd.DataFrame,
    columns: Mapping[str, float],
    *,
    treatment_col: str = "arm",
    instrument: str = "pcl5",
    start: date = date(2000, 1, 3),
    site: SiteSpec = None,
) -> pd.DataFrame:
    """Relapse table from a wide frame of scores (e.g. a simulated cohort).

    ``columns`` maps score columns to weeks, e.g. ``{"pcl5_w0": 0, "pcl5_w12": 12}``; the
    first is the baseline. Each row becomes a record with total-only administrations.
    """
    import pandas as pd

    missing = [c for c in (*columns, treatment_col) if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in frame: {missing}; frame has {list(frame.columns)}")
    rules = load_followup_rules(site)
    pairs = []
    ordered = sorted(columns.items(), key=lambda kv: kv[1])
    for i, values in enumerate(frame.to_dict("records")):
        adms = [
            Administration(
                instrument=instrument,
                date=start + timedelta(weeks=float(week)),
                total=float(values[col]),
            )
            for col, week in ordered
            if pd.notna(values[col])
        ]
        if not adms:
            continue
        record = PatientRecord(patient_id=f"row-{i}", assessments=adms)
        pairs.append((str(values[treatment_col]), trajectory(record, instrument, site=rules)))
    return relapse_table(pairs)


def _validate(table: pd.DataFrame, names: Sequence[str]) -> None:
    missing = [c for c in names if c not in table.columns]
    if missing:
        raise KeyError(f"relapse table lacks columns {missing}; it has {list(table.columns)}")
    days = table[names[0]]
    if days.isna().any() or (days < 0).any():
        raise ValueError(f"{names[0]}: durations must be known and >= 0")
    if not table[names[1]].isin([0, 1, True, False]).all():
        raise ValueError(f"{names[1]}: events must be True/False (or 1/0)")


@dataclass(frozen=True)
class TreatmentRelapses(Result):
    """Patients at risk, relapses and the Kaplan–Meier median for one treatment."""

    n: int
    relapses: int
    median_days: float | None


@dataclass(frozen=True)
class HazardRatio(Result):
    """One Cox term: hazard ratio with its 95% CI and p-value."""

    term: str
    hr: float
    hr_lo: float
    hr_hi: float
    p: float


@dataclass(frozen=True)
class RelapseReport(Result):
    """The serialisable findings of a :class:`RelapseSurvival` fit (what the API returns)."""

    n: int
    relapses: int
    per_treatment: dict[str, TreatmentRelapses]
    logrank_p: float | None
    cox_reference: str | None
    hazard_ratios: tuple[HazardRatio, ...] | None
    cox_note: str

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row per treatment."""
        return [{"treatment": t, **r.to_dict()} for t, r in self.per_treatment.items()]


@dataclass(frozen=True)
class RelapseSurvival:
    """Kaplan–Meier curves per treatment, a Cox model, and a log-rank test.

    ``cox`` is ``None`` when it cannot be fitted (one treatment, no events, or no
    convergence); ``cox_note`` says why.
    """

    table: pd.DataFrame
    km: Mapping[str, KaplanMeierFitter]
    cox: CoxPHFitter | None
    cox_note: str
    reference: str | None
    logrank_p: float | None
    columns: tuple[str, str, str] = ("days", "relapsed", "treatment")

    def medians(self) -> dict[str, float | None]:
        """Median days to relapse per treatment (``None`` when not reached: inf in lifelines)."""
        out: dict[str, float | None] = {}
        for name, kmf in self.km.items():
            m = float(kmf.median_survival_time_)
            out[name] = None if math.isinf(m) else m
        return out

    def survival_at(self, days: Sequence[float]) -> pd.DataFrame:
        """Relapse-free probability per treatment (columns) at the given days (rows)."""
        import pandas as pd

        return pd.DataFrame(
            {
                name: kmf.survival_function_at_times(list(days)).to_numpy()
                for name, kmf in self.km.items()
            },
            index=pd.Index(list(days), name="days"),
        )

    def hazard_ratios(self) -> pd.DataFrame | None:
        """Cox hazard ratios with 95% CI and p-values (``None`` without a Cox model)."""
        if self.cox is None:
            return None
        s = self.cox.summary
        return s[["exp(coef)", "exp(coef) lower 95%", "exp(coef) upper 95%", "p"]].rename(
            columns={
                "exp(coef)": "hr",
                "exp(coef) lower 95%": "hr_lo",
                "exp(coef) upper 95%": "hr_hi",
            }
        )

    def report(self) -> RelapseReport:
        """The findings as a typed result: counts, medians, log-rank test, hazard ratios."""
        _, e, t = self.columns
        hr = self.hazard_ratios()
        medians = self.medians()
        return RelapseReport(
            n=len(self.table),
            relapses=int(self.table[e].sum()),
            per_treatment={
                name: TreatmentRelapses(
                    n=int((self.table[t] == name).sum()),
                    relapses=int(self.table.loc[self.table[t] == name, e].sum()),
                    median_days=medians[name],
                )
                for name in self.km
            },
            logrank_p=self.logrank_p,
            cox_reference=self.reference,
            hazard_ratios=None
            if hr is None
            else tuple(
                HazardRatio(str(term), float(r.hr), float(r.hr_lo), float(r.hr_hi), float(r.p))
                for term, r in hr.iterrows()
            ),
            cox_note=self.cox_note,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, from :meth:`report` (the fitted lifelines models stay out)."""
        return self.report().to_dict()

    def summary(self) -> pd.DataFrame:
        """One row per treatment: patients, relapses, median days (as lifelines does)."""
        return self.report().summary()

    def to_text(self) -> str:
        """Counts, medians, the log-rank test and hazard ratios, as a short text table."""
        _, e, t = self.columns
        lines = ["Time to relapse after response or remission (Kaplan–Meier, lifelines)"]
        med = self.medians()
        for name in self.km:
            sub = self.table[self.table[t] == name]
            m = med[name]
            lines.append(
                f"  {name:<16} n={len(sub):<5} relapses={int(sub[e].sum()):<5} median days="
                + ("not reached" if m is None else f"{m:.1f}")
            )
        if self.logrank_p is not None:
            lines.append(f"  log-rank test across treatments: p = {self.logrank_p:.3g}")
        hr = self.hazard_ratios()
        if hr is None:
            lines.append(f"  Cox model: not fitted ({self.cox_note})")
        else:
            lines.append(f"  Cox model (reference {self.reference}; {self.cox_note}):")
            lines.append("    term                       hazard ratio [95% CI], p")
            for term, row in hr.iterrows():
                ci = f"[{row.hr_lo:.2f}, {row.hr_hi:.2f}]"
                lines.append(f"    {term!s:<26} {row.hr:.2f} {ci}, p={row.p:.3g}")
        return "\n".join(lines)

    def plot(self, path: str | Path | None = None) -> Figure:
        """Kaplan–Meier curves per treatment with confidence bands; saved when ``path`` given."""
        from ptsdrx._figures import new_figure, save

        fig = new_figure(7, 4.5)
        ax = fig.add_subplot()
        for kmf in self.km.values():
            kmf.plot_survival_function(ax=ax, ci_show=True)
        ax.set_xlabel("days since response or remission")
        ax.set_ylabel("relapse-free probability")
        ax.set_ylim(0, 1.02)
        ax.set_title("Time to relapse by treatment")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        if path is not None:
            save(fig, path, dpi=120)
        return fig


def relapse_survival(
    table: pd.DataFrame,
    *,
    duration_col: str = "days",
    event_col: str = "relapsed",
    treatment_col: str = "treatment",
    covariates: Sequence[str] = (),
    reference: str | None = None,
    penalizer: float = 0.0,
) -> RelapseSurvival:
    """Fit Kaplan–Meier per treatment and a Cox model with treatment indicators.

    Parameters
    ----------
    table : one row per patient at risk (see :func:`relapse_table`).
    covariates : extra numeric columns for the Cox model (adjustment).
    reference : the treatment the hazard ratios compare with; default the largest group.
    penalizer : lifelines ridge penalty for the Cox model (0: plain partial likelihood).
    """
    import pandas as pd
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.exceptions import ConvergenceError, ConvergenceWarning
    from lifelines.statistics import multivariate_logrank_test

    _validate(table, (duration_col, event_col, treatment_col, *covariates))
    if table.empty:
        raise ValueError("relapse table is empty: no patient reached response or remission")
    data = table.copy()
    data[event_col] = data[event_col].astype(bool)
    data[treatment_col] = data[treatment_col].astype(str)
    groups = sorted(data[treatment_col].unique())
    km = {}
    for name in groups:
        sub = data[data[treatment_col] == name]
        km[name] = KaplanMeierFitter(label=name).fit(sub[duration_col], sub[event_col])
    logrank_p = None
    if len(groups) > 1:
        logrank_p = float(
            multivariate_logrank_test(
                data[duration_col], data[treatment_col], data[event_col]
            ).p_value
        )
    counts = data[treatment_col].value_counts()
    ref = reference if reference is not None else str(counts.index[0])
    if ref not in groups:
        raise ValueError(f"reference {ref!r} is not a treatment in the table; allowed: {groups}")
    cox, note = None, ""
    if len(groups) < 2 and not covariates:
        note = "one treatment only"
    elif not data[event_col].any():
        note = "no relapses observed"
    else:
        design = pd.get_dummies(data[treatment_col], prefix="treatment", dtype=float)
        design = design.drop(columns=f"treatment_{ref}")
        design[[*covariates]] = data[[*covariates]].to_numpy(dtype=float)
        design["_d"] = data[duration_col].to_numpy()
        design["_e"] = data[event_col].to_numpy()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                cox = CoxPHFitter(penalizer=penalizer).fit(design, "_d", "_e")
            note = f"fitted on {len(design)} patients, {int(design['_e'].sum())} relapses"
            if any(issubclass(w.category, ConvergenceWarning) for w in caught):
                note += (
                    "; WARNING: lifelines reports convergence problems (possible complete "
                    "separation or too few relapses): hazard ratios are unreliable"
                )
        except ConvergenceError as exc:
            note = f"did not converge ({str(exc).splitlines()[0]})"
    return RelapseSurvival(
        table=data,
        km=km,
        cox=cox,
        cox_note=note,
        reference=ref,
        logrank_p=logrank_p,
        columns=(duration_col, event_col, treatment_col),
    )
