"""The conditions vocabulary: names, ICD-10-CM prefixes and SNOMED CT ids per ``Condition``.

Turns coded diagnoses (an EHR problem list, a FHIR ``Condition``) into the named conditions
screening rules read. ICD-10-CM maps by the longest matching code prefix; SNOMED CT by exact
concept id. ``broader`` links a condition to the one it is a kind of (schizoaffective disorder
is a psychotic disorder), so a rule about the broader condition reads the narrower one too.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ptsdrx._datafiles import Frozen, Verification, duplicates, load, packaged
from ptsdrx.records import Condition, PatientRecord

CodeSystem = Literal["icd10cm", "snomed"]
SYSTEMS: tuple[CodeSystem, ...] = ("icd10cm", "snomed")
_ICD = Annotated[str, Field(pattern=r"^[A-TV-Z]\d{2}(\.[0-9A-Z]{1,4})?$")]
_SCTID = Annotated[str, Field(pattern=r"^\d{6,18}$")]


class ConditionEntry(Frozen):
    """One condition: display name, codes, and the broader condition it is a kind of."""

    name: str = Field(min_length=3)
    domain: Literal["psychiatric", "medical"]
    icd10cm: tuple[_ICD, ...] = ()
    snomed: tuple[_SCTID, ...] = ()
    broader: Condition | None = None
    note: str | None = None


class ConditionsFile(Frozen):
    """``conditions.yaml``: one entry per ``Condition``, codes with their sources."""

    icd10cm_source: str = Field(min_length=3)
    icd10cm_verification: Verification
    snomed_source: str = Field(min_length=3)
    snomed_verification: Verification
    conditions: dict[Condition, ConditionEntry]

    @model_validator(mode="after")
    def _complete_and_unambiguous(self) -> ConditionsFile:
        missing = sorted(c.value for c in Condition if c not in self.conditions)
        if missing:
            raise ValueError(f"conditions missing from the vocabulary: {', '.join(missing)}")
        for system in SYSTEMS:
            codes = [code for e in self.conditions.values() for code in getattr(e, system)]
            dup = duplicates(codes)
            if dup:
                raise ValueError(f"{system} code(s) given to more than one condition: {dup}")
        for cid, e in self.conditions.items():
            seen = [cid]
            parent = e.broader
            while parent is not None:
                if parent in seen:
                    raise ValueError(f"{cid.value}.broader: cycle through {parent.value}")
                seen.append(parent)
                parent = self.conditions[parent].broader
        return self


@cache
def _file() -> ConditionsFile:
    return load(ConditionsFile, packaged("ptsdrx.vocabulary", "conditions.yaml"))


def conditions() -> Mapping[Condition, ConditionEntry]:
    """Every condition of the vocabulary with its name, codes and broader condition."""
    return MappingProxyType(_file().conditions)


@cache
def icd10_codes() -> Mapping[Condition, tuple[str, ...]]:
    """ICD-10-CM code prefixes for every condition (an empty tuple when none exists)."""
    return MappingProxyType({c: e.icd10cm for c, e in _file().conditions.items()})


@lru_cache(maxsize=4096)
def condition_for_icd10(code: str) -> Condition | None:
    """The condition whose code prefix is the longest match for ``code``, else ``None``.

    Examples
    --------
    >>> condition_for_icd10("F31.81"), condition_for_icd10("F31.2")
    (<Condition.bipolar_ii: 'bipolar_ii'>, <Condition.bipolar_i: 'bipolar_i'>)
    """
    code = code.strip().upper()
    best: tuple[int, Condition | None] = (0, None)
    for condition, prefixes in icd10_codes().items():
        for prefix in prefixes:
            if code.startswith(prefix) and len(prefix) > best[0]:
                best = (len(prefix), condition)
    return best[1]


@cache
def _snomed_index() -> Mapping[str, Condition]:
    return {code: c for c, e in _file().conditions.items() for code in e.snomed}


def condition_for_code(system: str, code: str) -> str | None:
    """The conditions-vocabulary id for a code of ``system`` (``icd10cm`` or ``snomed``).

    Examples
    --------
    >>> condition_for_code("icd10cm", "F43.10"), condition_for_code("snomed", "47505003")
    ('ptsd', 'ptsd')
    >>> condition_for_code("icd10cm", "Z00.00") is None
    True
    """
    if system == "icd10cm":
        found = condition_for_icd10(code)
    elif system == "snomed":
        found = _snomed_index().get(code.strip())
    else:
        raise ValueError(f"system: unknown code system {system!r}; allowed: {', '.join(SYSTEMS)}")
    return None if found is None else found.value


@cache
def narrower(condition: Condition) -> frozenset[Condition]:
    """The condition and every condition that is (transitively) a kind of it."""
    found = {condition}
    changed = True
    while changed:
        changed = False
        for c, e in _file().conditions.items():
            if e.broader in found and c not in found:
                found.add(c)
                changed = True
    return frozenset(found)


def broader(condition: Condition) -> tuple[Condition, ...]:
    """The chain of broader conditions above ``condition`` (nearest first)."""
    chain: list[Condition] = []
    parent = _file().conditions[condition].broader
    while parent is not None:
        chain.append(parent)
        parent = _file().conditions[parent].broader
    return tuple(chain)


def condition_status(
    record: PatientRecord, condition: Condition
) -> Literal["current", "past", "absent"] | None:
    """A condition's status in a record, counting the narrower conditions that are kinds of it.

    Current or past if the condition or any narrower one is; otherwise the condition's own
    status (``absent`` when ruled out, which rules out its kinds too). A condition not listed
    is ``absent`` when its history (psychiatric or medical) is recorded as complete, else
    ``None`` (unknown).
    """
    own = _status(record, condition)
    kinds = [_status(record, c) for c in narrower(condition) if c != condition]
    for status in ("current", "past"):
        if own == status or status in kinds:
            return status
    return own


def _status(
    record: PatientRecord, condition: Condition
) -> Literal["current", "past", "absent"] | None:
    found = record.condition_status(condition)
    if found is not None or record.diagnoses is None:
        return found
    complete = (
        record.psychiatric_history_complete
        if _file().conditions[condition].domain == "psychiatric"
        else record.medical_history_complete
    )
    return "absent" if complete else None
