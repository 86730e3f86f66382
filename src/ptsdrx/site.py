"""Site configuration: one typed file for screening, sessions, follow-up and safety texts.

A site file is YAML::

    site: Example PTSD clinic
    parameters: {bp_systolic_max_mmhg: 135}        # screening thresholds, only ever stricter
    escalate: {prazosin_beta_blocker: caution_major}  # screening effects, only ever stronger
    rules: [...]                                   # local screening rules (rules-file schema)
    session_rules: {overrides: {...}, add: [...]}  # dosing-session alerts (ptsdrx.monitoring)
    followup: {overrides: {...}, add: [...], set: {...}}   # follow-up rules (ptsdrx.monitoring)
    safety: {crisis: [...]}                        # crisis texts per jurisdiction and language

:class:`SiteConfig` types the whole file; :func:`check_site` reads it and has screening and
monitoring check their sections, so a typo anywhere is an error naming the field. One rule,
:func:`tighten`, says what a site may change about a threshold: only make it stricter (and
:func:`escalate` the same for a screening rule's effect). The safety texts follow CamCOPS
issue #382's design: institution-specific text, one per language, required to be provided by
the site and shown whenever a risk item is positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from ptsdrx._datafiles import DataFileError, Frozen, load

__all__ = [
    "LADDER",
    "CrisisText",
    "FollowupSection",
    "MonitoringSection",
    "SafetyTexts",
    "SiteConfig",
    "SiteError",
    "Stricter",
    "check_site",
    "crisis_text",
    "escalate",
    "read_site",
    "tighten",
]

Stricter = Literal["lower", "higher"]
#: The escalation ladder of screening effects, weakest first; a site may only move a rule up.
LADDER = ("note", "caution", "caution_major", "exclude", "contraindicated")


class SiteError(DataFileError):
    """A site file asks for something a site may not do, or is malformed."""


def tighten(
    name: str,
    default: float,
    value: float,
    stricter: Stricter,
    *,
    unit: str = "",
    qualifier: str = "",
) -> float:
    """``value`` if it is at least as strict as ``default``; a :class:`SiteError` otherwise.

    ``stricter`` says which direction is stricter (``"lower"``: a lower blood-pressure limit
    alerts sooner). The one rule for every site threshold, in screening and monitoring alike.

    >>> tighten("bp", 140, 135, "lower")
    135
    >>> try:
    ...     tighten("washout_days", 14, 7, "higher", unit=" days")
    ... except SiteError as exc:
    ...     print(str(exc).split(";")[1])
     a site may only tighten it (allowed: >= 14)
    """
    looser = value > default if stricter == "lower" else value < default
    if looser:
        bound = "<=" if stricter == "lower" else ">="
        words = f"{qualifier} default" if qualifier else "default"
        raise SiteError(
            f"{name} = {value:g}{unit} would loosen the {words} {default:g}; a site may only "
            f"tighten it (allowed: {bound} {default:g})"
        )
    return value


def escalate(name: str, current: str, target: str) -> str:
    """``target`` if it is at least as strong as ``current`` on :data:`LADDER`; else an error.

    ``hold`` (the suicide-risk hold) is not on the ladder: it can be neither escalated nor
    a target. ``contraindicated`` is the top, so it can never be loosened.
    """
    if current not in LADDER or target not in LADDER:
        bad = "hold" if "hold" in (current, target) else target
        raise SiteError(
            f"{name}: {bad!r} is not on the escalation ladder; allowed: {' < '.join(LADDER)}"
        )
    if LADDER.index(target) < LADDER.index(current):
        raise SiteError(
            f"{name}: {target!r} would loosen {current!r}; a site may only escalate "
            f"(allowed: {', '.join(LADDER[LADDER.index(current) :])})"
        )
    return target


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


class MonitoringSection(Frozen):
    """A monitoring rule file's site section: overrides by rule id, and added rules.

    The entries themselves are checked by :mod:`ptsdrx.monitoring` against its rule schema.
    """

    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    add: list[dict[str, Any]] = Field(default_factory=list)


class FollowupSection(MonitoringSection):
    """The follow-up section: also ``set`` for the states, relapse and cut-point blocks."""

    set: dict[str, Any] = Field(default_factory=dict)


class SiteConfig(Frozen):
    """A site file, typed: screening, dosing-session, follow-up and safety sections."""

    site: str = Field(min_length=1, description="The site's name, shown on every result.")
    parameters: dict[str, float] = Field(
        default_factory=dict, description="Screening thresholds, each only ever stricter."
    )
    escalate: list[str] | dict[str, str] = Field(
        default_factory=list,
        description=(
            "Screening rules to make stricter: a mapping to the new effect, or a list (each "
            "to 'exclude'). Order: note < caution < caution_major < exclude < contraindicated."
        ),
    )
    rules: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Local screening rules, in the rules-file schema (ptsdrx schema rules).",
    )
    session_rules: MonitoringSection | None = Field(
        None, description="Dosing-session alert settings, read by ptsdrx.monitoring."
    )
    followup: FollowupSection | None = Field(
        None, description="Follow-up rule settings, read by ptsdrx.monitoring."
    )
    safety: SafetyTexts | None = Field(
        None, description="Crisis texts per jurisdiction and language."
    )


def read_site(path: str | Path) -> SiteConfig:
    """Read and type a site file (each section's own checks are :func:`check_site`'s)."""
    return load(SiteConfig, Path(path), error=SiteError)


def check_site(path: str | Path) -> SiteConfig:
    """Read a site file and have screening and monitoring check their sections.

    Errors name the file and field; a site that would loosen anything is refused.
    """
    from ptsdrx.monitoring import ConfigError, load_followup_rules, load_session_rules
    from ptsdrx.screening import apply_site, load_rules

    site = read_site(path)
    try:
        apply_site(load_rules(), site)
        load_session_rules(site)
        load_followup_rules(site)
    except (ConfigError, DataFileError) as exc:
        raise SiteError(f"{path}: {exc}") from exc
    return site
