"""The cohort's data files go through the kernel loader: errors name the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptsdrx._datafiles import DataFileError, load, packaged
from ptsdrx.cohort import CohortFileError, SimulationConfig, default_config, targets
from ptsdrx.cohort._calibration import TargetsFile

ASSUMPTIONS = packaged("ptsdrx.cohort", "assumptions.yaml").read_text(encoding="utf-8")
TARGETS = packaged("ptsdrx.cohort", "calibration_targets.yaml").read_text(encoding="utf-8")


def test_packaged_files_load() -> None:
    assert default_config().population.age_min == 18
    assert len({t.id for t in targets()}) == len(targets()) > 3
    assert issubclass(CohortFileError, DataFileError)


def test_bad_assumption_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "assumptions.yaml"
    path.write_text(ASSUMPTIONS.replace("age_sd: {value: 11.0", "age_sd: {value: -1.0"), "utf-8")
    with pytest.raises(
        CohortFileError,
        match=r"^assumptions\.yaml: population\.age_sd: Input should be greater than 0",
    ):
        load(SimulationConfig, path, error=CohortFileError)


def test_documented_and_plain_values_validate_alike() -> None:
    plain = default_config().model_dump()
    assert SimulationConfig.model_validate(plain) == default_config()


def test_duplicate_trial_id_is_a_file_error() -> None:
    first = TARGETS.index("  - id: mapp2")
    text = TARGETS[:first] + TARGETS[first:].replace("  - id: mapp2", "  - id: mapp1", 1)
    with pytest.raises(CohortFileError, match=r"duplicate trial id.*mapp1"):
        load(TargetsFile, text=text, error=CohortFileError)


def test_unknown_key_in_a_metric_refused() -> None:
    text = TARGETS.replace('basis: "published 95% CI"', "basis: x, bass: y", 1)
    with pytest.raises(CohortFileError, match=r"trials\.1\.metrics\.0\.bass: Extra inputs"):
        load(TargetsFile, text=text, error=CohortFileError)
