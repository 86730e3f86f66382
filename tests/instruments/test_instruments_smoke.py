"""First contract checks: get, score and score_administration for pcl5, phq9 and cssrs."""

from __future__ import annotations

from datetime import date

import pytest

from ptsdrx.instruments import InstrumentError, get, score_administration
from ptsdrx.records import Administration


def test_pcl5_all_twos() -> None:
    r = get("pcl5").score([2] * 20)
    assert r.total == 40
    assert dict(r.subscales) == {"B": 10, "C": 4, "D": 14, "E": 12}
    assert r.band is None
    assert r.details["provisional_diagnosis"] is True
    assert r.details["above_cutoff"] is True
    assert r.loinc["total"] == "101698-9"


def test_phq9_item9_flag() -> None:
    r = get("phq9").score([0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert r.flags == ("phq9_item9_positive",)
    assert r.safety_messages["phq9_item9_positive"]
    assert r.band == "none_minimal"


def test_cssrs_high() -> None:
    assert get("cssrs").score([1, 1, 0, 0, 0, 1, 1]).flags == ("cssrs_high_risk",)


def test_score_administration_and_mismatch() -> None:
    adm = Administration(instrument="phq9", date=date(2026, 1, 1), responses=[1] * 9)
    assert score_administration(adm).total == 9
    bad = Administration(instrument="phq9", date=date(2026, 1, 1), responses=[1] * 9, total=10)
    with pytest.raises(InstrumentError, match="disagrees"):
        score_administration(bad)
