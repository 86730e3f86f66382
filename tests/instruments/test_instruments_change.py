"""change(): raw and percent change, Jacobson-Truax RCI, response and remission, with sources."""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptsdrx.instruments import InstrumentError, change, get
from ptsdrx.records import Administration

REFERENCE = Path(__file__).parent / "reference"


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@pytest.mark.parametrize("row", _rows("change_pcl5.csv"), ids=lambda r: f"{r['before']}")
def test_pcl5_reference(row: dict[str, str]) -> None:
    c = change(float(row["before"]), float(row["after"]))
    assert c.raw == float(row["raw"])
    assert c.percent == pytest.approx(float(row["percent"]), abs=1e-4)
    assert c.rci == pytest.approx(float(row["rci"]), abs=1e-4)
    for name in ("reliable", "response_30pct", "response_10pt", "remission_below_cutoff"):
        assert getattr(c, name) is (row[name] == "True"), name
    assert c.clinically_significant_endpoint is (row["endpoint"] == "True")
    met = {p.id: p.met for p in c.published_reliable}
    assert met == {
        "marx2022_sample1": row["marx15"] == "True",
        "marx2022_sample2": row["marx18"] == "True",
    }


def test_default_threshold_is_the_cited_14_6() -> None:
    c = change(50, 40)
    assert c.rci_threshold == pytest.approx(14.58, abs=0.01)
    assert c.thresholds["sd"] == 12.40 and c.thresholds["r"] == 0.82
    assert "Blevins" in c.sources["rci"] and "PMC7443209" in c.sources["rci"]
    for name in ("response_percent", "response_points", "endpoint", "remission_below_cutoff"):
        assert c.sources[name]


@pytest.mark.parametrize(("r", "threshold"), [(0.84, 13.7), (0.79, 15.8)])
def test_rci_inputs_configurable(r: float, threshold: float) -> None:
    """FACTS.md 1.4: r .84 gives about 13.7 points, r .79 about 15.8."""
    assert change(50, 40, r=r).rci_threshold == pytest.approx(threshold, abs=0.05)


@given(st.integers(0, 80), st.integers(0, 80))
def test_properties(before: int, after: int) -> None:
    c = change(before, after)
    assert c.raw == after - before
    assert c.reliable is (abs(after - before) >= 1.96 * math.sqrt(2) * 12.40 * math.sqrt(0.18))
    assert c.response_10pt is (before - after >= 10)
    if before:
        assert c.response_30pct is (after <= 0.7 * before + 1e-9)
    else:
        assert c.percent is None and c.response_30pct is None
    assert c.remission_below_cutoff is (after < 33)
    assert c.clinically_significant_endpoint is (after <= 28)
    assert c.clinically_significant_change is (c.direction == "improved" and after <= 28)
    reverse = change(after, before)
    assert reverse.rci == pytest.approx(-c.rci)  # type: ignore[operator]


def test_caps5_uses_marx_and_has_no_default_rci() -> None:
    c = change(40, 26, instrument="caps5")
    assert c.rci is None and c.reliable is None
    assert [p.decrease for p in c.published_reliable] == [13, 12]
    assert all(p.met for p in c.published_reliable)
    assert (
        c.clinically_significant_endpoint is False
        and change(20, 8, "caps5").clinically_significant_endpoint
    )
    assert c.remission_below_cutoff is None
    assert c.response_30pct is True
    assert change(40, 26, instrument="caps5", sd=10, r=0.78).reliable is True


def test_instrument_without_definitions_reports_none() -> None:
    c = change(15, 5, instrument="phq9")
    assert (c.raw, c.rci, c.response_30pct, c.response_10pt) == (-10, None, None, None)
    assert change(15, 5, instrument="phq9", cutoff=10).remission_below_cutoff is True


def test_accepts_results_and_administrations() -> None:
    before = get("pcl5").score([3] * 20)
    after = Administration(instrument="pcl5", date=date(2026, 3, 1), responses=[1] * 20)
    c = change(before, after)
    assert (c.before, c.after, c.raw) == (60, 20, -40)
    assert "reliable" in c.to_dict() and c.to_dict()["published_reliable"][0]["met"] is True
    assert "60 -> 20" in c.to_text()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"before": 90, "after": 10}, "before: is 90; allowed 0–80"),
        ({"before": 40, "after": "x"}, "after: must be a number"),
        ({"before": 40, "after": 20, "r": 1.2}, "r: must be between 0 and 1"),
        ({"before": 40, "after": 20, "sd": -1}, "sd: must be a positive number"),
        ({"before": 40, "after": 20, "cutoff": 40}, "cutoff: must be between 31 and 33"),
        ({"before": 10, "after": 5, "instrument": "phq9", "sd": 5}, "r: no default"),
        ({"before": 1, "after": 0, "instrument": "cssrs"}, "has no total"),
    ],
)
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InstrumentError, match=message):
        change(**kwargs)  # type: ignore[arg-type]


def test_mismatched_instrument_and_withheld_total() -> None:
    with pytest.raises(InstrumentError, match="is a 'phq9' result"):
        change(get("phq9").score([0] * 9), 20)
    with pytest.raises(InstrumentError, match="has no total"):
        change(get("pcl5").score([None] + [2] * 19), 20)
