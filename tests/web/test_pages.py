"""The dashboard without a browser (TestClient over ``ptsdrx.api.create_app``): audit
entries, CSRF, roles, validation messages, the scoring fragment and the chart."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ptsdrx.records import PatientRecord
from ptsdrx.registry import Identifiers, Registry
from ptsdrx.registry._models import AuditRow

PASSWORD = "Tq7-wombat-lantern-92"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from ptsdrx.api import create_app
    from ptsdrx.api._accounts import add_user
    from ptsdrx.settings import Settings

    d: Path = tmp_path_factory.mktemp("pages")
    settings = Settings(
        data_dir=d,
        database_url=f"sqlite:///{d / 'r.db'}",
        secret_key="pages-test-secret-" + "p" * 40,
        login_rate_per_minute=1000,
    )
    application = create_app(settings)
    reg = Registry(application.state.engine, actor="setup")
    for role in ("admin", "clinician", "nurse", "researcher", "auditor"):
        add_user(reg, role, role, PASSWORD, min_length=12)
    return application


@pytest.fixture(scope="module")
def pid(app: Any) -> str:
    reg = Registry(app.state.engine, actor="setup")
    record = PatientRecord.model_validate(
        {"as_of": "2026-11-01", "demographics": {"age": 50, "jurisdiction": "US"}}
    )
    return reg.add_patient(record, Identifiers(name="Agatha Pemberton-Oyelaran", mrn="M-99"))


def client(app: Any, role: str) -> Any:
    from fastapi.testclient import TestClient

    c = TestClient(app, base_url="http://127.0.0.1")
    r = c.post("/login", data={"username": role, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def token(c: Any) -> str:
    return str(c.cookies.get("ptsdrx_csrf"))


def audit_rows(app: Any, pid: str, since: int) -> list[AuditRow]:
    reg = Registry(app.state.engine, actor="check")
    with reg.transaction() as s:
        return list(
            s.scalars(select(AuditRow).where(AuditRow.patient_id == pid, AuditRow.id > since))
        )


def last_audit_id(app: Any) -> int:
    reg = Registry(app.state.engine, actor="check")
    with reg.transaction() as s:
        return max(s.scalars(select(AuditRow.id)).all(), default=0)


def test_patient_page_is_audited_as_the_signed_in_user(app: Any, pid: str) -> None:
    c = client(app, "clinician")
    before = last_audit_id(app)
    r = c.get(f"/patients/{pid}")
    assert r.status_code == 200 and "Agatha Pemberton-Oyelaran" in r.text
    rows = audit_rows(app, pid, before)
    entities = {row.entity for row in rows}
    assert {"record", "identifiers"} <= entities, entities
    assert all(row.actor == "clinician" and row.action == "read" for row in rows)
    assert any(row.route == "/patients/{patient_id}" for row in rows)
    # the chart arrives as its own fragment, audited as a record read too
    before = last_audit_id(app)
    chart = c.get(f"/patients/{pid}/chart")
    assert chart.status_code == 200 and ("<svg" in chart.text or "No PCL-5" in chart.text)
    rows = audit_rows(app, pid, before)
    assert any(r.entity == "record" and r.route == "/patients/{patient_id}/chart" for r in rows)
    assert client(app, "nurse").get(f"/patients/{pid}/chart").status_code == 403


def test_list_and_session_pages_are_audited(app: Any, pid: str) -> None:
    c = client(app, "clinician")
    before = last_audit_id(app)
    assert c.get("/patients").status_code == 200
    assert any(r.entity == "patient_list" for r in audit_rows(app, pid, before))


def test_refusals_are_pages_and_audited(app: Any, pid: str) -> None:
    c = client(app, "researcher")
    before = last_audit_id(app)
    r = c.get(f"/patients/{pid}")
    assert r.status_code == 403 and "Not allowed" in r.text and "Agatha" not in r.text
    assert any(row.outcome == "denied" for row in audit_rows(app, pid, before))
    anonymous = client(app, "nurse")
    anonymous.cookies.clear()
    r = anonymous.get(f"/patients/{pid}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    chart = f"/patients/{pid}/chart"  # the chart fragment is refused the same way
    r = anonymous.get(chart, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get(chart).status_code == 403  # a researcher is not a clinician


def test_csrf_token_is_required_on_every_form(app: Any, pid: str) -> None:
    c = client(app, "clinician")
    form = {"date": "2026-11-01", **{f"item_{i}": "0" for i in range(1, 10)}}
    for sent in ({}, {"csrf_token": "forged"}):
        r = c.post(f"/patients/{pid}/assess/phq9", data={**form, **sent})
        assert r.status_code == 403 and "security token" in r.text
    r = c.post(
        f"/patients/{pid}/assess/phq9",
        data={**form, "csrf_token": token(c)},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_assessment_refusal_names_each_field(app: Any, pid: str) -> None:
    c = client(app, "clinician")
    form = {"csrf_token": token(c), "date": "", "item_1": "7", "item_2": "x"}
    r = c.post(f"/patients/{pid}/assess/gad7", data=form)
    assert r.status_code == 422
    text = re.sub(r"\s+", " ", r.text)
    assert "item 1 (1): &#39;7&#39; is not one of 0, 1, 2, 3" in text
    assert "items not answered: 1, 2, 3, 4, 5, 6, 7" in text
    assert "date:" in text


def test_scoring_fragment_updates_totals_and_shows_crisis(app: Any, pid: str) -> None:
    c = client(app, "clinician")
    base = {"csrf_token": token(c), "jurisdiction": "US"}
    r = c.post(f"/patients/{pid}/assess/pcl5/score", data={**base, "item_1": "3"})
    assert "1 of 20 answered" in r.text and "not yet known" in r.text
    items = {f"item_{i}": "1" for i in range(1, 21)}
    r = c.post(f"/patients/{pid}/assess/pcl5/score", data={**base, **items})
    assert 'data-testid="total">20<' in r.text and ">not met<" in r.text
    r = c.post(f"/patients/{pid}/assess/phq9/score", data={**base, "item_9": "0"})
    assert 'data-testid="crisis"' not in r.text
    r = c.post(f"/patients/{pid}/assess/phq9/score", data={**base, "item_9": "2"})
    assert 'data-testid="crisis"' in r.text and "No crisis text is configured" in r.text


def test_record_contents_are_escaped(app: Any) -> None:
    reg = Registry(app.state.engine, actor="setup")
    pid = reg.add_patient(PatientRecord(), Identifiers(name="<script>alert(1)</script>"))
    r = client(app, "clinician").get(f"/patients/{pid}")
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)" in r.text


def test_unknown_patient_and_instrument_are_404_pages(app: Any) -> None:
    c = client(app, "clinician")
    r = c.get("/patients/pt-000000000000")
    assert r.status_code == 404 and "no such patient" in r.text
    assert c.get("/patients/x/assess/bdi2").status_code == 404


def test_pages_send_a_strict_content_security_policy(app: Any) -> None:
    c = client(app, "admin")
    r = c.get("/admin")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "cdn" not in r.text.lower()
    js = c.get("/static/htmx.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert c.get("/static/../_auth.py").status_code == 404


def test_login_refusal_is_the_same_for_unknown_and_wrong(app: Any) -> None:
    from fastapi.testclient import TestClient

    c = TestClient(app, base_url="http://127.0.0.1")
    a = c.post("/login", data={"username": "nobody", "password": "whatever-long-enough"})
    b = c.post("/login", data={"username": "admin", "password": "wrong-password-123"})
    assert a.status_code == b.status_code == 401
    msg = re.compile(r'role="alert">([^<]*)<')
    assert msg.findall(a.text) == msg.findall(b.text) != []


def test_trajectory_chart_draws_thresholds_and_episodes() -> None:
    from datetime import date

    from ptsdrx.registry import Episode
    from ptsdrx.web._charts import trajectory_svg

    record = PatientRecord.model_validate(
        {
            "as_of": "2026-03-01",
            "assessments": [
                {"instrument": "pcl5", "date": "2026-01-01", "responses": [3] * 20},
                {"instrument": "pcl5", "date": "2026-02-01", "responses": [1] * 20},
                {"instrument": "phq9", "date": "2026-02-01", "responses": [1] * 9},
            ],
        }
    )
    ep = Episode(1, "p", "sertraline", date(2026, 1, 2), None, "active", None)
    svg = trajectory_svg(record, [ep])
    assert svg is not None and svg.startswith('<svg role="img"')
    for label in (
        "probable PTSD cut-off 33",
        "response: 30% below baseline",
        "clinically meaningful change: 10 points",
        "PHQ-9 cut-point 10",
        "sertraline",
    ):
        assert label in svg, label
    assert trajectory_svg(PatientRecord()) is None
