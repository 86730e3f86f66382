"""Trajectories, response, remission, reliable change and relapse on hand-worked cases."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptsdrx.monitoring import ConfigError, load_followup_rules, trajectory
from ptsdrx.records import Administration, PatientRecord

REFERENCE = Path(__file__).parent / "reference" / "trajectories.csv"
START = date(2026, 1, 5)
_YN = {"yes": True, "no": False, "": None}


def _rows() -> dict[str, list[dict[str, str]]]:
    with REFERENCE.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    cases: dict[str, list[dict[str, str]]] = {}
    for row in csv.DictReader(lines):
        cases.setdefault(row["case"], []).append(row)
    return cases


CASES = _rows()


def _record(totals: list[tuple[int, float]], instrument: str = "pcl5") -> PatientRecord:
    return PatientRecord(
        patient_id="p-test",
        assessments=[
            Administration(instrument=instrument, date=START + timedelta(days=d), total=t)
            for d, t in totals
        ],
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_hand_worked_trajectory(case: str) -> None:
    rows = CASES[case]
    traj = trajectory(_record([(int(r["day"]), float(r["total"])) for r in rows]))
    assert traj.baseline is not None and traj.baseline.total == float(rows[0]["total"])
    for row, point in zip(rows, traj.points, strict=True):
        assert point.days_from_baseline == int(row["day"])
        assert point.response is _YN[row["response"]], (case, row["day"])
        assert point.remission is _YN[row["remission"]], (case, row["day"])
        assert point.reliable_change is _YN[row["reliable"]], (case, row["day"])
    expected = [r for r in rows if r["relapse"]]
    if expected:
        assert traj.relapse is not None
        assert traj.relapse.criterion == expected[0]["relapse"]
        assert traj.relapse.date == START + timedelta(days=int(expected[0]["day"]))
    else:
        assert traj.relapse is None
    responded = [r for r in rows if r["response"] == "yes"]
    assert traj.first_response == (
        START + timedelta(days=int(responded[0]["day"])) if responded else None
    )


def test_case_a_relapse_details_and_renderings() -> None:
    rows = CASES["A"]
    traj = trajectory(_record([(int(r["day"]), float(r["total"])) for r in rows]))
    assert traj.relapse is not None
    assert traj.relapse.after_state == "remission"
    assert traj.relapse.nadir == 24
    assert traj.relapse.well_since == START + timedelta(days=28)
    assert traj.relapse.days_well == 42
    assert traj.cutpoint == 33
    text = traj.to_text()
    assert "return_above_cutpoint" in text and "first remission: 2026-02-02" in text
    payload = json.loads(json.dumps(traj.to_dict()))
    assert payload["relapse"]["criterion"] == "return_above_cutpoint"
    assert payload["points"][2]["metrics"]["rci_threshold"] == pytest.approx(14.58, abs=0.01)
    assert list(traj.summary()["total"]) == [52, 40, 30, 24, 26, 44, 50]
    assert [p.direction for p in traj.points[1:3]] == ["no_reliable_change", "improved"]


def test_confirmation_needs_consecutive_assessments() -> None:
    rows = CASES["A"]
    totals = [(int(r["day"]), float(r["total"])) for r in rows]
    site = {"followup": {"set": {"relapse": {"confirm": 2}}}}
    traj = trajectory(_record(totals), site=site)
    assert traj.relapse is not None
    assert traj.relapse.date == START + timedelta(days=70)
    assert traj.relapse.confirmed_on == START + timedelta(days=84)
    recovered = [*totals[:-1], (84, 25.0)]
    assert trajectory(_record(recovered), site=site).relapse is None


def test_loss_of_response_criterion_is_opt_in() -> None:
    totals = [(int(r["day"]), float(r["total"])) for r in CASES["B"]]
    with pytest.raises(ConfigError, match=r"relapse\.confirm: Input should be greater"):
        load_followup_rules({"followup": {"set": {"relapse": {"confirm": 0}}}})
    rules = load_followup_rules(None).model_dump()
    for crit in rules["relapse"]["criteria"]:
        crit["enabled"] = crit["id"] == "loss_of_response"
    site = {"followup": {"set": {"relapse": {"criteria": rules["relapse"]["criteria"]}}}}
    traj = trajectory(_record(totals), site=site)
    assert traj.relapse is not None
    assert traj.relapse.criterion == "loss_of_response"
    assert traj.relapse.date == START + timedelta(days=42)


def test_baseline_before_treatment_start() -> None:
    rec = _record([(0, 60), (10, 52), (40, 30)])
    traj = trajectory(rec, since=START + timedelta(days=12))
    assert traj.baseline is not None and traj.baseline.total == 52
    assert traj.points[0].days_from_baseline == -10 and traj.points[0].response is None
    assert traj.points[2].response is True


def test_unknown_baseline_stays_unknown() -> None:
    rec = _record([(10, 52), (40, 30)])
    traj = trajectory(rec, since=START)
    assert traj.baseline is None
    assert all(p.response is None and p.remission is None for p in traj.points)
    assert traj.first_response is None and traj.relapse is None
    assert "baseline: unknown" in traj.to_text()


def test_unscorable_administration_is_unknown_not_normal() -> None:
    rec = PatientRecord(
        assessments=[
            Administration(instrument="pcl5", date=START, total=50),
            Administration(
                instrument="pcl5", date=START + timedelta(days=14), responses=[None] * 20
            ),
            Administration(instrument="pcl5", date=START + timedelta(days=28), total=20),
        ]
    )
    traj = trajectory(rec)
    assert traj.points[1].total is None and traj.points[1].response is None
    assert traj.points[2].remission is True


def test_instrument_without_records() -> None:
    traj = trajectory(PatientRecord(), "pcl5")
    assert traj.points == () and traj.last is None
    assert "no administrations" in traj.to_text()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 80), min_size=2, max_size=8))
def test_relapse_only_after_being_well_and_never_on_improvement(totals: list[int]) -> None:
    traj = trajectory(_record([(14 * i, t) for i, t in enumerate(totals)]))
    if traj.relapse is not None:
        well = [d for d in (traj.first_response, traj.first_remission) if d]
        assert well and traj.relapse.date > min(well)
        assert traj.relapse.total > traj.relapse.nadir
    non_increasing = sorted(totals, reverse=True)
    assert trajectory(_record([(14 * i, t) for i, t in enumerate(non_increasing)])).relapse is None
