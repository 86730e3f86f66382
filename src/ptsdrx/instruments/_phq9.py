"""PHQ-9: Patient Health Questionnaire-9 (Kroenke, Spitzer & Williams 2001).

9 items 0–3, total 0–27; bands 0–4 none/minimal, 5–9 mild, 10–14 moderate, 15–19
moderately severe, 20–27 severe. Item 9 (thoughts of death or self-harm) >= 1 raises the
``phq9_item9_positive`` safety flag whatever the total (PMC5942185). Numbers live in
``data/instruments.yaml``.

Examples
--------
>>> r = PHQ9().score([1, 1, 1, 1, 1, 1, 1, 1, 1])
>>> r.total, r.band, r.flags
(9.0, 'mild', ('phq9_item9_positive',))
"""

from __future__ import annotations

from dataclasses import dataclass

from ptsdrx.instruments._base import Instrument


@dataclass(frozen=True, kw_only=True)
class PHQ9(Instrument):
    """PHQ-9 calculator."""

    id = "phq9"
