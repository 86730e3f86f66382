"""Tests for the treatment catalog (``ptsdrx.treatments``): every entry, every jurisdiction."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from ptsdrx.treatments import (
    TREATMENT_IDS,
    CatalogError,
    catalog,
    get_treatment,
    load_catalog,
)

REQUIRED_JURISDICTIONS = ("US", "US-OR", "US-CO", "AU")
DATA = Path(__file__).parents[2] / "src/ptsdrx/treatments/data/catalog.yaml"


def test_catalog_has_every_contract_id_in_order() -> None:
    assert tuple(t.id for t in catalog()) == TREATMENT_IDS
    assert len(TREATMENT_IDS) == 13


@pytest.mark.parametrize("treatment_id", TREATMENT_IDS)
def test_entry_is_complete_and_sourced(treatment_id: str) -> None:
    t = get_treatment(treatment_id)
    assert t.name and t.mechanism and t.protocol.summary
    assert t.protocol.source and t.burden.source and t.burden.basis
    assert t.monitoring, "every treatment says what to monitor"
    for code in REQUIRED_JURISDICTIONS:
        status = t.availability(code)
        assert status is not None, code
        assert status.jurisdiction == code
        assert status.source and status.verification in {"V", "V2", "U", "D"}
        assert date(2000, 1, 1) <= status.as_of <= date(2026, 12, 31)
    assert treatment_id in t.summary()
    assert t.to_dict()["id"] == treatment_id


@pytest.mark.parametrize(
    ("treatment_id", "jurisdiction", "status"),
    [
        ("mdma_at", "US", "trial_only"),
        ("mdma_at", "AU", "authorised_prescriber"),
        ("psilocybin_at", "US-OR", "state_program"),
        ("psilocybin_at", "US-CO", "state_program"),
        ("psilocybin_at", "US", "trial_only"),
        ("psilocybin_at", "AU", "trial_only"),
        ("ketamine_iv", "US", "off_label"),
        ("esketamine", "US", "off_label"),
        ("sertraline", "US", "approved"),
        ("paroxetine", "US-OR", "approved"),
        ("venlafaxine", "US", "off_label"),
        ("prazosin", "US", "off_label"),
        ("ibogaine", "US", "trial_only"),
        ("five_meo_dmt", "AU", "trial_only"),
    ],
)
def test_verified_regulatory_facts(treatment_id: str, jurisdiction: str, status: str) -> None:
    # FACTS.md §5.5 and §8 (the statuses tagged [V] there, and those derived from them).
    found = get_treatment(treatment_id).availability(jurisdiction)
    assert found is not None and found.status == status


def test_mdma_states_the_complete_response_letter() -> None:
    us = get_treatment("mdma_at").availability("US")
    assert us is not None and us.note is not None
    assert "2024-08-09" in us.note and "Not FDA-approved" in us.note
    assert us.verification == "V"


def test_esketamine_is_approved_for_trd_not_ptsd() -> None:
    us = get_treatment("esketamine").availability("US")
    assert us is not None and us.status == "off_label"
    assert any("treatment-resistant depression" in a for a in us.approved_for)
    assert us.note is not None and "not approved for PTSD" in us.note


@pytest.mark.parametrize("treatment_id", TREATMENT_IDS)
def test_only_ibogaine_and_5meo_are_investigational(treatment_id: str) -> None:
    t = get_treatment(treatment_id)
    assert t.investigational is (treatment_id in {"ibogaine", "five_meo_dmt"})
    if t.investigational:
        assert "INVESTIGATIONAL" in t.summary()
        assert all(s.status == "trial_only" for s in t.regulatory.values())


def test_mapp1_protocol_and_derived_burden() -> None:
    t = get_treatment("mdma_at")
    p = t.protocol
    assert (p.preparatory_sessions, p.dosing_sessions, p.integrative_sessions) == (3, 3, 9)
    assert p.dosing_session_hours == 8.0 and p.course_weeks == 18
    # [D] 3 x 8 h + 9 x 1.5 h; preparatory-session length unknown -> lower bound.
    assert t.burden.clinic_hours == pytest.approx(3 * 8.0 + 9 * 1.5)
    assert t.burden.clinic_hours_lower_bound
    assert t.burden.visits == 15


def test_ketamine_protocol_feder_2021() -> None:
    t = get_treatment("ketamine_iv")
    assert t.protocol.dosing_sessions == 6 and t.protocol.course_weeks == 2
    assert "0.5 mg/kg" in (t.protocol.doses or "")
    assert t.burden.clinic_hours == pytest.approx(6 * 3.0)


def test_unknown_burden_stays_unknown() -> None:
    t = get_treatment("psilocybin_at")
    assert t.burden.visits is None and t.burden.clinic_hours is None
    assert "unknown" in t.summary("US")


def test_subdivision_falls_back_to_country_and_unknown_country_is_none() -> None:
    t = get_treatment("sertraline")
    status = t.availability("US-NY")
    assert status is not None and status.jurisdiction == "US" and status.status == "approved"
    assert t.availability("DE") is None


@pytest.mark.parametrize("bad", ["us", "USA", "", "US_OR"])
def test_bad_jurisdiction_names_the_allowed_shape(bad: str) -> None:
    with pytest.raises(ValueError, match="jurisdiction must be an ISO 3166 code"):
        get_treatment("cpt").availability(bad)


def test_unknown_treatment_lists_allowed_ids() -> None:
    with pytest.raises(KeyError, match="allowed: mdma_at"):
        get_treatment("lsd")


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_bad_status_names_entry_and_field(tmp_path: Path) -> None:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    raw["treatments"][0]["regulatory"]["US"] = {
        **raw["treatments"][0]["regulatory"]["US"],
        "status": "legal",
    }
    with pytest.raises(CatalogError, match=r"'mdma_at'.*regulatory\.US\.status"):
        load_catalog(_write(tmp_path, raw))


def test_missing_entry_is_reported(tmp_path: Path) -> None:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    raw["treatments"] = [t for t in raw["treatments"] if t["id"] != "emdr"]
    with pytest.raises(CatalogError, match=r"missing=\['emdr'\]"):
        load_catalog(_write(tmp_path, raw))


def test_investigational_flag_must_match_class(tmp_path: Path) -> None:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    for entry in raw["treatments"]:
        if entry["id"] == "ibogaine":
            entry["investigational"] = False
    with pytest.raises(CatalogError, match="investigational"):
        load_catalog(_write(tmp_path, raw))


def test_ssri_approval_dates_and_as_of_mean_what_they_say() -> None:
    # issue 12 / REVIEW-2026-12 §4: Zoloft approved for PTSD December 1999, Paxil December
    # 2001; as_of is the date the status was last confirmed, never the approval date
    from datetime import date

    sert = get_treatment("sertraline").availability("US")
    parox = get_treatment("paroxetine").availability("US-CO")  # the state falls back to the US
    assert sert is not None and sert.since == "1999-12" and sert.status == "approved"
    assert parox is not None and parox.since == "2001-12" and parox.status == "approved"
    for entry in (sert, parox):
        assert entry.as_of >= date(2026, 12, 1)
        assert entry.as_of.isoformat() != "2023-09-14"  # the old date matched no event
    assert "since 1999-12" in get_treatment("sertraline").summary("US")


def test_since_has_the_precision_of_its_source(tmp_path: Path) -> None:
    from ptsdrx.treatments import RegulatoryStatus

    base = {"jurisdiction": "US", "status": "approved", "as_of": "2026-12-01", "source": "a label"}
    for ok in ("1999", "1999-12", "1999-12-07"):
        assert RegulatoryStatus.model_validate({**base, "since": ok, "verification": "V"}).since
    with pytest.raises(ValueError, match="since"):
        RegulatoryStatus.model_validate({**base, "since": "Dec 1999", "verification": "V"})
