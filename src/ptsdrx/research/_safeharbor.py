"""HIPAA Safe Harbor transforms: ZIP3, ages over 89, dates, keyed pseudonyms, free text.

Each function is one rule of 45 CFR 164.514(b)(2); ``docs/deidentification.md`` lists all
18 identifier classes and where each is handled.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal

from pydantic import Field

from ptsdrx._datafiles import Sourced, load, packaged

DateMode = Literal["year", "shift"]
AGE_TOP = 90
_ZIP = re.compile(r"^\s*(\d{3})\d{2}(?:-?\d{4})?\s*$")


class RestrictedZip3(Sourced):
    """The restricted three-digit ZIP prefixes with their source."""

    verification_note: str
    threshold_population: int = Field(gt=0)
    prefixes: tuple[str, ...]


@cache
def restricted_zip3() -> RestrictedZip3:
    """The packaged list (17 prefixes, 2000 Census, per HHS guidance)."""
    data = load(RestrictedZip3, packaged("ptsdrx.research", "restricted_zip3.yaml"))
    if len(data.prefixes) != 17 or any(not (p.isdigit() and len(p) == 3) for p in data.prefixes):
        raise ValueError("restricted_zip3.yaml: expected 17 three-digit prefixes")
    return data


def zip3(postal_code: str | None) -> str | None:
    """The first three digits of a US ZIP code, ``000`` for a restricted prefix, else ``None``.

    >>> zip3("97201"), zip3("03601"), zip3("AB1 2CD")
    ('972', '000', None)
    """
    if postal_code is None:
        return None
    m = _ZIP.match(postal_code)
    if m is None:
        return None
    prefix = m.group(1)
    return "000" if prefix in restricted_zip3().prefixes else prefix


def age_safe(age: int | None) -> int | None:
    """Ages over 89 become 90 (standing for "90 or older"); others unchanged."""
    if age is None:
        return None
    return min(age, AGE_TOP)


def age_group(age: int | None) -> str | None:
    """Five-year band (``40-44``), ``90+`` above 89: the quasi-identifier form of age."""
    if age is None:
        return None
    if age > 89:
        return "90+"
    lo = age - age % 5
    return f"{lo}-{lo + 4}"


def pseudonym(secret: bytes, patient_id: str) -> str:
    """Keyed pseudonym: HMAC-SHA256 of the internal id under a secret the export omits.

    Stable across exports with the same secret (re-exports link), unlinkable without it.
    """
    if len(secret) < 16:
        raise ValueError("the pseudonym secret must be at least 16 bytes")
    digest = hmac.new(secret, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return "r-" + digest[:20]


class DateShifter:
    """Dates for one export: year only, or shifted by a per-patient offset keeping intervals."""

    def __init__(self, mode: DateMode, offsets: dict[str, int]) -> None:
        self.mode = mode
        self.offsets = offsets

    def day(self, who: str, value: date | None) -> date | int | None:
        """A date as a year (``year`` mode) or shifted date (``shift`` mode)."""
        if value is None:
            return None
        if self.mode == "year":
            return value.year
        return value + timedelta(days=self.offsets[who])

    def instant(self, who: str, value: datetime | None) -> datetime | int | None:
        """A date-time as a year, or shifted (time of day kept, offset dropped)."""
        if value is None:
            return None
        if self.mode == "year":
            return value.year
        return value.replace(tzinfo=None) + timedelta(days=self.offsets[who])
