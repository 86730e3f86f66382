"""A small fitted outcome model (and the cohort it came from), shared by the batch tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ARMS = ["cpt", "pe", "sertraline", "prazosin", "mdma_at"]


@pytest.fixture(scope="session")
def cohort() -> Any:
    from ptsdrx.cohort import simulate

    df = simulate(1500, design="randomized", arms=ARMS, random_state=11)
    return df[df["pcl5_w12"].notna()].reset_index(drop=True)


@pytest.fixture(scope="session")
def fitted(cohort: Any) -> Any:
    from ptsdrx.features import from_cohort
    from ptsdrx.response import TreatmentResponseModel

    X = from_cohort(cohort)
    return TreatmentResponseModel(fast=True, random_state=0).fit(
        cohort["pcl5_w12"], cohort["arm"], X=X
    )


@pytest.fixture(scope="session")
def model_dir(fitted: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fitted model saved as ``ptsdrx train`` saves it (``<dir>/outcome``)."""
    from ptsdrx.features import SCHEMA
    from ptsdrx.response import save_model

    root = tmp_path_factory.mktemp("model")
    save_model(fitted, root / "outcome", schema=SCHEMA, overwrite=True)
    return root


@pytest.fixture(scope="session")
def remission_model(cohort: Any) -> Any:
    """A week-12 remission model (binary outcome) on the same cohort, as the demo fits one."""
    from ptsdrx.demo import factual
    from ptsdrx.features import from_cohort
    from ptsdrx.response import TreatmentResponseModel

    y = factual(cohort, "remission_w12")
    return TreatmentResponseModel(fast=True, random_state=1).fit(
        y, cohort["arm"], X=from_cohort(cohort)
    )
