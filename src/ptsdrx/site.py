"""Site configuration: one typed file for screening, sessions, follow-up and safety texts.

This module is where a site's settings live. It starts with the safety texts (a clinic's
crisis line per jurisdiction and language, CamCOPS issue #382's design: institution-specific
text, one per language, required to be provided by the site and shown whenever a risk item is
positive). The screening, session and follow-up sections join it (the house issue).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field, model_validator

from ptsdrx._datafiles import Frozen

__all__ = ["CrisisText", "SafetyTexts", "crisis_text"]


class CrisisText(Frozen):
    """What staff and patient are shown when a suicide-risk flag fires, for one place and language.

    ``jurisdiction`` is an ISO 3166 code (``US``, ``US-OR``, ``AU``); a country code also
    covers its subdivisions. ``language`` is a BCP 47 primary tag (``en``, ``es``).
    """

    jurisdiction: str = Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}$")
    text: str = Field(min_length=10, description="Crisis line and immediate steps, in full.")
    source: str = Field(min_length=3, description="Who approved the text (site protocol, date).")


class SafetyTexts(Frozen):
    """The ``safety`` section of a site file: at least one crisis text, no two for one place."""

    crisis: tuple[CrisisText, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SafetyTexts:
        keys = [(c.jurisdiction, c.language) for c in self.crisis]
        dup = sorted({f"{j}/{lang}" for j, lang in keys if keys.count((j, lang)) > 1})
        if dup:
            raise ValueError(f"more than one crisis text for {', '.join(dup)}")
        return self

    def for_patient(self, jurisdiction: str | None, language: str | None) -> CrisisText | None:
        """The crisis text for a patient; see :func:`crisis_text`."""
        return crisis_text(self.crisis, jurisdiction, language)


def crisis_text(
    texts: Sequence[CrisisText], jurisdiction: str | None, language: str | None = None
) -> CrisisText | None:
    """The best crisis text for a jurisdiction and language, or ``None`` when none fits.

    Order: the exact subdivision (``US-OR``), then its country (``US``); within a place, the
    patient's language, then English. No text for the place means ``None``: a crisis line of
    another country is worse than a loud "not configured".

    >>> t = [CrisisText(jurisdiction="US", text="Call or text 988 now.", source="site")]
    >>> crisis_text(t, "US-OR", "es").text
    'Call or text 988 now.'
    >>> crisis_text(t, "AU") is None
    True
    """
    if not jurisdiction:
        return None
    places = [jurisdiction]
    if "-" in jurisdiction:
        places.append(jurisdiction.split("-", 1)[0])
    languages = [language or "en"]
    if "en" not in languages:
        languages.append("en")
    for place in places:
        for lang in languages:
            for t in texts:
                if t.jurisdiction == place and t.language == lang:
                    return t
    return None
