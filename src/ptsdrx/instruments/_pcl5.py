"""PCL-5: PTSD Checklist for DSM-5 (Weathers et al., National Center for PTSD).

20 items 0–4, total 0–80; clusters B (1–5), C (6–7), D (8–14), E (15–20); provisional
DSM-5 diagnosis by symptom counts (item >= 2 endorsed); a configurable cut-point (31–33,
default 33; Bovin et al. 2016) reported as ``above_cutoff``. No severity bands: none are
validated (comorbidityguidelines.org.au). Numbers live in ``data/instruments.yaml``.

Examples
--------
>>> r = PCL5().score([2] * 20)
>>> r.total, r.details["provisional_diagnosis"], r.details["above_cutoff"]
(40.0, True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ptsdrx.instruments._base import Instrument, Items, cite
from ptsdrx.instruments._dsm5 import symptom_criteria
from ptsdrx.instruments._errors import InstrumentError


@dataclass(frozen=True, kw_only=True)
class PCL5(Instrument):
    """PCL-5 calculator. ``cutoff``: probable-PTSD cut-point (``None``: the data file's 33)."""

    id = "pcl5"
    cutoff: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        spec = self.spec.cutoff
        assert spec is not None
        lo, hi = spec.allowed
        if self.cutoff is not None and (
            isinstance(self.cutoff, bool) or not lo <= self.cutoff <= hi
        ):
            raise InstrumentError(
                self.id, "cutoff", f"must be between {lo:g} and {hi:g}, got {self.cutoff!r}"
            )

    def effective_cutoff(self) -> float:
        """The cut-point in force."""
        assert self.spec.cutoff is not None
        return self.spec.cutoff.default if self.cutoff is None else float(self.cutoff)

    def _interpret(
        self, items: Items | None, total: float | None, context: Mapping[str, Any]
    ) -> dict[str, Any]:
        details = super()._interpret(items, total, context)
        spec = self.spec
        assert spec.cutoff is not None and spec.diagnosis is not None
        cutoff = self.effective_cutoff()
        if items is None:
            diagnosis, endorsed = None, None
        else:
            diagnosis, endorsed = symptom_criteria(spec, items)
        details.update(
            provisional_diagnosis=diagnosis,
            above_cutoff=self.at_least(items, total, cutoff),
            cutoff=cutoff,
            endorsed_per_cluster=endorsed,
        )
        details["sources"].update(
            provisional_diagnosis=cite(spec.diagnosis.source, spec.diagnosis.verification),
            cutoff=cite(spec.cutoff.source, spec.cutoff.verification),
        )
        return details
