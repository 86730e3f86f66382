"""row_to_record: simulated rows become valid PatientRecords; unknown stays unknown."""

from __future__ import annotations

import pandas as pd
import pytest

from ptsdrx.cohort import row_to_record, simulate
from ptsdrx.records import Condition, PatientRecord


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return simulate(400, random_state=11)


def test_every_row_converts_and_round_trips(cohort: pd.DataFrame) -> None:
    for _, row in cohort.iterrows():
        rec = row_to_record(row)
        assert PatientRecord.model_validate_json(rec.model_dump_json()) == rec
        assert rec.latest("pcl5").total == row["pcl5_w0"]  # type: ignore[union-attr]


def test_unmeasured_parts_stay_unknown(cohort: pd.DataFrame) -> None:
    no_genes = cohort[cohort["cyp2d6"].isna()].iloc[0]
    assert row_to_record(no_genes).genetics is None
    genes = cohort[cohort["cyp2d6"].notna()].iloc[0]
    rec = row_to_record(genes)
    assert rec.genetics is not None and rec.genetics.metabolizers == {"CYP2D6": genes["cyp2d6"]}
    no_caps = cohort[cohort["caps5_w0"].isna()].iloc[0]
    assert row_to_record(no_caps).latest("caps5") is None
    assert row_to_record(cohort.iloc[0]).medications is None


def test_conditions_and_follow_up(cohort: pd.DataFrame) -> None:
    row = cohort[cohort["mdd"] & ~cohort["dissociative_subtype"]].iloc[0]
    rec = row_to_record(row, as_of_week=12)
    assert rec.condition_status(Condition.major_depressive_disorder) == "current"
    assert rec.condition_status(Condition.ptsd_dissociative_subtype) == "absent"
    assert [a.total for a in rec.administrations("pcl5")] == [
        row[f"pcl5_w{w}"] for w in (0, 4, 8, 12)
    ]
    assert len(rec.prior_treatments or []) == row["prior_ssri_trials"]


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="as_of_week must be one of"):
        row_to_record({"patient_id": 1}, as_of_week=3)
    with pytest.raises(ValueError, match="missing column"):
        row_to_record({"patient_id": 1})


def test_cohort_and_its_records_give_the_same_model_matrix(cohort: pd.DataFrame) -> None:
    """features.from_cohort and features.from_records agree on simulated patients."""
    import numpy as np

    from ptsdrx.features import from_cohort, from_records

    sub = cohort.iloc[:150]
    direct = from_cohort(sub)
    via_records = from_records([row_to_record(r) for _, r in sub.iterrows()])
    assert list(direct.columns) == list(via_records.columns)
    assert np.allclose(
        direct.to_numpy(float), via_records.to_numpy(float), equal_nan=True, atol=1e-6
    )
