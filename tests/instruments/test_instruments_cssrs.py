"""C-SSRS screener: reference triage, skip logic, configurable low/moderate split."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ptsdrx.instruments import InstrumentError, get

REFERENCE = Path(__file__).parent / "reference"


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def _answers(text: str) -> list[int | None]:
    return [None if v == "NA" else int(v) for v in text.split()]


@pytest.mark.parametrize("row", _rows("cssrs.csv"), ids=lambda r: r["case"])
def test_reference_triage(row: dict[str, str]) -> None:
    r = get("cssrs").score(_answers(row["responses"]))
    assert r.details["risk_level"] == row["risk_level"] == r.band
    assert r.flags == ((row["flag"],) if row["flag"] else ())
    assert r.total is None


@st.composite
def screener(draw: st.DrawFn) -> list[int | None]:
    q1, q2, q6 = draw(st.integers(0, 1)), draw(st.integers(0, 1)), draw(st.integers(0, 1))
    q345: list[int | None] = [draw(st.integers(0, 1)) for _ in range(3)] if q2 else [None] * 3
    q6b = draw(st.integers(0, 1)) if q6 else None
    return [q1, q2, *q345, q6, q6b]


@given(screener())
def test_high_risk_rule(q: list[int | None]) -> None:
    """High exactly when Q4 or Q5 is yes or behaviour was within 3 months (Columbia)."""
    high = q[3] == 1 or q[4] == 1 or (q[5] == 1 and q[6] == 1)
    r = get("cssrs").score(q)
    assert (r.details["risk_level"] == "high") is high
    assert ("cssrs_high_risk" in r.flags) is high
    if high:
        assert r.safety_messages["cssrs_high_risk"]


@given(screener())
def test_configurable_split_never_touches_high(q: list[int | None]) -> None:
    default = get("cssrs").score(q).details["risk_level"]
    strict = get("cssrs", moderate=("q2", "q3", "q6_lifetime_only"), low=("q1",))
    level = strict.score(q).details["risk_level"]
    assert (level == "high") is (default == "high")
    if q[1] == 1 and default != "high":
        assert level == "moderate"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([None, 0, None, None, None, 0, None], "Q1: unanswered but required"),
        ([0, 1, None, 0, 0, 0, None], "Q3: unanswered .* at least 'low' .* make it 'moderate'"),
        ([0, 1, 1, None, None, 0, None], "Q4, Q5: unanswered .* make it 'high'"),
        ([0, 0, None, None, None, 1, None], "Q6b: unanswered .* make it 'high'"),
        ([0, None, None, None, None, 0, None], "Q2, Q3, Q4, Q5: unanswered"),
        ([0, 0, None, None, None, 0], "expected 7 item responses, got 6"),
        ([2, 0, None, None, None, 0, None], r"item 1 \(Q1\): is 2; allowed integers 0–1"),
    ],
)
def test_undecidable_or_malformed_answers_are_refused(
    answers: list[int | None], message: str
) -> None:
    with pytest.raises(InstrumentError, match=message):
        get("cssrs").score(answers)


@pytest.mark.parametrize(
    ("answers", "level", "unanswered"),
    [
        ([1, 1, None, 1, None, 0, None], "high", ("Q3", "Q5")),  # intent decides it
        ([0, 0, None, None, None, 1, 1], "high", ()),
        ([None, 1, 0, 1, 0, 0, None], "high", ("Q1",)),
    ],
)
def test_missing_answers_that_cannot_change_the_level(
    answers: list[int | None], level: str, unanswered: tuple[str, ...]
) -> None:
    r = get("cssrs").score(answers)
    assert r.details["risk_level"] == level and r.details["unanswered"] == unanswered


@pytest.mark.parametrize(
    ("answers", "level", "phrase"),
    [
        ([0, 0, None, 1, None, 0, None], "high", "Q4 is 'yes' although Q2 is 'no'"),
        ([0, 0, 1, None, None, 0, None], "moderate", "Q3 is 'yes' although Q2 is 'no'"),
        ([0, 0, None, None, None, 0, 1], "high", "Q6b is 'yes' although Q6 is 'no'"),
    ],
)
def test_yes_that_breaks_skip_logic_still_counts(
    answers: list[int | None], level: str, phrase: str
) -> None:
    r = get("cssrs").score(answers)
    assert r.details["risk_level"] == level
    assert any(phrase in note for note in r.details["inconsistencies"])
    assert phrase in r.to_text()


def test_bad_split_configuration_and_no_total() -> None:
    with pytest.raises(InstrumentError, match="never prorated"):
        get("cssrs", max_missing=1)
    with pytest.raises(InstrumentError, match="crisis_message: must be non-empty text"):
        get("cssrs", crisis_message="  ")
    with pytest.raises(InstrumentError, match="moderate: must list answers from"):
        get("cssrs", moderate=("q7",))
    with pytest.raises(InstrumentError, match="has no total"):
        get("cssrs").score_total(3)


def _reference_level(q: list[int]) -> str:
    """Default triage spelled out (FACTS.md 3.4), on a fully answered pattern."""
    if q[3] == 1 or q[4] == 1 or q[6] == 1:
        return "high"
    if q[2] == 1 or (q[5] == 1 and q[6] == 0):
        return "moderate"
    return "low" if q[0] == 1 or q[1] == 1 else "none"


@given(st.lists(st.sampled_from([None, 0, 1]), min_size=7, max_size=7))
def test_any_pattern_is_scored_soundly_or_refused(q: list[int | None]) -> None:
    """A returned level holds for every way of answering what is unanswered; else an error."""
    skipped = {2, 3, 4} if q[1] == 0 else set()
    if q[5] == 0:
        skipped.add(6)
    open_ = [i for i, v in enumerate(q) if v is None and i not in skipped]
    levels = set()
    for fill in itertools.product((0, 1), repeat=len(open_)):
        full = [0 if v is None else v for v in q]
        for i, v in zip(open_, fill, strict=True):
            full[i] = v
        levels.add(_reference_level(full))
    if len(levels) == 1:
        assert get("cssrs").score(q).details["risk_level"] == levels.pop()
    else:
        with pytest.raises(InstrumentError, match="unanswered but required"):
            get("cssrs").score(q)
