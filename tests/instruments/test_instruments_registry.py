"""Registry, options and bad input for every instrument; score_administration."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ptsdrx.instruments import (
    InstrumentError,
    UnknownInstrumentError,
    get,
    instruments,
    score_administration,
)
from ptsdrx.records import Administration, load_record

IDS = ("pcl5", "caps5", "phq9", "gad7", "cssrs", "cadss", "bdi2")
SIZES = {"pcl5": 20, "caps5": 20, "phq9": 9, "gad7": 7, "cssrs": 7, "cadss": 23, "bdi2": 21}
#: A trailing optional item that is valid but never totalled: PHQ-9 item 10 (difficulty).
OPTIONAL = {"phq9": 1}


def test_registry_lists_the_contract_ids() -> None:
    assert tuple(instruments()) == IDS
    for name, inst in instruments().items():
        assert inst.id == name and inst.spec.items == SIZES[name]
        assert inst.spec.source and inst.spec.verification in ("V", "V2", "U", "D")


def test_unknown_instrument_lists_allowed() -> None:
    with pytest.raises(KeyError) as err:
        get("pcl")
    assert isinstance(err.value, UnknownInstrumentError)
    assert "allowed: pcl5, caps5, phq9" in str(err.value)


def test_unknown_option_names_allowed_options() -> None:
    with pytest.raises(InstrumentError, match="cutoff: unknown option; allowed: max_missing"):
        get("phq9", cutoff=10)
    with pytest.raises(InstrumentError, match=r"max_missing: must be an integer 0\.\.8"):
        get("phq9", max_missing=9)


@pytest.mark.parametrize("name", IDS)
def test_wrong_item_count(name: str) -> None:
    with pytest.raises(InstrumentError, match=f"^{name}: responses: expected {SIZES[name]}"):
        get(name).score([0] * (SIZES[name] + OPTIONAL.get(name, 0) + 1))
    with pytest.raises(InstrumentError, match="got 0"):
        get(name).score([])


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("bad", [-1, "high", 1.5, True, [1]])
def test_out_of_range_and_non_integer(name: str, bad: object) -> None:
    inst = get(name)
    too_high = inst.item_max() + 1
    for value, phrase in ((bad, "item 1"), (too_high, f"is {too_high}; allowed integers")):
        responses: list[object] = [0] * SIZES[name]
        responses[0] = value
        with pytest.raises(InstrumentError, match=phrase):
            inst.score(responses)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", IDS)
def test_not_a_list(name: str) -> None:
    with pytest.raises(InstrumentError, match="responses: must be a list"):
        get(name).score("0,1,2")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", [n for n in IDS if n != "cssrs"])
def test_total_out_of_range(name: str) -> None:
    inst = get(name)
    rng = inst.total_range()
    assert rng is not None
    with pytest.raises(InstrumentError, match="total: is"):
        inst.score_total(rng[1] + 1)
    with pytest.raises(InstrumentError, match="total: must be a number"):
        inst.score_total("12")


def test_whole_floats_are_accepted_nan_is_missing() -> None:
    assert get("gad7").score([1.0] * 7).total == 7
    assert get("gad7").score([float("nan")] + [1] * 6).missing_items == (1,)


def _adm(**kw: object) -> Administration:
    return Administration(date=date(2026, 1, 5), **kw)  # type: ignore[arg-type]


def test_score_administration() -> None:
    assert score_administration(_adm(instrument="gad7", responses=[3] * 7)).band == "severe"
    assert score_administration(_adm(instrument="bdi2", total=30)).band == "severe"
    assert score_administration(_adm(instrument="gad7", responses=[1] * 7, total=7)).total == 7
    r = score_administration(_adm(instrument="pcl5", responses=[None] + [2] * 19), max_missing=1)
    assert r.prorated_items == (1,)
    slip = score_administration(_adm(instrument="phq9", responses=[0] * 8 + [2], total=3))
    assert slip.total == 2 and slip.flags == ("phq9_item9_positive",)  # flag never lost
    assert slip.details["recorded_total_mismatch"] is True and slip.details["recorded_total"] == 3
    assert "WARNING recorded total 3 disagrees" in slip.to_text()
    with pytest.raises(KeyError, match="unknown instrument 'ies_r'"):
        score_administration(_adm(instrument="ies_r", total=12))
    with pytest.raises(InstrumentError, match="pcl5: total: is 81"):
        score_administration(_adm(instrument="pcl5", total=81))


def test_to_dict_is_json_ready() -> None:
    import json

    for name in IDS:
        inst = get(name)
        responses = [0] * SIZES[name]
        if name == "cssrs":
            responses = [0, 0, None, None, None, 0, None]  # type: ignore[list-item]
        d = inst.score(responses).to_dict()
        assert json.loads(json.dumps(d)) == d
        assert {"instrument", "total", "subscales", "band", "flags"} <= set(d)


EXAMPLES = sorted((Path(__file__).parents[2] / "examples" / "patients").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_administration_scores_cleanly(path: Path) -> None:
    for adm in load_record(str(path)).assessments or []:
        result = score_administration(adm)
        assert not result.details.get("recorded_total_mismatch"), adm
        assert result.total is not None or adm.instrument == "cssrs"
