"""Calibration results through the results layer (dict, schema, frame, text)."""

from __future__ import annotations

import pandas as pd

from ptsdrx.cohort import CalibrationReport, CalibrationRow, assumptions


def _report(within: bool) -> CalibrationReport:
    row = CalibrationRow(
        "t1", "mean_change", "mdma_at", None, -24.4, -25.0, -28.4, -20.4, within, "b", "s", "[V]"
    )
    return CalibrationReport(rows=(row,), n_per_trial=100, random_state=0, config_digest="abc")


def test_calibration_report_dict_schema_frame_text() -> None:
    good, bad = _report(True), _report(False)
    data = good.to_dict()
    assert data["passed"] is True and bad.to_dict()["passed"] is False
    assert data["rows"][0]["simulated"] == -25.0 and "label" not in data["rows"][0]
    assert "passed" in CalibrationReport.json_schema()["properties"]
    frame = good.summary()
    assert isinstance(frame, pd.DataFrame)
    assert frame.loc[0, "label"] == "t1: mean_change mdma_at"
    assert "1/1 within tolerance" in good.to_text() and "NO" in bad.to_text()


def test_assumptions_are_results() -> None:
    first = assumptions()[0]
    assert set(first.to_dict()) == {"path", "value", "source", "tag"}
