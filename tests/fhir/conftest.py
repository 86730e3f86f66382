"""FHIR test fixtures: a migrated SQLite registry per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ptsdrx.registry import Registry


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fhir_db") / "template.db"
    Registry.connect(f"sqlite:///{path}", actor="setup").upgrade()
    return path


@pytest.fixture
def registry(_migrated: Path, tmp_path: Path) -> Registry:
    """An empty, migrated SQLite registry acting as ``dr.test``."""
    path = tmp_path / "registry.db"
    shutil.copy(_migrated, path)
    return Registry.connect(f"sqlite:///{path}", actor="dr.test")
