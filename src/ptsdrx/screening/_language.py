"""A small, safe, declarative condition language over ``PatientRecord`` (no ``eval``).

A condition is YAML data. Combinators: ``any: [...]``, ``all: [...]``, ``not: {...}``.
Predicates (each reads one part of the record):

``diagnosis: {condition: bipolar_i | [..], status: [current, past]}``
    via ``PatientRecord.condition_status``; ``status`` defaults to ``[current]``.
``field: demographics.pregnant, eq: true``
    a whitelisted field with one comparison; ``vitals.*`` reads the latest reading of that
    measure taken within the ``vitals_max_age_days`` parameter.
``medication: {class: maoi | [..], name: .. | [..], within_days: 14, except: [..]}``
    taken now or stopped within the last ``within_days`` days (default 0: taking it now).
``instrument: {id: phq9, item: 9 | total: true | detail: risk_level, within_days: 30, ge: 1}``
    the latest administration (within the window), scored by ``ptsdrx.instruments``.
``assessed: {instrument: cssrs, on_or_after_latest: phq9}``
    an administration dated on or after the latest one of another instrument.
``prior_treatment: {treatment: prazosin | [..]}``

Comparisons: ``eq ne lt le gt ge in not_in between``; a number may be ``{param: name}``, a
site-adjustable parameter. Logic is three-valued (Kleene): a predicate whose input is
unknown is ``None`` and names the missing field; ``any`` is true if one child is true,
``all`` is false if one child is false; otherwise unknown stays unknown.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from ptsdrx.records import Administration, Condition, PatientRecord
from ptsdrx.screening._drugs import DrugClass, name_keys, normalise_name
from ptsdrx.screening._errors import RuleFileError


@dataclass(frozen=True)
class Verdict:
    """Three-valued truth: ``True``, ``False`` or ``None`` (unknown, with the missing fields).

    A true verdict may be time-limited: ``until`` is the last day it stays true as the record
    stands (a medication stopped on a date, counted for a washout window).
    """

    value: bool | None
    missing: frozenset[str] = frozenset()
    until: date | None = None


TRUE = Verdict(True)
FALSE = Verdict(False)


def _unknown(*fields: str) -> Verdict:
    return Verdict(None, frozenset(fields))


@dataclass(frozen=True)
class Context:
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


class Node(Protocol):
    """A parsed condition."""

    def evaluate(self, ctx: Context) -> Verdict:
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


def _resolve(v: Operand, ctx: Context) -> Any:
    if isinstance(v, Param):
        return ctx.params[v.name]
    if isinstance(v, tuple):
        return tuple(ctx.params[x.name] if isinstance(x, Param) else x for x in v)
    return v


def _operand_params(v: Operand) -> frozenset[str]:
    items = v if isinstance(v, tuple) else (v,)
    return frozenset(x.name for x in items if isinstance(x, Param))


_OPS: dict[str, Callable[[Any, Any], bool]] = {
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
_ORDERED = {"lt", "le", "gt", "ge", "between"}


@dataclass(frozen=True)
class Comparison:
    """One comparison ``value <op> operand``."""

    op: str
    operand: Operand

    def test(self, value: Any, ctx: Context) -> bool:
        """Apply the comparison to a known value."""
        operand = _resolve(self.operand, ctx)
        try:
            return _OPS[self.op](value, operand)
        except TypeError:
            raise RuleFileError(
                f"a rule compares {value!r} {self.op} {operand!r}: the types do not match"
            ) from None


def _scalar(raw: Any, where: str, *, numeric: bool) -> Scalar | Param:
    if isinstance(raw, Mapping):
        if set(raw) != {"param"} or not isinstance(raw["param"], str):
            raise RuleFileError(f"{where}: a parameter reference is written {{param: NAME}}")
        return Param(raw["param"])
    if numeric and (isinstance(raw, bool) or not isinstance(raw, int | float)):
        raise RuleFileError(f"{where}: needs a number or {{param: NAME}}, got {raw!r}")
    if not isinstance(raw, bool | int | float | str):
        raise RuleFileError(f"{where}: needs a number, string or boolean, got {raw!r}")
    return raw


def _comparison(raw: Mapping[str, Any], where: str) -> Comparison:
    ops = [k for k in raw if k in _OPS]
    if len(ops) != 1:
        raise RuleFileError(
            f"{where}: needs exactly one comparison, one of {', '.join(_OPS)}; got {ops or 'none'}"
        )
    op = ops[0]
    value = raw[op]
    if op in {"in", "not_in", "between"}:
        if not isinstance(value, list) or (op == "between" and len(value) != 2):
            need = "a [low, high] pair" if op == "between" else "a list"
            raise RuleFileError(f"{where}.{op}: needs {need}, got {value!r}")
        operand: Operand = tuple(
            _scalar(v, f"{where}.{op}[{i}]", numeric=op == "between") for i, v in enumerate(value)
        )
    else:
        operand = _scalar(value, f"{where}.{op}", numeric=op in _ORDERED)
    return Comparison(op, operand)


def _check_keys(raw: Any, where: str, allowed: Iterable[str], required: Iterable[str]) -> None:
    if not isinstance(raw, Mapping):
        raise RuleFileError(f"{where}: must be a mapping, got {raw!r}")
    allowed_set = set(allowed)
    extra = set(raw) - allowed_set
    if extra:
        raise RuleFileError(
            f"{where}: unknown key(s) {', '.join(sorted(extra))}; "
            f"allowed: {', '.join(sorted(allowed_set))}"
        )
    absent = [k for k in required if k not in raw]
    if absent:
        raise RuleFileError(f"{where}: missing key(s) {', '.join(absent)}")


def _str_list(raw: Any, where: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(x, str) and x for x in items):
        raise RuleFileError(f"{where}: needs a name or a list of names, got {raw!r}")
    return tuple(items)


def _days(raw: Any, where: str) -> int | Param:
    value = _scalar(raw, where, numeric=True)
    if isinstance(value, Param):
        return value
    if (isinstance(value, float) and not value.is_integer()) or float(value) < 0:
        raise RuleFileError(f"{where}: needs a whole number of days >= 0, got {raw!r}")
    return int(value)


def _days_value(days: int | Param, ctx: Context) -> int:
    return int(ctx.params[days.name]) if isinstance(days, Param) else days


def _days_params(days: int | Param | None) -> frozenset[str]:
    return frozenset({days.name}) if isinstance(days, Param) else frozenset()


# ------------------------------------------------------------------------ combinators


@dataclass(frozen=True)
class AnyOf:
    """True if any child is true; false if all are false; else unknown."""

    children: tuple[Node, ...]

    def evaluate(self, ctx: Context) -> Verdict:
        """Kleene disjunction; true until the last of its true children ends."""
        verdicts = [c.evaluate(ctx) for c in self.children]
        true = [v for v in verdicts if v.value is True]
        if true:
            if any(v.until is None for v in true):
                return TRUE
            return Verdict(True, until=max(v.until for v in true if v.until is not None))
        if all(v.value is False for v in verdicts):
            return FALSE
        return Verdict(None, frozenset().union(*(v.missing for v in verdicts if v.value is None)))

    def params(self) -> frozenset[str]:
        """Parameters read by any child."""
        return frozenset().union(*(c.params() for c in self.children))


@dataclass(frozen=True)
class AllOf:
    """False if any child is false; true if all are true; else unknown."""

    children: tuple[Node, ...]

    def evaluate(self, ctx: Context) -> Verdict:
        """Kleene conjunction; true until the first of its time-limited children ends."""
        verdicts = [c.evaluate(ctx) for c in self.children]
        if any(v.value is False for v in verdicts):
            return FALSE
        if all(v.value is True for v in verdicts):
            ends = [v.until for v in verdicts if v.until is not None]
            return Verdict(True, until=min(ends)) if ends else TRUE
        return Verdict(None, frozenset().union(*(v.missing for v in verdicts if v.value is None)))

    def params(self) -> frozenset[str]:
        """Parameters read by any child."""
        return frozenset().union(*(c.params() for c in self.children))


@dataclass(frozen=True)
class Not:
    """Negation; unknown stays unknown."""

    child: Node

    def evaluate(self, ctx: Context) -> Verdict:
        """Kleene negation (a negated truth is not time-limited)."""
        v = self.child.evaluate(ctx)
        return v if v.value is None else Verdict(not v.value)

    def params(self) -> frozenset[str]:
        """Parameters read by the child."""
        return self.child.params()


# ------------------------------------------------------------------------- predicates


@dataclass(frozen=True)
class DiagnosisIs:
    """Any of the conditions has one of the statuses (current / past / absent)."""

    conditions: tuple[Condition, ...]
    statuses: frozenset[str]

    def evaluate(self, ctx: Context) -> Verdict:
        """Uses ``condition_status``: ``None`` there is unknown here."""
        missing = []
        for cond in self.conditions:
            status = ctx.record.condition_status(cond)
            if status is None:
                missing.append(f"diagnoses.{cond.value}")
            elif status in self.statuses:
                return TRUE
        return _unknown(*missing) if missing else FALSE

    def params(self) -> frozenset[str]:
        """No parameters."""
        return frozenset()


VITAL_FIELDS = ("systolic", "diastolic", "heart_rate", "qtc_ms", "spo2", "temperature_c")
FIELDS: Mapping[str, tuple[type, ...]] = {
    "demographics.age": (int, float),
    "demographics.sex": (str,),
    "demographics.weight_kg": (int, float),
    "demographics.pregnant": (bool,),
    "demographics.lactating": (bool,),
    "family_history.psychosis": (bool,),
    "family_history.bipolar": (bool,),
    **{f"vitals.{v}": (int, float) for v in VITAL_FIELDS},
}
"""Fields a rule may read, with the operand types a comparison on each may use."""
VITALS_WINDOW = "vitals_max_age_days"


@dataclass(frozen=True)
class FieldCompare:
    """A whitelisted record field compared with a value; ``None`` is unknown."""

    path: str
    comparison: Comparison

    def evaluate(self, ctx: Context) -> Verdict:
        """Read the field; unknown when absent (or, for vitals, older than the window)."""
        part, name = self.path.split(".")
        if part == "vitals":
            days = int(ctx.params[VITALS_WINDOW])
            earliest = ctx.today - timedelta(days=days)
            readings = [
                (v.taken_at, getattr(v, name))
                for v in ctx.record.vitals or []
                if getattr(v, name) is not None and earliest <= v.taken_at.date() <= ctx.today
            ]
            if not readings:
                return _unknown(f"{self.path} (within {days} days)")
            value = max(readings, key=lambda r: r[0])[1]
        else:
            holder = getattr(ctx.record, part)
            value = None if holder is None else getattr(holder, name)
            if value is None:
                return _unknown(self.path)
        return Verdict(self.comparison.test(value, ctx))

    def params(self) -> frozenset[str]:
        """The comparison's parameters, plus the vitals window for vitals fields."""
        own = _operand_params(self.comparison.operand)
        return own | {VITALS_WINDOW} if self.path.startswith("vitals.") else own


@dataclass(frozen=True)
class MedicationTaken:
    """A medication of the given names/classes is taken now or stopped within N days."""

    names: frozenset[str]
    within_days: int | Param
    excluded: frozenset[str]

    def evaluate(self, ctx: Context) -> Verdict:
        """Unknown when the medication list is unknown (``None``); ``[]`` means none."""
        meds = ctx.record.medications
        if meds is None:
            return _unknown("medications")
        days = _days_value(self.within_days, ctx)
        since = ctx.today - timedelta(days=days)
        ends: list[date] = []
        for med in meds:
            keys = name_keys(med.name)
            if keys & self.excluded or not keys & self.names:
                continue
            started = med.start is None or med.start <= ctx.today
            if started and (med.stop is None or med.stop > ctx.today):
                return TRUE  # taking it now: not time-limited
            if started and med.stop is not None and med.stop >= since:
                ends.append(med.stop + timedelta(days=days))
        return Verdict(True, until=max(ends)) if ends else FALSE

    def params(self) -> frozenset[str]:
        """The window parameter, when it is one."""
        return _days_params(self.within_days)


@dataclass(frozen=True)
class InstrumentValue:
    """An item, the total, or a scored detail of an instrument's latest administration."""

    instrument: str
    selector: tuple[str, int | str]  # ("item", 9) | ("total", "") | ("detail", "risk_level")
    comparison: Comparison
    within_days: int | Param | None

    def _latest(self, ctx: Context) -> tuple[Administration | None, str]:
        name = f"assessments.{self.instrument}"
        if self.within_days is None:
            return ctx.record.latest(self.instrument), name
        days = _days_value(self.within_days, ctx)
        earliest = ctx.today - timedelta(days=days)
        found = [a for a in ctx.record.administrations(self.instrument) if a.date >= earliest]
        return (found[-1] if found else None), f"{name} (within {days} days)"

    def evaluate(self, ctx: Context) -> Verdict:
        """Unknown when there is no administration in the window or the value is missing."""
        adm, name = self._latest(ctx)
        if adm is None:
            return _unknown(name)
        kind, key = self.selector
        value: Any
        if kind == "item":
            assert isinstance(key, int)
            item = f"assessments.{self.instrument}.item{key}"
            if adm.responses is None or len(adm.responses) < key:
                return _unknown(item)
            value = adm.responses[key - 1]
            if value is None:
                return _unknown(item)
        else:
            try:
                result = ctx.score(adm)
            except ValueError as exc:
                return _unknown(f"{name} (not scorable: {exc})")
            value = result.total if kind == "total" else result.details.get(str(key))
            if value is None:
                return _unknown(f"{name}.{key or 'total'}")
        return Verdict(self.comparison.test(value, ctx))

    def params(self) -> frozenset[str]:
        """The comparison's and the window's parameters."""
        return _operand_params(self.comparison.operand) | _days_params(self.within_days)


@dataclass(frozen=True)
class AssessedAfter:
    """An administration of ``instrument`` on or after the latest one of ``after``."""

    instrument: str
    after: str

    def evaluate(self, ctx: Context) -> Verdict:
        """Unknown only when the assessment list itself is unknown."""
        if ctx.record.assessments is None:
            return _unknown("assessments")
        mine = ctx.record.latest(self.instrument)
        if mine is None:
            return FALSE
        other = ctx.record.latest(self.after)
        return Verdict(other is None or mine.date >= other.date)

    def params(self) -> frozenset[str]:
        """No parameters."""
        return frozenset()


@dataclass(frozen=True)
class PriorTreatment:
    """A past course of any of the treatments is recorded."""

    treatments: frozenset[str]

    def evaluate(self, ctx: Context) -> Verdict:
        """Unknown when prior treatments are unknown; ``[]`` means none."""
        prior = ctx.record.prior_treatments
        if prior is None:
            return _unknown("prior_treatments")
        return Verdict(any(p.treatment in self.treatments for p in prior))

    def params(self) -> frozenset[str]:
        """No parameters."""
        return frozenset()


# ---------------------------------------------------------------------------- parsing

_STATUSES = ("current", "past", "absent")
_SELECTORS = ("item", "total", "detail")


def parse(raw: Any, where: str, drugs: Mapping[str, DrugClass]) -> Node:
    """Parse a condition written as YAML data; errors name the place (``where``)."""
    if not isinstance(raw, Mapping) or not raw:
        raise RuleFileError(f"{where}: a condition must be a non-empty mapping, got {raw!r}")
    heads = [k for k in raw if k in _PARSERS]
    if len(heads) != 1:
        raise RuleFileError(
            f"{where}: needs exactly one of {', '.join(_PARSERS)}; got {', '.join(map(str, raw))}"
        )
    return _PARSERS[heads[0]](raw, f"{where}.{heads[0]}", drugs)


def _children(raw: Mapping[str, Any], key: str, where: str, drugs: Any) -> tuple[Node, ...]:
    _check_keys(raw, where.rsplit(".", 1)[0], [key], [key])
    items = raw[key]
    if not isinstance(items, list) or not items:
        raise RuleFileError(f"{where}: needs a non-empty list of conditions")
    return tuple(parse(c, f"{where}[{i}]", drugs) for i, c in enumerate(items))


def _parse_any(raw: Mapping[str, Any], where: str, drugs: Any) -> Node:
    return AnyOf(_children(raw, "any", where, drugs))


def _parse_all(raw: Mapping[str, Any], where: str, drugs: Any) -> Node:
    return AllOf(_children(raw, "all", where, drugs))


def _parse_not(raw: Mapping[str, Any], where: str, drugs: Any) -> Node:
    _check_keys(raw, where.rsplit(".", 1)[0], ["not"], ["not"])
    return Not(parse(raw["not"], where, drugs))


def _parse_diagnosis(raw: Mapping[str, Any], where: str, drugs: Any) -> Node:
    _check_keys(raw, where.rsplit(".", 1)[0], ["diagnosis"], ["diagnosis"])
    spec = raw["diagnosis"]
    _check_keys(spec, where, ["condition", "status"], ["condition"])
    conditions = []
    for name in _str_list(spec["condition"], f"{where}.condition"):
        try:
            conditions.append(Condition(name))
        except ValueError:
            allowed = ", ".join(c.value for c in Condition)
            raise RuleFileError(
                f"{where}.condition: unknown condition {name!r}; allowed: {allowed}"
            ) from None
    statuses = _str_list(spec.get("status", ["current"]), f"{where}.status")
    bad = [s for s in statuses if s not in _STATUSES]
    if bad:
        raise RuleFileError(f"{where}.status: {bad} not allowed; allowed: {', '.join(_STATUSES)}")
    return DiagnosisIs(tuple(conditions), frozenset(statuses))


def _fits(x: Scalar | Param, kinds: tuple[type, ...]) -> bool:
    if isinstance(x, bool):
        return bool in kinds
    if isinstance(x, Param | int | float):
        return float in kinds
    return isinstance(x, kinds)


def _parse_field(raw: Mapping[str, Any], where: str, drugs: Any) -> Node:
    _check_keys(raw, where.rsplit(".", 1)[0], ["field", *_OPS], ["field"])
    path = raw["field"]
    if path not in FIELDS:
        raise RuleFileError(
            f"{where}: unknown field {path!r}; allowed: {', '.join(sorted(FIELDS))}"
        )
    comparison = _comparison(raw, where.rsplit(".", 1)[0])
    kinds = FIELDS[path]
    items = comparison.operand if isinstance(comparison.operand, tuple) else (comparison.operand,)
    for x in items:
        if not _fits(x, kinds):
            need = "number" if float in kinds else kinds[0].__name__
            raise RuleFileError(f"{where}: {path} is compared with {x!r}; it needs a {need}")
    return FieldCompare(path, comparison)


def _parse_medication(raw: Mapping[str, Any], where: str, drugs: Mapping[str, Any]) -> Node:
    _check_keys(raw, where.rsplit(".", 1)[0], ["medication"], ["medication"])
    spec = raw["medication"]
    _check_keys(spec, where, ["class", "name", "within_days", "except"], [])
    if "class" not in spec and "name" not in spec:
        raise RuleFileError(f"{where}: needs 'class' and/or 'name'")
    names: set[str] = set()
    for cid in _str_list(spec["class"], f"{where}.class") if "class" in spec else ():
        if cid not in drugs:
            raise RuleFileError(
                f"{where}.class: unknown drug class {cid!r}; allowed: {', '.join(sorted(drugs))}"
            )
        names |= drugs[cid].names
    for name in _str_list(spec["name"], f"{where}.name") if "name" in spec else ():
        names.add(normalise_name(name))
    excluded = spec.get("except", [])
    return MedicationTaken(
        frozenset(names),
        _days(spec.get("within_days", 0), f"{where}.within_days"),
        frozenset(normalise_name(x) for x in _str_list(excluded, f"{where}.except"))
        if excluded
        else frozenset(),
    )


def _parse_instrument(raw: Mapping[str, Any], where: str, drugs: Any) -> Node:
    _check_keys(raw, where.rsplit(".", 1)[0], ["instrument"], ["instrument"])
    spec = raw["instrument"]
    _check_keys(spec, where, ["id", "within_days", *_SELECTORS, *_OPS], ["id"])
    chosen = [k for k in _SELECTORS if k in spec]
    if len(chosen) != 1:
        raise RuleFileError(f"{where}: needs exactly one of {', '.join(_SELECTORS)}")
    kind = chosen[0]
    key: int | str
    if kind == "item":
        key = spec["item"]
        if isinstance(key, bool) or not isinstance(key, int) or key < 1:
            raise RuleFileError(f"{where}.item: needs an item number >= 1, got {key!r}")
    elif kind == "detail":
        key = spec["detail"]
        if not isinstance(key, str) or not key:
            raise RuleFileError(f"{where}.detail: needs a detail name, got {key!r}")
    else:
        if spec["total"] is not True:
            raise RuleFileError(f"{where}.total: write 'total: true'")
        key = ""
    days = spec.get("within_days")
    return InstrumentValue(
        str(spec["id"]),
        (kind, key),
        _comparison(spec, where),
        None if days is None else _days(days, f"{where}.within_days"),
    )


def _parse_assessed(raw: Mapping[str, Any], where: str, drugs: Any) -> Node:
    _check_keys(raw, where.rsplit(".", 1)[0], ["assessed"], ["assessed"])
    spec = raw["assessed"]
    _check_keys(spec, where, ["instrument", "on_or_after_latest"], ["instrument"])
    return AssessedAfter(str(spec["instrument"]), str(spec["on_or_after_latest"]))


def _parse_prior(raw: Mapping[str, Any], where: str, drugs: Any) -> Node:
    _check_keys(raw, where.rsplit(".", 1)[0], ["prior_treatment"], ["prior_treatment"])
    spec = raw["prior_treatment"]
    _check_keys(spec, where, ["treatment"], ["treatment"])
    return PriorTreatment(frozenset(_str_list(spec["treatment"], f"{where}.treatment")))


_PARSERS: dict[str, Callable[[Mapping[str, Any], str, Any], Node]] = {
    "any": _parse_any,
    "all": _parse_all,
    "not": _parse_not,
    "diagnosis": _parse_diagnosis,
    "field": _parse_field,
    "medication": _parse_medication,
    "instrument": _parse_instrument,
    "assessed": _parse_assessed,
    "prior_treatment": _parse_prior,
}
