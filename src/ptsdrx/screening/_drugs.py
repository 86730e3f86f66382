"""Drug classes: generic names per class, read from ``ptsdrx/data/drug_classes.yaml``.

Screening rules name classes ("maoi", "serotonergic"); this module turns a class into the
set of generic names it covers and matches a recorded medication name against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from ptsdrx.screening._errors import RuleFileError


@dataclass(frozen=True)
class DrugClass:
    """One class: its generic names (with included classes folded in) and its source."""

    id: str
    description: str
    names: frozenset[str]
    source: str
    verification: str


def normalise_name(name: str) -> str:
    """Lower-case, ``_``/``-`` to spaces, single spaces: how names are compared."""
    return " ".join(name.lower().replace("_", " ").replace("-", " ").split())


@lru_cache(maxsize=8192)
def name_keys(recorded: str) -> frozenset[str]:
    """The generic names a recorded name can stand for: itself and its leading words.

    ``"Sertraline Hydrochloride"`` gives ``{"sertraline hydrochloride", "sertraline"}``, so a
    salt or form suffix still matches the generic name.
    """
    words = normalise_name(recorded).split()
    return frozenset(" ".join(words[:i]) for i in range(1, len(words) + 1))


def _build(raw: Mapping[str, Any]) -> Mapping[str, DrugClass]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("classes"), Mapping):
        raise RuleFileError("drug_classes.yaml: top level must be a mapping with 'classes'")
    entries: Mapping[str, Any] = raw["classes"]
    done: dict[str, DrugClass] = {}

    def resolve(cid: str, stack: tuple[str, ...]) -> DrugClass:
        if cid in done:
            return done[cid]
        if cid not in entries:
            raise RuleFileError(
                f"drug_classes.yaml: {stack[-1]}.includes: unknown class {cid!r}; "
                f"allowed: {', '.join(sorted(entries))}"
            )
        if cid in stack:
            raise RuleFileError(f"drug_classes.yaml: include cycle {' -> '.join((*stack, cid))}")
        entry = entries[cid]
        for key in ("description", "source", "verification"):
            if not isinstance(entry.get(key), str):
                raise RuleFileError(f"drug_classes.yaml: {cid}.{key} must be a string")
        names = {normalise_name(n) for n in entry.get("names", [])}
        for inc in entry.get("includes", []):
            names |= resolve(inc, (*stack, cid)).names
        done[cid] = DrugClass(
            cid, entry["description"], frozenset(names), entry["source"], entry["verification"]
        )
        return done[cid]

    for cid in entries:
        resolve(cid, ())
    return MappingProxyType(done)


@cache
def drug_classes() -> Mapping[str, DrugClass]:
    """All drug classes by id (read once from the packaged data file)."""
    path = Path(__file__).resolve().parent.parent / "data" / "drug_classes.yaml"
    return _build(yaml.safe_load(path.read_text(encoding="utf-8")))
