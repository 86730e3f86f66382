"""ICD-10 codes per ``Condition``, read from ``ptsdrx/data/conditions.yaml``.

Used to turn coded diagnoses (an EHR problem list, a FHIR ``Condition``) into the named
conditions screening rules read. Mapping is by longest matching code prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

import yaml

from ptsdrx.records import Condition
from ptsdrx.screening._errors import RuleFileError

CONDITIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "conditions.yaml"


@cache
def icd10_codes() -> Mapping[Condition, tuple[str, ...]]:
    """ICD-10 code prefixes for every condition (an empty tuple when none exists)."""
    raw = yaml.safe_load(CONDITIONS_FILE.read_text(encoding="utf-8"))["conditions"]
    missing = sorted(c.value for c in Condition if c.value not in raw)
    extra = sorted(set(raw) - {c.value for c in Condition})
    if missing or extra:
        raise RuleFileError(f"conditions.yaml: missing {missing}, not a Condition {extra}")
    return MappingProxyType({Condition(k): tuple(v["codes"]) for k, v in raw.items()})


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
