"""Safety flags of a record's latest PHQ-9 and C-SSRS, for the patient and session pages."""

from __future__ import annotations

from dataclasses import dataclass

from ptsdrx.instruments import get
from ptsdrx.records import PatientRecord

SAFETY_INSTRUMENTS = ("cssrs", "phq9")


@dataclass(frozen=True)
class Flag:
    """A raised safety flag with the message staff are shown."""

    id: str
    text: str


def latest_flags(record: PatientRecord) -> list[Flag]:
    """Flags raised by the latest administration of each safety instrument (C-SSRS first)."""
    out: list[Flag] = []
    for name in SAFETY_INSTRUMENTS:
        adm = record.latest(name)
        if adm is None or adm.responses is None:
            continue
        try:
            result = get(name).score(adm.responses)
        except ValueError:
            continue
        out.extend(
            Flag(f, f"{result.safety_messages.get(f, '')} (from the {name} of {adm.date})".strip())
            for f in result.flags
        )
    return out
