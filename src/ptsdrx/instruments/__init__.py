"""Validated instruments: PCL-5, CAPS-5, PHQ-9, GAD-7, C-SSRS screener, CADSS, BDI-II.

Each instrument is a small pure calculator over item responses; every clinical number it
uses (items, ranges, clusters, bands, cut-points, LOINC codes, change thresholds) is read
from ``data/instruments.yaml`` with its source (FACTS.md sections 1–4).

Examples
--------
>>> from ptsdrx.instruments import get
>>> r = get("pcl5").score([2] * 20)
>>> r.total, r.subscales["B"], r.details["provisional_diagnosis"]
(40.0, 10.0, True)
"""

from ptsdrx.instruments.base import Instrument
from ptsdrx.instruments.caps5 import severity as caps5_severity
from ptsdrx.instruments.change import ChangeResult, PublishedChange, change
from ptsdrx.instruments.errors import InstrumentError, UnknownInstrumentError
from ptsdrx.instruments.registry import get, instruments, score_administration
from ptsdrx.instruments.result import InstrumentResult

__all__ = [
    "ChangeResult",
    "Instrument",
    "InstrumentError",
    "InstrumentResult",
    "PublishedChange",
    "UnknownInstrumentError",
    "caps5_severity",
    "change",
    "get",
    "instruments",
    "score_administration",
]
