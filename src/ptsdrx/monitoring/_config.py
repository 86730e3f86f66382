"""Load the monitoring rule files and apply a site's overrides.

The rules are data (``data/followup.yaml``, ``data/session_rules.yaml``), each entry with a
source and a verification tag from ``shared/clinical/FACTS.md``. A site changes them with a
mapping or a YAML file of the shape::

    session_rules:            # or followup: {...} for the follow-up rules
      overrides:
        bp_pause_180_110_twice: {limits: {systolic: {above: 170}, diastolic: {above: 105}}}
        spo2_below_92: {enabled: false}
      add: [ ...new rules with the same fields... ]

Overriding a rule keeps its id and marks it ``site`` so alerts say the number came from the
site, not from the shipped default. Verified ([V], label-backed) session rules may only be
tightened (the one site rule, :func:`ptsdrx.site.tighten`), never loosened or disabled;
unverified ([U]) ones are the site's to set. The site file is the typed
:class:`ptsdrx.site.SiteConfig`; these loaders read its ``session_rules`` and ``followup``
sections.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ptsdrx._datafiles import DataFileError, read_yaml
from ptsdrx.site import (
    FollowupSection,
    MonitoringSection,
    SiteConfig,
    SiteError,
    Stricter,
    tighten,
)

Verification = Literal["V", "V2", "U", "D", "site"]
Measure = Literal["systolic", "diastolic", "heart_rate", "spo2", "temperature_c", "cadss"]
Window = Literal["pre_dose", "post_dose", "any"]


class ConfigError(ValueError):
    """A rule file or site setting is malformed; the message names the entry and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_M = TypeVar("_M", bound=_Strict)


class Limit(_Strict):
    """One limit on one measure: strictly above, strictly below, or a rise of at least."""

    above: float | None = None
    below: float | None = None
    rise: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Limit:
        if sum(v is not None for v in (self.above, self.below, self.rise)) != 1:
            raise ValueError("a limit needs exactly one of 'above', 'below' or 'rise'")
        return self


class SessionRule(_Strict):
    """One dosing-session rule (threshold, rise, required reading or observation time)."""

    id: str = Field(min_length=1)
    kind: Literal["threshold", "rise", "required", "observation"]
    treatments: tuple[str, ...] | None = None
    enabled: bool = True
    window: Window = "any"
    limits: dict[Measure, Limit] = Field(default_factory=dict)
    consecutive: int = Field(1, ge=1, le=10)
    within_minutes: float | None = Field(None, gt=0)
    measures: tuple[Measure, ...] = ()
    at_minutes: float | None = Field(None, ge=0)
    tolerance_minutes: float = Field(10.0, ge=0)
    min_minutes: float | None = Field(None, gt=0)
    severity: Literal["info", "caution", "pause", "urgent"] = "caution"
    action: str = ""
    description: str = ""
    source: str = Field(min_length=1)
    verification: Verification

    @model_validator(mode="after")
    def _shape(self) -> SessionRule:
        need = {
            "threshold": bool(self.limits) and all(v.rise is None for v in self.limits.values()),
            "rise": bool(self.limits) and all(v.rise is not None for v in self.limits.values()),
            "required": bool(self.measures) and self.window != "any",
            "observation": self.min_minutes is not None,
        }[self.kind]
        if not need:
            raise ValueError(
                f"rule {self.id!r} of kind {self.kind!r} is incomplete: threshold needs "
                "'limits' with above/below, rise needs 'limits' with rise, required needs "
                "'measures' and window pre_dose/post_dose, observation needs 'min_minutes'"
            )
        return self

    def applies_to(self, treatment: str) -> bool:
        """Whether this rule is in force for a treatment."""
        return self.enabled and (self.treatments is None or treatment in self.treatments)


class SessionRules(_Strict):
    """All dosing-session rules in force at a site."""

    rules: tuple[SessionRule, ...]

    def for_treatment(self, treatment: str) -> tuple[SessionRule, ...]:
        """Enabled rules that apply to a treatment, in file order."""
        return tuple(r for r in self.rules if r.applies_to(treatment))


class StateRule(_Strict):
    """Which ``ChangeResult`` field defines a state (response, remission, reliable change)."""

    field: str = Field(min_length=1)
    description: str
    source: str = Field(min_length=1)
    verification: Verification


class RelapseCriterion(_Strict):
    """One way of relapsing, and after which states it applies."""

    id: Literal["return_above_cutpoint", "reliable_worsening", "loss_of_response"]
    enabled: bool = True
    after: tuple[Literal["response", "remission"], ...]
    description: str
    source: str = Field(min_length=1)
    verification: Verification


class RelapseRules(_Strict):
    """Relapse criteria and how many consecutive assessments confirm one."""

    criteria: tuple[RelapseCriterion, ...]
    confirm: int = Field(1, ge=1, le=5)
    confirm_source: str
    confirm_verification: Verification


class Cutpoint(_Strict):
    """A cut-point drawn on plots."""

    value: float
    source: str = Field(min_length=1)
    verification: Verification


class SuggestionRule(_Strict):
    """A re-assessment, booster-review, check-in or safety-review prompt."""

    id: str = Field(min_length=1)
    kind: Literal["reassess", "booster_review", "check_in", "safety_review"]
    treatments: tuple[str, ...] | None = None
    enabled: bool = True
    trigger: Literal["after_last_dosing_session", "relapse", "gap", "safety_flag"]
    requires_state: Literal["response", "remission"] | None = None
    days: float | None = Field(None, gt=0)
    lead_days: float = Field(0, ge=0)
    flags: tuple[str, ...] = ()
    message: str = Field(min_length=1)
    source: str = Field(min_length=1)
    verification: Verification

    @model_validator(mode="after")
    def _shape(self) -> SuggestionRule:
        if self.trigger in ("after_last_dosing_session", "gap") and self.days is None:
            raise ValueError(f"suggestion {self.id!r} with trigger {self.trigger!r} needs 'days'")
        if self.trigger == "safety_flag" and not self.flags:
            raise ValueError(f"suggestion {self.id!r} with trigger 'safety_flag' needs 'flags'")
        return self


class FollowupRules(_Strict):
    """Definitions of states, relapse criteria, plot cut-points and suggestion rules."""

    states: dict[Literal["response", "remission", "reliable_change"], StateRule]
    relapse: RelapseRules
    cutpoints: dict[str, Cutpoint]
    suggestions: tuple[SuggestionRule, ...]


SiteSpec = Mapping[str, Any] | str | Path | SiteConfig | SessionRules | FollowupRules | None


def _read_yaml(name: str) -> dict[str, Any]:
    text = resources.files("ptsdrx.monitoring").joinpath("data", name).read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: expected a mapping at the top level")
    return data


_SECTIONS: dict[str, type[MonitoringSection]] = {
    "session_rules": MonitoringSection,
    "followup": FollowupSection,
}


def _site_section(site: SiteSpec, section: str) -> dict[str, Any]:
    """The part of a site spec for one rule file ({} when the site does not change it).

    A path is read as the typed site file (:func:`ptsdrx.site.read_site`); a mapping's
    section is checked against the same typed section model.
    """
    if site is None or isinstance(site, SessionRules | FollowupRules):
        return {}
    if isinstance(site, str | Path):
        try:
            loaded = read_yaml(Path(site)) or {}
        except DataFileError as exc:
            raise ConfigError(f"site file {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"site file {site}: expected a mapping at the top level")
        site = loaded
    if isinstance(site, SiteConfig):
        typed = getattr(site, section)
    else:
        block = site.get(section)
        if block is None:
            return {}
        model = _SECTIONS[section]
        if not isinstance(block, Mapping):
            raise ConfigError(
                f"site.{section}: expected a mapping with keys {sorted(model.model_fields)}"
            )
        unknown = set(block) - set(model.model_fields)
        if unknown:
            raise ConfigError(
                f"site.{section}: unknown keys {sorted(unknown)}; "
                f"allowed: {sorted(model.model_fields)}"
            )
        try:
            typed = model.model_validate(block)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"site.{section}: {problems}") from exc
    return {} if typed is None else typed.model_dump(exclude_defaults=True)


def _deep_merge(base: dict[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in change.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _apply_site(
    entries: list[dict[str, Any]], block: Mapping[str, Any], section: str
) -> list[dict[str, Any]]:
    by_id = {e["id"]: i for i, e in enumerate(entries)}
    out = list(entries)
    for rule_id, change in (block.get("overrides") or {}).items():
        if rule_id not in by_id:
            raise ConfigError(
                f"site.{section}.overrides: unknown rule {rule_id!r}; allowed: {sorted(by_id)}"
            )
        if not isinstance(change, Mapping):
            raise ConfigError(f"site.{section}.overrides.{rule_id}: expected a mapping")
        merged = _deep_merge(out[by_id[rule_id]], change)
        if section == "session_rules" and out[by_id[rule_id]].get("verification") == "V":
            _refuse_loosening(out[by_id[rule_id]], merged, f"site.{section}.overrides.{rule_id}")
        if set(change) - {"enabled"}:
            merged["verification"] = "site"
            merged["source"] = f"site setting (shipped default: {out[by_id[rule_id]]['source']})"
        out[by_id[rule_id]] = merged
    for new in block.get("add") or []:
        if not isinstance(new, Mapping) or new.get("id") in by_id:
            raise ConfigError(f"site.{section}.add: each entry needs a new unique 'id'")
        out.append(dict(new))
    return out


def _refuse_loosening(default: Mapping[str, Any], new: Mapping[str, Any], where: str) -> None:
    """A site may tighten a verified ([V]) session rule, never loosen or disable it."""
    if new.get("enabled", True) is False:
        raise ConfigError(f"{where}: a verified [V] rule cannot be disabled by a site")
    checks: list[tuple[str, Any, Any, Stricter]] = []
    limit_keys: tuple[tuple[str, Stricter], ...] = (
        ("above", "lower"),
        ("below", "higher"),
        ("rise", "lower"),
    )
    time_keys: tuple[tuple[str, Stricter], ...] = (
        ("min_minutes", "higher"),
        ("tolerance_minutes", "lower"),
    )
    for measure, limit in (default.get("limits") or {}).items():
        got = (new.get("limits") or {}).get(measure, {})
        for key, stricter in limit_keys:
            if key in limit:
                checks.append((f"limits.{measure}.{key}", limit[key], got.get(key), stricter))
    for key, stricter in time_keys:
        if key in default:
            checks.append((key, default[key], new.get(key), stricter))
    for name, old, value, stricter in checks:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"{where}: {name} must be a number, got {value!r}")
        try:
            tighten(name, old, value, stricter, qualifier="verified")
        except SiteError as exc:
            raise ConfigError(f"{where}: {exc}") from exc


def _validated(model: type[_M], data: dict[str, Any], where: str) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{where}: {problems}") from exc


@cache
def _default_session_rules() -> SessionRules:
    return _validated(SessionRules, _read_yaml("session_rules.yaml"), "session_rules.yaml")


@cache
def _default_followup_rules() -> FollowupRules:
    return _validated(FollowupRules, _read_yaml("followup.yaml"), "followup.yaml")


def load_session_rules(site: SiteSpec = None) -> SessionRules:
    """Dosing-session rules in force: the shipped defaults changed by a site's settings.

    ``site`` is ``None`` (defaults), a mapping, a ``SessionRules`` or a YAML path with a
    ``session_rules`` section (``overrides`` by rule id and/or ``add``).
    """
    if isinstance(site, SessionRules):
        return site
    block = _site_section(site, "session_rules")
    if not block:
        return _default_session_rules()
    base = _read_yaml("session_rules.yaml")["rules"]
    return _validated(
        SessionRules, {"rules": _apply_site(base, block, "session_rules")}, "site.session_rules"
    )


def load_followup_rules(site: SiteSpec = None) -> FollowupRules:
    """Follow-up rules in force: shipped defaults changed by a site's ``followup`` section.

    Overrides address suggestion rules by id (``overrides: {rule_id: {...}}``); the states,
    relapse and cut-point blocks are changed with ``set: {relapse: {confirm: 2}}``.
    """
    if isinstance(site, FollowupRules):
        return site
    block = _site_section(site, "followup")
    if not block:
        return _default_followup_rules()
    data = _deep_merge(_read_yaml("followup.yaml"), block.get("set") or {})
    data["suggestions"] = _apply_site(data["suggestions"], block, "followup")
    return _validated(FollowupRules, data, "site.followup")
