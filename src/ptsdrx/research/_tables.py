"""The research tables and their data dictionary: column, meaning, unit, source.

Every column of every exported table is declared here; the export refuses to write a
column that is not (so nothing reaches a file without a stated meaning and source).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One exported column."""

    name: str
    meaning: str
    unit: str = ""
    source: str = ""


P = "pseudonym"
_PSEUDO = Column(P, "keyed pseudonym of the patient (HMAC-SHA256; the secret is not exported)")
_DATE = "year (default) or a date shifted by the patient's offset (--dates shift)"


def _c(name: str, meaning: str, unit: str = "", source: str = "") -> Column:
    return Column(name, meaning, unit, source)


TABLES: dict[str, tuple[Column, ...]] = {
    "patients": (
        _PSEUDO,
        _c(
            "age",
            "age in years at the record date; 90 means 90 or older",
            "years",
            "demographics.age (or from the birth date, never exported)",
        ),
        _c(
            "age_group",
            "five-year age band, 90+ above 89 (quasi-identifier)",
            "",
            "derived from age",
        ),
        _c("sex", "sex recorded at birth", "", "demographics.sex"),
        _c(
            "jurisdiction",
            "country and state of treatment (state is allowed under Safe Harbor)",
            "",
            "demographics.jurisdiction",
        ),
        _c(
            "zip3",
            "first three ZIP digits; 000 for the 17 restricted prefixes",
            "",
            "identifier store postal code, generalised",
        ),
        _c("weight_kg", "body weight", "kg", "demographics.weight_kg"),
        _c("pregnant", "pregnant at the record date", "", "demographics.pregnant"),
        _c("lactating", "lactating at the record date", "", "demographics.lactating"),
        _c("language", "preferred language (BCP 47 primary tag)", "", "demographics.language"),
        _c("record_date", "date the record describes; " + _DATE, "", "as_of"),
        _c(
            "diagnoses_complete",
            "diagnosis list from a complete structured review",
            "",
            "diagnoses_complete",
        ),
    ),
    "trauma": (
        _PSEUDO,
        _c("index_trauma_type", "index trauma category", "", "trauma.index_trauma_type"),
        _c(
            "index_trauma_year",
            "year of the index trauma (record year - years since trauma; quasi-identifier)",
            "year",
            "derived",
        ),
        _c(
            "years_since_trauma",
            "years since the index trauma",
            "years",
            "trauma.years_since_trauma",
        ),
        _c("childhood_trauma", "any trauma before age 18", "", "trauma.childhood_trauma"),
        _c("military", "military service member or veteran", "", "trauma.military"),
        _c("first_responder", "first responder", "", "trauma.first_responder"),
        _c("multiple_traumas", "more than one trauma", "", "trauma.multiple_traumas"),
    ),
    "assessments": (
        _PSEUDO,
        _c("instrument", "instrument id (ptsdrx.instruments)", "", "assessments.instrument"),
        _c("date", "administration date; " + _DATE, "", "assessments.date"),
        _c("total", "total as scored by ptsdrx (or as recorded)", "points", "ptsdrx.instruments"),
        _c(
            "responses",
            "item responses in item order (null = missing)",
            "points",
            "assessments.responses",
        ),
    ),
    "diagnoses": (
        _PSEUDO,
        _c("condition", "conditions-vocabulary id", "", "diagnoses.condition"),
        _c("status", "current, past or absent", "", "diagnoses.status"),
        _c("icd10", "ICD-10-CM code", "", "diagnoses.icd10"),
        _c("onset", "onset; " + _DATE, "", "diagnoses.onset"),
    ),
    "medications": (
        _PSEUDO,
        _c(
            "drug",
            "generic drug id from the drug vocabulary; '(unlisted)' when not in it",
            "",
            "medications.name via ptsdrx.vocabulary",
        ),
        _c("dose_mg", "dose", "mg", "medications.dose_mg"),
        _c("route", "route", "", "medications.route"),
        _c("start", "start; " + _DATE, "", "medications.start"),
        _c("stop", "stop; " + _DATE, "", "medications.stop"),
    ),
    "vitals": (
        _PSEUDO,
        _c(
            "taken",
            "when taken; " + _DATE + " (time of day kept when shifted)",
            "",
            "vitals.taken_at",
        ),
        _c("systolic", "systolic blood pressure", "mmHg", "vitals.systolic"),
        _c("diastolic", "diastolic blood pressure", "mmHg", "vitals.diastolic"),
        _c("heart_rate", "heart rate", "beats/min", "vitals.heart_rate"),
        _c("spo2", "oxygen saturation", "%", "vitals.spo2"),
        _c("temperature_c", "body temperature", "Cel", "vitals.temperature_c"),
        _c("qtc_ms", "ECG QTc", "ms", "vitals.qtc_ms"),
    ),
    "biomarkers": (
        _PSEUDO,
        _c(
            "name",
            "biomarker name; '(other)' when not a known laboratory name",
            "",
            "biomarkers.name",
        ),
        _c("value", "value", "see unit", "biomarkers.value"),
        _c("unit", "UCUM unit; '(other)' when not a known unit", "", "biomarkers.unit"),
        _c("loinc", "LOINC code", "", "biomarkers.loinc"),
        _c("collected", "collection; " + _DATE, "", "biomarkers.collected"),
    ),
    "genetics": (
        _PSEUDO,
        _c("kind", "genotype (rsID) or metabolizer (gene)", "", "genetics"),
        _c("locus", "rsID or gene symbol", "", "genetics"),
        _c("value", "unphased genotype or metaboliser phenotype", "", "genetics"),
    ),
    "imaging": (
        _PSEUDO,
        _c("measure", "imaging measure; '(other)' when not a known measure", "", "imaging.measure"),
        _c("value", "value", "see unit", "imaging.value"),
        _c("unit", "unit; '(other)' when not a known unit", "", "imaging.unit"),
        _c("acquired", "acquisition; " + _DATE, "", "imaging.acquired"),
    ),
    "prior_treatments": (
        _PSEUDO,
        _c(
            "treatment",
            "treatment catalog id; '(other)' when not in the catalog",
            "",
            "prior_treatments.treatment",
        ),
        _c("start", "start; " + _DATE, "", "prior_treatments.start"),
        _c("stop", "stop; " + _DATE, "", "prior_treatments.stop"),
        _c("adequate", "adequate dose and duration", "", "prior_treatments.adequate"),
        _c(
            "response",
            "remission, response, partial, none or worsened",
            "",
            "prior_treatments.response",
        ),
        _c("stopped_for_adverse_effects", "stopped for adverse effects", "", "prior_treatments"),
    ),
    "family_history": (
        _PSEUDO,
        _c("psychosis", "first-degree family history of psychosis", "", "family_history.psychosis"),
        _c(
            "bipolar",
            "first-degree family history of bipolar disorder",
            "",
            "family_history.bipolar",
        ),
    ),
    "episodes": (
        _PSEUDO,
        _c("episode", "episode number within the patient (1 = first)", "", "registry episodes"),
        _c("treatment", "treatment catalog id", "", "registry episodes"),
        _c("start", "start; " + _DATE, "", "registry episodes"),
        _c("end", "end; " + _DATE, "", "registry episodes"),
        _c("status", "active, completed or stopped", "", "registry episodes"),
    ),
    "sessions": (
        _PSEUDO,
        _c("session", "session number within the patient", "", "registry dosing sessions"),
        _c("treatment", "treatment catalog id", "", "registry dosing sessions"),
        _c("phase", "preparation, dosing or integration", "", "registry dosing sessions"),
        _c("status", "open, complete or aborted", "", "registry dosing sessions"),
        _c("start", "start; " + _DATE, "", "registry dosing sessions"),
        _c("hours", "duration", "h", "end - start"),
    ),
    "outcomes": (
        _c("arm", "treatment of the episode (the model's arm)", "", "registry episodes"),
        _c(
            "pcl5_w12",
            "PCL-5 total nearest week 12 of the episode (weeks 8-16)",
            "points",
            "assessments",
        ),
        _c("weeks_to_outcome", "weeks from episode start to that PCL-5", "weeks", "derived"),
        _c("age", "age at baseline; 90 = 90 or older", "years", "demographics.age"),
        _c("sex", "sex recorded at birth", "", "demographics.sex"),
        _c("weight_kg", "body weight", "kg", "demographics.weight_kg"),
        _c("military", "military service member or veteran (0/1)", "", "trauma.military"),
        _c("childhood_trauma", "trauma before 18 (0/1)", "", "trauma.childhood_trauma"),
        _c("years_since_trauma", "years since the index trauma", "years", "trauma"),
        _c("trauma_type", "index trauma category", "", "trauma.index_trauma_type"),
        _c(
            "pcl5_w0",
            "PCL-5 total at baseline (latest at or before the episode start)",
            "points",
            "assessments",
        ),
        _c("caps5_w0", "CAPS-5 total at baseline", "points", "assessments"),
        _c("phq9_w0", "PHQ-9 total at baseline", "points", "assessments"),
        _c("mdd", "current major depressive disorder (0/1)", "", "diagnoses"),
        _c(
            "substance_use_history",
            "substance or alcohol use disorder, current or past (0/1)",
            "",
            "diagnoses",
        ),
        _c("dissociative_subtype", "PTSD dissociative subtype (0/1)", "", "diagnoses"),
        _c("bipolar_i", "bipolar I, current or past (0/1)", "", "diagnoses"),
        _c("psychotic_disorder", "psychotic disorder, current or past (0/1)", "", "diagnoses"),
        _c("hypertension", "current hypertension (0/1)", "", "diagnoses"),
        _c("prior_ssri_trials", "adequate failed SSRI trials", "count", "prior_treatments"),
        _c("sbp", "systolic blood pressure (latest)", "mmHg", "vitals"),
        _c("dbp", "diastolic blood pressure (latest)", "mmHg", "vitals"),
        _c("heart_rate", "heart rate (latest)", "beats/min", "vitals"),
        _c("crp_mg_l", "C-reactive protein", "mg/L", "biomarkers"),
        _c("bdnf_rs6265_met", "BDNF rs6265 T (Met) alleles", "count", "genetics"),
        _c("cyp2d6", "CYP2D6 metaboliser phenotype", "", "genetics"),
        _c("amygdala_reactivity", "amygdala reactivity", "z", "imaging"),
        _c("hippocampal_volume_mm3", "hippocampal volume", "mm3", "imaging"),
    ),
}


def dictionary_rows() -> list[dict[str, str]]:
    """The data dictionary: one row per table and column."""
    return [
        {"table": t, "column": c.name, "meaning": c.meaning, "unit": c.unit, "source": c.source}
        for t, cols in TABLES.items()
        for c in cols
    ]
