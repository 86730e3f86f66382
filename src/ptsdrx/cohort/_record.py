"""Turn a simulated cohort row into the shared ``PatientRecord``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from ptsdrx.records import (
    Administration,
    Biomarker,
    Condition,
    Demographics,
    Diagnosis,
    Genetics,
    ImagingMeasure,
    PatientRecord,
    Preferences,
    PriorTreatment,
    TraumaHistory,
    TraumaType,
    VitalSigns,
)

DEFAULT_START = date(2025, 1, 6)
"""Calendar date of week 0 in converted records (a Monday; any date works)."""

_WEEKS = (0, 4, 8, 12, 26, 52)
_BDNF_GENOTYPE = {0: "C/C", 1: "C/T", 2: "T/T"}  # count of Met (T) alleles; strand is [U]
_PRIOR_SSRIS = ("sertraline", "paroxetine")


def _known(value: Any) -> bool:
    if value is None:
        return False
    try:
        return not math.isnan(value)
    except TypeError:
        return not (isinstance(value, str) and value == "")


def _get(row: Mapping[str, Any], key: str) -> Any:
    value = row[key]
    return value if _known(value) else None


def _status(
    flag: Any, present: Literal["current", "past"] = "current"
) -> Literal["current", "past", "absent"]:
    return present if bool(flag) else "absent"


def row_to_record(
    row: Mapping[str, Any], *, as_of_week: int = 0, start: date = DEFAULT_START
) -> PatientRecord:
    """A ``PatientRecord`` for one simulated patient, as known at ``as_of_week``.

    Unmeasured values (NaN in the cohort) stay ``None``. PCL-5 totals up to and including
    ``as_of_week`` become dated administrations; CAPS-5 and PHQ-9 are baseline only.
    Simulated conditions (PTSD, dissociative subtype, MDD, bipolar I, psychotic disorder,
    hypertension, substance use as a past disorder) are listed with ``diagnoses_complete``
    set, because the simulator models no other condition. Prior failed SSRI trials become
    prior treatments (alternating sertraline and paroxetine). The assigned arm is not part
    of the record (it is the decision the record informs).

    Examples
    --------
    >>> from ptsdrx.cohort import simulate
    >>> rec = row_to_record(simulate(5, random_state=0).iloc[0])
    >>> rec.latest("pcl5").total is not None
    True
    """
    if as_of_week not in _WEEKS:
        raise ValueError(f"as_of_week must be one of {_WEEKS}, got {as_of_week!r}")
    missing = [k for k in ("patient_id", "age", "sex", "pcl5_w0") if k not in row]
    if missing:
        raise ValueError(f"row is not a simulated cohort row: missing column(s) {missing}")
    as_of = start + timedelta(weeks=as_of_week)
    taken = datetime.combine(start, time(9, 0))

    assessments = [
        Administration(
            instrument="pcl5",
            date=start + timedelta(weeks=w),
            total=float(row[f"pcl5_w{w}"]),
            context="baseline" if w == 0 else f"week {w}",
        )
        for w in _WEEKS
        if w <= as_of_week and _known(row.get(f"pcl5_w{w}"))
    ]
    for inst in ("caps5", "phq9"):
        total = _get(row, f"{inst}_w0")
        if total is not None:
            assessments.append(
                Administration(instrument=inst, date=start, total=float(total), context="baseline")
            )

    conditions: list[tuple[Condition, Literal["current", "past", "absent"]]] = [
        (Condition.ptsd, "current"),
        (Condition.ptsd_dissociative_subtype, _status(row["dissociative_subtype"])),
        (Condition.major_depressive_disorder, _status(row["mdd"])),
        (Condition.bipolar_i, _status(row["bipolar_i"])),
        (Condition.psychotic_disorder, _status(row["psychotic_disorder"])),
        (Condition.hypertension, _status(row["hypertension"])),
        (Condition.substance_use_disorder, _status(row["substance_use_history"], "past")),
    ]
    vitals = None
    if _known(row.get("sbp")) and _known(row.get("dbp")):
        vitals = [
            VitalSigns(
                taken_at=taken,
                systolic=float(row["sbp"]),
                diastolic=float(row["dbp"]),
                heart_rate=_get(row, "heart_rate"),
            )
        ]
    crp = _get(row, "crp_mg_l")
    genetics = None
    if _known(row.get("bdnf_rs6265_met")) and _known(row.get("cyp2d6")):
        genetics = Genetics(
            genotypes={"rs6265": _BDNF_GENOTYPE[int(row["bdnf_rs6265_met"])]},
            metabolizers={"CYP2D6": str(row["cyp2d6"])},
        )
    imaging = None
    if _known(row.get("amygdala_reactivity")):
        imaging = [
            ImagingMeasure(
                measure="amygdala_reactivity",
                value=float(row["amygdala_reactivity"]),
                unit="z",
                method="fMRI emotional faces task (simulated)",
                acquired=start,
            ),
            ImagingMeasure(
                measure="hippocampal_volume",
                value=float(row["hippocampal_volume_mm3"]),
                unit="mm3",
                method="T1 MRI volumetry (simulated)",
                acquired=start,
            ),
        ]
    weight = _get(row, "weight_kg")
    return PatientRecord(
        patient_id=f"sim-{int(row['patient_id'])}",
        as_of=as_of,
        demographics=Demographics(
            age=int(row["age"]),
            sex=str(row["sex"]),
            weight_kg=None if weight is None else float(weight),
            jurisdiction=str(row["jurisdiction"]),
        ),
        trauma=TraumaHistory(
            index_trauma_type=TraumaType(str(row["trauma_type"])),
            childhood_trauma=bool(row["childhood_trauma"]),
            years_since_trauma=float(row["years_since_trauma"]),
            military=bool(row["military"]),
        ),
        assessments=assessments,
        diagnoses=[Diagnosis(condition=c, status=s) for c, s in conditions],
        diagnoses_complete=True,
        vitals=vitals,
        biomarkers=None
        if crp is None
        else [Biomarker(name="crp", value=float(crp), unit="mg/L", collected=start)],
        genetics=genetics,
        imaging=imaging,
        prior_treatments=[
            PriorTreatment(treatment=_PRIOR_SSRIS[i % 2], adequate=True, response="none")
            for i in range(int(row["prior_ssri_trials"]))
        ],
        preferences=Preferences(willing_psychedelic=True)
        if bool(row["prefers_psychedelic"])
        else None,
    )
