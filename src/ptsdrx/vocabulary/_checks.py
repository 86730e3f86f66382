"""Record checks against the vocabulary: codes that contradict names, names it does not know.

A record is valid when its shape is right; these checks find what a clinician should look at
before the record is screened: a diagnosis whose ICD-10-CM or SNOMED CT code maps to another
condition than the one named (screening reads it as both), a code the vocabulary cannot map,
and a medication whose name it does not recognise (rules about medications then read as
unknown for that record rather than "not taking it").
"""

from __future__ import annotations

from ptsdrx.records import PatientRecord
from ptsdrx.vocabulary._conditions import condition_for_code
from ptsdrx.vocabulary._drugs import drug_for_name, drug_for_rxnorm


def record_warnings(record: PatientRecord) -> tuple[str, ...]:
    """Human-readable warnings, each naming the field (``diagnoses.2.icd10``), in record order."""
    out: list[str] = []
    for i, d in enumerate(record.diagnoses or []):
        for system, field, code in (("icd10cm", "icd10", d.icd10), ("snomed", "snomed", d.snomed)):
            if code is None:
                continue
            mapped = condition_for_code(system, code)
            if mapped is None:
                out.append(
                    f"diagnoses.{i}.{field}: {code} is not in the conditions vocabulary "
                    "(the diagnosis is read by its name only)"
                )
            elif d.condition is not None and mapped != d.condition.value:
                out.append(
                    f"diagnoses.{i}.{field}: {code} is {mapped}, but the condition is named "
                    f"{d.condition.value}; screening reads both, correct the record"
                )
    for i, m in enumerate(record.medications or []):
        by_name = drug_for_name(m.name)
        by_code = None if m.rxnorm is None else drug_for_rxnorm(m.rxnorm)
        if by_name is None and by_code is None:
            out.append(
                f"medications.{i}.name: {m.name!r} is not in the drug vocabulary; every rule "
                "about medications reads as unknown (needs information) for this record"
            )
        elif by_name and by_code and by_name != by_code:
            out.append(
                f"medications.{i}.rxnorm: {m.rxnorm} is {by_code}, but the name reads as "
                f"{by_name}; screening reads the name, correct the record"
            )
    return tuple(out)
