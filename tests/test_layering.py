"""The inner ring never imports the outer ring (every import statement, at any depth)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ptsdrx"
INNER = (
    "records",
    "vocabulary",
    "instruments",
    "treatments",
    "screening",
    "evidence",
    "cohort",
    "features",
    "response",
    "recommend",
    "monitoring",
)
OUTER = ("registry", "api", "web", "fhir", "reports", "batch", "commands", "research", "cli")


def _modules(name: str) -> list[Path]:
    path = PACKAGE / name
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def _imported(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


@pytest.mark.parametrize("inner", INNER)
def test_inner_ring_does_not_import_the_outer_ring(inner: str) -> None:
    files = _modules(inner)
    assert files and all(f.exists() for f in files), inner
    bad = [
        (str(f.relative_to(PACKAGE)), m)
        for f in files
        for m in _imported(f)
        if m.split(".")[:2][0] == "ptsdrx" and m.split(".")[1:2] and m.split(".")[1] in OUTER
    ]
    assert bad == [], bad


def test_the_check_sees_a_function_level_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from ptsdrx.registry import Registry\n", encoding="utf-8")
    assert _imported(probe) == ["ptsdrx.registry"]
