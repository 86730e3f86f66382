"""CADSS: reference totals and CADSS-6; the unverified item range is configurable."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptsdrx.instruments import InstrumentError, get

REFERENCE = Path(__file__).parent / "reference"


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@pytest.mark.parametrize("row", _rows("cadss.csv"), ids=lambda r: r["case"])
def test_reference_cases(row: dict[str, str]) -> None:
    r = get("cadss").score([int(v) for v in row["responses"].split()])
    assert r.total == float(row["total"])
    assert r.subscales["cadss6"] == float(row["cadss6"])
    assert r.band is None


def test_item_range_is_marked_unverified_and_configurable() -> None:
    default = get("cadss")
    assert default.total_range() == (0, 92)
    r = default.score([0] * 23)
    assert r.details["item_range"] == (0, 4)
    assert "[U]" in r.details["sources"]["item_range"]
    narrow = get("cadss", max_item_score=3)
    assert narrow.total_range() == (0, 69)
    with pytest.raises(InstrumentError, match="allowed integers 0–3"):
        narrow.score([4] + [0] * 22)
    with pytest.raises(InstrumentError, match="total: is 80; allowed 0–69"):
        narrow.score_total(80)
    with pytest.raises(InstrumentError, match="max_item_score: must be 1–10"):
        get("cadss", max_item_score=0)


@given(st.integers(1, 6), st.data())
def test_range_and_cadss6_with_any_configured_item_max(top: int, data: st.DataObject) -> None:
    items = data.draw(st.lists(st.integers(0, top), min_size=23, max_size=23))
    r = get("cadss", max_item_score=top).score(items)
    assert r.total == sum(items) and 0 <= r.total <= 23 * top
    assert r.subscales["cadss6"] == sum(items[i - 1] for i in (1, 2, 6, 7, 15, 22))
