"""Forest plots: written atomically, refused for unknown formats."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.evidence import forest_plot, synthesize

runner = CliRunner()


@pytest.mark.parametrize("treatment", ["mdma_at", "venlafaxine"])
def test_forest_plot_writes_a_png(tmp_path: Path, treatment: str) -> None:
    out = forest_plot(synthesize(treatment), tmp_path / "sub" / "forest.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in out.parent.iterdir()] == ["forest.png"]  # no temp file left


def test_synthesis_keeps_the_study_estimates_it_pooled() -> None:
    pooled = synthesize("mdma_at").pooled[0]
    assert pooled.study_estimates == (0.91, 0.7)
    assert pooled.study_variances is not None and len(pooled.study_variances) == 2


def test_bad_suffix_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        forest_plot(synthesize("mdma_at"), tmp_path / "forest.pdf")
    assert list(tmp_path.iterdir()) == []


def test_cli_plot(tmp_path: Path) -> None:
    out = tmp_path / "k.svg"
    result = runner.invoke(app, ["evidence", "ketamine_iv", "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    bad = runner.invoke(app, ["evidence", "--plot", str(tmp_path / "x.png")])
    assert bad.exit_code == 2 and "needs a TREATMENT" in bad.stderr
