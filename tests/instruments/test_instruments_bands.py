"""PHQ-9, GAD-7, BDI-II: reference totals and bands; PHQ-9 item 9 safety flag; properties."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptsdrx.instruments import get

REFERENCE = Path(__file__).parent / "reference"
BAND_ORDER = {
    "phq9": ["none_minimal", "mild", "moderate", "moderately_severe", "severe"],
    "gad7": ["minimal", "mild", "moderate", "severe"],
    "bdi2": ["minimal", "mild", "moderate", "severe"],
}
SIZES = {"phq9": (9, 3), "gad7": (7, 3), "bdi2": (21, 3)}


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@pytest.mark.parametrize("row", _rows("phq9.csv"), ids=lambda r: r["case"])
def test_phq9_reference(row: dict[str, str]) -> None:
    r = get("phq9").score([int(v) for v in row["responses"].split()])
    assert (r.total, r.band) == (float(row["total"]), row["band"])
    flagged = row["item9_flag"] == "True"
    assert ("phq9_item9_positive" in r.flags) is flagged
    assert bool(r.safety_messages) is flagged
    assert r.loinc["total"] == "44261-6" and r.loinc["item9"] == "44260-8"


@pytest.mark.parametrize("row", _rows("gad7.csv"), ids=lambda r: r["case"])
def test_gad7_reference(row: dict[str, str]) -> None:
    r = get("gad7").score([int(v) for v in row["responses"].split()])
    assert (r.total, r.band, r.flags) == (float(row["total"]), row["band"], ())
    assert r.loinc == {"panel": "69737-5", "total": "70274-6"}


@pytest.mark.parametrize("row", _rows("bdi2.csv"), ids=lambda r: r["case"])
def test_bdi2_reference(row: dict[str, str]) -> None:
    inst = get("bdi2")
    if row["responses"]:
        r = inst.score([int(v) for v in row["responses"].split()])
    else:
        r = inst.score_total(float(row["total"]))
        assert r.details["from_total_only"] is True
    assert (r.total, r.band) == (float(row["total"]), row["band"])


@pytest.mark.parametrize("name", sorted(BAND_ORDER))
@given(data=st.data())
def test_total_in_range_and_band_monotone(name: str, data: st.DataObject) -> None:
    n, top = SIZES[name]
    items = data.draw(st.lists(st.integers(0, top), min_size=n, max_size=n))
    k = data.draw(st.integers(0, n - 1))
    inst = get(name)
    before = inst.score(items)
    assert before.total is not None and 0 <= before.total <= n * top
    if items[k] < top:
        items[k] += 1
        after = inst.score(items)
        assert after.total == before.total + 1
        order = BAND_ORDER[name]
        assert order.index(after.band) >= order.index(before.band)  # type: ignore[arg-type]


def test_phq9_item9_unanswered_is_reported_not_assumed_negative() -> None:
    r = get("phq9", max_missing=1).score([1, 1, 1, 1, 1, 1, 1, 1, None])
    assert r.flags == ()
    assert r.details["safety_items_unanswered"] == (9,)


def test_crisis_message_is_configurable() -> None:
    r = get("phq9", crisis_message="Call the on-call psychiatrist.").score([0] * 8 + [3])
    assert r.safety_messages == {"phq9_item9_positive": "Call the on-call psychiatrist."}
    assert "Call the on-call psychiatrist." in r.to_text()


@pytest.mark.parametrize("name", ["phq9", "gad7"])
def test_screen_positive_at_ten(name: str) -> None:
    n = SIZES[name][0]
    nine = [3, 3, 3] + [0] * (n - 3)
    ten = [3, 3, 3, 1] + [0] * (n - 4)
    assert get(name).score(nine).details["screen_positive"] is False
    assert get(name).score(ten).details["screen_positive"] is True
    withheld = get(name).score([None, *ten[1:]])
    assert withheld.total is None and withheld.details["screen_positive"] is None
    assert "[V]" in get(name).score(ten).details["sources"]["screen_positive"]
    decided = get(name).score([None, 3, 3, 3] + [0] * (n - 4))  # 9 answered + at least 0
    assert decided.total is None and decided.details["screen_positive"] is None
    assert get(name).score([None, 3, 3, 3, 1] + [0] * (n - 5)).details["screen_positive"] is True
