"""The drug vocabulary: generic ids with their salts and brand names, RxNorm codes, classes.

A medication is recorded the way a clinician or an EHR writes it ("Lithobid 300 mg ER",
"phenelzine sulfate", "Nardil"); :func:`drug_for_name` maps it to one generic id of
``vocabulary/data/drugs.yaml`` and :func:`drug_classes` says which classes that id is in
(``vocabulary/data/drug_classes.yaml``). Both files load through :mod:`ptsdrx._datafiles`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Annotated

from pydantic import Field, model_validator

from ptsdrx._datafiles import (
    DataFileError,
    Frozen,
    Sourced,
    Verification,
    duplicates,
    load,
    packaged,
)

_ID = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
_RXCUI = Annotated[str, Field(pattern=r"^\d{1,8}$")]


def normalise_name(name: str) -> str:
    """Lower-case, punctuation (``_ - / , . ( ) ® ™``) to spaces, single spaces."""
    text = name.lower().replace("'", "").replace("’", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@lru_cache(maxsize=8192)
def name_keys(recorded: str) -> tuple[str, ...]:
    """The names a recorded name may stand for, longest first: itself and its leading words.

    ``"Sertraline Hydrochloride 50 mg"`` gives ``("sertraline hydrochloride 50 mg", ...,
    "sertraline")``, so a salt, strength or dose form after the name still matches.
    """
    words = normalise_name(recorded).split()
    return tuple(" ".join(words[:i]) for i in range(len(words), 0, -1))


class DrugEntry(Frozen):
    """One generic ingredient as the data file writes it."""

    names: tuple[str, ...] = Field(default=(), description="Other generic names (INN/USAN).")
    salts: tuple[str, ...] = Field(default=(), description="Salt forms, e.g. 'lithium carbonate'.")
    brands: tuple[str, ...] = Field(default=(), description="Brand names, any country.")
    rxnorm: _RXCUI | None = Field(None, description="RxNorm ingredient code (RXCUI).")


class DrugsFile(Sourced):
    """``drugs.yaml``: every drug, with the source of its names and of its RxNorm codes."""

    rxnorm_source: str = Field(min_length=3)
    rxnorm_verification: Verification
    drugs: dict[_ID, DrugEntry]

    @model_validator(mode="after")
    def _unambiguous(self) -> DrugsFile:
        owners: dict[str, set[str]] = {}
        for did, d in self.drugs.items():
            for n in (did.replace("_", " "), *d.names, *d.salts, *d.brands):
                owners.setdefault(normalise_name(n), set()).add(did)
        clash = sorted(f"{n!r} ({', '.join(sorted(o))})" for n, o in owners.items() if len(o) > 1)
        if clash:
            raise ValueError(f"names given to more than one drug: {'; '.join(clash)}")
        dup = duplicates(d.rxnorm for d in self.drugs.values() if d.rxnorm)
        if dup:
            raise ValueError(f"RxNorm code(s) given to more than one drug: {', '.join(dup)}")
        return self


class ClassEntry(Sourced):
    """One class as the data file writes it: member drug ids and included classes."""

    description: str = Field(min_length=3)
    members: tuple[_ID, ...] = ()
    includes: tuple[_ID, ...] = ()
    members_verification: Verification | None = None


class ClassesFile(Frozen):
    """``drug_classes.yaml``."""

    classes: dict[_ID, ClassEntry]


class Drug(Frozen):
    """One drug of the vocabulary, with every name it is recorded under and its classes."""

    id: str
    names: frozenset[str]
    brands: tuple[str, ...]
    rxnorm: str | None
    classes: frozenset[str]


class DrugClass(Frozen):
    """One class: its member drug ids (included classes folded in) and its source.

    ``names`` holds every normalised name of every member (generic, salts, brands), so a
    recorded name can be matched against the class directly.
    """

    id: str
    description: str
    members: frozenset[str]
    names: frozenset[str]
    source: str
    verification: str


@cache
def _drug_file() -> DrugsFile:
    return load(DrugsFile, packaged("ptsdrx.vocabulary", "drugs.yaml"))


@cache
def _class_file() -> ClassesFile:
    return load(ClassesFile, packaged("ptsdrx.vocabulary", "drug_classes.yaml"))


def _members(
    entries: Mapping[str, ClassEntry], known: Mapping[str, DrugEntry]
) -> dict[str, set[str]]:
    """Resolve ``includes`` (no cycles, no unknown class) and check every member is a drug."""
    done: dict[str, set[str]] = {}

    def resolve(cid: str, stack: tuple[str, ...]) -> set[str]:
        if cid in done:
            return done[cid]
        if cid not in entries:
            raise DataFileError(
                f"drug_classes.yaml: {stack[-1]}.includes: unknown class {cid!r}; "
                f"allowed: {', '.join(sorted(entries))}"
            )
        if cid in stack:
            raise DataFileError(f"drug_classes.yaml: include cycle {' -> '.join((*stack, cid))}")
        entry = entries[cid]
        unknown = sorted(set(entry.members) - set(known))
        if unknown:
            raise DataFileError(
                f"drug_classes.yaml: {cid}.members: {', '.join(unknown)} not in drugs.yaml"
            )
        members = set(entry.members)
        for inc in entry.includes:
            members |= resolve(inc, (*stack, cid))
        done[cid] = members
        return members

    for cid in entries:
        resolve(cid, ())
    return done


@cache
def _vocabulary() -> tuple[Mapping[str, Drug], Mapping[str, DrugClass], Mapping[str, str]]:
    drugs_file, classes_file = _drug_file(), _class_file()
    members = _members(classes_file.classes, drugs_file.drugs)
    in_classes: dict[str, set[str]] = {}
    for cid, ids in members.items():
        for did in ids:
            in_classes.setdefault(did, set()).add(cid)
    drugs: dict[str, Drug] = {}
    index: dict[str, str] = {}
    for did, d in drugs_file.drugs.items():
        names = {normalise_name(n) for n in (did.replace("_", " "), *d.names, *d.salts, *d.brands)}
        drugs[did] = Drug(
            id=did,
            names=frozenset(names),
            brands=d.brands,
            rxnorm=d.rxnorm,
            classes=frozenset(in_classes.get(did, ())),
        )
        index.update(dict.fromkeys(names, did))
    classes = {
        cid: DrugClass(
            id=cid,
            description=" ".join(e.description.split()),
            members=frozenset(members[cid]),
            names=frozenset().union(*(drugs[m].names for m in members[cid])),
            source=" ".join(e.source.split()),
            verification=f"[{e.verification}]",
        )
        for cid, e in classes_file.classes.items()
    }
    return MappingProxyType(drugs), MappingProxyType(classes), MappingProxyType(index)


def drugs() -> Mapping[str, Drug]:
    """Every drug of the vocabulary by generic id."""
    return _vocabulary()[0]


def drug_classes() -> Mapping[str, DrugClass]:
    """Every drug class by id (members resolved, included classes folded in)."""
    return _vocabulary()[1]


@lru_cache(maxsize=8192)
def drug_for_name(name: str) -> str | None:
    """The generic id for a generic, salt or brand name as recorded, else ``None``.

    Case, punctuation, and a trailing strength or dose form are ignored; a name in brackets
    is tried too ("Zoloft (sertraline)").

    Examples
    --------
    >>> drug_for_name("Nardil"), drug_for_name("phenelzine sulfate 15 mg")
    ('phenelzine', 'phenelzine')
    >>> drug_for_name("Lithobid 300mg ER"), drug_for_name("LITHIUM CARBONATE")
    ('lithium', 'lithium')
    >>> drug_for_name("unobtainium") is None
    True
    """
    index = _vocabulary()[2]
    for part in (name, *re.findall(r"\(([^)]*)\)", name)):
        for key in name_keys(part):
            if key in index:
                return index[key]
    return None


def drug_for_rxnorm(code: str) -> str | None:
    """The generic id for an RxNorm ingredient code, where the data has one, else ``None``.

    >>> drug_for_rxnorm("36437")
    'sertraline'
    """
    code = code.strip()
    for d in drugs().values():
        if d.rxnorm == code:
            return d.id
    return None
