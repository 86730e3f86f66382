"""The patient list's safety-first order reads the latest screen of each safety instrument."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ptsdrx.records import Administration, PatientRecord
from ptsdrx.registry import Registry, make_engine, upgrade_schema
from ptsdrx.web._listing import _flagged

POSITIVE = [1, 1, 1, 1, 1, 1, 1, 1, 2]  # PHQ-9 item 9 positive
NEGATIVE = [1, 1, 1, 1, 1, 1, 1, 1, 0]


def test_only_a_positive_latest_screen_flags_a_patient(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade_schema(engine)
    reg = Registry(engine, actor="test")
    pids = [reg.add_patient(PatientRecord(as_of=date(2026, 1, 1))) for _ in range(4)]
    still, resolved, never, unscored = pids
    for pid, answers in ((still, [NEGATIVE, POSITIVE]), (resolved, [POSITIVE, NEGATIVE])):
        for day, responses in zip((date(2026, 1, 2), date(2026, 1, 9)), answers, strict=True):
            reg.add_assessment(
                pid, Administration(instrument="phq9", date=day, responses=responses)
            )
    reg.add_assessment(
        never, Administration(instrument="phq9", date=date(2026, 1, 2), responses=NEGATIVE)
    )
    reg.add_assessment(
        unscored, Administration(instrument="ies_r", date=date(2026, 1, 2), total=50)
    )
    with reg.transaction() as session:
        assert _flagged(session) == [still]
