"""Three-valued (Kleene) logic for screening conditions: verdicts, context, combinators.

A condition evaluates to a :class:`Verdict`: ``True``, ``False`` or ``None`` (unknown, naming
the missing fields). General rule engines are two-valued and would read missing data as "no";
here ``any`` is true if one child is true, ``all`` is false if one child is false, and
otherwise unknown stays unknown. A true verdict may be time-limited (``until``: the last day
it holds, for washouts) and may carry the reasons it holds (``because``: e.g. a
phenoconversion), which the rule adds to its rationale.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from ptsdrx.records import Administration, PatientRecord
from ptsdrx.screening._errors import RuleFileError


@dataclass(frozen=True)
class Verdict:
    """Three-valued truth: ``True``, ``False`` or ``None`` (unknown, with the missing fields).

    ``until``: for a true verdict, the last day it stays true as the record stands (a
    medication stopped on a date, counted for a washout window). ``because``: why a true
    verdict holds when that is not obvious from the rule (e.g. a phenoconversion).
    """

    value: bool | None
    missing: frozenset[str] = frozenset()
    until: date | None = None
    because: tuple[str, ...] = ()


TRUE = Verdict(True)
FALSE = Verdict(False)


def unknown(*fields: str) -> Verdict:
    """An unknown verdict naming the fields whose absence made it so."""
    return Verdict(None, frozenset(fields))


@dataclass(frozen=True)
class EvaluationContext:
    """What a condition is evaluated against: the record, its date, the parameter values.

    ``score`` scores an administration with :mod:`ptsdrx.instruments` once per context.
    """

    record: PatientRecord
    today: date
    params: Mapping[str, float]
    _scores: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)

    def score(self, adm: Administration) -> Any:
        """The ``InstrumentResult`` of an administration (raises ``ValueError`` if unscorable)."""
        key = id(adm)
        if key not in self._scores:
            from ptsdrx.instruments import score_administration

            try:
                self._scores[key] = score_administration(adm)
            except ValueError as exc:
                self._scores[key] = exc
        found = self._scores[key]
        if isinstance(found, ValueError):
            raise found
        return found


#: The short name used throughout the screening package.
Context = EvaluationContext


class Node(Protocol):
    """A compiled condition."""

    def evaluate(self, ctx: EvaluationContext) -> Verdict:
        """Three-valued truth of the condition for this record."""
        ...

    def params(self) -> frozenset[str]:
        """Names of the parameters the condition reads."""
        ...


# ----------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Param:
    """A reference to a site-adjustable parameter, resolved at evaluation time."""

    name: str


Scalar = bool | int | float | str
Operand = Scalar | Param | tuple[Scalar | Param, ...]


def resolve(v: Operand, ctx: EvaluationContext) -> Any:
    """An operand's value: parameters looked up in the context."""
    if isinstance(v, Param):
        return ctx.params[v.name]
    if isinstance(v, tuple):
        return tuple(ctx.params[x.name] if isinstance(x, Param) else x for x in v)
    return v


def operand_params(v: Operand | int | None) -> frozenset[str]:
    """Parameter names an operand (or a day window) refers to."""
    items = v if isinstance(v, tuple) else (v,)
    return frozenset(x.name for x in items if isinstance(x, Param))


def days_value(days: int | Param, ctx: EvaluationContext) -> int:
    """A day window's value (a parameter resolved)."""
    return int(ctx.params[days.name]) if isinstance(days, Param) else days


OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
    "between": lambda a, b: b[0] <= a <= b[1],
}
ORDERED = frozenset({"lt", "le", "gt", "ge", "between"})


@dataclass(frozen=True)
class Comparison:
    """One comparison ``value <op> operand``."""

    op: str
    operand: Operand

    def test(self, value: Any, ctx: EvaluationContext) -> bool:
        """Apply the comparison to a known value."""
        operand = resolve(self.operand, ctx)
        try:
            return OPS[self.op](value, operand)
        except TypeError:
            raise RuleFileError(
                f"a rule compares {value!r} {self.op} {operand!r}: the types do not match"
            ) from None


# ------------------------------------------------------------------------ combinators


def _missing(verdicts: list[Verdict]) -> frozenset[str]:
    return frozenset().union(*(v.missing for v in verdicts if v.value is None))


def _because(verdicts: list[Verdict]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(b for v in verdicts for b in v.because))


@dataclass(frozen=True)
class AnyOf:
    """True if any child is true; false if all are false; else unknown."""

    children: tuple[Node, ...]

    def evaluate(self, ctx: EvaluationContext) -> Verdict:
        """Kleene disjunction; true until the last of its true children ends."""
        verdicts = [c.evaluate(ctx) for c in self.children]
        true = [v for v in verdicts if v.value is True]
        if true:
            ends = [v.until for v in true]
            until = None if any(e is None for e in ends) else max(e for e in ends if e)
            return Verdict(True, until=until, because=_because(true))
        if all(v.value is False for v in verdicts):
            return FALSE
        return Verdict(None, _missing(verdicts))

    def params(self) -> frozenset[str]:
        """Parameters read by any child."""
        return frozenset().union(*(c.params() for c in self.children))


@dataclass(frozen=True)
class AllOf:
    """False if any child is false; true if all are true; else unknown."""

    children: tuple[Node, ...]

    def evaluate(self, ctx: EvaluationContext) -> Verdict:
        """Kleene conjunction; true until the first of its time-limited children ends."""
        verdicts = [c.evaluate(ctx) for c in self.children]
        if any(v.value is False for v in verdicts):
            return FALSE
        if all(v.value is True for v in verdicts):
            ends = [v.until for v in verdicts if v.until is not None]
            return Verdict(True, until=min(ends) if ends else None, because=_because(verdicts))
        return Verdict(None, _missing(verdicts))

    def params(self) -> frozenset[str]:
        """Parameters read by any child."""
        return frozenset().union(*(c.params() for c in self.children))


@dataclass(frozen=True)
class Not:
    """Negation; unknown stays unknown (a negated truth is not time-limited)."""

    child: Node

    def evaluate(self, ctx: EvaluationContext) -> Verdict:
        """Kleene negation."""
        v = self.child.evaluate(ctx)
        return v if v.value is None else Verdict(not v.value)

    def params(self) -> frozenset[str]:
        """Parameters read by the child."""
        return self.child.params()
