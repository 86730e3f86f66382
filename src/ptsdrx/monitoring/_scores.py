"""The one place monitoring talks to :mod:`ptsdrx.instruments` (scoring and change metrics)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ptsdrx.instruments import change, score_administration
from ptsdrx.records import Administration


@dataclass(frozen=True)
class Scored:
    """A scored administration: total (``None`` when it cannot be computed) and flags."""

    total: float | None
    flags: tuple[str, ...]


def score(adm: Administration) -> Scored:
    """Score one administration (item responses, else the recorded total)."""
    result = score_administration(adm)
    return Scored(total=result.total, flags=tuple(result.flags))


def change_fields(
    before: float, after: float, instrument: str, names: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Selected ``ChangeResult`` fields and its full JSON rendering (with sources)."""
    result = change(before, after, instrument=instrument)
    return {n: getattr(result, n) for n in names}, result.to_dict()


def instrument_cutoff(instrument: str, total: float) -> float | None:
    """The remission cut-point the instruments module uses (``None`` when it has none)."""
    value = change(total, total, instrument=instrument).thresholds.get("cutoff")
    return None if value is None else float(value)
