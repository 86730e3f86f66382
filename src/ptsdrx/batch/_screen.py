"""Bulk screening: the packaged rules file evaluated over columns, three-valued.

Why: per-record ``ptsdrx.screening.screen`` costs about a millisecond; a registry of 10
million patients needs the same rules over whole columns. The rule *trees* are the ones
``ptsdrx.screening`` parses (same file, same site tightening, same parameters); only their
evaluation is vectorised here, predicate by predicate, with Kleene logic on arrays.

A verdict over ``n`` rows is a value array (1 true, 0 false, -1 unknown), the missing-field
labels (one boolean array per label, set only where the verdict is unknown: the same labels
the per-record screener names) and the ``until`` ordinal of a time-limited truth (``NaN``:
not time-limited). The tests check agreement with ``screen`` on every rule, including the
unknown cases, the labels and the dates.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ptsdrx.batch._facts import Facts
from ptsdrx.screening import STATUSES, RuleSet
from ptsdrx.screening._drugs import name_keys
from ptsdrx.screening._language import (
    VITALS_WINDOW,
    AllOf,
    AnyOf,
    AssessedAfter,
    Comparison,
    DiagnosisIs,
    FieldCompare,
    InstrumentValue,
    MedicationTaken,
    Node,
    Not,
    Param,
    PriorTreatment,
)

Bools = NDArray[np.bool_]
Floats = NDArray[np.float64]
TRUE, FALSE, UNKNOWN = 1, 0, -1
OUTCOMES = ("not_fired", "fired", "unknown")
"""Outcome names by code (code -1 indexes "unknown")."""
_BLOCKING = {"contraindicated": 0, "exclude": 1, "hold": 2}
_CAUTIONS = frozenset({"caution_major", "caution"})
NEEDS_INFORMATION = STATUSES.index("needs_information")
CAUTION = STATUSES.index("caution")
ELIGIBLE = STATUSES.index("eligible")


@dataclass
class V:
    """A three-valued verdict over rows."""

    value: NDArray[np.int8]
    missing: dict[str, Bools]
    until: Floats


def _known(value: Bools, truth: Bools, n: int) -> V:
    v = np.where(truth, TRUE, FALSE).astype(np.int8)
    v[~value] = UNKNOWN
    return V(v, {}, np.full(n, np.nan))


def _with_label(v: V, label: str, where: Bools) -> V:
    if where.any():
        v.missing[label] = v.missing.get(label, np.zeros(len(v.value), bool)) | where
    return v


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


class BulkScreener:
    """Evaluate a ``RuleSet`` over :class:`Facts` (one call per chunk of patients)."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.params: Mapping[str, float] = rules.values
        self.treatments = rules.treatments
        self._applies = {
            t: [k for k, r in enumerate(rules.rules) if t in r.treatments] for t in rules.treatments
        }

    # ---------------------------------------------------------------- comparisons

    def _operand(self, x: Any) -> Any:
        if isinstance(x, Param):
            return self.params[x.name]
        if isinstance(x, tuple):
            return tuple(self.params[y.name] if isinstance(y, Param) else y for y in x)
        return x

    def _test(self, values: NDArray[Any], known: Bools, cmp: Comparison) -> Bools:
        """The comparison on the known rows (unknown rows give ``False``; masked later)."""
        operand = self._operand(cmp.operand)
        out = np.zeros(len(values), dtype=bool)
        if not known.any():
            return out
        vals = values[known]
        if cmp.op in _OPS:
            if vals.dtype == object:  # strings: compare each distinct value once
                codes, uniq = pd.factorize(vals)
                res = np.array([bool(_OPS[cmp.op](u, operand)) for u in uniq], dtype=bool)
                out[known] = res[codes]
            else:
                out[known] = _OPS[cmp.op](vals, operand)
        elif cmp.op in ("in", "not_in"):
            hit = pd.Series(vals).isin(list(operand)).to_numpy()
            out[known] = hit if cmp.op == "in" else ~hit
        elif cmp.op == "between":
            lo, hi = operand
            out[known] = (lo <= vals) & (vals <= hi)
        else:  # pragma: no cover - the parser allows only the ops above
            raise ValueError(f"unknown comparison {cmp.op!r}")
        return out

    # ----------------------------------------------------------------- predicates

    def evaluate(self, node: Node, f: Facts) -> V:
        """The verdict of one condition tree for every row of ``f``."""
        n = f.n
        if isinstance(node, AnyOf | AllOf):
            return self._combine(node, f)
        if isinstance(node, Not):
            child = self.evaluate(node.child, f)
            value = child.value.copy()
            value[child.value == TRUE] = FALSE
            value[child.value == FALSE] = TRUE
            return V(value, child.missing, np.full(n, np.nan))
        if isinstance(node, DiagnosisIs):
            hit = np.zeros(n, dtype=bool)
            unknown: list[tuple[str, Bools]] = []
            for cond in node.conditions:
                status = f.cols[f"dx.{cond.value}"]
                none = np.array([s is None for s in status], dtype=bool)
                hit |= pd.Series(status).isin(list(node.statuses)).to_numpy() & ~none
                unknown.append((f"diagnoses.{cond.value}", none))
            any_unknown = np.zeros(n, dtype=bool)
            for _, none in unknown:
                any_unknown |= none
            v = _known(~(any_unknown & ~hit), hit, n)
            for label, none in unknown:
                _with_label(v, label, none & (v.value == UNKNOWN))
            return v
        if isinstance(node, FieldCompare):
            return self._field(node, f)
        if isinstance(node, MedicationTaken):
            return self._medication(node, f)
        if isinstance(node, InstrumentValue):
            return self._instrument(node, f)
        if isinstance(node, AssessedAfter):
            known = f.cols["assessments.known"]
            mine, other = f.cols[f"{node.instrument}.date"], f.cols[f"{node.after}.date"]
            truth = (mine >= 0) & ((other < 0) | (mine >= other))
            v = _known(known, truth, n)
            return _with_label(v, "assessments", ~known)
        if isinstance(node, PriorTreatment):
            known = f.cols["prior_treatments.known"]
            hit = pd.Series(f.prior_treatment, dtype=object).isin(list(node.treatments)).to_numpy()
            truth = np.bincount(f.prior_row[hit], minlength=n) > 0
            return _with_label(_known(known, truth, n), "prior_treatments", ~known)
        raise TypeError(f"bulk screening cannot evaluate {type(node).__name__}")

    def _combine(self, node: AnyOf | AllOf, f: Facts) -> V:
        n = f.n
        kids = [self.evaluate(c, f) for c in node.children]
        vals = np.stack([k.value for k in kids])
        any_true, all_true = (vals == TRUE).any(0), (vals == TRUE).all(0)
        any_false, all_false = (vals == FALSE).any(0), (vals == FALSE).all(0)
        until = np.full(n, np.nan)
        if isinstance(node, AnyOf):
            value = np.where(any_true, TRUE, np.where(all_false, FALSE, UNKNOWN)).astype(np.int8)
            true = vals == TRUE
            untils = np.stack([k.until for k in kids])
            unlimited = (true & np.isnan(untils)).any(0)
            limited = np.where(true & ~np.isnan(untils), untils, -np.inf).max(0)
            until = np.where(any_true & ~unlimited, limited, np.nan)
        else:
            value = np.where(any_false, FALSE, np.where(all_true, TRUE, UNKNOWN)).astype(np.int8)
            untils = np.stack([k.until for k in kids])
            has = ~np.isnan(untils)
            first = np.where(has, untils, np.inf).min(0)
            until = np.where((value == TRUE) & has.any(0), first, np.nan)
        out = V(value, {}, until)
        unknown = value == UNKNOWN
        for k in kids:
            for label, where in k.missing.items():
                _with_label(out, label, where & unknown)
        return out

    def _field(self, node: FieldCompare, f: Facts) -> V:
        n = f.n
        values = f.cols[node.path]
        if node.path.startswith("vitals."):
            days = int(self.params[VITALS_WINDOW])
            taken = f.cols[f"{node.path}.date"]
            known = (taken >= 0) & (taken >= f.today - days) & ~np.isnan(values)
            v = _known(known, self._test(values, known, node.comparison), n)
            return _with_label(v, f"{node.path} (within {days} days)", ~known)
        known = _is_known(values)
        v = _known(known, self._test(values, known, node.comparison), n)
        return _with_label(v, node.path, ~known)

    def _medication(self, node: MedicationTaken, f: Facts) -> V:
        n = f.n
        known = f.cols["medications.known"]
        days = (
            int(self.params[node.within_days.name])
            if isinstance(node.within_days, Param)
            else int(node.within_days)
        )
        names, excluded = node.names, node.excluded
        match = np.zeros(len(f.med_name), dtype=bool)
        if len(f.med_name):  # the vocabulary lookup once per distinct recorded name
            codes, uniq = pd.factorize(f.med_name)
            keys = [name_keys(str(u)) for u in uniq]
            ok = np.array([bool(k & names) and not k & excluded for k in keys], dtype=np.bool_)
            match = ok[codes]
        today = f.today[f.med_row]
        started = f.med_start <= today
        current = match & started & (f.med_stop > today)
        ended = match & started & ~current & (f.med_stop >= today - days)
        now = np.bincount(f.med_row[current], minlength=n) > 0
        recent = np.bincount(f.med_row[ended], minlength=n) > 0
        ends = np.full(n, -np.inf)
        np.maximum.at(ends, f.med_row[ended], (f.med_stop[ended] + days).astype(float))
        v = _known(known, now | recent, n)
        v.until = np.where(known & ~now & recent, ends, np.nan)
        return _with_label(v, "medications", ~known)

    def _instrument(self, node: InstrumentValue, f: Facts) -> V:
        n = f.n
        inst = node.instrument
        name = f"assessments.{inst}"
        taken = f.cols[f"{inst}.date"]
        present = taken >= 0
        if node.within_days is not None:
            days = (
                int(self.params[node.within_days.name])
                if isinstance(node.within_days, Param)
                else int(node.within_days)
            )
            present = present & (taken >= f.today - days)
            name = f"{name} (within {days} days)"
        kind, key = node.selector
        labels: list[tuple[str, Bools]] = [(name, ~present)]
        if kind == "item":
            values = f.cols[f"{inst}.item{key}"]
            has = present & ~np.isnan(values)
            labels.append((f"assessments.{inst}.item{key}", present & ~has))
        else:
            error = f.cols[f"{inst}.error"]
            failed = present & np.array([e is not None for e in error], dtype=bool)
            for message in {str(e) for e in error[failed]}:
                labels.append((f"{name} (not scorable: {message})", failed & (error == message)))
            values = f.cols[f"{inst}.total" if kind == "total" else f"{inst}.detail.{key}"]
            scored = present & ~failed
            has = scored & _is_known(values)
            labels.append((f"{name}.{key or 'total'}", scored & ~has))
        v = _known(has, self._test(values, has, node.comparison), n)
        for label, where in labels:
            _with_label(v, label, where)
        return v

    # -------------------------------------------------------------------- results

    def screen(self, f: Facts) -> BulkResult:
        """Every rule's outcome and every treatment's status for every row."""
        outcomes, until, missing = [], [], []
        for rule in self.rules.rules:
            v = self.evaluate(rule.when, f)
            outcomes.append(v.value)
            until.append(np.where(v.value == TRUE, v.until, np.nan))
            missing.append(v.missing)
        out = np.stack(outcomes) if outcomes else np.zeros((0, f.n), np.int8)
        status = np.full((len(self.treatments), f.n), ELIGIBLE, dtype=np.int8)
        major = np.zeros((len(self.treatments), f.n), dtype=bool)
        for t, tid in enumerate(self.treatments):
            for k in self._applies[tid]:
                effect = self.rules.rules[k].effect
                code = np.full(f.n, ELIGIBLE, dtype=np.int8)
                if effect in _BLOCKING:
                    code[out[k] == TRUE] = _BLOCKING[effect]
                    code[out[k] == UNKNOWN] = NEEDS_INFORMATION
                elif effect in _CAUTIONS:
                    code[out[k] != FALSE] = CAUTION
                    if effect == "caution_major":
                        major[t] |= out[k] != FALSE
                status[t] = np.minimum(status[t], code)
        return BulkResult(
            rules=tuple(r.id for r in self.rules.rules),
            treatments=self.treatments,
            outcome=out,
            until=np.stack(until) if until else np.zeros((0, f.n)),
            missing=missing,
            status=status,
            major_caution=major,
        )


def _is_known(values: NDArray[Any]) -> Bools:
    if values.dtype == object:
        return np.array([v is not None and v == v for v in values], dtype=bool)
    return ~np.isnan(values.astype(float))


@dataclass(frozen=True)
class BulkResult:
    """Outcomes ``[rules, rows]`` (1 fired, 0 not, -1 unknown), statuses ``[treatments, rows]``
    (index into ``ptsdrx.screening.STATUSES``)."""

    rules: tuple[str, ...]
    treatments: tuple[str, ...]
    outcome: NDArray[np.int8]
    until: Floats
    missing: list[dict[str, Bools]]
    status: NDArray[np.int8]
    major_caution: Bools

    def outcome_name(self, rule: int, row: int) -> str:
        """``fired``, ``not_fired`` or ``unknown`` for one rule and row."""
        return OUTCOMES[int(self.outcome[rule, row])]

    def missing_fields(self, rule: int, row: int) -> tuple[str, ...]:
        """The sorted missing-field labels of one unknown rule outcome (``()`` otherwise)."""
        if self.outcome[rule, row] != UNKNOWN:
            return ()
        return tuple(sorted(k for k, where in self.missing[rule].items() if where[row]))

    def until_date(self, rule: int, row: int) -> date | None:
        """The last day a fired time-limited rule holds (``None``: not time-limited)."""
        u = self.until[rule, row]
        return None if np.isnan(u) else date.fromordinal(int(u))

    def status_name(self, treatment: int, row: int) -> str:
        """The screening status of one treatment and row."""
        return STATUSES[int(self.status[treatment, row])]
