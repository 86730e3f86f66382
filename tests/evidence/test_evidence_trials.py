"""The trials data file: every row checked against FACTS.md, and the loader's refusals."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import yaml

from ptsdrx.evidence import EvidenceError, EvidenceStudy, get_trial, load_trials, trials

REFERENCE = Path(__file__).parent / "reference" / "trial_facts.csv"
DATA = Path(__file__).parents[2] / "src/ptsdrx/evidence/data/trials.yaml"


def _facts() -> list[dict[str, str]]:
    lines = [ln for ln in REFERENCE.read_text(encoding="utf-8").splitlines() if ln[:1] != "#"]
    return list(csv.DictReader(lines))


def _resolve(trial: EvidenceStudy, path: str) -> Any:
    kind, *parts = path.split(":")
    if not parts:
        return getattr(trial, kind)
    if kind == "arm":
        arm_id, attr = parts
        return getattr(trial.arm(arm_id)[0], attr)
    if kind == "rate":
        outcome, arm_id = parts
        (rate,) = [r for r in trial.rates if r.outcome == outcome and r.arm == arm_id]
        return rate.value
    if kind == "effect":
        treatment, control, label = (None if p == "-" else p for p in parts)
        (effect,) = [
            e
            for e in trial.effects
            if e.treatment == treatment and e.control == control and e.label == label
        ]
        return effect.value
    if kind == "ae":
        arm_id, event = parts
        (ae,) = [a for a in trial.adverse_events if a.arm == arm_id and a.event == event]
        return ae.rate
    raise AssertionError(f"bad reference path {path}")


@pytest.mark.parametrize("fact", _facts(), ids=lambda f: f"{f['trial']}:{f['path']}")
def test_trial_value_matches_facts(fact: dict[str, str]) -> None:
    got = _resolve(get_trial(fact["trial"]), fact["path"])
    expected = fact["expected"]
    if isinstance(got, int | float) and not isinstance(got, bool):
        assert got == pytest.approx(float(expected)), fact
    else:
        assert str(got) == expected, fact


def test_every_trial_row_has_reference_facts() -> None:
    covered = {f["trial"] for f in _facts()}
    assert covered == {t.id for t in trials()}


@pytest.mark.parametrize("trial", trials(), ids=lambda t: t.id)
def test_every_row_is_sourced_and_renders(trial: EvidenceStudy) -> None:
    assert trial.source and trial.verification in {"V", "V2", "U", "D"}
    for part in (*trial.arms, *trial.rates, *trial.effects, *trial.adverse_events):
        assert part.source and part.verification in {"V", "V2", "U", "D"}
    assert trial.id in trial.summary()
    assert trial.to_dict()["id"] == trial.id


def test_facts_section_5_is_covered() -> None:
    # Every trial the issue names (FACTS §5) has a row.
    named = {
        "mapp1", "mapp2", "mdma_phase2_pooled", "feder2014", "feder2021", "abdallah2022",
        "ketamine_meta2024", "osmind_ketamine", "macconnel2024_preprint", "mcgowan2025",
        "brady2000", "davidson2001", "va_sertraline2007", "marshall2001", "tucker2001",
        "raskind2003", "raskind2018", "asmundson2019_cpt", "powers2010_pe", "resick2002",
    }  # fmt: skip
    assert named <= {t.id for t in trials()}


def test_disagreeing_macconnel_sources_are_both_kept() -> None:
    pre, quote = get_trial("macconnel2024_preprint"), get_trial("macconnel2024_published_quote")
    assert pre.disagrees_with == (quote.id,) and quote.disagrees_with == (pre.id,)
    assert pre.verification == "V" and quote.verification == "U"
    assert pre.arm("ketamine_iv")[0].baseline_mean != quote.arm("ketamine_iv")[0].baseline_mean


def test_unverified_numbers_keep_their_tags() -> None:
    mapp1 = get_trial("mapp1")
    remission = [r for r in mapp1.rates if r.outcome == "remission"]
    assert remission and all(r.verification == "U" for r in remission)
    mapp2 = get_trial("mapp2")
    assert {r.verification for r in mapp2.rates if r.outcome == "loss_of_diagnosis"} == {"V2"}
    # Inheritance: an unmarked arm carries the trial's tag.
    assert mapp1.arm("mdma_at")[0].verification == "V"


def test_mapp2_sd_is_derived_from_the_ci() -> None:
    # [D] SE = (hi - lo) / (2 * 1.96); SD = SE * sqrt(52) = 6.5 / 3.92 * 7.211 = 11.957
    arm = get_trial("mapp2").arm("mdma_at")[0]
    assert arm.change_sd is None
    assert arm.change_sd_resolved == pytest.approx(6.5 / (2 * 1.959964) * 52**0.5, rel=1e-4)


def test_negative_trials_are_in_the_evidence_base() -> None:
    negative = {t.id for t in trials() if t.result == "negative"}
    assert negative == {"abdallah2022", "va_sertraline2007", "raskind2018"}


def test_filter_by_treatment_and_unknown_ids() -> None:
    assert {t.id for t in trials("psilocybin_at")} == {"mcgowan2025", "goodwin2022", "raison2023"}
    # issue 12: the two Davidson 2006 venlafaxine RCTs
    assert {t.id for t in trials("venlafaxine")} == {"davidson2006_jcp", "davidson2006_agp"}
    with pytest.raises(KeyError, match="allowed: mdma_at"):
        trials("lsd")
    with pytest.raises(KeyError, match="unknown trial"):
        get_trial("nope")


# ------------------------------------------------------------------ loader refusals


def _rows() -> list[dict[str, Any]]:
    raw: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return list(raw["trials"])


def _load(tmp_path: Path, rows: list[dict[str, Any]]) -> tuple[EvidenceStudy, ...]:
    path = tmp_path / "trials.yaml"
    path.write_text(yaml.safe_dump({"trials": rows}, sort_keys=False), encoding="utf-8")
    return load_trials(path)


def test_packaged_file_loads_from_a_path(tmp_path: Path) -> None:
    assert len(_load(tmp_path, _rows())) == len(trials())


def test_unknown_arm_is_named(tmp_path: Path) -> None:
    rows = _rows()
    rows[0]["arms"][0]["arm"] = "lsd"
    with pytest.raises(EvidenceError, match=r"'mapp1'.*arms\.0.*'lsd' is not a known arm"):
        _load(tmp_path, rows)


def test_positive_result_needs_a_control(tmp_path: Path) -> None:
    rows = _rows()
    rows[0]["control"] = None
    with pytest.raises(EvidenceError, match="needs the control"):
        _load(tmp_path, rows)


def test_effect_outside_its_ci_is_refused(tmp_path: Path) -> None:
    rows = _rows()
    feder = next(r for r in rows if r["id"] == "feder2021")
    feder["effects"][0]["value"] = 2.5
    with pytest.raises(EvidenceError, match="outside its ci"):
        _load(tmp_path, rows)


def test_duplicate_and_dangling_ids_are_refused(tmp_path: Path) -> None:
    rows = _rows()
    with pytest.raises(EvidenceError, match="duplicate ids"):
        _load(tmp_path, [*rows, rows[0]])
    dangling = [r for r in rows if r["id"] != "macconnel2024_published_quote"]
    with pytest.raises(EvidenceError, match="disagrees_with"):
        _load(tmp_path, dangling)
