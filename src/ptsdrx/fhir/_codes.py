"""Code systems and the one door to the project's vocabulary for the FHIR adapters.

The adapters call :func:`condition_for_code`, :func:`drug_for_name` and
:func:`drug_for_rxnorm` only through this module, so the vocabulary behind them can move
(``ptsdrx.vocabulary``, TEAM contract 2) without touching an adapter.
"""

from __future__ import annotations

from typing import Literal

from ptsdrx import vocabulary

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
DBSNP = "http://www.ncbi.nlm.nih.gov/snp"
HGNC = "http://www.genenames.org/geneId"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"

# The project's own code systems, for facts no standard code covers (declared as such in
# docs/fhir.md): instrument scores without a LOINC code, condition ids, biomarker names,
# screening statuses, interpretations.
PTSDRX = "http://ptsdrx.org/fhir"
PATIENT_ID = f"{PTSDRX}/patient-id"
QUESTIONNAIRE = f"{PTSDRX}/Questionnaire"
CS_SCORE = f"{PTSDRX}/CodeSystem/instrument-score"
CS_CONDITION = f"{PTSDRX}/CodeSystem/condition"
CS_BIOMARKER = f"{PTSDRX}/CodeSystem/biomarker"
CS_INTERPRETATION = f"{PTSDRX}/CodeSystem/interpretation"
CS_PHENOTYPE = f"{PTSDRX}/CodeSystem/metabolizer-phenotype"
CS_SCREENING = f"{PTSDRX}/CodeSystem/screening-status"
CS_TREATMENT = f"{PTSDRX}/CodeSystem/treatment"
CS_SECTION = f"{PTSDRX}/CodeSystem/record-section"
LIST_EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
EXT_CONTEXT = f"{PTSDRX}/StructureDefinition/administration-context"
EXT_SESSION = f"{PTSDRX}/StructureDefinition/dosing-session"

ConditionSystem = Literal["icd10cm", "snomed"]
CONDITION_SYSTEMS: dict[str, ConditionSystem] = {
    ICD10CM: "icd10cm",
    ICD10: "icd10cm",
    SNOMED: "snomed",
}


def condition_for_code(system: ConditionSystem, code: str) -> str | None:
    """Conditions-vocabulary id for an ICD-10-CM or SNOMED CT code, else ``None``."""
    return vocabulary.condition_for_code(system, code)


def drug_for_name(name: str) -> str | None:
    """Generic drug id for a generic, salt or brand name (case-insensitive), else ``None``."""
    return vocabulary.drug_for_name(name)


def drug_for_rxnorm(code: str) -> str | None:
    """Generic drug id for an RxNorm code the vocabulary lists, else ``None``."""
    return vocabulary.drug_for_rxnorm(code)
