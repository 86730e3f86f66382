"""A live dashboard on loopback (uvicorn in a thread, a temporary SQLite registry) and
Debian's chromium driven by Playwright. Browser tests skip only when chromium is absent."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "Tq7-wombat-lantern-92"
ROLES = ("admin", "clinician", "nurse", "researcher", "auditor")
CRISIS = "Call or text 988 now: Suicide and Crisis Lifeline (test site)."
SEEDED_NAME, SEEDED_MRN = "Ophelia Vantongeren", "MRN-5510"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@dataclass
class Live:
    """The running server."""

    url: str
    engine: Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``ptsdrx.api.create_app`` (API and dashboard) under uvicorn on a free loopback port."""
    import uvicorn

    from ptsdrx.api import create_app
    from ptsdrx.api._accounts import add_user
    from ptsdrx.registry import Registry
    from ptsdrx.settings import Settings

    d = tmp_path_factory.mktemp("web")
    site = d / "site.yaml"
    site.write_text(
        "site: Test clinic\nsafety:\n  crisis:\n"
        f"    - {{jurisdiction: US, text: '{CRISIS}', source: 'test site protocol'}}\n",
        encoding="utf-8",
    )
    settings = Settings(
        data_dir=d,
        database_url=f"sqlite:///{d / 'registry.db'}",
        secret_key="web-test-secret-" + "k" * 40,
        site_file=site,
        login_rate_per_minute=1000,
    )
    app = create_app(settings)
    engine = app.state.engine
    for role in ROLES:
        add_user(Registry(engine, actor="setup"), role, role, PASSWORD, min_length=12)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start within 20 s"
    yield Live(f"http://127.0.0.1:{port}", engine)
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def seeded(live: Live) -> str:
    """An example patient with follow-up PCL-5/PHQ-9 and a ketamine episode (for screenshots)."""
    from datetime import date

    from ptsdrx.records import Administration, load_record
    from ptsdrx.registry import Identifiers, Registry, start_episode

    examples = Path(__file__).resolve().parents[2] / "examples" / "patients"
    record = load_record(examples / "treatment_resistant_civilian.json")
    reg = Registry(live.engine, actor="setup")
    ident = Identifiers(name=SEEDED_NAME, mrn=SEEDED_MRN)
    pid = reg.add_patient(record.model_copy(update={"patient_id": None}), ident)
    base = record.reference_date()
    start_episode(reg, pid, "ketamine_iv", started_on=base)
    for weeks, pcl, phq in ((2, 44, 14), (4, 36, 11), (6, 31, 9), (8, 27, 7)):
        day = date.fromordinal(base.toordinal() + 7 * weeks)
        per_pcl = [pcl // 20 + (1 if i < pcl % 20 else 0) for i in range(20)]
        per_phq = [phq // 9 + (1 if i < phq % 9 else 0) for i in range(8)] + [0]
        reg.add_assessment(pid, Administration(instrument="pcl5", date=day, responses=per_pcl))
        reg.add_assessment(pid, Administration(instrument="phq9", date=day, responses=per_phq))
    last = date.fromordinal(base.toordinal() + 7 * 8)  # a current C-SSRS: all answers no
    reg.add_assessment(pid, Administration(instrument="cssrs", date=last, responses=[0] * 7))
    return pid


@pytest.fixture(scope="session")
def pregnant(live: Live) -> str:
    """The pregnant example patient (ketamine, MDMA, psilocybin and paroxetine excluded)."""
    from ptsdrx.records import load_record
    from ptsdrx.registry import Registry

    examples = Path(__file__).resolve().parents[2] / "examples" / "patients"
    record = load_record(examples / "pregnant.json")
    reg = Registry(live.engine, actor="setup")
    return reg.add_patient(record.model_copy(update={"patient_id": None}))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def ui(browser: Any, live: Live) -> UI:
    """Helpers bound to the browser and server."""
    return UI(browser, live)


@dataclass
class UI:
    """Sign-in and accessibility helpers for the browser tests."""

    browser: Any
    live: Live

    def sign_in(self, role: str) -> Any:
        """A fresh browser context signed in as ``role``; returns its page."""
        return sign_in(self.browser, self.live, role)

    def context(self) -> Any:
        """A fresh, signed-out browser context."""
        return self.browser.new_context(base_url=self.live.url, bypass_csp=True)

    axe = staticmethod(lambda page: axe_violations(page))


def sign_in(browser: Any, live: Live, role: str) -> Any:
    """A fresh browser context signed in as ``role``; returns its page."""
    context = browser.new_context(
        base_url=live.url, bypass_csp=True, viewport={"width": 1200, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("User name").fill(role)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the current page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]
