"""The screening rule set: rules, parameters and treatment groups, read from YAML.

The packaged file is ``ptsdrx/screening/data/rules.yaml``. Every rule carries the treatments
it applies to, a condition (:mod:`ptsdrx.screening._condition_schema`), its graded effect
(``contraindicated``, ``exclude``, ``hold``, ``caution_major``, ``caution`` or ``note``; see
:mod:`ptsdrx.screening._result`), a plain-language rationale, a source and a verification
tag (``[V]``, ``[V2]``, ``[U]``, ``[D]`` as in FACTS.md). Thresholds are parameters with a
default, a unit and the direction that is stricter, so a site can tighten but never loosen
them. :func:`rules_schema` publishes the file's JSON Schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_serializer, model_validator

from ptsdrx._datafiles import Frozen, Sourced, Verification, duplicates, packaged, read_yaml
from ptsdrx.screening._condition_schema import ConditionSpec, describe_condition_error
from ptsdrx.screening._errors import RuleFileError
from ptsdrx.screening._logic import EvaluationContext, Node
from ptsdrx.screening._result import RuleEffect, RuleOutcome

_Raw = Frozen  # the one immutable, extra="forbid" base of every file entry
_ID = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


def _tag(v: str) -> str:
    """FACTS.md's bracketed spelling of a verification tag, as results show it."""
    return f"[{v}]"


class ParameterSpec(Frozen):
    """A site-adjustable threshold with its default and which direction is stricter."""

    default: float
    unit: str
    stricter: Literal["lower", "higher"]
    description: str
    source: str
    verification: Verification

    @field_serializer("verification")
    def _bracketed(self, v: str) -> str:
        return _tag(v)


class UrgentFlag(Frozen):
    """A record-level flag an instrument raises, with what staff must do about it."""

    instrument: Annotated[str, Field(min_length=1)]
    text: Annotated[str, Field(min_length=10)]
    suicide_risk: bool


class RawRule(Sourced):
    """A rule as written in a rules or site file."""

    id: _ID
    applies_to: Annotated[list[str], Field(min_length=1)]
    effect: RuleEffect
    when: ConditionSpec
    rationale: Annotated[str, Field(min_length=10)]
    note: str | None = None


class RawRuleFile(Frozen):
    """The whole rules file."""

    version: str
    treatments: Annotated[list[_ID], Field(min_length=1)]
    groups: dict[_ID, list[str]]
    urgent_flags: dict[_ID, UrgentFlag]
    parameters: dict[_ID, ParameterSpec]
    rules: Annotated[list[RawRule], Field(min_length=1)]

    @model_validator(mode="after")
    def _groups_known(self) -> RawRuleFile:
        for name, members in self.groups.items():
            bad = sorted(set(members) - set(self.treatments))
            if bad or name in self.treatments:
                raise ValueError(
                    f"groups.{name}: unknown treatment(s) {bad} or group named like a "
                    f"treatment; allowed treatments: {', '.join(self.treatments)}"
                )
        dup = duplicates(self.treatments)
        if dup:
            raise ValueError(f"treatments: duplicate id(s) {', '.join(dup)}")
        return self


@dataclass(frozen=True)
class Rule:
    """One compiled rule, ready to evaluate."""

    id: str
    treatments: frozenset[str]
    effect: RuleEffect
    when: Node
    rationale: str
    source: str
    verification: str
    origin: str

    def evaluate(self, ctx: EvaluationContext) -> RuleOutcome:
        """Evaluate the condition into a traced outcome (reasons it holds join the rationale)."""
        verdict = self.when.evaluate(ctx)
        outcome = {True: "fired", False: "not_fired", None: "unknown"}[verdict.value]
        fired = verdict.value is True
        because = "; ".join(verdict.because) if fired else ""
        return RuleOutcome(
            id=self.id,
            effect=self.effect,
            outcome=outcome,  # type: ignore[arg-type]
            rationale=f"{self.rationale} ({because})" if because else self.rationale,
            source=self.source,
            verification=self.verification,
            missing=tuple(sorted(verdict.missing)) if verdict.value is None else (),
            origin=self.origin,
            until=verdict.until if fired else None,
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

    @cached_property
    def by_treatment(self) -> Mapping[str, tuple[Rule, ...]]:
        """Each treatment's rules, in file order (the trace order of a screening)."""
        return MappingProxyType(
            {t: tuple(r for r in self.rules if t in r.treatments) for t in self.treatments}
        )

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (``KeyError`` listing the ids otherwise)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"unknown rule {rule_id!r}; known: {', '.join(r.id for r in self.rules)}")


def describe_rule_errors(exc: ValidationError, raw: Any) -> str:
    """Validation errors, each line naming the rule (``rules[3] (mdma_maoi)``) it is in."""
    rules = raw.get("rules") if isinstance(raw, Mapping) else None
    lines = []
    for line, err in zip(describe_condition_error(exc).splitlines(), exc.errors(), strict=True):
        loc = err["loc"]
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int) and rules:
            entry = rules[loc[1]] if loc[1] < len(rules) else {}
            rid = entry.get("id") if isinstance(entry, Mapping) else None
            line = f"rules[{loc[1]}] ({rid}): {line}"
        lines.append(line)
    return "\n".join(lines)


def validated(model: type[Frozen], data: Any, where: str) -> Any:
    """``data`` validated as ``model``; a ``RuleFileError`` naming the rule and field if not."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RuleFileError(f"{where}: invalid\n{describe_rule_errors(exc, data)}") from exc


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
    """Compile checked raw rules: unique ids, known treatments/groups and parameters."""
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
        when: Node = raw.when.compile()
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
                _tag(raw.verification),
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
    return _load(packaged("ptsdrx.screening", "rules.yaml"))


def _load(source: Path | Traversable) -> RuleSet:
    label = str(source) if isinstance(source, Path) else source.name
    try:
        data = read_yaml(source)
    except ValueError as exc:
        raise RuleFileError(str(exc)) from exc
    raw: RawRuleFile = validated(RawRuleFile, data, label)
    treatments = tuple(raw.treatments)
    groups = {name: frozenset(members) for name, members in raw.groups.items()}
    rules = build_rules(
        raw.rules,
        where=label,
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


def rules_schema() -> dict[str, Any]:
    """The JSON Schema of a rules file (conditions included), for editors and reviewers."""
    schema = RawRuleFile.model_json_schema()
    schema["title"] = "ptsdrx screening rules file"
    return schema
