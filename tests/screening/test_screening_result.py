"""Result objects (consistency, rendering), the example patients, and the ``screen`` CLI."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.records import load_record
from ptsdrx.screening import (
    RuleOutcome,
    ScreeningInconsistency,
    TreatmentScreening,
    derive_status,
    load_site,
    screen,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "patients"
REFERENCE = Path(__file__).parent / "reference" / "example_patients.csv"
SITE = Path(__file__).parent / "data" / "site_example.yaml"


def _rule(effect: str, outcome: str, missing: tuple[str, ...] = ()) -> RuleOutcome:
    return RuleOutcome(
        id="r",
        effect=effect,  # type: ignore[arg-type]
        outcome=outcome,  # type: ignore[arg-type]
        rationale="why",
        source="src",
        verification="[V]",
        missing=missing,
    )


def test_result_refuses_a_status_its_rules_contradict() -> None:
    fired = _rule("exclude", "fired")
    unknown = _rule("exclude", "unknown", ("medications",))
    with pytest.raises(ScreeningInconsistency):
        TreatmentScreening("mdma_at", "eligible", (fired,))
    with pytest.raises(ScreeningInconsistency):
        TreatmentScreening("mdma_at", "eligible", (unknown,))
    with pytest.raises(ScreeningInconsistency):
        TreatmentScreening("mdma_at", "needs_information", (fired, unknown))
    assert TreatmentScreening("mdma_at", "excluded", (fired, unknown)).missing == ("medications",)
    assert TreatmentScreening("pe", "eligible", ()).status == "eligible"


def test_a_caution_that_could_not_be_evaluated_still_warns() -> None:
    unknown = _rule("caution", "unknown", ("family_history.bipolar",))
    assert TreatmentScreening("sertraline", "caution", (unknown,)).status == "caution"
    with pytest.raises(ScreeningInconsistency):
        TreatmentScreening("sertraline", "eligible", (unknown,))


def test_unknown_outcome_must_name_its_missing_fields() -> None:
    with pytest.raises(ScreeningInconsistency):
        _rule("exclude", "unknown")
    with pytest.raises(ScreeningInconsistency):
        _rule("exclude", "fired", ("vitals",))


def _reference() -> list[dict[str, str]]:
    with REFERENCE.open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@pytest.mark.parametrize("row", _reference(), ids=lambda r: f"{r['patient']}-{r['treatment']}")
def test_example_patients(row: dict[str, str]) -> None:
    result = screen(load_record(str(EXAMPLES / row["patient"])))
    ts = result.per_treatment[row["treatment"]]
    assert ts.status == row["status"]
    if row["rule"]:
        want = "unknown" if row["status"] == "needs_information" else "fired"
        assert {r.id: r.outcome for r in ts.rules}[row["rule"]] == want


def test_json_shape_per_treatment() -> None:
    result = screen(load_record(str(EXAMPLES / "little_data.json")))
    data = json.loads(result.to_json())
    assert set(data["treatments"]) == set(result.per_treatment)
    mdma = data["treatments"]["mdma_at"]
    assert mdma["status"] == "needs_information"
    unknown = [r for r in mdma["rules"] if r["outcome"] == "unknown"]
    assert unknown and all(r["missing"] for r in unknown)
    assert all(
        {"id", "outcome", "rationale", "source", "verification"} <= set(r) for r in mdma["rules"]
    )
    assert all("missing" not in r for r in mdma["rules"] if r["outcome"] != "unknown")


def test_unknown_treatment_is_refused_with_the_allowed_ids() -> None:
    record = load_record(str(EXAMPLES / "little_data.json"))
    with pytest.raises(ValueError, match="unknown id\\(s\\) lsd; allowed: ketamine_iv"):
        screen(record, treatments=["lsd"])
    with pytest.raises(KeyError, match="screened: pe"):
        screen(record, treatments=["pe"]).status("cpt")


runner = CliRunner()


def test_cli_screen_json_and_table() -> None:
    out = runner.invoke(app, ["screen", str(EXAMPLES / "suicide_risk.json"), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [f["id"] for f in data["safety_flags"]] == ["cssrs_high_risk", "phq9_item9_positive"]
    assert data["treatments"]["emdr"]["status"] == "hold"  # the suicide-risk hold
    assert data["crisis_missing"] is True  # no site, so no crisis text configured
    table = runner.invoke(app, ["screen", str(EXAMPLES / "maoi.json"), "-t", "sertraline"])
    assert table.exit_code == 0
    assert "sertraline_maoi" in table.output and "contraindicated" in table.output
    assert "until" in table.output and "2026-11-23" in table.output  # stop 11-09 + 14 d


def test_cli_screen_with_site_and_errors(tmp_path: Path) -> None:
    ok = runner.invoke(
        app, ["screen", str(EXAMPLES / "treatment_resistant_civilian.json"), "--site", str(SITE)]
    )
    assert ok.exit_code == 0, ok.output
    lax = tmp_path / "lax.yaml"
    lax.write_text("site: lax\nparameters: {qtc_max_ms: 500}\n", encoding="utf-8")
    bad_site = runner.invoke(app, ["screen", str(EXAMPLES / "maoi.json"), "--site", str(lax)])
    assert bad_site.exit_code == 2
    assert "loosen" in bad_site.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"demographics": {"age": 300}}', encoding="utf-8")
    invalid = runner.invoke(app, ["screen", str(bad)])
    assert invalid.exit_code == 1
    assert "demographics.age" in invalid.output
    unknown = runner.invoke(app, ["screen", str(EXAMPLES / "maoi.json"), "-t", "lsd"])
    assert unknown.exit_code == 2


def test_cli_screen_rules_lists_sources() -> None:
    out = runner.invoke(app, ["screen-rules", "--json"])
    assert out.exit_code == 0
    data = json.loads(out.output)
    ids = {r["id"] for r in data["rules"]}
    assert {"mdma_bipolar_i", "psilocybin_lithium", "sertraline_maoi"} <= ids
    assert data["parameters"]["bp_systolic_max_mmhg"]["verification"] == "[U]"


# ------------------------------------------------------------------ graded effects (contract)


def test_graded_precedence_and_caution_levels() -> None:
    major = _rule("caution_major", "fired")
    minor = _rule("caution", "unknown", ("family_history.bipolar",))
    note = _rule("note", "fired")
    ts = TreatmentScreening("sertraline", "caution", (major, minor, note))
    assert ts.caution_level == "major"
    assert (ts.major_cautions, ts.minor_cautions, ts.notes) == ((major,), (minor,), (note,))
    assert TreatmentScreening("sertraline", "caution", (minor,)).caution_level == "minor"
    assert TreatmentScreening("prazosin", "eligible", (note,)).caution_level is None
    hold = _rule("hold", "fired")
    contra = _rule("contraindicated", "fired")
    excl = _rule("exclude", "fired")
    assert derive_status((hold, excl)) == "excluded"
    assert derive_status((hold, excl, contra)) == "contraindicated"
    assert derive_status((hold, major)) == "hold"
    assert derive_status((_rule("hold", "unknown", ("assessments.cssrs",)), major)) == (
        "needs_information"
    )
    assert derive_status((_rule("contraindicated", "unknown", ("medications",)),)) == (
        "needs_information"
    )


def test_overridable_only_when_nothing_absolute_fired() -> None:
    excl = _rule("exclude", "fired")
    contra = _rule("contraindicated", "fired")
    assert TreatmentScreening("paroxetine", "excluded", (excl,)).overridable
    assert not TreatmentScreening("paroxetine", "contraindicated", (excl, contra)).overridable
    assert not TreatmentScreening("paroxetine", "caution", (_rule("caution", "fired"),)).overridable


def test_excluded_until_needs_every_exclusion_time_limited() -> None:
    def timed(effect: str, until: date | None) -> RuleOutcome:
        return RuleOutcome(
            id=f"r{until}",
            effect=effect,  # type: ignore[arg-type]
            outcome="fired",
            rationale="why",
            source="src",
            verification="[V]",
            until=until,
        )

    a, b = timed("exclude", date(2026, 11, 23)), timed("contraindicated", date(2026, 12, 1))
    assert TreatmentScreening("sertraline", "contraindicated", (a, b)).excluded_until == date(
        2026, 12, 1
    )
    forever = timed("exclude", None)
    assert TreatmentScreening("sertraline", "excluded", (a, forever)).excluded_until is None
    with pytest.raises(ScreeningInconsistency, match="until"):
        RuleOutcome(
            id="r",
            effect="exclude",
            outcome="not_fired",
            rationale="why",
            source="src",
            verification="[V]",
            until=date(2026, 1, 1),
        )


def test_maoi_washout_says_the_day_it_ends() -> None:
    result = screen(load_record(str(EXAMPLES / "maoi.json")))
    for tid in ("sertraline", "paroxetine", "venlafaxine", "mdma_at"):
        ts = result.per_treatment[tid]
        assert ts.status == "contraindicated"
        assert ts.excluded_until == date(2026, 11, 23), tid  # phenelzine stop 11-09 + 14 days
        assert not ts.overridable
    assert "contraindicated until 2026-11-23" in result.summary()
    data = json.loads(result.to_json())
    assert data["treatments"]["sertraline"]["excluded_until"] == "2026-11-23"


def test_suicide_risk_hold_with_and_without_crisis_text(tmp_path: Path) -> None:
    record = load_record(str(EXAMPLES / "suicide_risk.json"))  # US-CO, language absent
    bare = screen(record)
    assert bare.crisis is None and bare.crisis_missing
    assert "CRISIS TEXT NOT CONFIGURED" in bare.summary()
    assert all(f.suicide_risk for f in bare.safety_flags)
    site = tmp_path / "site.yaml"
    site.write_text(
        "site: Crisis clinic\nsafety:\n  crisis:\n"
        "    - {jurisdiction: US, text: 'Call or text 988 now; stay with the patient.', "
        "source: Clinic protocol 2026}\n"
        "    - {jurisdiction: US, language: es, text: 'Llame o envie un texto al 988 ahora.', "
        "source: Clinic protocol 2026}\n",
        encoding="utf-8",
    )
    configured = screen(record, site=load_site(site))
    assert configured.crisis is not None and "988" in configured.crisis.text
    assert not configured.crisis_missing
    assert "CRISIS (US): Call or text 988" in configured.summary()
    spanish = record.model_copy(
        update={"demographics": record.demographics.model_copy(update={"language": "es"})}  # type: ignore[union-attr]
    )
    found = screen(spanish, site=load_site(site)).crisis
    assert found is not None and found.language == "es"
    assert json.loads(configured.to_json())["crisis"]["jurisdiction"] == "US"
