"""The clinic service with a trained model: predictions come from it, through ``FastScorer``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.api.conftest import create_patient, make_service, new_database, sample_record

ARMS = ["cpt", "pe", "sertraline", "prazosin"]


@pytest.fixture(scope="module")
def fitted() -> Any:
    from ptsdrx.cohort import simulate
    from ptsdrx.features import from_cohort
    from ptsdrx.response import TreatmentResponseModel

    df = simulate(900, design="randomized", arms=ARMS, random_state=3)
    df = df[df["pcl5_w12"].notna()].reset_index(drop=True)
    return TreatmentResponseModel(fast=True, random_state=0).fit(
        df["pcl5_w12"], df["arm"], X=from_cohort(df)
    )


def service_with_model(fitted: Any, tmp_path: Path, sqlite_template: Path) -> Any:
    """The clinic service on a fresh SQLite registry, serving ``fitted`` as its model."""
    from ptsdrx.features import SCHEMA
    from ptsdrx.response import save_model

    model_dir = tmp_path / "model"
    save_model(fitted, model_dir / "outcome", schema=SCHEMA, overwrite=True)
    url, _ = new_database("sqlite", tmp_path, sqlite_template)  # removed with tmp_path
    return make_service(url, tmp_path, model_dir=model_dir)


def test_the_service_recommends_with_its_model_as_the_model_would(
    fitted: Any, tmp_path: Path, sqlite_template: Path
) -> None:
    from ptsdrx.batch import TOLERANCE
    from ptsdrx.recommend import recommend
    from ptsdrx.records import PatientRecord

    svc = service_with_model(fitted, tmp_path, sqlite_template)
    try:
        pid = create_patient(svc)
        r = svc.client("clinician").post(f"/api/v1/patients/{pid}/recommendations")
        assert r.status_code == 201, r.text
        body = r.json()
        from ptsdrx.batch import FastScorer

        assert isinstance(svc.app.state.active_model[0], FastScorer)
        assert body["source"] == "mixed"  # model arms, plus the trial prior for the others
        got = {o["treatment"]: o for o in body["result"]["options"]}
        want = recommend(PatientRecord.model_validate(sample_record(pid)), model=fitted)
        assert [o["treatment"] for o in body["result"]["options"]] == [
            o.treatment for o in want.options
        ]
        for o in want.options:
            if o.prediction is None or o.prediction.source != "model":
                continue
            mine = got[o.treatment]["prediction"]
            assert mine["source"] == "model"
            assert abs(mine["expected_pcl5"] - o.prediction.expected_pcl5) <= TOLERANCE
            assert o.prediction.interval is not None
            for a, b in zip(mine["interval"], o.prediction.interval, strict=True):
                assert abs(a - b) <= TOLERANCE
    finally:
        svc.engine.dispose()


def test_the_service_loads_and_warms_its_model_at_start_up(
    fitted: Any, tmp_path: Path, sqlite_template: Path
) -> None:
    """The first patient does not wait for the model's loading or its decision tables."""
    from fastapi.testclient import TestClient

    svc = service_with_model(fitted, tmp_path, sqlite_template)
    try:
        assert not hasattr(svc.app.state, "active_model")  # no lifespan run yet
        with TestClient(svc.app):  # start-up
            scorer, remission, _ = svc.app.state.active_model
            assert remission is None  # none saved
            assert scorer._tables is not None and scorer._tables.tables.keys
    finally:
        svc.engine.dispose()


def test_the_dashboard_ranks_with_the_same_model_as_the_api(
    fitted: Any, tmp_path: Path, sqlite_template: Path
) -> None:
    """The web options fragment and the API give the same ranking from the service's model
    (the dashboard once ranked with the evidence prior alone)."""
    from fastapi.testclient import TestClient
    from tests.api.conftest import PASSWORD

    svc = service_with_model(fitted, tmp_path, sqlite_template)
    try:
        pid = create_patient(svc)
        api = svc.client("clinician").post(f"/api/v1/patients/{pid}/recommendations").json()
        web = TestClient(svc.app, base_url="http://127.0.0.1")
        r = web.post(
            "/login",
            data={"username": "clinician1", "password": PASSWORD},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        page = web.post(
            f"/patients/{pid}/options", data={"csrf_token": web.cookies.get("ptsdrx_csrf")}
        )
        assert page.status_code == 200, page.text
        assert api["source"] == "mixed"
        assert "the model and the evidence prior" in page.text
        assert "no clinic model is active" not in page.text
        names = [o["name"] for o in api["result"]["options"]]
        at = [page.text.index(n) for n in names if n in page.text]
        assert len(at) == len(names) and at == sorted(at)  # listed in the API's order
    finally:
        svc.engine.dispose()
