"""PCL-5: reference cases, properties against a brute-force DSM-5 rule, proration, cut-point."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptsdrx.instruments import InstrumentError, get

REFERENCE = Path(__file__).parent / "reference"
# Clusters as written in FACTS.md 1.1, independent of the data file (0-based slices).
CLUSTERS = {"B": range(0, 5), "C": range(5, 7), "D": range(7, 14), "E": range(14, 20)}
NEEDED = {"B": 1, "C": 1, "D": 2, "E": 2}

items20 = st.lists(st.integers(0, 4), min_size=20, max_size=20)


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def brute_force_diagnosis(items: list[int]) -> bool:
    """The DSM-5 rule spelled out: count items >= 2 per cluster."""
    return all(sum(items[i] >= 2 for i in CLUSTERS[c]) >= NEEDED[c] for c in CLUSTERS)


@pytest.mark.parametrize("row", _rows("pcl5.csv"), ids=lambda r: r["case"])
def test_reference_cases(row: dict[str, str]) -> None:
    items = [int(v) for v in row["responses"].split()]
    r = get("pcl5").score(items)
    assert r.total == float(row["total"])
    assert dict(r.subscales) == {c: float(row[c]) for c in "BCDE"}
    assert r.details["provisional_diagnosis"] is (row["provisional_diagnosis"] == "True")
    assert r.details["above_cutoff"] is (row["above_cutoff_33"] == "True")
    assert get("pcl5", cutoff=31).score(items).details["above_cutoff"] is (
        row["above_cutoff_31"] == "True"
    )
    assert r.band is None  # no validated PCL-5 severity bands
    assert r.loinc == {"panel": "101697-1", "total": "101698-9"}


@given(items20)
def test_range_and_clusters_sum_to_total(items: list[int]) -> None:
    r = get("pcl5").score(items)
    assert r.total is not None and 0 <= r.total <= 80
    assert sum(r.subscales.values()) == r.total
    assert r.subscales["B"] <= 20 and r.subscales["C"] <= 8
    assert r.subscales["D"] <= 28 and r.subscales["E"] <= 24


@given(items20)
def test_diagnosis_matches_brute_force(items: list[int]) -> None:
    assert get("pcl5").score(items).details["provisional_diagnosis"] is brute_force_diagnosis(items)


@given(items20, st.integers(0, 19))
def test_monotone_in_every_item(items: list[int], k: int) -> None:
    if items[k] == 4:
        items[k] = 3
    lower = get("pcl5").score(items)
    items[k] += 1
    higher = get("pcl5").score(items)
    assert higher.total == lower.total + 1  # type: ignore[operator]
    assert higher.details["provisional_diagnosis"] >= lower.details["provisional_diagnosis"]
    assert higher.details["above_cutoff"] >= lower.details["above_cutoff"]


@given(items20, st.sampled_from([31, 32, 33]))
def test_cutoff_rule(items: list[int], cutoff: int) -> None:
    r = get("pcl5", cutoff=cutoff).score(items)
    assert r.details["above_cutoff"] is (sum(items) >= cutoff)
    assert r.details["cutoff"] == cutoff


@given(items20, st.sets(st.integers(0, 19), min_size=1, max_size=2))
@settings(max_examples=60)
def test_missing_items_three_valued_and_sound(items: list[int], missing: set[int]) -> None:
    """Without proration the total is withheld; a decided diagnosis holds for every completion."""
    partial: list[int | None] = [None if i in missing else v for i, v in enumerate(items)]
    r = get("pcl5").score(partial)
    assert r.total is None and "total_withheld" in r.details
    assert r.missing_items == tuple(sorted(i + 1 for i in missing))
    outcomes = set()
    cut = set()
    for fill in itertools.product(range(5), repeat=len(missing)):
        full = list(items)
        for i, v in zip(sorted(missing), fill, strict=True):
            full[i] = v
        outcomes.add(brute_force_diagnosis(full))
        cut.add(sum(full) >= 33)
    dx = r.details["provisional_diagnosis"]
    assert dx is None if len(outcomes) == 2 else dx is outcomes.pop()
    above = r.details["above_cutoff"]
    assert above is None if len(cut) == 2 else above is cut.pop()


@given(items20, st.sets(st.integers(0, 19), min_size=1, max_size=3))
def test_person_mean_proration(items: list[int], missing: set[int]) -> None:
    partial: list[int | None] = [None if i in missing else v for i, v in enumerate(items)]
    answered = [v for i, v in enumerate(items) if i not in missing]
    r = get("pcl5", max_missing=3).score(partial)
    assert r.prorated_items == tuple(sorted(i + 1 for i in missing))
    assert r.total == pytest.approx(sum(answered) * 20 / len(answered))
    assert "proration" in r.details
    refused = get("pcl5", max_missing=len(missing) - 1).score(partial)
    assert refused.total is None and refused.prorated_items == ()


def test_total_only_administration_keeps_diagnosis_unknown() -> None:
    r = get("pcl5").score_total(40)
    assert r.details["above_cutoff"] is True
    assert r.details["provisional_diagnosis"] is None
    assert r.subscales == {}


@pytest.mark.parametrize("cutoff", [30, 34, 38, True])
def test_cutoff_outside_validated_range_is_refused(cutoff: float) -> None:
    with pytest.raises(InstrumentError, match="cutoff: must be between 31 and 33"):
        get("pcl5", cutoff=cutoff)


def test_result_is_immutable_and_cites_sources() -> None:
    r = get("pcl5").score([2] * 20)
    with pytest.raises(AttributeError):
        r.total = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.subscales["B"] = 0
    with pytest.raises(TypeError):
        r.details["sources"].update(cutoff="changed")
    assert json.loads(json.dumps(r.details))["cutoff"] == 33  # still plain JSON-able dicts
    assert "Bovin" in r.details["sources"]["cutoff"]
    assert "[V]" in r.details["sources"]["provisional_diagnosis"]
    assert "provisional_diagnosis: True" in r.to_text()
