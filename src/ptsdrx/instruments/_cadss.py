"""CADSS: Clinician-Administered Dissociative States Scale, 23-item subjective form.

Present-state dissociation (Bremner et al. 1998), the form used in the ketamine and
esketamine literature. The item range is **unverified** ([U]: 0–4 per item, total 0–92,
is commonly stated but no source for the anchors was found), so the highest item value is
configurable (``max_item_score``). The CADSS-6 short form (items 1, 2, 6, 7, 15, 22; Rodrigues
et al. 2021) is reported as a subscale. No bands.

Examples
--------
>>> r = CADSS().score([1] * 23)
>>> r.total, r.subscales["cadss6"]
(23.0, 6.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ptsdrx.instruments._base import Instrument, Items, cite
from ptsdrx.instruments._errors import InstrumentError


@dataclass(frozen=True, kw_only=True)
class CADSS(Instrument):
    """CADSS calculator. ``max_item_score``: highest item value (``None``: data file's 4 [U])."""

    id = "cadss"
    max_item_score: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        value = self.max_item_score
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InstrumentError(self.id, "max_item_score", f"must be an integer, got {value!r}")
        if value is not None and not 1 <= value <= 10:
            raise InstrumentError(self.id, "max_item_score", f"must be 1–10, got {value!r}")

    def item_max(self) -> int:
        """Highest allowed item value: the configured one, else the data file's ([U])."""
        return self.spec.item_max if self.max_item_score is None else self.max_item_score

    def _interpret(
        self, items: Items | None, total: float | None, context: Mapping[str, Any]
    ) -> dict[str, Any]:
        details = super()._interpret(items, total, context)
        spec = self.spec
        details["item_range"] = (spec.item_min, self.item_max())
        details["sources"]["item_range"] = cite(
            spec.item_max_source or "", spec.item_max_verification
        )
        return details
