"""CAPS-5: severity combining rule, reference cases, diagnosis and dissociative subtype."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptsdrx.instruments import CAPS5, InstrumentError, caps5_severity, get

REFERENCE = Path(__file__).parent / "reference"
CLUSTERS = {"B": range(0, 5), "C": range(5, 7), "D": range(7, 14), "E": range(14, 20)}
NEEDED = {"B": 1, "C": 1, "D": 2, "E": 2}


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def _opt(text: str) -> bool | None:
    return None if text in ("", "NA") else text == "True"


@pytest.mark.parametrize("row", _rows("caps5_severity.csv"), ids=lambda r: f"{r['frequency']}")
def test_severity_combining_rule(row: dict[str, str]) -> None:
    assert caps5_severity(int(row["frequency"]), int(row["intensity"])) == int(row["severity"])


def test_severity_missing_rating_is_unknown() -> None:
    assert caps5_severity(None, 3) is None and caps5_severity(2, None) is None


@pytest.mark.parametrize("row", _rows("caps5.csv"), ids=lambda r: r["case"])
def test_reference_cases(row: dict[str, str]) -> None:
    items = [None if v == "NA" else int(v) for v in row["responses"].split()]
    a, f, g = (_opt(v) for v in row["criteria_afg"].split())
    r = CAPS5().score(items, criterion_a=a, duration_over_1_month=f, distress_or_impairment=g)
    assert r.total == float(row["total"])
    assert dict(r.subscales) == {c: float(row[c]) for c in "BCDE"}
    assert r.details["diagnosis"] is _opt(row["diagnosis"])
    assert r.details["dissociative_subtype"] is _opt(row["dissociative_subtype"])
    assert r.loinc == {}  # no CAPS-5 LOINC code found (FACTS.md 4)


@given(st.lists(st.integers(0, 4), min_size=20, max_size=20))
def test_symptom_rule_matches_brute_force(items: list[int]) -> None:
    expected = all(sum(items[i] >= 2 for i in CLUSTERS[c]) >= NEEDED[c] for c in CLUSTERS)
    r = get("caps5").score(items, criterion_a=True, duration_over_1_month=True,
                           distress_or_impairment=True)  # fmt: skip
    assert r.details["symptom_criteria_met"] is expected
    assert r.details["diagnosis"] is expected
    assert r.total == sum(items)


@given(
    st.lists(st.integers(0, 4), min_size=22, max_size=22),
    st.lists(st.integers(0, 4), min_size=22, max_size=22),
)
def test_ratings_path_equals_severity_path(freq: list[int], inten: list[int]) -> None:
    sev = [caps5_severity(f, i) for f, i in zip(freq, inten, strict=True)]
    by_ratings = CAPS5().score_ratings(freq, inten, criterion_a=True)
    direct = CAPS5().score(sev, criterion_a=True)
    assert by_ratings.total == direct.total
    assert by_ratings.details["diagnosis"] == direct.details["diagnosis"]
    assert by_ratings.details["dissociative_subtype"] == direct.details["dissociative_subtype"]
    assert by_ratings.details["severity_from_ratings"] is True
    assert "08_043" in by_ratings.details["sources"]["severity_combining"]


def test_bad_criteria_and_lengths() -> None:
    with pytest.raises(InstrumentError, match="criterion_a: must be true, false or None"):
        CAPS5().score([0] * 20, criterion_a="yes")  # type: ignore[arg-type]
    with pytest.raises(InstrumentError, match="expected 20 or 22 item responses, got 21"):
        CAPS5().score([0] * 21)
    with pytest.raises(InstrumentError, match=r"item 22 \(derealization, CAPS-5 item 30\)"):
        CAPS5().score([0] * 21 + [5])
    with pytest.raises(InstrumentError, match="intensity: needs as many ratings"):
        CAPS5().score_ratings([0] * 20, [0] * 22)
    with pytest.raises(InstrumentError, match="unknown criterion"):
        CAPS5().score_ratings([0] * 20, [0] * 20, criterion_b=True)
