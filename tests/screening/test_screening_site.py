"""Site configuration: tighten thresholds, escalate cautions, add local rules; never loosen."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from ptsdrx.records import (
    Administration,
    Demographics,
    FamilyHistory,
    Medication,
    PatientRecord,
    VitalSigns,
)
from ptsdrx.screening import RuleFileError, SiteConfig, load_rules, load_site, screen

AS_OF = date(2026, 6, 1)
SITE = Path(__file__).parent / "data" / "site_example.yaml"


def _record(systolic: float = 136, age: int = 19) -> PatientRecord:
    return PatientRecord(
        as_of=AS_OF,
        demographics=Demographics(age=age, sex="male", pregnant=False, lactating=False),
        assessments=[
            Administration(
                instrument="cssrs", date=AS_OF, responses=[0, 0, None, None, None, 0, None]
            ),
            Administration(instrument="phq9", date=AS_OF, responses=[0] * 9),
        ],
        diagnoses=[],
        diagnoses_complete=True,
        family_history=FamilyHistory(psychosis=False, bipolar=False),
        medications=[],
        prior_treatments=[],
        vitals=[
            VitalSigns(
                taken_at=datetime(2026, 6, 1, 9), systolic=systolic, diastolic=80, qtc_ms=420
            )
        ],
    )


def test_example_site_file_tightens_escalates_and_adds() -> None:
    site = load_site(SITE)
    assert site.site == "Example PTSD clinic"
    default = screen(_record())
    local = screen(_record(), site=site)
    # 136 mmHg passes the default 140 but not the site's 135
    assert default.status("ketamine_iv") == "eligible"
    assert local.status("ketamine_iv") == "excluded"
    # local age floor for MDMA-AT
    (floor,) = [r for r in local.per_treatment["mdma_at"].rules if r.id == "local_mdma_age_floor"]
    assert (floor.outcome, floor.origin) == ("fired", "Example PTSD clinic")
    # escalated note: first-dose syncope (a dosing note by default) excludes prazosin here
    assert default.status("prazosin") == "eligible"
    assert [r.id for r in default.per_treatment["prazosin"].notes] == [
        "prazosin_first_dose_syncope"
    ]
    assert local.status("prazosin") == "excluded"
    assert local.site == "Example PTSD clinic"
    assert local.parameters["bp_systolic_max_mmhg"] == 135


def test_local_rule_is_unknown_without_its_data() -> None:
    site = load_site(SITE)
    record = _record(systolic=120).model_copy(update={"demographics": None})
    assert screen(record, site=site).status("mdma_at") == "needs_information"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"bp_systolic_max_mmhg": 160}, "would loosen the default 140; a site may only tighten"),
        ({"maoi_washout_days": 7}, "allowed: >= 14"),
        ({"bp_max": 120}, "unknown parameter; allowed:"),
    ],
)
def test_site_cannot_loosen_or_invent_parameters(
    parameters: dict[str, float], message: str
) -> None:
    site = SiteConfig(site="lax", parameters=parameters)
    with pytest.raises(RuleFileError, match="parameters") as exc:
        screen(_record(), site=site)
    assert message in str(exc.value)


def test_site_rule_ids_and_escalations_are_checked(tmp_path: Path) -> None:
    bad = tmp_path / "site.yaml"
    bad.write_text("site: x\nescalate: [no_such_rule]\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="escalate: unknown rule 'no_such_rule'"):
        load_site(bad)
    dup = tmp_path / "dup.yaml"
    dup.write_text(
        "site: x\nrules:\n  - id: mdma_bipolar_i\n    applies_to: [mdma_at]\n"
        "    effect: exclude\n    when: {field: demographics.age, lt: 21}\n"
        "    rationale: duplicate of a core rule\n    source: test\n    verification: '[U]'\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError, match="duplicate rule id 'mdma_bipolar_i'"):
        load_site(dup)


def test_site_file_schema_errors_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "site.yaml"
    bad.write_text("site: x\nparameters: {bp_systolic_max_mmhg: high}\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"parameters\.bp_systolic_max_mmhg"):
        load_site(bad)
    broken = tmp_path / "broken.yaml"
    broken.write_text("site: [x\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="not valid YAML"):
        load_site(broken)


def test_every_parameter_is_used_and_every_rule_cites_a_source() -> None:
    rules = load_rules()
    used = set().union(*(r.when.params() for r in rules.rules))
    assert used == set(rules.parameters)
    for rule in rules.rules:
        assert rule.source and rule.verification in {"[V]", "[V2]", "[U]", "[D]"}


RULE = (
    "  - id: r1\n    applies_to: [{target}]\n    effect: exclude\n    when: {when}\n"
    "    rationale: a rationale long enough\n    source: test\n    verification: '[U]'\n"
)
HEADER = (
    "version: t\ntreatments: [pe, cpt]\ngroups: {{all: [pe, cpt]}}\n"
    "urgent_flags: {{}}\nparameters:\n  p: {{default: 1, unit: d, stricter: lower, "
    "description: d, source: s, verification: '[U]'}}\nrules:\n"
)


@pytest.mark.parametrize(
    ("target", "when", "message"),
    [
        ("lsd", "{field: demographics.age, lt: 21}", "applies_to: unknown 'lsd'; allowed: pe, cpt"),
        ("all", "{field: demographics.age, lt: {param: q}}", "unknown parameter(s) q; allowed: p"),
        ("pe", "{field: demographics.iq, lt: 1}", "unknown field 'demographics.iq'"),
    ],
)
def test_rules_file_errors_name_the_rule_and_field(
    tmp_path: Path, target: str, when: str, message: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(HEADER.format() + RULE.format(target=target, when=when), encoding="utf-8")
    with pytest.raises(RuleFileError) as exc:
        load_rules(path)
    assert "rules[0] (r1)" in str(exc.value)
    assert message in str(exc.value)


def test_rules_file_rejects_duplicate_ids_and_bad_tags(tmp_path: Path) -> None:
    rule = RULE.format(target="pe", when="{field: demographics.age, lt: 21}")
    path = tmp_path / "rules.yaml"
    path.write_text(HEADER.format() + rule + rule, encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"duplicate rule id 'r1'"):
        load_rules(path)
    path.write_text(HEADER.format() + rule.replace("'[U]'", "'maybe'"), encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"rules\.0\.verification"):
        load_rules(path)
    path.write_text(HEADER.format() + rule, encoding="utf-8")
    custom = load_rules(path)
    young = screen(_record(age=19), rules=custom)
    assert (young.status("pe"), young.status("cpt")) == ("excluded", "eligible")


def test_graded_escalation_goes_up_the_ladder_only() -> None:
    # beta-blocker caution -> caution_major at this site; the status stays caution but major
    site = SiteConfig(site="strict", escalate={"prazosin_beta_blocker": "caution_major"})
    record = _record().model_copy(update={"medications": [Medication(name="metoprolol")]})
    local = screen(record, site=site).per_treatment["prazosin"]
    assert (local.status, local.caution_level) == ("caution", "major")
    (rule,) = [r for r in local.rules if r.id == "prazosin_beta_blocker"]
    assert rule.origin == "core, escalated by strict"
    up = SiteConfig(site="stricter", escalate={"ketamine_pregnancy": "contraindicated"})
    pregnant = _record().model_copy(
        update={"demographics": Demographics(age=30, sex="female", pregnant=True)}
    )
    assert screen(pregnant).status("ketamine_iv") == "excluded"
    assert screen(pregnant, site=up).status("ketamine_iv") == "contraindicated"


@pytest.mark.parametrize(
    ("escalate", "message"),
    [
        ({"sertraline_maoi": "exclude"}, "would loosen 'contraindicated'"),
        ({"mdma_bipolar_i": "caution"}, "would loosen 'exclude'"),
        ({"safety_cssrs_high_risk": "contraindicated"}, "'hold' is not on the escalation ladder"),
        ({"prazosin_beta_blocker": "hold"}, "'hold' is not on the escalation ladder"),
    ],
)
def test_site_cannot_loosen_an_effect(escalate: dict[str, str], message: str) -> None:
    site = SiteConfig.model_validate({"site": "lax", "escalate": escalate})
    with pytest.raises(RuleFileError, match="escalate") as exc:
        screen(_record(), site=site)
    assert message in str(exc.value)
