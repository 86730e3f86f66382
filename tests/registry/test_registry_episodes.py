"""Treatment episodes and the sessions that belong to them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ptsdrx.monitoring import DosingSession
from ptsdrx.records import PatientRecord
from ptsdrx.registry import (
    RecordFieldError,
    Registry,
    RegistryError,
    SessionStore,
    end_episode,
    episodes,
    start_episode,
)


def test_episode_lifecycle_and_session_link(registry: Registry) -> None:
    registry.add_patient(PatientRecord(patient_id="p1"))
    ep = start_episode(registry, "p1", "ketamine_iv", date(2026, 1, 5), note="6 infusions")
    session = DosingSession(phase="dosing", treatment="ketamine_iv", start=datetime(2026, 1, 5, 9))
    store = SessionStore(registry)
    assert store.start("p1", session, episode_id=ep.id).session.status == "open"
    with pytest.raises(RecordFieldError, match="not an active esketamine episode"):
        store.start("p1", session.model_copy(update={"treatment": "esketamine"}), episode_id=ep.id)
    with pytest.raises(RecordFieldError, match="ended_on"):
        end_episode(registry, ep.id, date(2026, 1, 1), "completed")
    done = end_episode(registry, ep.id, date(2026, 1, 19), "completed")
    assert done.status == "completed" and done.ended_on == date(2026, 1, 19)
    with pytest.raises(RegistryError, match="already completed"):
        end_episode(registry, ep.id, date(2026, 1, 20), "stopped")
    assert episodes(registry, "p1") == (done,)
    audited = {(e.action, e.entity) for e in registry.audit_trail("p1")}
    assert {("create", "episode"), ("update", "episode"), ("read", "episodes")} <= audited


def test_unknown_treatment_is_named(registry: Registry) -> None:
    registry.add_patient(PatientRecord(patient_id="p1"))
    with pytest.raises(RecordFieldError, match=r"allowed: .*ketamine_iv"):
        start_episode(registry, "p1", "lsd", date(2026, 1, 5))
