"""Every public name is listed once, in one package's ``__all__``, and exists there."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

import ptsdrx

ENTRY_POINTS = {"cli", "__main__", "commands", "demo"}  # the CLI, not a library surface


def _packages() -> dict[str, object]:
    return {
        m.name: importlib.import_module(f"ptsdrx.{m.name}")
        for m in pkgutil.iter_modules(ptsdrx.__path__)
        if not m.name.startswith("_") and m.name not in ENTRY_POINTS
    }


def test_every_package_declares_its_public_names() -> None:
    for name, module in _packages().items():
        exported = getattr(module, "__all__", None)
        assert exported, f"ptsdrx.{name} has no __all__"
        assert len(exported) == len(set(exported)), name
        assert [n for n in exported if not hasattr(module, n)] == [], name


def test_no_public_name_is_exported_by_two_packages() -> None:
    owners: dict[str, list[str]] = defaultdict(list)
    for name, module in _packages().items():
        for public in getattr(module, "__all__", ()):
            owners[public].append(name)
    assert {n: o for n, o in owners.items() if len(o) > 1} == {}
