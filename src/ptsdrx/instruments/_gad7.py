"""GAD-7: Generalized Anxiety Disorder-7 (Spitzer et al. 2006).

7 items 0–3, total 0–21; bands 0–4 minimal, 5–9 mild, 10–14 moderate, 15–21 severe
(>= 10 warrants further evaluation). Numbers live in ``data/instruments.yaml``.

Examples
--------
>>> GAD7().score([2, 2, 2, 2, 1, 1, 0]).band
'moderate'
"""

from __future__ import annotations

from dataclasses import dataclass

from ptsdrx.instruments._base import Instrument


@dataclass(frozen=True, kw_only=True)
class GAD7(Instrument):
    """GAD-7 calculator."""

    id = "gad7"
