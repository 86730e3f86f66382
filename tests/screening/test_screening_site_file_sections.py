"""One site file configures screening and monitoring; every section is checked on load."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptsdrx.monitoring import load_session_rules
from ptsdrx.screening import RuleFileError, load_site

EXAMPLE = Path(__file__).parent / "data" / "site_example.yaml"


def test_example_site_file_serves_both_modules() -> None:
    site = load_site(EXAMPLE)
    assert site.parameters["bp_systolic_max_mmhg"] == 135
    rules = {r.id: r for r in load_session_rules(EXAMPLE).rules}
    limits = rules["predose_bp_above_140_90"].limits
    assert limits is not None
    assert limits["systolic"].above == 135


def test_typo_in_a_monitoring_section_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "site.yaml"
    bad.write_text(
        "site: Typo clinic\nsession_rules:\n  overides: {}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError, match="session_rules"):
        load_site(bad)


def test_unknown_monitoring_rule_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "site.yaml"
    bad.write_text(
        "site: Typo clinic\nsession_rules:\n  overrides:\n    no_such_rule: {enabled: false}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError, match="no_such_rule"):
        load_site(bad)


def test_unknown_top_level_section_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "site.yaml"
    bad.write_text("site: Typo clinic\nsession_rule: {}\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="session_rule"):
        load_site(bad)
