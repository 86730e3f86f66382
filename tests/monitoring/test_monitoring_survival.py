"""Time to relapse: Kaplan–Meier against a hand-worked example, Cox, tables from trajectories."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ptsdrx.monitoring import relapse_survival, relapse_table, relapse_table_from_wide, trajectory
from ptsdrx.records import Administration, PatientRecord

KM = pd.read_csv(Path(__file__).parent / "reference" / "km_small.csv", comment="#")


def test_kaplan_meier_matches_hand_calculation() -> None:
    result = relapse_survival(KM)
    at = result.survival_at([10, 20, 29, 30, 35, 40])
    assert at["A"].tolist() == pytest.approx([0.75, 0.75, 0.75, 0.375, 0.375, 0.0])
    assert at.loc[35, "B"] == pytest.approx(2 / 3)
    assert result.medians() == {"A": 30.0, "B": None}
    text = result.to_text()
    assert "median days=30" in text and "not reached" in text and "log-rank" in text
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["per_treatment"]["A"] == {"n": 4, "relapses": 3, "median_days": 30.0}
    assert payload["cox_reference"] == "B"  # the larger group by default


def test_cox_hazard_ratio_direction_on_simulated_times() -> None:
    rng = np.random.default_rng(0)
    n = 150
    fast = rng.exponential(30, n)  # higher hazard
    slow = rng.exponential(90, n)
    censor = rng.uniform(20, 150, 2 * n)
    times = np.concatenate([fast, slow])
    table = pd.DataFrame(
        {
            "treatment": ["ketamine_iv"] * n + ["mdma_at"] * n,
            "days": np.minimum(times, censor),
            "relapsed": times <= censor,
        }
    )
    result = relapse_survival(table, reference="mdma_at")
    hr = result.hazard_ratios()
    assert hr is not None
    row = hr.loc["treatment_ketamine_iv"]
    assert row.hr_lo > 1.5 and row.hr_lo < row.hr < row.hr_hi  # true HR = 3
    assert result.logrank_p is not None and result.logrank_p < 1e-4


def test_cox_not_fitted_is_explained() -> None:
    one = relapse_survival(KM[KM.treatment == "A"])
    assert one.cox is None and "one treatment only" in one.to_text()
    none = relapse_survival(KM.assign(relapsed=0))
    assert none.cox is None and none.cox_note == "no relapses observed"


@pytest.mark.parametrize(
    ("table", "kwargs", "phrase"),
    [
        (KM.drop(columns="days"), {}, "lacks columns ['days']"),
        (KM.assign(days=-1), {}, ">= 0"),
        (KM.assign(relapsed=2), {}, "True/False"),
        (KM.iloc[0:0], {}, "empty"),
        (KM, {"reference": "C"}, "allowed: ['A', 'B']"),
    ],
)
def test_bad_tables_are_named(table: pd.DataFrame, kwargs: dict[str, str], phrase: str) -> None:
    with pytest.raises((KeyError, ValueError)) as err:
        relapse_survival(table, **kwargs)  # type: ignore[arg-type]
    assert phrase in str(err.value)


def _traj(pid: str, totals: list[float]) -> object:
    d0 = date(2026, 1, 5)
    rec = PatientRecord(
        patient_id=pid,
        assessments=[
            Administration(instrument="pcl5", date=d0 + timedelta(days=14 * i), total=t)
            for i, t in enumerate(totals)
        ],
    )
    return trajectory(rec)


def test_relapse_table_from_trajectories() -> None:
    table = relapse_table(
        [
            ("ketamine_iv", _traj("a", [52, 30, 24, 44])),  # well day 14, relapse day 42
            ("ketamine_iv", _traj("b", [52, 30, 24, 26])),  # well day 14, censored day 42
            ("ketamine_iv", _traj("c", [52, 48, 50])),  # never well: not at risk
            ("mdma_at", _traj("d", [60, 30])),  # well day 14, censored day 14
        ]
    )
    assert table[["patient_id", "days", "relapsed"]].values.tolist() == [
        ["a", 28.0, True],
        ["b", 28.0, False],
        ["d", 0.0, False],
    ]


def test_relapse_table_from_wide_cohort_and_plot(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "arm": ["ketamine_iv", "ketamine_iv", "mdma_at", "mdma_at"],
            "pcl5_w0": [52, 50, 60, 55],
            "pcl5_w4": [30, 45, 40, 30],
            "pcl5_w12": [44, np.nan, 30, 28],
        }
    )
    cols = {"pcl5_w0": 0, "pcl5_w4": 4, "pcl5_w12": 12}
    table = relapse_table_from_wide(frame, cols)
    assert table["treatment"].tolist() == ["ketamine_iv", "mdma_at", "mdma_at"]
    assert table["days"].tolist() == [56.0, 56.0, 56.0]
    assert table["relapsed"].tolist() == [True, False, False]
    with pytest.raises(KeyError, match="pcl5_w26"):
        relapse_table_from_wide(frame, {**cols, "pcl5_w26": 26})
    result = relapse_survival(table)
    assert "hazard ratios are unreliable" in result.cox_note  # one relapse: separation
    out = tmp_path / "km.png"
    result.plot(str(out))
    assert out.stat().st_size > 5000
