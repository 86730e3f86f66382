"""The value types of a trajectory: a scored point and a relapse event (a leaf module).

They live apart from the code that builds them so the imports run one way:
``_relapse`` reads points, ``_trajectory`` builds points and calls ``_relapse``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class TrajectoryPoint:
    """One administration on the trajectory, with its change from baseline.

    ``change`` is positive when the score rose (worse on every ptsdrx symptom scale);
    ``percent_change`` is relative to the baseline total; ``direction`` is the instruments
    module's reading of the RCI (``improved``, ``worsened``, ``no_reliable_change``);
    ``metrics`` is the full ``ChangeResult`` rendering (with sources), empty at baseline.
    """

    date: date
    total: float | None
    days_from_baseline: int | None
    context: str | None = None
    flags: tuple[str, ...] = ()
    is_baseline: bool = False
    change: float | None = None
    percent_change: float | None = None
    response: bool | None = None
    remission: bool | None = None
    reliable_change: bool | None = None
    direction: str | None = None
    metrics: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "date": self.date.isoformat(),
            "total": self.total,
            "days_from_baseline": self.days_from_baseline,
            "context": self.context,
            "flags": list(self.flags),
            "is_baseline": self.is_baseline,
            "change": self.change,
            "percent_change": self.percent_change,
            "response": self.response,
            "remission": self.remission,
            "reliable_change": self.reliable_change,
            "direction": self.direction,
            "metrics": dict(self.metrics),
        }


@dataclass(frozen=True)
class RelapseEvent:
    """The first relapse on a trajectory and why it counts as one."""

    date: _dt.date
    confirmed_on: _dt.date
    criterion: str
    after_state: str
    well_since: _dt.date
    days_well: int
    nadir: float
    total: float
    description: str
    source: str
    verification: str

    def summary(self) -> str:
        """One line: when, which criterion, from what to what."""
        return (
            f"relapse on {self.date} ({self.criterion}: {self.description}); total "
            f"{self.total:g} vs best {self.nadir:g}; well since {self.well_since} "
            f"({self.days_well} days) after {self.after_state} [{self.verification}]"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = dict(self.__dict__)
        out["date"] = self.date.isoformat()
        out["confirmed_on"] = self.confirmed_on.isoformat()
        out["well_since"] = self.well_since.isoformat()
        return out
