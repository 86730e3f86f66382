"""Monitoring results come from the results layer: dict, JSON Schema and a summary frame."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from ptsdrx.monitoring import (
    Alert,
    DosingSession,
    FollowUpSuggestions,
    RelapseEvent,
    RelapseReport,
    SessionReview,
    SessionVitals,
    Suggestion,
    Trajectory,
    TrajectoryPoint,
    relapse_survival,
    review_session,
    suggest,
    trajectory,
)
from ptsdrx.records import Administration, PatientRecord

D0 = date(2026, 1, 5)
T0 = datetime(2026, 1, 5, 9, 0)


def _record() -> PatientRecord:
    totals = [52, 40, 24, 50, 52]
    return PatientRecord(
        patient_id="p1",
        assessments=[
            Administration(instrument="pcl5", date=D0 + timedelta(days=14 * i), total=t)
            for i, t in enumerate(totals)
        ],
    )


@pytest.mark.parametrize(
    "cls",
    [
        Alert,
        FollowUpSuggestions,
        RelapseEvent,
        RelapseReport,
        SessionReview,
        Suggestion,
        Trajectory,
        TrajectoryPoint,
    ],
)
def test_every_result_type_has_a_json_schema(cls: type) -> None:
    schema = cls.json_schema()  # type: ignore[attr-defined]
    assert schema["type"] == "object" and schema["properties"]


def test_trajectory_dict_keeps_its_shape_and_summary_is_a_frame() -> None:
    traj = trajectory(_record())
    data = json.loads(traj.to_json())
    assert data == traj.to_dict()
    assert data["baseline"] == "2026-01-05"  # the baseline's date; the point is in points
    assert data["points"][0]["is_baseline"] is True
    assert data["relapse"]["criterion"] == "return_above_cutpoint"
    frame = traj.summary()
    assert isinstance(frame, pd.DataFrame) and list(frame["total"]) == [52, 40, 24, 50, 52]
    assert "metrics" not in frame.columns


def test_session_review_carries_can_close() -> None:
    session = DosingSession(
        phase="dosing",
        treatment="esketamine",
        start=T0,
        vitals=(SessionVitals(taken_at=T0, systolic=150, diastolic=95),),
    )
    review = review_session(session)
    data = review.to_dict()
    assert data["can_close"] is False and data["session"]["treatment"] == "esketamine"
    frame = review.summary()
    assert set(frame["kind"]) == {"alert", "missing"}
    assert "cannot close as complete yet" in review.to_text()


def test_suggestions_serialise_under_their_json_key() -> None:
    plan = suggest(_record(), as_of=D0 + timedelta(days=200))
    data = plan.to_dict()
    assert set(data) == {"patient_id", "as_of", "suggestions"}
    assert [s["kind"] for s in data["suggestions"]] == [s.kind for s in plan]
    assert len(plan.summary()) == len(plan)


def test_relapse_survival_report_is_typed() -> None:
    table = pd.DataFrame(
        {
            "treatment": ["A", "A", "B", "B", "B"],
            "days": [10, 30, 20, 40, 50],
            "relapsed": [1, 1, 0, 1, 0],
        }
    )
    result = relapse_survival(table)
    report = result.report()
    assert isinstance(report, RelapseReport)
    assert result.to_dict() == report.to_dict()
    assert report.per_treatment["A"].to_dict() == {"n": 2, "relapses": 2, "median_days": 10.0}
    frame = result.summary()
    assert list(frame["treatment"]) == ["A", "B"] and list(frame["n"]) == [2, 3]
    assert "log-rank" in result.to_text()
