"""docs/simulation.md lists every assumption, modifier and calibration target."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptsdrx.cohort import assumptions, default_config, targets

DOC = Path(__file__).resolve().parents[2] / "docs" / "simulation.md"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_assumption_is_documented_with_its_value(doc: str) -> None:
    missing = [a.path for a in assumptions() if f"`{a.path}`" not in doc]
    assert not missing, f"docs/simulation.md is stale; regenerate. Missing: {missing}"
    for a in assumptions():
        if isinstance(a.value, int | float) and not isinstance(a.value, bool):
            assert f"`{a.path}` | {a.value} |" in doc, a.path


def test_every_assumption_has_a_source_and_tag() -> None:
    for a in assumptions():
        assert a.source.strip() and a.tag.strip(), a.path


def test_modifiers_and_targets_are_documented(doc: str) -> None:
    for mod in default_config().modifiers:
        assert f"`{mod.id}`" in doc
    for trial in targets():
        assert f"| {trial.id} |" in doc
