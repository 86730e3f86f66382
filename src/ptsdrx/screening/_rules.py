"""The screening rule set: rules, parameters and treatment groups, read from YAML.

The packaged file is ``ptsdrx/screening/data/rules.yaml``. Every rule carries the treatments
it applies to, a condition in the :mod:`ptsdrx.screening._language`, its graded effect
(``contraindicated``, ``exclude``, ``hold``, ``caution_major``, ``caution`` or ``note``; see
:mod:`ptsdrx.screening._result`), a plain-language rationale, a source and a verification tag
(``[V]``, ``[V2]``, ``[U]``, ``[D]`` as in FACTS.md). Thresholds are parameters with a default,
a unit and the direction that is stricter, so a site can tighten but never loosen them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ptsdrx.records import format_validation_error
from ptsdrx.screening._drugs import drug_classes
from ptsdrx.screening._errors import RuleFileError
from ptsdrx.screening._language import Context, Node, parse
from ptsdrx.screening._result import Effect, RuleOutcome

Verification = Literal["[V]", "[V2]", "[U]", "[D]"]
RULES_FILE = Path(__file__).resolve().parent / "data" / "rules.yaml"


class _Raw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParameterSpec(_Raw):
    """A site-adjustable threshold with its default and which direction is stricter."""

    default: float
    unit: str
    stricter: Literal["lower", "higher"]
    description: str
    source: str
    verification: Verification


class UrgentFlag(_Raw):
    """A record-level flag an instrument raises, with what staff must do about it."""

    instrument: Annotated[str, Field(min_length=1)]
    text: Annotated[str, Field(min_length=10)]
    suicide_risk: bool


class RawRule(_Raw):
    """A rule as written in a rules or site file (the condition still unparsed)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    applies_to: Annotated[list[str], Field(min_length=1)]
    effect: Effect
    when: dict[str, Any]
    rationale: Annotated[str, Field(min_length=10)]
    source: Annotated[str, Field(min_length=3)]
    verification: Verification
    note: str | None = None


class RawRuleFile(_Raw):
    """The whole rules file."""

    version: str
    treatments: Annotated[list[str], Field(min_length=1)]
    groups: dict[str, list[str]]
    urgent_flags: dict[str, UrgentFlag]
    parameters: dict[str, ParameterSpec]
    rules: Annotated[list[RawRule], Field(min_length=1)]


@dataclass(frozen=True)
class Rule:
    """One parsed rule, ready to evaluate."""

    id: str
    treatments: frozenset[str]
    effect: Effect
    when: Node
    rationale: str
    source: str
    verification: str
    origin: str

    def evaluate(self, ctx: Context) -> RuleOutcome:
        """Evaluate the condition into a traced outcome."""
        verdict = self.when.evaluate(ctx)
        outcome = {True: "fired", False: "not_fired", None: "unknown"}[verdict.value]
        return RuleOutcome(
            id=self.id,
            effect=self.effect,
            outcome=outcome,  # type: ignore[arg-type]
            rationale=self.rationale,
            source=self.source,
            verification=self.verification,
            missing=tuple(sorted(verdict.missing)) if verdict.value is None else (),
            origin=self.origin,
            until=verdict.until if verdict.value is True else None,
        )


@dataclass(frozen=True)
class RuleSet:
    """Rules plus the parameter values in force (defaults, or a site's tightened values)."""

    version: str
    treatments: tuple[str, ...]
    groups: Mapping[str, frozenset[str]]
    parameters: Mapping[str, ParameterSpec]
    values: Mapping[str, float]
    rules: tuple[Rule, ...]
    urgent_flags: Mapping[str, UrgentFlag]
    site: str | None = None

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (``KeyError`` listing the ids otherwise)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"unknown rule {rule_id!r}; known: {', '.join(r.id for r in self.rules)}")


def _validated(model: type[_Raw], data: Any, where: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RuleFileError(f"{where}: invalid\n{format_validation_error(exc)}") from exc


def build_rules(
    raws: list[RawRule],
    *,
    where: str,
    treatments: tuple[str, ...],
    groups: Mapping[str, frozenset[str]],
    parameters: Mapping[str, ParameterSpec],
    origin: str,
    taken: frozenset[str] = frozenset(),
) -> tuple[Rule, ...]:
    """Parse and check raw rules: unique ids, known treatments/groups and parameters."""
    drugs = drug_classes()
    seen = set(taken)
    built = []
    for i, raw in enumerate(raws):
        at = f"{where}: rules[{i}] ({raw.id})"
        if raw.id in seen:
            raise RuleFileError(f"{at}: duplicate rule id {raw.id!r}")
        seen.add(raw.id)
        targets: set[str] = set()
        for name in raw.applies_to:
            if name in groups:
                targets |= groups[name]
            elif name in treatments:
                targets.add(name)
            else:
                allowed = ", ".join([*treatments, *groups])
                raise RuleFileError(f"{at}.applies_to: unknown {name!r}; allowed: {allowed}")
        when = parse(raw.when, f"{at}.when", drugs)
        unknown = sorted(when.params() - set(parameters))
        if unknown:
            raise RuleFileError(
                f"{at}.when: unknown parameter(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(parameters))}"
            )
        built.append(
            Rule(
                raw.id,
                frozenset(targets),
                raw.effect,
                when,
                " ".join(raw.rationale.split()),
                " ".join(raw.source.split()),
                raw.verification,
                origin,
            )
        )
    return tuple(built)


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load a rules file (the packaged one by default) and check every rule."""
    if path is None:
        return _default_rules()
    return _load(Path(path))


@cache
def _default_rules() -> RuleSet:
    return _load(RULES_FILE)


def _load(path: Path) -> RuleSet:
    raw: RawRuleFile = _validated(
        RawRuleFile, yaml.safe_load(path.read_text(encoding="utf-8")), str(path)
    )
    treatments = tuple(raw.treatments)
    groups: dict[str, frozenset[str]] = {}
    for name, members in raw.groups.items():
        bad = sorted(set(members) - set(treatments))
        if bad or name in treatments:
            raise RuleFileError(
                f"{path}: groups.{name}: unknown treatment(s) {bad} or group named like a "
                f"treatment; allowed treatments: {', '.join(treatments)}"
            )
        groups[name] = frozenset(members)
    rules = build_rules(
        raw.rules,
        where=str(path),
        treatments=treatments,
        groups=groups,
        parameters=raw.parameters,
        origin="core",
    )
    return RuleSet(
        version=raw.version,
        treatments=treatments,
        groups=MappingProxyType(groups),
        parameters=MappingProxyType(dict(raw.parameters)),
        values=MappingProxyType({k: p.default for k, p in raw.parameters.items()}),
        rules=rules,
        urgent_flags=MappingProxyType(dict(raw.urgent_flags)),
    )
