"""Site configuration: tighten thresholds, escalate cautions, add local rules, no code.

A site file is YAML::

    site: Example PTSD clinic
    parameters:              # only in the stricter direction of each parameter
      bp_systolic_max_mmhg: 135
    escalate:                # note < caution < caution_major < exclude < contraindicated
      ketamine_hypertension_diagnosis: caution_major
    # (a plain list of rule ids escalates each to ``exclude``)
    rules:                   # same schema as the packaged rules file
      - id: local_mdma_age_floor
        applies_to: [mdma_at]
        effect: exclude
        when: {field: demographics.age, lt: 21}
        rationale: Local policy admits adults aged 21 or over only.
        source: Site protocol v3
        verification: "[U]"

A site can only make screening stricter: loosening a threshold is refused with an error
naming the parameter, its default and which direction is stricter, and so is an escalation to
a weaker effect (``contraindicated`` can never be loosened). ``hold`` is not on the ladder.

The ``safety`` section (:class:`ptsdrx.site.SafetyTexts`) holds the crisis text per
jurisdiction and language, carried into every screening result.

The same file also carries the site's dosing-session and follow-up settings (sections
``session_rules`` and ``followup``, read by :mod:`ptsdrx.monitoring`); ``load_site`` checks
them too, so one file configures a site and a typo anywhere in it is an error.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

import yaml
from pydantic import Field

from ptsdrx.screening._errors import RuleFileError
from ptsdrx.screening._result import Effect
from ptsdrx.screening._rules import (
    RawRule,
    Rule,
    RuleSet,
    _Raw,
    _validated,
    build_rules,
    load_rules,
)
from ptsdrx.site import SafetyTexts

#: The escalation ladder, weakest first; a site may only move a rule up it.
LADDER: tuple[Effect, ...] = ("note", "caution", "caution_major", "exclude", "contraindicated")


class SiteConfig(_Raw):
    """A validated site file."""

    site: Annotated[str, Field(min_length=1)]
    parameters: dict[str, float] = Field(default_factory=dict)
    escalate: list[str] | dict[str, Effect] = Field(
        default_factory=list,
        description=(
            "Rule ids to make stricter: a mapping to the new effect, or a list (each to "
            "'exclude'). Order: note < caution < caution_major < exclude < contraindicated."
        ),
    )
    rules: list[RawRule] = Field(default_factory=list)
    safety: SafetyTexts | None = Field(
        None, description="Crisis texts per jurisdiction and language (ptsdrx.site)."
    )
    session_rules: dict[str, Any] | None = Field(
        None, description="Dosing-session alert settings, read by ptsdrx.monitoring."
    )
    followup: dict[str, Any] | None = Field(
        None, description="Follow-up rule settings, read by ptsdrx.monitoring."
    )


def apply_site(rules: RuleSet, site: SiteConfig) -> RuleSet:
    """The rule set with a site's tightened parameters, escalations and local rules."""
    where = f"site {site.site!r}"
    values = dict(rules.values)
    for name, value in site.parameters.items():
        spec = rules.parameters.get(name)
        if spec is None:
            raise RuleFileError(
                f"{where}: parameters.{name}: unknown parameter; "
                f"allowed: {', '.join(sorted(rules.parameters))}"
            )
        looser = value > spec.default if spec.stricter == "lower" else value < spec.default
        if looser:
            bound = "<=" if spec.stricter == "lower" else ">="
            raise RuleFileError(
                f"{where}: parameters.{name}: {value:g} {spec.unit} would loosen the default "
                f"{spec.default:g}; a site may only tighten it (allowed: {bound} {spec.default:g})"
            )
        values[name] = value
    core = {r.id: r for r in rules.rules}
    targets = _escalations(site, core, where)
    escalated = tuple(
        dataclasses.replace(r, effect=targets[r.id], origin=f"{r.origin}, escalated by {site.site}")
        if r.id in targets and targets[r.id] != r.effect
        else r
        for r in rules.rules
    )
    local = build_rules(
        site.rules,
        where=where,
        treatments=rules.treatments,
        groups=rules.groups,
        parameters=rules.parameters,
        origin=site.site,
        taken=frozenset(core),
    )
    return dataclasses.replace(
        rules, values=MappingProxyType(values), rules=escalated + local, site=site.site
    )


def _escalations(site: SiteConfig, core: dict[str, Rule], where: str) -> dict[str, Effect]:
    """The new effect per escalated rule; refuses unknown rules, hold and any loosening."""
    wanted: dict[str, Effect | None] = (
        dict(site.escalate) if isinstance(site.escalate, dict) else dict.fromkeys(site.escalate)
    )
    out: dict[str, Effect] = {}
    for rid, target in wanted.items():
        rule = core.get(rid)
        if rule is None:
            raise RuleFileError(
                f"{where}: escalate: unknown rule {rid!r}; allowed: {', '.join(core)}"
            )
        if rule.effect == "hold" or target == "hold":
            raise RuleFileError(
                f"{where}: escalate.{rid}: 'hold' is not on the escalation ladder; "
                f"allowed: {' < '.join(LADDER)}"
            )
        current = LADDER.index(rule.effect)
        if target is None:  # list form: at least an exclusion
            out[rid] = LADDER[max(current, LADDER.index("exclude"))]
            continue
        if LADDER.index(target) < current:
            raise RuleFileError(
                f"{where}: escalate.{rid}: {target!r} would loosen {rule.effect!r}; a site may "
                f"only escalate (allowed: {', '.join(LADDER[current:])})"
            )
        out[rid] = target
    return out


def load_site(path: str | Path) -> SiteConfig:
    """Read and check a site file against the packaged rules (errors name the field)."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{p}: not valid YAML: {exc}") from exc
    site: SiteConfig = _validated(SiteConfig, raw, str(p))
    apply_site(load_rules(), site)
    _check_monitoring_sections(site, p)
    return site


def _check_monitoring_sections(site: SiteConfig, path: Path) -> None:
    """Validate the monitoring sections with monitoring's own loaders (errors name the field)."""
    from ptsdrx.monitoring import ConfigError, load_followup_rules, load_session_rules

    sections = {"session_rules": site.session_rules, "followup": site.followup}
    try:
        load_session_rules({k: v for k, v in sections.items() if v is not None})
        load_followup_rules({k: v for k, v in sections.items() if v is not None})
    except ConfigError as exc:
        raise RuleFileError(f"{path}: {exc}") from exc
