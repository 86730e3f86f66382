"""CAPS-5 administrations carry criteria A/F/G and frequency/intensity ratings into scoring."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from ptsdrx.instruments import InstrumentError, get, score_administration
from ptsdrx.records import Administration

# Hand-worked: severities 2 on B1, C1, D1, D2, E1, E2 meet the symptom counts (1 B, 1 C, 2 D, 2 E).
SEVERITIES = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0]
ALL_MET = {"criterion_a": True, "duration_over_1_month": True, "distress_or_impairment": True}


def _adm(**kw: object) -> Administration:
    return Administration(instrument="caps5", date=date(2026, 1, 1), **kw)  # type: ignore[arg-type]


def test_criteria_reach_the_diagnosis() -> None:
    met = score_administration(_adm(responses=SEVERITIES, criteria=ALL_MET))
    assert met.details["diagnosis"] is True
    not_a = score_administration(
        _adm(responses=SEVERITIES, criteria={**ALL_MET, "criterion_a": False})
    )
    assert not_a.details["diagnosis"] is False
    unknown = score_administration(_adm(responses=SEVERITIES))
    assert unknown.details["diagnosis"] is None  # symptoms met, criteria unknown


def test_frequency_intensity_use_the_combining_rule() -> None:
    # Item 1: frequency 1, intensity 3 -> intensity >= 2 steps above -> severity 2 (frequency + 1).
    freq = [1] + [0] * 19
    inten = [3] + [0] * 19
    res = score_administration(_adm(frequency=freq, intensity=inten))
    assert res.total == 2
    assert res.total == get("caps5").score_ratings(freq, inten).total


def test_frequency_without_intensity_is_refused() -> None:
    with pytest.raises(ValidationError, match="recorded together"):
        _adm(frequency=[0] * 20)


def test_criteria_on_other_instruments_are_refused() -> None:
    adm = Administration(
        instrument="pcl5", date=date(2026, 1, 1), responses=[0] * 20, criteria={"criterion_a": True}
    )
    with pytest.raises(InstrumentError, match="criteria"):
        score_administration(adm)
