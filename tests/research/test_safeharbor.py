"""Safe Harbor rules pinned: every restricted ZIP3, ages 89/90, pseudonyms, date shifts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from ptsdrx.research import (
    DateShifter,
    age_group,
    age_safe,
    pseudonym,
    restricted_zip3,
    zip3,
)

RESTRICTED = ["036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830",
              "831", "878", "879", "884", "890", "893"]  # fmt: skip


def test_the_seventeen_restricted_prefixes_are_the_data() -> None:
    data = restricted_zip3()
    assert sorted(data.prefixes) == RESTRICTED
    assert data.threshold_population == 20000 and "HHS" in data.source


@pytest.mark.parametrize("prefix", RESTRICTED)
def test_restricted_prefix_becomes_000(prefix: str) -> None:
    assert zip3(prefix + "42") == "000"
    assert zip3(prefix + "42-1234") == "000"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("97201", "972"), ("03501", "035"), ("03701", "037"), ("89301", "000"),
     ("89401", "894"), ("1234", None), ("AB1 2CD", None), (None, None)],
)  # fmt: skip
def test_zip3_neighbours_and_non_zips(code: str | None, expected: str | None) -> None:
    assert zip3(code) == expected


@pytest.mark.parametrize(
    ("age", "safe", "group"),
    [(0, 0, "0-4"), (44, 44, "40-44"), (85, 85, "85-89"), (89, 89, "85-89"), (90, 90, "90+"),
     (91, 90, "90+"), (120, 90, "90+"), (None, None, None)],
)  # fmt: skip
def test_ages_over_89_are_90_plus(age: int | None, safe: int | None, group: str | None) -> None:
    assert age_safe(age) == safe
    assert age_group(age) == group


def test_pseudonym_is_keyed_stable_and_short_secrets_are_refused() -> None:
    a = pseudonym(b"s" * 32, "pt-1")
    assert a == pseudonym(b"s" * 32, "pt-1") != pseudonym(b"t" * 32, "pt-1")
    assert a != pseudonym(b"s" * 32, "pt-2") and "pt-1" not in a
    with pytest.raises(ValueError, match="16 bytes"):
        pseudonym(b"short", "pt-1")


def test_dates_to_year_or_shifted_keeping_intervals() -> None:
    year = DateShifter("year", {})
    assert year.day("p", date(2024, 5, 6)) == 2024 and year.day("p", None) is None
    shift = DateShifter("shift", {"p": -40, "q": 200})
    a, b = date(2024, 1, 1), date(2024, 3, 15)
    assert shift.day("p", b) - shift.day("p", a) == b - a  # type: ignore[operator]
    assert shift.day("p", a) == a - timedelta(days=40)
    t = datetime(2024, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=-7)))
    assert shift.instant("q", t) == datetime(2024, 7, 19, 9, 30)
