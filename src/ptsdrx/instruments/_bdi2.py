"""BDI-II: Beck Depression Inventory-II (Beck, Steer & Brown 1996), totals only.

The items are proprietary (Pearson): ptsdrx reproduces no wording and offers no per-item
interpretation. It sums 21 item responses 0–3 (total 0–63) or takes a total scored
elsewhere (:meth:`Instrument.score_total`), and bands it 0–13 minimal, 14–19 mild, 20–28
moderate, 29–63 severe (manual cut-offs via secondary reproductions, [V2]).

Examples
--------
>>> BDI2().score_total(22).band
'moderate'
"""

from __future__ import annotations

from dataclasses import dataclass

from ptsdrx.instruments._base import Instrument


@dataclass(frozen=True, kw_only=True)
class BDI2(Instrument):
    """BDI-II totals calculator."""

    id = "bdi2"
