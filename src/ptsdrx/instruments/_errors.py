"""Errors for bad instrument input: each names the instrument, the field and what is allowed."""

from __future__ import annotations

from ptsdrx._datafiles import DataFileError


class InstrumentFileError(DataFileError):
    """The instruments data file is malformed; the message names the instrument and field."""


class InstrumentError(ValueError):
    """Invalid responses, totals or options for an instrument.

    ``field`` names what was wrong (e.g. ``'responses'``, ``'item 3 (B3)'``, ``'cutoff'``).
    """

    def __init__(self, instrument: str, field: str, message: str) -> None:
        self.instrument = instrument
        self.field = field
        super().__init__(f"{instrument}: {field}: {message}")


class UnknownInstrumentError(KeyError):
    """An instrument id that is not in the registry; the message lists the allowed ids."""

    def __init__(self, name: str, allowed: list[str]) -> None:
        self.name = name
        self.allowed = tuple(allowed)
        super().__init__(f"unknown instrument {name!r}; allowed: {', '.join(allowed)}")

    def __str__(self) -> str:
        return str(self.args[0])
