"""Apply a site's screening settings: tighten thresholds, escalate effects, add local rules.

The site file itself is :class:`ptsdrx.site.SiteConfig` (one typed file for screening,
monitoring and safety texts). Here its screening sections change a rule set, under the site
rules of :mod:`ptsdrx.site`: a threshold only ever gets stricter (:func:`ptsdrx.site.tighten`)
and an effect only ever stronger (:func:`ptsdrx.site.escalate`: note < caution <
caution_major < exclude < contraindicated; ``hold`` is off the ladder, ``contraindicated``
can never be loosened). A plain list under ``escalate`` makes each rule at least ``exclude``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

from ptsdrx.screening._errors import RuleFileError
from ptsdrx.screening._result import RuleEffect
from ptsdrx.screening._rules import RawRule, Rule, RuleSet, build_rules, validated
from ptsdrx.site import SiteConfig, SiteError, check_site, escalate, tighten


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
        unit = f" {spec.unit}" if spec.unit else ""
        try:
            values[name] = tighten(
                f"parameters.{name}", spec.default, value, spec.stricter, unit=unit
            )
        except SiteError as exc:
            raise RuleFileError(f"{where}: {exc}") from exc
    core = {r.id: r for r in rules.rules}
    targets = _escalations(site, core, where)
    escalated = tuple(
        dataclasses.replace(r, effect=targets[r.id], origin=f"{r.origin}, escalated by {site.site}")
        if r.id in targets and targets[r.id] != r.effect
        else r
        for r in rules.rules
    )
    raws = [validated(RawRule, raw, f"{where}: rules[{i}]") for i, raw in enumerate(site.rules)]
    local = build_rules(
        raws,
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


def _escalations(site: SiteConfig, core: dict[str, Rule], where: str) -> dict[str, RuleEffect]:
    """The new effect per escalated rule; refuses unknown rules, hold and any loosening."""
    wanted: dict[str, str | None] = (
        dict(site.escalate) if isinstance(site.escalate, dict) else dict.fromkeys(site.escalate)
    )
    out: dict[str, RuleEffect] = {}
    for rid, target in wanted.items():
        rule = core.get(rid)
        if rule is None:
            raise RuleFileError(
                f"{where}: escalate: unknown rule {rid!r}; allowed: {', '.join(core)}"
            )
        if target is None:  # list form: at least an exclusion
            strong = ("exclude", "contraindicated", "hold")
            target = rule.effect if rule.effect in strong else "exclude"
        try:
            out[rid] = escalate(f"escalate.{rid}", rule.effect, target)  # type: ignore[assignment]
        except SiteError as exc:
            raise RuleFileError(f"{where}: {exc}") from exc
    return out


def load_site(path: str | Path) -> SiteConfig:
    """Read and check a site file (every section; errors name the field)."""
    try:
        return check_site(path)
    except SiteError as exc:
        raise RuleFileError(str(exc)) from exc
