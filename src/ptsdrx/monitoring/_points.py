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
from typing import Annotated, Any

from pydantic import PlainSerializer

from ptsdrx._results import Result

#: A read-only mapping (``MappingProxyType``) that serialises as a plain dict.
ReadOnlyMap = Annotated[Mapping[str, Any], PlainSerializer(dict, return_type=dict[str, Any])]


@dataclass(frozen=True)
class TrajectoryPoint(Result):
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
    metrics: ReadOnlyMap = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class RelapseEvent(Result):
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

    def to_text(self) -> str:
        """One line: when, which criterion, from what to what."""
        return (
            f"relapse on {self.date} ({self.criterion}: {self.description}); total "
            f"{self.total:g} vs best {self.nadir:g}; well since {self.well_since} "
            f"({self.days_well} days) after {self.after_state} [{self.verification}]"
        )
