"""BDI-II: Beck Depression Inventory-II (Beck, Steer & Brown 1996), totals only.

The items are proprietary (Pearson): ptsdrx reproduces no wording. It sums 21 item
responses 0–3 (total 0–63) or takes a total scored elsewhere (:meth:`Instrument.score_total`),
and bands it 0–13 minimal, 14–19 mild, 20–28 moderate, 29–63 severe (manual cut-offs via
secondary reproductions, [V2]). The one item it interprets is item 9 (suicidal thoughts or
wishes): a response of 1 or more raises ``bdi2_item9_positive``, as PHQ-9 item 9 does (Green
et al. 2015, J Clin Psychiatry 76:1683: >= 1 was the best cut-off for later suicide). A total
scored elsewhere carries no item 9, so it can raise no flag.

Examples
--------
>>> BDI2().score_total(22).band
'moderate'
>>> BDI2().score([0] * 8 + [1] + [0] * 12).flags
('bdi2_item9_positive',)
"""

from __future__ import annotations

from dataclasses import dataclass

from ptsdrx.instruments._base import Instrument


@dataclass(frozen=True, kw_only=True)
class BDI2(Instrument):
    """BDI-II totals calculator."""

    id = "bdi2"
