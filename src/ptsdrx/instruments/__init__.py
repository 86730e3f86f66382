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

from ptsdrx.instruments._base import Instrument, cite
from ptsdrx.instruments._bdi2 import BDI2
from ptsdrx.instruments._cadss import CADSS
from ptsdrx.instruments._caps5 import CAPS5
from ptsdrx.instruments._caps5 import severity as caps5_severity
from ptsdrx.instruments._change import ChangeResult, PublishedChange, change
from ptsdrx.instruments._cssrs import CSSRS
from ptsdrx.instruments._errors import InstrumentError, InstrumentFileError, UnknownInstrumentError
from ptsdrx.instruments._gad7 import GAD7
from ptsdrx.instruments._lookup import get, instruments, score_administration
from ptsdrx.instruments._pcl5 import PCL5
from ptsdrx.instruments._phq9 import PHQ9
from ptsdrx.instruments._result import InstrumentResult

__all__ = [
    "BDI2",
    "CADSS",
    "CAPS5",
    "CSSRS",
    "GAD7",
    "PCL5",
    "PHQ9",
    "ChangeResult",
    "Instrument",
    "InstrumentError",
    "InstrumentFileError",
    "InstrumentResult",
    "PublishedChange",
    "UnknownInstrumentError",
    "caps5_severity",
    "change",
    "cite",
    "get",
    "instruments",
    "score_administration",
]
