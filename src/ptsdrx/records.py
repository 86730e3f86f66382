"""One person's multimodal data: the ``PatientRecord`` and its parts.

Every part is optional and ``None`` means *unknown*. An empty list means *known to be
empty* (for example ``medications=[]``: the clinician confirmed no current medications).
Nothing is ever defaulted to "normal": screening reads ``None`` as "needs information".

Dates drive time windows ("an MAOI taken within the last 14 days"), evaluated against the
record's ``as_of`` date (the day the record describes; today when absent).

Examples
--------
>>> from datetime import date
>>> r = PatientRecord(demographics=Demographics(age=41, sex="female"), as_of=date(2026, 1, 5))
>>> r.demographics.age
41
>>> r.medications is None  # unknown, not "none"
True
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "FIRST_DEGREE",
    "SCHEMA_VERSION",
    "Administration",
    "Biomarker",
    "Condition",
    "Consent",
    "CriterionName",
    "Demographics",
    "Diagnosis",
    "FamilyCondition",
    "FamilyHistory",
    "Gene",
    "Genetics",
    "ImagingMeasure",
    "Medication",
    "OrganFunction",
    "PatientRecord",
    "Phenotype",
    "Preferences",
    "PriorTreatment",
    "Relative",
    "TraumaHistory",
    "TraumaType",
    "VitalReadings",
    "VitalSigns",
    "format_validation_error",
    "load_record",
]

SCHEMA_VERSION: Literal["1"] = "1"

_LOINC = re.compile(r"^\d{1,7}-\d$")
_ICD10 = re.compile(r"^[A-TV-Z]\d{2}(\.[0-9A-Z]{1,4})?$")
_RSID = re.compile(r"^rs\d+$")
_GENOTYPE = re.compile(r"^[ACGT]+/[ACGT]+$|^(ins|del)/(ins|del)$")
_JURISDICTION = re.compile(r"^[A-Z]{2}(-[A-Z]{2,3})?$")


class _Part(BaseModel):
    """Base for every record part: immutable, strict about unknown fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --------------------------------------------------------------------------- demographics


class Demographics(_Part):
    """Age, sex, body weight, pregnancy and lactation, and where the person is treated."""

    age: Annotated[int, Field(ge=0, le=120, description="Age in whole years (0–120).")] | None = (
        None
    )
    sex: Literal["female", "male", "intersex"] | None = Field(
        None, description="Sex recorded at birth; None when unknown."
    )
    weight_kg: Annotated[float, Field(gt=20, le=400, description="Body weight, kg (20–400).")] | (
        None
    ) = None
    pregnant: bool | None = None
    gestational_weeks: (
        Annotated[float, Field(ge=0, le=45, description="Completed weeks of pregnancy (0-45).")]
        | None
    ) = None
    lactating: bool | None = None
    jurisdiction: str | None = Field(
        None,
        description=(
            "Where treatment would be given: ISO 3166 country, optionally with a subdivision "
            "(e.g. 'US', 'US-OR', 'US-CO', 'AU')."
        ),
    )
    language: str | None = Field(
        None,
        pattern=r"^[a-z]{2,3}$",
        description=(
            "Preferred language, a BCP 47 primary tag ('en', 'es'): picks the site's crisis "
            "text (English when absent)."
        ),
    )

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, v: str | None) -> str | None:
        if v is not None and not _JURISDICTION.match(v):
            raise ValueError(
                f"jurisdiction must look like 'US' or 'US-OR' (ISO 3166 code), got {v!r}"
            )
        return v

    @model_validator(mode="after")
    def _gestation(self) -> Demographics:
        if self.gestational_weeks is not None and self.pregnant is False:
            raise ValueError("gestational_weeks is recorded only when pregnant is true")
        if self.gestational_weeks is not None and self.sex == "male":
            raise ValueError("gestational_weeks is recorded only for a pregnancy")
        return self


# ------------------------------------------------------------------------------- trauma


class TraumaType(StrEnum):
    """Index trauma categories (DSM-5 Criterion A event types, grouped)."""

    combat = "combat"
    sexual_assault = "sexual_assault"
    physical_assault = "physical_assault"
    childhood_abuse = "childhood_abuse"
    accident = "accident"
    disaster = "disaster"
    medical = "medical"
    sudden_loss = "sudden_loss"
    witnessed_violence = "witnessed_violence"
    other = "other"


class TraumaHistory(_Part):
    """The index trauma and trauma-related history."""

    index_trauma_type: TraumaType | None = None
    childhood_trauma: bool | None = Field(None, description="Any trauma before age 18.")
    years_since_trauma: Annotated[float, Field(ge=0, le=100)] | None = None
    military: bool | None = Field(None, description="Military service member or veteran.")
    first_responder: bool | None = None
    multiple_traumas: bool | None = None


# -------------------------------------------------------------------------- instruments


CriterionName = Literal["criterion_a", "duration_over_1_month", "distress_or_impairment"]


class Administration(_Part):
    """One dated administration of a validated instrument.

    ``responses`` are item responses in item order (``None`` for a missing item); ``total``
    is a total recorded elsewhere (for example a proprietary scale scored on paper). Scoring
    is done by :mod:`ptsdrx.instruments`, which checks item counts and ranges.
    """

    instrument: Annotated[str, Field(min_length=1, description="Instrument id, e.g. 'pcl5'.")]
    date: date
    responses: list[int | None] | None = None
    total: Annotated[float, Field(ge=0)] | None = None
    frequency: list[int | None] | None = Field(
        None, description="Per-item frequency ratings (CAPS-5), scored with 'intensity'."
    )
    intensity: list[int | None] | None = Field(
        None, description="Per-item intensity ratings (CAPS-5), scored with 'frequency'."
    )
    criteria: dict[CriterionName, bool] | None = Field(
        None,
        description=(
            "Diagnostic criteria judged at the interview (CAPS-5 Criterion A, F duration > 1 "
            "month, G distress/impairment); a criterion not given is unknown."
        ),
    )
    administered_by: str | None = None
    context: str | None = Field(
        None, description="Free text, e.g. 'baseline', 'post dosing session 2'."
    )

    @model_validator(mode="after")
    def _something_recorded(self) -> Administration:
        if (self.frequency is None) != (self.intensity is None):
            raise ValueError("'frequency' and 'intensity' ratings are recorded together")
        if self.responses is None and self.total is None and self.frequency is None:
            raise ValueError(
                "an administration needs item 'responses', 'frequency'+'intensity' ratings, "
                "or a 'total'"
            )
        return self


# ---------------------------------------------------------------------------- diagnoses


class Condition(StrEnum):
    """Named conditions that screening rules and features refer to.

    Names, ICD-10-CM and SNOMED CT codes for each are in the conditions vocabulary
    (``ptsdrx/vocabulary/data/conditions.yaml``, read by :mod:`ptsdrx.vocabulary`).
    """

    ptsd = "ptsd"
    ptsd_dissociative_subtype = "ptsd_dissociative_subtype"
    major_depressive_disorder = "major_depressive_disorder"
    mdd_with_psychotic_features = "mdd_with_psychotic_features"
    bipolar_i = "bipolar_i"
    bipolar_ii = "bipolar_ii"
    psychotic_disorder = "psychotic_disorder"
    schizoaffective_disorder = "schizoaffective_disorder"
    dissociative_identity_disorder = "dissociative_identity_disorder"
    eating_disorder_with_purging = "eating_disorder_with_purging"
    borderline_personality_disorder = "borderline_personality_disorder"
    personality_disorder_other = "personality_disorder_other"
    alcohol_use_disorder = "alcohol_use_disorder"
    substance_use_disorder = "substance_use_disorder"
    generalized_anxiety_disorder = "generalized_anxiety_disorder"
    dementia = "dementia"
    hypertension = "hypertension"
    arrhythmia = "arrhythmia"
    qtc_prolongation = "qtc_prolongation"
    coronary_artery_disease = "coronary_artery_disease"
    heart_failure = "heart_failure"
    myocardial_infarction = "myocardial_infarction"
    stroke = "stroke"
    transient_ischaemic_attack = "transient_ischaemic_attack"
    aneurysmal_vascular_disease = "aneurysmal_vascular_disease"
    arteriovenous_malformation = "arteriovenous_malformation"
    intracerebral_haemorrhage = "intracerebral_haemorrhage"
    subarachnoid_haemorrhage = "subarachnoid_haemorrhage"
    raised_intracranial_pressure = "raised_intracranial_pressure"
    hypotension = "hypotension"
    orthostatic_hypotension = "orthostatic_hypotension"
    hepatic_impairment = "hepatic_impairment"
    renal_impairment = "renal_impairment"
    seizure_disorder = "seizure_disorder"
    sleep_apnoea = "sleep_apnoea"
    traumatic_brain_injury = "traumatic_brain_injury"
    chronic_pain = "chronic_pain"
    glaucoma = "glaucoma"
    hyperthyroidism = "hyperthyroidism"


class Diagnosis(_Part):
    """A condition with its status. ``absent`` records that it was assessed and ruled out.

    A diagnosis may arrive as an EHR holds it, by code only (``icd10`` ICD-10-CM or
    ``snomed`` SNOMED CT): the condition is then read from the conditions vocabulary
    (:mod:`ptsdrx.vocabulary`), and a code outside it leaves ``condition`` empty. A code that
    contradicts the condition name is kept and flagged by ``ptsdrx validate``; screening reads
    the diagnosis as both.
    """

    condition: Condition | None = Field(
        None, description="The named condition; read from the code when only a code is given."
    )
    status: Literal["current", "past", "absent"] = Field(
        description="current, past (lifetime, not current), or absent (assessed, ruled out)."
    )
    icd10: str | None = Field(None, description="ICD-10-CM code, e.g. 'F31.1'.")
    snomed: str | None = Field(
        None, pattern=r"^\d{6,18}$", description="SNOMED CT concept id, e.g. '47505003'."
    )
    onset: date | None = Field(None, description="When it began (recent vs remote events).")
    note: str | None = None

    @field_validator("icd10")
    @classmethod
    def _icd10(cls, v: str | None) -> str | None:
        if v is not None and not _ICD10.match(v.upper()):
            raise ValueError(f"icd10 must be an ICD-10 code such as 'F43.10', got {v!r}")
        return None if v is None else v.upper()

    @model_validator(mode="after")
    def _named_or_coded(self) -> Diagnosis:
        if self.condition is None and self.icd10 is None and self.snomed is None:
            raise ValueError("a diagnosis needs a 'condition', an 'icd10' or a 'snomed' code")
        return self

    def coded_conditions(self) -> tuple[Condition, ...]:
        """The conditions its codes map to in the vocabulary (empty when none does)."""
        return _coded(self.icd10, self.snomed)

    def conditions(self) -> tuple[Condition, ...]:
        """Every condition this diagnosis stands for: its name and what its codes map to."""
        return _named_and_coded(self.condition, self.icd10, self.snomed)


@lru_cache(maxsize=4096)
def _coded(icd10: str | None, snomed: str | None) -> tuple[Condition, ...]:
    """Conditions a pair of codes maps to (the packaged vocabulary is fixed, so cached)."""
    from ptsdrx.vocabulary import condition_for_code

    found = [
        condition_for_code(system, code)
        for system, code in (("icd10cm", icd10), ("snomed", snomed))
        if code is not None
    ]
    return tuple(dict.fromkeys(Condition(c) for c in found if c is not None))


@lru_cache(maxsize=4096)
def _named_and_coded(
    condition: Condition | None, icd10: str | None, snomed: str | None
) -> tuple[Condition, ...]:
    named = () if condition is None else (condition,)
    return tuple(dict.fromkeys((*named, *_coded(icd10, snomed))))


Relative = Literal[
    "mother", "father", "parent", "sister", "brother", "sibling", "daughter", "son", "child",
    "grandparent", "aunt", "uncle", "cousin", "other",
]  # fmt: skip
FIRST_DEGREE: frozenset[str] = frozenset(
    {"mother", "father", "parent", "sister", "brother", "sibling", "daughter", "son", "child"}
)


class FamilyCondition(_Part):
    """One relative with one condition, as a family-history form records it."""

    relative: Relative
    condition: Condition


class FamilyHistory(_Part):
    """Family history: first-degree summary flags and (relative, condition) pairs.

    ``psychosis``/``bipolar`` are the first-degree answers (parents, siblings, children);
    ``conditions`` lists relatives with a condition. A first-degree pair counts as a yes.
    """

    psychosis: bool | None = None
    bipolar: bool | None = None
    conditions: list[FamilyCondition] | None = None

    def first_degree(self, *conditions: Condition) -> bool:
        """Whether a first-degree relative is listed with any of the conditions."""
        return any(
            f.relative in FIRST_DEGREE and f.condition in conditions for f in self.conditions or []
        )


# -------------------------------------------------------------------------- medications


class Medication(_Part):
    """A current or recent medication; ``stop=None`` means still taking it."""

    name: Annotated[
        str,
        Field(
            min_length=2,
            description=(
                "As written: generic, salt or brand name, with or without strength "
                "('sertraline', 'Lithobid 300 mg', 'phenelzine sulfate'); matched through the "
                "drug vocabulary."
            ),
        ),
    ]
    rxnorm: str | None = Field(
        None, pattern=r"^\d{1,8}$", description="RxNorm code (RXCUI) from the EHR, if any."
    )
    dose_mg: Annotated[float, Field(gt=0, le=10000)] | None = None
    frequency: str | None = None
    route: (
        Literal["oral", "iv", "im", "intranasal", "sublingual", "transdermal", "other"] | None
    ) = None
    start: date | None = None
    stop: date | None = None

    @field_validator("name")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()

    @model_validator(mode="after")
    def _dates(self) -> Medication:
        if self.start and self.stop and self.stop < self.start:
            raise ValueError(f"stop ({self.stop}) is before start ({self.start})")
        return self


# ------------------------------------------------------------------------------- vitals


class VitalReadings(_Part):
    """A timed set of core vital signs, any reading absent.

    The one definition of their plausible ranges, shared by clinic vitals (:class:`VitalSigns`) and
    in-session readings (``ptsdrx.monitoring.SessionVitals``).
    """

    taken_at: datetime
    systolic: Annotated[float, Field(ge=50, le=300, description="mmHg (50–300).")] | None = None
    diastolic: Annotated[float, Field(ge=20, le=200, description="mmHg (20–200).")] | None = None
    heart_rate: Annotated[float, Field(ge=20, le=250, description="beats/min (20–250).")] | None = (
        None
    )
    spo2: Annotated[float, Field(ge=50, le=100, description="% (50–100).")] | None = None
    temperature_c: Annotated[float, Field(ge=30, le=45, description="°C (30–45).")] | None = None

    @model_validator(mode="after")
    def _bp_pair(self) -> Self:
        if (self.systolic is None) != (self.diastolic is None):
            raise ValueError("systolic and diastolic are recorded together")
        if (
            self.systolic is not None
            and self.diastolic is not None
            and self.diastolic >= self.systolic
        ):
            raise ValueError(
                f"diastolic ({self.diastolic}) must be below systolic ({self.systolic})"
            )
        return self


class VitalSigns(VitalReadings):
    """One dated set of vital-sign readings; any reading may be absent.

    ``posture`` says how blood pressure was taken; a supine (or sitting) and a standing set
    within minutes of each other give the orthostatic drop.
    """

    posture: Literal["supine", "sitting", "standing"] | None = None

    qtc_ms: Annotated[float, Field(ge=250, le=700, description="ECG QTc, ms (250–700).")] | None = (
        None
    )


# --------------------------------------------------------------------------- biomarkers


class Biomarker(_Part):
    """A blood biomarker, LOINC-coded where a code exists."""

    name: Annotated[str, Field(min_length=1, description="e.g. 'cortisol', 'crp', 'il6'.")]
    value: float
    unit: Annotated[str, Field(min_length=1, description="UCUM unit, e.g. 'mg/L'.")]
    loinc: str | None = None
    collected: date | None = None

    @field_validator("loinc")
    @classmethod
    def _loinc(cls, v: str | None) -> str | None:
        if v is not None and not _LOINC.match(v):
            raise ValueError(
                f"loinc must look like '1988-5' (digits, dash, check digit), got {v!r}"
            )
        return v


# ------------------------------------------------------------------------ organ function


class OrganFunction(_Part):
    """Kidney and liver function as screening rules read them."""

    egfr: (
        Annotated[float, Field(ge=0, le=200, description="eGFR, mL/min/1.73 m2 (0-200).")] | None
    ) = None
    child_pugh: Literal["A", "B", "C"] | None = Field(
        None, description="Child-Pugh class of hepatic impairment; None when not assessed."
    )
    assessed: date | None = None


# ----------------------------------------------------------------------------- genetics

Gene = Literal["CYP2D6", "CYP2B6", "CYP3A4", "CYP2C19"]
Phenotype = Literal["poor", "intermediate", "normal", "rapid", "ultrarapid"]


class Genetics(_Part):
    """Genotypes for named variants and CYP metaboliser phenotypes.

    ``genotypes`` maps an rsID to an unphased genotype, e.g. ``{"rs6265": "C/T"}``.
    """

    genotypes: dict[str, str] | None = None
    metabolizers: dict[Gene, Phenotype] | None = None

    @field_validator("genotypes")
    @classmethod
    def _genotypes(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        if v is None:
            return v
        for rsid, gt in v.items():
            if not _RSID.match(rsid):
                raise ValueError(f"variant id must be an rsID such as 'rs6265', got {rsid!r}")
            if not _GENOTYPE.match(gt.upper()):
                raise ValueError(f"genotype for {rsid} must look like 'C/T', got {gt!r}")
        return {k: g.upper() for k, g in v.items()}


# ------------------------------------------------------------------------------ imaging


class ImagingMeasure(_Part):
    """A neuroimaging-derived measure with its unit and acquisition/analysis method."""

    measure: Annotated[
        str, Field(min_length=1, description="e.g. 'amygdala_reactivity', 'hippocampal_volume'.")
    ]
    value: float
    unit: Annotated[str, Field(min_length=1)]
    method: Annotated[str, Field(min_length=1, description="e.g. 'fMRI emotional faces task'.")]
    acquired: date | None = None


# ---------------------------------------------------------------------- prior treatments


class PriorTreatment(_Part):
    """A past treatment course and how it went."""

    treatment: Annotated[str, Field(min_length=1, description="Catalog id, e.g. 'sertraline'.")]
    start: date | None = None
    stop: date | None = None
    adequate: bool | None = Field(
        None, description="Adequate dose and duration (or full psychotherapy course)."
    )
    response: Literal["remission", "response", "partial", "none", "worsened"] | None = None
    stopped_for_adverse_effects: bool | None = None

    @model_validator(mode="after")
    def _dates(self) -> PriorTreatment:
        if self.start and self.stop and self.stop < self.start:
            raise ValueError(f"stop ({self.stop}) is before start ({self.start})")
        return self


# ------------------------------------------------------------------ preferences, consent


class Preferences(_Part):
    """What the patient wants and will accept."""

    refused_treatments: list[str] | None = None
    preferred_treatments: list[str] | None = None
    max_session_hours: Annotated[float, Field(gt=0, le=24)] | None = None
    max_visits: Annotated[int, Field(gt=0, le=500)] | None = None
    willing_psychotherapy: bool | None = None
    willing_psychedelic: bool | None = None
    max_travel_km: Annotated[float, Field(ge=0)] | None = None
    willing_to_travel_jurisdiction: bool | None = Field(
        None, description="Would travel to another jurisdiction where a treatment is available."
    )


class Consent(_Part):
    """Consent flags, each explicit."""

    treatment_decision_support: bool | None = None
    research_use: bool | None = None
    contact_for_trials: bool | None = None


# ------------------------------------------------------------------------------- record


class PatientRecord(_Part):
    """One person's multimodal data. Every part optional; ``None`` is unknown."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    patient_id: str | None = Field(
        None, description="Internal pseudonymous id; never a name or MRN."
    )
    as_of: date | None = Field(
        None, description="The date this record describes; time windows count back from it."
    )
    demographics: Demographics | None = None
    trauma: TraumaHistory | None = None
    assessments: list[Administration] | None = None
    diagnoses: list[Diagnosis] | None = None
    diagnoses_complete: bool | None = Field(
        None,
        description=(
            "True when the diagnosis list comes from a complete structured review (e.g. MINI or "
            "SCID plus medical history), so a condition not listed can be read as absent."
        ),
    )
    psychiatric_history_complete: bool | None = Field(
        None,
        description=(
            "True when the psychiatric history is complete (e.g. MINI or SCID), so a "
            "psychiatric condition not listed reads as absent; medical history aside."
        ),
    )
    medical_history_complete: bool | None = Field(
        None,
        description=(
            "True when the medical history is complete, so a medical condition not listed "
            "reads as absent; psychiatric history aside."
        ),
    )
    family_history: FamilyHistory | None = None
    medications: list[Medication] | None = None
    vitals: list[VitalSigns] | None = None
    organ_function: OrganFunction | None = None
    biomarkers: list[Biomarker] | None = None
    genetics: Genetics | None = None
    imaging: list[ImagingMeasure] | None = None
    prior_treatments: list[PriorTreatment] | None = None
    preferences: Preferences | None = None
    consent: Consent | None = None

    @model_validator(mode="after")
    def _dates_not_after_as_of(self) -> PatientRecord:
        if self.as_of is None:
            return self
        for i, a in enumerate(self.assessments or []):
            if a.date > self.as_of:
                raise ValueError(
                    f"assessments.{i}.date ({a.date}) is after the record's as_of ({self.as_of})"
                )
        return self

    # ---- convenience accessors (pure reads; no defaults invented)

    def reference_date(self) -> date:
        """The date time windows are evaluated against: ``as_of``, else today."""
        return self.as_of or date.today()

    def administrations(self, instrument: str) -> list[Administration]:
        """Administrations of one instrument, oldest first (empty when none recorded)."""
        return sorted(
            (a for a in self.assessments or [] if a.instrument == instrument), key=lambda a: a.date
        )

    def latest(self, instrument: str) -> Administration | None:
        """The most recent administration of an instrument, or ``None``."""
        found = self.administrations(instrument)
        return found[-1] if found else None

    def latest_vitals(self) -> VitalSigns | None:
        """The most recent vital-sign set, or ``None``."""
        return max(self.vitals, key=lambda v: v.taken_at) if self.vitals else None

    def condition_status(self, condition: Condition) -> Literal["current", "past", "absent"] | None:
        """Status of a condition: current/past/absent, or ``None`` when unknown.

        With ``diagnoses_complete`` true, a condition not listed is ``absent``. A coded
        diagnosis counts for the condition its code maps to as well as for its name. (Per-history
        completeness and broader/narrower conditions: ``ptsdrx.vocabulary.condition_status``.)
        """
        if self.diagnoses is None:
            return None
        statuses = {d.status for d in self.diagnoses if condition in d.conditions()}
        if "current" in statuses:
            return "current"
        if "past" in statuses:
            return "past"
        if "absent" in statuses:
            return "absent"
        return "absent" if self.diagnoses_complete else None


def load_record(path: str) -> PatientRecord:
    """Read and validate a ``PatientRecord`` JSON file."""
    with open(path, encoding="utf-8") as fh:
        return PatientRecord.model_validate_json(fh.read())


def format_validation_error(exc: Exception) -> str:
    """Render a pydantic ``ValidationError`` as one line per field: ``field.path: message``."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return str(exc)
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(record)"
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
        lines.append(f"{loc}: {err['msg']}{shown}")
    return "\n".join(lines)
