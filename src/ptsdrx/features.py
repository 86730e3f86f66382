"""The one place that turns ``PatientRecord``s and simulated cohorts into a model matrix.

Training and inference go through the same schema: :data:`SCHEMA` lists every feature in its
canonical order with a readable name, unit and how it is derived. Its ``fingerprint`` is saved
with each model, and a model refuses to load against a different schema.

Unknown stays unknown: a feature is ``NaN`` when the record does not say (``demographics`` is
``None``, no PCL-5 recorded, diagnoses not assessed), never a "normal" default. LightGBM
models handle the NaN natively.

Examples
--------
>>> from ptsdrx.records import PatientRecord, Demographics
>>> X = from_records([PatientRecord(demographics=Demographics(age=41, sex="female"))])
>>> float(X.loc[0, "age"]), float(X.loc[0, "sex_female"])
(41.0, 1.0)
>>> bool(X.loc[0, "pcl5_baseline"] != X.loc[0, "pcl5_baseline"])  # NaN: unknown
True
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ptsdrx.records import Condition, PatientRecord, TraumaType
from ptsdrx.vocabulary import condition_status, drug_classes

__all__ = [
    "FEATURE_SCHEMA_VERSION",
    "SCHEMA",
    "FeatureSchema",
    "FeatureSpec",
    "check_columns",
    "from_cohort",
    "from_records",
]

FEATURE_SCHEMA_VERSION = "1"

# Ordinal CYP2D6 activity rank (CPIC phenotype names, ordered by enzyme activity; an encoding,
# not a dosing rule): poor < intermediate < normal < rapid < ultrarapid.
_CYP_RANK = {"poor": 0.0, "intermediate": 1.0, "normal": 2.0, "rapid": 2.5, "ultrarapid": 3.0}
_CRP_TO_MG_L = {"mg/L": 1.0, "mg/dL": 10.0}


@dataclass(frozen=True)
class FeatureSpec:
    """One model-matrix column: readable name, unit, and where it comes from."""

    name: str
    description: str
    unit: str = ""


@dataclass(frozen=True)
class FeatureSchema:
    """The versioned, ordered list of features a response model is trained on."""

    version: str
    features: tuple[FeatureSpec, ...]

    @property
    def names(self) -> list[str]:
        """Column names in canonical order."""
        return [f.name for f in self.features]

    @property
    def fingerprint(self) -> str:
        """Short hash of version and column names; equal fingerprints mean same columns."""
        text = self.version + "|" + ",".join(self.names)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self, name: str) -> str:
        """Human-readable description of one feature (for explanations)."""
        for f in self.features:
            if f.name == name:
                return f.description + (f" ({f.unit})" if f.unit else "")
        raise KeyError(f"unknown feature {name!r}; the schema has: {self.names}")

    def diff(self, other: FeatureSchema) -> str:
        """What differs between two schemas, for error messages."""
        mine, theirs = set(self.names), set(other.names)
        parts = [f"version {self.version} vs {other.version}"]
        if theirs - mine:
            parts.append(f"only in the other: {sorted(theirs - mine)}")
        if mine - theirs:
            parts.append(f"only in this one: {sorted(mine - theirs)}")
        if mine == theirs and self.names != other.names:
            parts.append("same columns in a different order")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (saved in the model manifest)."""
        return {
            "version": self.version,
            "fingerprint": self.fingerprint,
            "features": [asdict(f) for f in self.features],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSchema:
        """Inverse of :meth:`to_dict`."""
        return cls(
            version=str(data["version"]),
            features=tuple(FeatureSpec(**f) for f in data["features"]),
        )


_TRAUMA = [t.value for t in TraumaType]
SCHEMA = FeatureSchema(
    version=FEATURE_SCHEMA_VERSION,
    features=(
        FeatureSpec("age", "age", "years"),
        FeatureSpec("sex_female", "sex recorded at birth is female (1) or not (0)"),
        FeatureSpec("weight_kg", "body weight", "kg"),
        FeatureSpec("military", "service member or veteran"),
        FeatureSpec("childhood_trauma", "any trauma before age 18"),
        FeatureSpec("years_since_trauma", "time since the index trauma", "years"),
        *(FeatureSpec(f"trauma_{t}", f"index trauma is {t.replace('_', ' ')}") for t in _TRAUMA),
        FeatureSpec("pcl5_baseline", "latest PCL-5 total", "points 0-80"),
        FeatureSpec("caps5_baseline", "latest CAPS-5 total", "points 0-80"),
        FeatureSpec("phq9_baseline", "latest PHQ-9 total", "points 0-27"),
        FeatureSpec("mdd_current", "current major depressive disorder"),
        FeatureSpec("substance_use_disorder", "substance or alcohol use disorder, current or past"),
        FeatureSpec("dissociative_subtype", "PTSD, dissociative subtype"),
        FeatureSpec("bipolar_i", "bipolar I disorder, current or past"),
        FeatureSpec("psychotic_disorder", "psychotic disorder, current or past"),
        FeatureSpec("hypertension", "hypertension, current"),
        FeatureSpec("prior_ssri_trials", "adequate SSRI trials without response", "count"),
        FeatureSpec("systolic_bp", "latest systolic blood pressure", "mmHg"),
        FeatureSpec("diastolic_bp", "latest diastolic blood pressure", "mmHg"),
        FeatureSpec("heart_rate", "latest heart rate", "beats/min"),
        FeatureSpec("crp_mg_l", "C-reactive protein", "mg/L"),
        FeatureSpec("bdnf_val66met_t_alleles", "BDNF rs6265 T alleles (strand assumed)", "count"),
        FeatureSpec("cyp2d6_activity", "CYP2D6 phenotype rank, poor=0 ... ultrarapid=3"),
        FeatureSpec("amygdala_reactivity", "amygdala reactivity to threat faces", "z"),
        FeatureSpec("hippocampal_volume_mm3", "hippocampal volume", "mm3"),
    ),
)

_NAN = math.nan


def _b(v: bool | None) -> float:
    return _NAN if v is None else float(v)


def _condition(rec: PatientRecord, *conditions: Condition, past: bool = True) -> float:
    statuses = [condition_status(rec, c) for c in conditions]
    if any(s == "current" or (past and s == "past") for s in statuses):
        return 1.0
    if statuses and all(s is not None for s in statuses):
        return 0.0
    return _NAN


def _total(rec: PatientRecord, instrument: str) -> float:
    adm = rec.latest(instrument)
    if adm is None:
        return _NAN
    if adm.total is not None:
        return float(adm.total)
    from ptsdrx.instruments import score_administration

    total = score_administration(adm).total
    return _NAN if total is None else float(total)


def _record_row(rec: PatientRecord) -> dict[str, float]:
    d, t = rec.demographics, rec.trauma
    row: dict[str, float] = {
        "age": _NAN if d is None or d.age is None else float(d.age),
        "sex_female": _NAN if d is None or d.sex is None else float(d.sex == "female"),
        "weight_kg": _NAN if d is None or d.weight_kg is None else d.weight_kg,
        "military": _NAN if t is None else _b(t.military),
        "childhood_trauma": _NAN if t is None else _b(t.childhood_trauma),
        "years_since_trauma": _NAN
        if t is None or t.years_since_trauma is None
        else t.years_since_trauma,
    }
    kind = None if t is None else t.index_trauma_type
    for tt in _TRAUMA:
        row[f"trauma_{tt}"] = _NAN if kind is None else float(kind.value == tt)
    row["pcl5_baseline"] = _total(rec, "pcl5")
    row["caps5_baseline"] = _total(rec, "caps5")
    row["phq9_baseline"] = _total(rec, "phq9")
    row["mdd_current"] = _condition(rec, Condition.major_depressive_disorder, past=False)
    row["substance_use_disorder"] = _condition(
        rec, Condition.substance_use_disorder, Condition.alcohol_use_disorder
    )
    row["dissociative_subtype"] = _condition(rec, Condition.ptsd_dissociative_subtype, past=False)
    row["bipolar_i"] = _condition(rec, Condition.bipolar_i)
    row["psychotic_disorder"] = _condition(rec, Condition.psychotic_disorder)  # and its kinds
    row["hypertension"] = _condition(rec, Condition.hypertension, past=False)
    ssris = drug_classes()["ssri"].members  # prior courses are recorded by drug/catalog id
    row["prior_ssri_trials"] = (
        _NAN
        if rec.prior_treatments is None
        else float(
            sum(
                p.treatment in ssris and p.adequate is True and p.response in ("none", "worsened")
                for p in rec.prior_treatments
            )
        )
    )
    v = rec.latest_vitals()
    row["systolic_bp"] = _NAN if v is None or v.systolic is None else v.systolic
    row["diastolic_bp"] = _NAN if v is None or v.diastolic is None else v.diastolic
    row["heart_rate"] = _NAN if v is None or v.heart_rate is None else v.heart_rate
    row["crp_mg_l"] = _crp(rec)
    g = rec.genetics
    gt = None if g is None or g.genotypes is None else g.genotypes.get("rs6265")
    row["bdnf_val66met_t_alleles"] = _NAN if gt is None else float(gt.count("T"))
    cyp = None if g is None or g.metabolizers is None else g.metabolizers.get("CYP2D6")
    row["cyp2d6_activity"] = _NAN if cyp is None else _CYP_RANK[cyp]
    imaging = {m.measure: m for m in rec.imaging or []}
    amy = imaging.get("amygdala_reactivity")
    row["amygdala_reactivity"] = _NAN if amy is None else amy.value
    hip = imaging.get("hippocampal_volume")
    row["hippocampal_volume_mm3"] = _NAN if hip is None or hip.unit != "mm3" else hip.value
    return row


def _crp(rec: PatientRecord) -> float:
    found = [b for b in rec.biomarkers or [] if b.name.lower() == "crp"]
    if not found:
        return _NAN
    latest = max(found, key=lambda b: (b.collected is not None, b.collected))
    if latest.unit not in _CRP_TO_MG_L:
        raise ValueError(
            f"biomarkers: crp unit {latest.unit!r} is not supported; allowed: "
            f"{sorted(_CRP_TO_MG_L)}"
        )
    return latest.value * _CRP_TO_MG_L[latest.unit]


def _check_built(schema: FeatureSchema, builder: str) -> None:
    """Records build today's schema only: another one is a clear error, not a silent shift."""
    if schema.fingerprint != SCHEMA.fingerprint:
        raise ValueError(
            f"{builder} builds schema {SCHEMA.version} ({SCHEMA.fingerprint}); "
            f"asked for {schema.fingerprint}: {SCHEMA.diff(schema)}"
        )


def from_records(
    records: Iterable[PatientRecord], *, schema: FeatureSchema = SCHEMA
) -> pd.DataFrame:
    """Model matrix (one row per record, canonical columns, NaN for unknown)."""
    return pd.DataFrame(record_matrix(records, schema=schema), columns=schema.names)


def record_matrix(
    records: Iterable[PatientRecord], *, schema: FeatureSchema = SCHEMA
) -> NDArray[np.float64]:
    """:func:`from_records` as a bare float array (columns in ``schema.names`` order).

    For callers that score at once and need no table: a one-row DataFrame costs more to
    build than the row itself.
    """
    _check_built(schema, "from_records")
    names = schema.names
    rows = [[row[n] for n in names] for row in map(_record_row, records)]
    return np.array(rows, dtype=float).reshape(len(rows), len(names))


def _flag(df: pd.DataFrame, col: str) -> np.ndarray:
    return np.asarray(df[col].astype("float64"), dtype=float)


def from_cohort(df: pd.DataFrame, *, schema: FeatureSchema = SCHEMA) -> pd.DataFrame:
    """Model matrix from a simulated cohort frame (``ptsdrx.cohort.simulate``), vectorised.

    Gives the same values as ``from_records(row_to_record(row) for row in df)``, which the
    tests check, at a fraction of the cost.
    """
    if schema.fingerprint != SCHEMA.fingerprint:
        raise ValueError(f"from_cohort builds schema {SCHEMA.version}: {SCHEMA.diff(schema)}")
    required = [
        "age", "sex", "military", "childhood_trauma", "years_since_trauma", "trauma_type",
        "pcl5_w0", "caps5_w0", "phq9_w0", "mdd", "substance_use_history",
        "dissociative_subtype", "bipolar_i", "psychotic_disorder", "hypertension",
        "prior_ssri_trials", "sbp", "dbp", "heart_rate", "weight_kg", "crp_mg_l",
        "bdnf_rs6265_met", "cyp2d6", "amygdala_reactivity", "hippocampal_volume_mm3",
    ]  # fmt: skip
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"cohort frame is missing column(s) {missing}")
    out = pd.DataFrame(index=df.index)
    out["age"] = df["age"].astype(float)
    sex = df["sex"].astype(object)
    out["sex_female"] = np.where(sex.isna(), _NAN, (sex == "female").astype(float))
    out["weight_kg"] = df["weight_kg"].astype(float)
    out["military"] = _flag(df, "military")
    out["childhood_trauma"] = _flag(df, "childhood_trauma")
    out["years_since_trauma"] = df["years_since_trauma"].astype(float)
    trauma = df["trauma_type"].astype(object)
    for tt in _TRAUMA:
        out[f"trauma_{tt}"] = np.where(trauma.isna(), _NAN, (trauma == tt).astype(float))
    out["pcl5_baseline"] = df["pcl5_w0"].astype(float)
    out["caps5_baseline"] = df["caps5_w0"].astype(float)
    out["phq9_baseline"] = df["phq9_w0"].astype(float)
    out["mdd_current"] = _flag(df, "mdd")
    out["substance_use_disorder"] = _flag(df, "substance_use_history")
    out["dissociative_subtype"] = _flag(df, "dissociative_subtype")
    out["bipolar_i"] = _flag(df, "bipolar_i")
    out["psychotic_disorder"] = _flag(df, "psychotic_disorder")
    out["hypertension"] = _flag(df, "hypertension")
    out["prior_ssri_trials"] = df["prior_ssri_trials"].astype(float)
    bp_known = df["sbp"].notna() & df["dbp"].notna()
    out["systolic_bp"] = df["sbp"].where(bp_known).astype(float)
    out["diastolic_bp"] = df["dbp"].where(bp_known).astype(float)
    out["heart_rate"] = df["heart_rate"].where(bp_known).astype(float)
    out["crp_mg_l"] = df["crp_mg_l"].astype(float)
    gen_known = df["bdnf_rs6265_met"].notna() & df["cyp2d6"].notna()
    out["bdnf_val66met_t_alleles"] = df["bdnf_rs6265_met"].where(gen_known).astype(float)
    cyp = df["cyp2d6"].astype(object).map(_CYP_RANK)
    out["cyp2d6_activity"] = cyp.where(gen_known).astype(float)
    img_known = df["amygdala_reactivity"].notna()
    out["amygdala_reactivity"] = df["amygdala_reactivity"].astype(float)
    out["hippocampal_volume_mm3"] = df["hippocampal_volume_mm3"].where(img_known).astype(float)
    return out[schema.names].reset_index(drop=True)


def check_columns(X: pd.DataFrame, schema: FeatureSchema = SCHEMA) -> None:
    """Raise a clear error when ``X`` does not have exactly the schema's columns."""
    names: Sequence[str] = [str(c) for c in X.columns]
    if list(names) != schema.names:
        missing = [c for c in schema.names if c not in names]
        extra = [c for c in names if c not in schema.names]
        raise ValueError(
            f"feature matrix does not match schema {schema.version} ({schema.fingerprint}): "
            f"missing {missing}, unexpected {extra}"
        )
