"""ptsdrx.features: records and simulated cohorts give the same, canonical model matrix."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ptsdrx.cohort import row_to_record, simulate
from ptsdrx.features import SCHEMA, FeatureSchema, FeatureSpec, from_cohort, from_records
from ptsdrx.records import (
    Administration,
    Biomarker,
    Condition,
    Demographics,
    Diagnosis,
    PatientRecord,
)


def test_cohort_and_records_agree() -> None:
    df = simulate(150, random_state=11)
    fast = from_cohort(df)
    slow = from_records(row_to_record(row) for _, row in df.iterrows())
    assert list(fast.columns) == SCHEMA.names
    pd.testing.assert_frame_equal(fast, slow)


def test_unknown_stays_unknown() -> None:
    X = from_records([PatientRecord()])
    assert X.shape == (1, len(SCHEMA.names))
    assert X.isna().all(axis=None)


def test_values_from_a_record() -> None:
    rec = PatientRecord(
        as_of=date(2026, 1, 5),
        demographics=Demographics(age=41, sex="male"),
        assessments=[
            Administration(instrument="pcl5", date=date(2025, 12, 1), total=40),
            Administration(instrument="pcl5", date=date(2026, 1, 2), total=52),
        ],
        diagnoses=[Diagnosis(condition=Condition.major_depressive_disorder, status="past")],
        diagnoses_complete=True,
        biomarkers=[Biomarker(name="crp", value=0.3, unit="mg/dL")],
    )
    row = from_records([rec]).iloc[0]
    assert row["age"] == 41 and row["sex_female"] == 0
    assert row["pcl5_baseline"] == 52  # the latest administration
    assert row["mdd_current"] == 0  # past, not current
    assert row["bipolar_i"] == 0  # complete review: unlisted means absent
    assert row["crp_mg_l"] == pytest.approx(3.0)  # 0.3 mg/dL = 3 mg/L
    assert np.isnan(row["caps5_baseline"])


def test_pcl5_scored_from_items() -> None:
    rec = PatientRecord(
        assessments=[Administration(instrument="pcl5", date=date(2026, 1, 1), responses=[2] * 20)]
    )
    assert from_records([rec]).iloc[0]["pcl5_baseline"] == 40


def test_bad_unit_is_named() -> None:
    rec = PatientRecord(biomarkers=[Biomarker(name="crp", value=1, unit="nmol/L")])
    with pytest.raises(ValueError, match="crp unit 'nmol/L'"):
        from_records([rec])


def test_schema_fingerprint_and_diff() -> None:
    other = FeatureSchema(version="2", features=(*SCHEMA.features, FeatureSpec("x", "new")))
    assert other.fingerprint != SCHEMA.fingerprint
    assert "only in the other: ['x']" in SCHEMA.diff(other)
    assert FeatureSchema.from_dict(SCHEMA.to_dict()) == SCHEMA
    with pytest.raises(ValueError, match="schema"):
        from_records([PatientRecord()], schema=other)
    with pytest.raises(ValueError, match="missing column"):
        from_cohort(pd.DataFrame({"age": [1]}))
