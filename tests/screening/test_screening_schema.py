"""The rules file as a schema: the JSON Schema, the typed site file, one tightening rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.monitoring import load_session_rules
from ptsdrx.screening import RuleFileError, rules_schema
from ptsdrx.screening._condition_schema import condition_schema, parse
from ptsdrx.site import SiteConfig, SiteError, escalate, read_site, tighten

EXAMPLE = Path(__file__).parent / "data" / "site_example.yaml"
runner = CliRunner()


def test_rules_schema_describes_every_condition_head() -> None:
    schema = rules_schema()
    assert schema["title"] == "ptsdrx screening rules file"
    defs = schema["$defs"]
    for head in ("AnySpec", "DiagnosisSpec", "MedicationSpec", "GeneticsSpec", "FieldSpec"):
        assert head in defs
    effects = defs["RawRule"]["properties"]["effect"]["enum"]
    assert effects == ["contraindicated", "exclude", "hold", "caution_major", "caution", "note"]
    assert "discriminator" in json.dumps(condition_schema()) or "oneOf" in json.dumps(
        condition_schema()
    )


def test_cli_schema_rules_and_unknown_kind() -> None:
    out = runner.invoke(app, ["schema", "rules"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["title"] == "ptsdrx screening rules file"
    bad = runner.invoke(app, ["schema", "nope"])
    assert bad.exit_code == 2
    assert "allowed: patient, rules" in bad.output


def test_schema_requires_what_the_loader_requires() -> None:
    rule = rules_schema()["$defs"]["RawRule"]
    assert set(rule["required"]) == {
        "id",
        "applies_to",
        "effect",
        "when",
        "rationale",
        "source",
        "verification",
    }
    assert rule["additionalProperties"] is False


def test_condition_errors_name_the_place_inside_combinators() -> None:
    with pytest.raises(RuleFileError) as exc:
        parse({"all": [{"field": "demographics.age", "lt": 18}, {"medication": {}}]}, "w")
    assert "w: all.1.medication: needs 'class' and/or 'name'" in str(exc.value)
    with pytest.raises(RuleFileError, match="not in the drug vocabulary"):
        parse({"medication": {"name": "unobtainium"}}, "w")
    with pytest.raises(RuleFileError, match=r"genetics\.gene"):
        parse({"genetics": {"gene": "CYP1A2", "phenotype": ["poor"]}}, "w")


@pytest.mark.parametrize(
    ("default", "value", "stricter", "ok"),
    [(140, 135, "lower", True), (140, 140, "lower", True), (140, 141, "lower", False),
     (14, 21, "higher", True), (14, 13, "higher", False)],
)  # fmt: skip
def test_one_tightening_rule(default: float, value: float, stricter: str, ok: bool) -> None:
    if ok:
        assert tighten("x", default, value, stricter) == value  # type: ignore[arg-type]
    else:
        with pytest.raises(SiteError, match="would loosen the default"):
            tighten("x", default, value, stricter)  # type: ignore[arg-type]


def test_escalation_ladder() -> None:
    assert escalate("r", "note", "caution_major") == "caution_major"
    with pytest.raises(SiteError, match="would loosen 'contraindicated'"):
        escalate("r", "contraindicated", "exclude")
    with pytest.raises(SiteError, match="'hold' is not on the escalation ladder"):
        escalate("r", "hold", "contraindicated")


def test_typed_site_file_is_read_by_monitoring_too() -> None:
    site = read_site(EXAMPLE)
    assert isinstance(site, SiteConfig)
    assert site.session_rules is not None
    rules = {r.id: r for r in load_session_rules(site).rules}
    limits = rules["predose_bp_above_140_90"].limits
    assert limits["systolic"].above == 135


def test_validate_flags_a_code_that_contradicts_its_name(tmp_path: Path) -> None:
    record = {
        "diagnoses": [
            {"condition": "ptsd", "status": "current", "icd10": "F31.2"},
            {"status": "current", "snomed": "22298006"},
            {"condition": "ptsd", "status": "current", "icd10": "Z99.9"},
        ],
        "medications": [{"name": "Nardil"}, {"name": "unobtainium 5 mg"}],
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    out = runner.invoke(app, ["validate", str(path)])
    assert out.exit_code == 0, out.output
    assert "diagnoses.0.icd10: F31.2 is bipolar_i, but the condition is named ptsd" in out.output
    assert "diagnoses.2.icd10: Z99.9 is not in the conditions vocabulary" in out.output
    assert "medications.1.name: 'unobtainium 5 mg' is not in the drug vocabulary" in out.output
    assert "diagnoses.1" not in out.output and "medications.0" not in out.output
