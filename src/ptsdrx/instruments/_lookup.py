"""The instrument registry: ``get(name)``, ``instruments()`` and ``score_administration``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ptsdrx.instruments._base import Instrument
from ptsdrx.instruments._bdi2 import BDI2
from ptsdrx.instruments._cadss import CADSS
from ptsdrx.instruments._caps5 import CAPS5
from ptsdrx.instruments._cssrs import CSSRS
from ptsdrx.instruments._errors import InstrumentError, UnknownInstrumentError
from ptsdrx.instruments._gad7 import GAD7
from ptsdrx.instruments._pcl5 import PCL5
from ptsdrx.instruments._phq9 import PHQ9
from ptsdrx.instruments._result import InstrumentResult
from ptsdrx.records import Administration

_CLASSES: dict[str, type[Instrument]] = {
    cls.id: cls for cls in (PCL5, CAPS5, PHQ9, GAD7, CSSRS, CADSS, BDI2)
}


def get(name: str, **options: Any) -> Instrument:
    """The instrument ``name``, configured with ``options`` (see ``Instrument.options()``).

    >>> get("pcl5", cutoff=31).effective_cutoff()
    31.0
    """
    try:
        cls = _CLASSES[name]
    except KeyError:
        raise UnknownInstrumentError(name, list(_CLASSES)) from None
    unknown = sorted(set(options) - set(cls.options()))
    if unknown:
        raise InstrumentError(
            name, unknown[0], f"unknown option; allowed: {', '.join(cls.options())}"
        )
    return cls(**options)


def instruments() -> dict[str, Instrument]:
    """Every registered instrument with its default configuration, by id."""
    return {name: cls() for name, cls in _CLASSES.items()}


def score_administration(adm: Administration, **options: Any) -> InstrumentResult:
    """Score a recorded administration: its item responses, else its recorded total.

    When both are present the items are scored and a disagreeing recorded total is reported
    (``details["recorded_total_mismatch"]``), not raised: raising would let a transcription
    slip hide the items' safety flags from callers that skip unscorable administrations.
    """
    inst = get(adm.instrument, **options)
    criteria: dict[str, bool] = {str(k): v for k, v in (adm.criteria or {}).items()}
    if criteria and not isinstance(inst, CAPS5):
        raise InstrumentError(
            adm.instrument, "criteria", "diagnostic criteria are recorded only for 'caps5'"
        )
    if adm.responses is None and adm.frequency is not None and adm.intensity is not None:
        if not isinstance(inst, CAPS5):
            raise InstrumentError(
                adm.instrument,
                "frequency/intensity",
                "frequency and intensity ratings are scored only for 'caps5'",
            )
        return inst.score_ratings(adm.frequency, adm.intensity, **criteria)
    if adm.responses is None:
        assert adm.total is not None  # the record guarantees one of the three
        return inst.score_total(adm.total)
    result = inst.score(adm.responses, **criteria) if criteria else inst.score(adm.responses)
    if adm.total is None or result.total is None or abs(result.total - adm.total) < 1e-9:
        return result
    details = {**result.details, "recorded_total": adm.total, "recorded_total_mismatch": True}
    return replace(result, details=details)
