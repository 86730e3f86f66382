"""Bulk screening: the packaged rules file evaluated over columns, three-valued.

Why: per-record ``ptsdrx.screening.screen`` costs about a millisecond; a registry of 10
million patients needs the same rules over whole columns. The rule *trees* are the ones
``ptsdrx.screening`` parses (same file, same site tightening, same parameters); only their
evaluation is vectorised here, predicate by predicate, with Kleene logic on arrays.

A verdict over ``n`` rows is a value array (1 true, 0 false, -1 unknown), the missing-field
labels (one boolean array per label, set only where the verdict is unknown: the same labels
the per-record screener names), the ``until`` ordinal of a time-limited truth (``NaN``:
not time-limited) and the reasons a truth holds (``because``: one boolean array per reason,
e.g. a CYP2D6 phenoconversion, set only where the verdict is true). Every node kind of the
condition language is vectorised; none falls back to per-record evaluation. The tests check
agreement with ``screen`` on every rule, including the unknown cases, the labels, the dates
and the reasons.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ptsdrx.batch._facts import NO_ONSET, Facts
from ptsdrx.records import Condition
from ptsdrx.screening import STATUSES, RuleSet
from ptsdrx.screening._logic import AllOf, AnyOf, Comparison, Node, Not, Param
from ptsdrx.screening._predicates import (
    CONVERTIBLE,
    PHENOCONVERTERS,
    VITALS_WINDOW,
    AssessedAfter,
    DiagnosisIs,
    FieldCompare,
    InstrumentValue,
    MedicationTaken,
    MetaboliserIs,
    PriorTreatment,
    _unrecognised,
)
from ptsdrx.screening._result import BLOCKING, CAUTIONS
from ptsdrx.vocabulary import drug_classes, narrower

Bools = NDArray[np.bool_]
Floats = NDArray[np.float64]
TRUE, FALSE, UNKNOWN = 1, 0, -1
OUTCOMES = ("not_fired", "fired", "unknown")
"""Outcome names by code (code -1 indexes "unknown")."""
_BLOCKING = {
    "contraindicated": STATUSES.index("contraindicated"),
    "exclude": STATUSES.index("excluded"),
    "hold": STATUSES.index("hold"),
}
assert frozenset(_BLOCKING) == BLOCKING
NEEDS_INFORMATION = STATUSES.index("needs_information")
CAUTION = STATUSES.index("caution")
ELIGIBLE = STATUSES.index("eligible")


@dataclass
class V:
    """A three-valued verdict over rows."""

    value: NDArray[np.int8]
    missing: dict[str, Bools]
    until: Floats
    because: dict[str, Bools] = field(default_factory=dict)


def _known(value: Bools, truth: Bools, n: int) -> V:
    v = np.where(truth, TRUE, FALSE).astype(np.int8)
    v[~value] = UNKNOWN
    return V(v, {}, np.full(n, np.nan))


def _add(labels: dict[str, Bools], label: str, where: Bools) -> None:
    if where.any():
        labels[label] = labels.get(label, np.zeros(len(where), bool)) | where


def _with_label(v: V, label: str, where: Bools) -> V:
    _add(v.missing, label, where)
    return v


def _per_value(values: NDArray[Any], where: Bools) -> list[tuple[Any, Bools]]:
    """Each distinct value of ``values`` on the ``where`` entries, with its mask."""
    if not where.any():
        return []
    codes, uniq = pd.factorize(pd.Series(values[where], dtype=object))
    out = []
    for c, u in enumerate(uniq):
        mask = np.zeros(len(values), dtype=bool)
        mask[np.flatnonzero(where)[codes == c]] = True
        out.append((u, mask))
    return out


def _rows(row: NDArray[np.int64], where: Bools, n: int) -> Bools:
    """Rows with at least one long entry selected by ``where``."""
    return np.bincount(row[where], minlength=n) > 0


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
            if node.onset_within_days is not None:
                return self._recent(node, f)
            return self._diagnosis(node.conditions, node.statuses, f)
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
        if isinstance(node, MetaboliserIs):
            return self._metaboliser(node, f)
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
        unknown, true = value == UNKNOWN, value == TRUE
        for k in kids:
            for label, where in k.missing.items():
                _with_label(out, label, where & unknown)
            for reason, where in k.because.items():
                _add(out.because, reason, where & true)
        return out

    def _diagnosis(
        self, conditions: tuple[Condition, ...], statuses: frozenset[str], f: Facts
    ) -> V:
        """Any condition in one of the statuses; unknown naming the conditions not known."""
        n = f.n
        hit = np.zeros(n, dtype=bool)
        unknown: list[tuple[str, Bools]] = []
        for cond in conditions:
            status = f.cols[f"dx.{cond.value}"]
            none = _none(status)
            hit |= pd.Series(status, dtype=object).isin(list(statuses)).to_numpy() & ~none
            unknown.append((f"diagnoses.{cond.value}", none))
        any_unknown = np.zeros(n, dtype=bool)
        for _, none in unknown:
            any_unknown |= none
        v = _known(~(any_unknown & ~hit), hit, n)
        for label, none in unknown:
            _with_label(v, label, none & (v.value == UNKNOWN))
        return v

    def _recent(self, node: DiagnosisIs, f: Facts) -> V:
        """A matching diagnosis with an onset in the window (``DiagnosisIs._recent``)."""
        n = f.n
        assert node.onset_within_days is not None
        days = self._days(node.onset_within_days)
        wanted = {c.value for c in set().union(*(narrower(c) for c in node.conditions))}
        kinds = np.zeros(len(f.dx_row), dtype=bool)
        for conds, where in _per_value(f.dx_conditions, np.ones(len(f.dx_row), dtype=bool)):
            kinds[where] = bool(wanted & set(str(conds).split("/")))
        matching = kinds & pd.Series(f.dx_status, dtype=object).isin(list(node.statuses)).to_numpy()
        no_onset = matching & (f.dx_onset == NO_ONSET)
        today = f.today[f.dx_row]
        recent = matching & ~no_onset & (f.dx_onset >= today - days) & (f.dx_onset <= today)
        is_recent = _rows(f.dx_row, recent, n)
        undated = _rows(f.dx_row, no_onset, n) & ~is_recent
        plain = self._diagnosis(node.conditions, node.statuses, f)
        value = np.where(plain.value == UNKNOWN, UNKNOWN, FALSE).astype(np.int8)
        value[undated] = UNKNOWN
        value[is_recent] = TRUE
        v = V(value, {}, np.full(n, np.nan))
        for conds, where in _per_value(f.dx_conditions, no_onset):
            _with_label(v, f"diagnoses.{conds}.onset", _rows(f.dx_row, where, n) & undated)
        rest = (value == UNKNOWN) & ~undated
        for label, where in plain.missing.items():
            _with_label(v, label, where & rest)
        return v

    def _days(self, days: int | Param) -> int:
        return int(self.params[days.name]) if isinstance(days, Param) else int(days)

    def _metaboliser(self, node: MetaboliserIs, f: Facts) -> V:
        """The effective phenotype (``MetaboliserIs``: CYP2D6 phenoconversion by inhibitors)."""
        n = f.n
        genotype = f.cols[f"genetics.{node.gene}"]
        value = np.full(n, FALSE, dtype=np.int8)
        v = V(value, {}, np.full(n, np.nan))
        untested = _none(genotype)
        if node.untested_applies:
            value[untested] = UNKNOWN
            _with_label(v, f"genetics.metabolizers.{node.gene}", untested)
        cls = PHENOCONVERTERS.get(node.gene) if node.phenoconversion else None
        inhibitor = self._inhibitor(cls, f) if cls is not None else None
        for pheno, where in _per_value(genotype, ~untested):
            as_is = pheno in node.phenotypes
            converted = "poor" in node.phenotypes
            if cls is None or pheno not in CONVERTIBLE or as_is == converted:
                value[where] = TRUE if as_is else FALSE
                continue
            assert inhibitor is not None
            name, strangers = inhibitor
            taking = where & ~_none(name)
            if converted:
                value[taking] = TRUE
                for drug, on in _per_value(name, taking):
                    why = (
                        f"{node.gene} treated as a poor metaboliser: genotype {pheno}, taking "
                        f"{drug}, a strong {node.gene} inhibitor (phenoconversion)"
                    )
                    _add(v.because, why, on)
            rest = where & ~taking
            meds_unknown = rest & ~f.cols["medications.known"]
            value[meds_unknown] = UNKNOWN
            _with_label(v, "medications (strong CYP2D6 inhibitors: phenoconversion)", meds_unknown)
            rest &= ~meds_unknown
            odd = rest & strangers.any(axis=0) if len(strangers) else np.zeros(n, dtype=bool)
            value[odd] = UNKNOWN
            for s, label in enumerate(self._stranger_labels(f)):
                _with_label(v, label, odd & strangers[s])
            value[rest & ~odd] = TRUE if as_is else FALSE
        return v

    def _stranger_labels(self, f: Facts) -> list[str]:
        """The label of each distinct unrecognised medication name (as ``_inhibitor`` keys)."""
        unknown = _none(f.med_drug)
        return [_unrecognised(str(u)) for u, _ in _per_value(f.med_name, unknown)]

    def _inhibitor(self, cls: str, f: Facts) -> tuple[NDArray[Any], Bools]:
        """Per row, the first medication of class ``cls`` taken now; unrecognised names.

        ``None`` when none is taken; and per distinct unrecognised name taken now, the rows taking
        it ``[names, rows]``.
        """
        n = f.n
        members = drug_classes()[cls].members
        today = f.today[f.med_row]
        now = (f.med_start <= today) & (f.med_stop > today)
        drug = pd.Series(f.med_drug, dtype=object)
        inhibits = now & drug.isin(list(members)).to_numpy()
        name = np.full(n, None, dtype=object)
        idx = np.flatnonzero(inhibits)[::-1]  # the first in list order is written last
        name[f.med_row[idx]] = f.med_name[idx]
        unknown = _none(f.med_drug)
        strangers = [
            _rows(f.med_row, where & now, n) for _, where in _per_value(f.med_name, unknown)
        ]
        return name, np.array(strangers, dtype=bool).reshape(len(strangers), n)

    def _field(self, node: FieldCompare, f: Facts) -> V:
        n = f.n
        values = f.cols[node.path]
        label = node.path
        if node.path.startswith("vitals."):
            days = int(self.params[VITALS_WINDOW])
            taken = f.cols[f"{node.path}.date"]
            known = (taken >= 0) & (taken >= f.today - days) & ~np.isnan(values)
            label = f"{node.path} (within {days} days)"
        else:
            known = _is_known(values)
        v = _known(known, self._test(values, known, node.comparison), n)
        if node.needed_if is None:
            return _with_label(v, label, ~known)
        need = self.evaluate(node.needed_if, f)
        not_needed = ~known & (need.value == FALSE)
        v.value[not_needed] = FALSE
        asked = ~known & ~not_needed
        for other, where in need.missing.items():
            _with_label(v, other, where & asked)
        return _with_label(v, label, asked)

    def _medication(self, node: MedicationTaken, f: Facts) -> V:
        """``MedicationTaken``: taken now, or stopped within the window (until its end)."""
        n = f.n
        known = f.cols["medications.known"]
        days = self._days(node.within_days)
        today = f.today[f.med_row]
        active = (f.med_start <= today) & (f.med_stop >= today - days)
        drug = pd.Series(f.med_drug, dtype=object)
        unknown = drug.isna().to_numpy()
        wanted = drug.isin(list(node.drugs - node.excluded)).to_numpy() & ~unknown
        match = active & wanted
        current = match & (f.med_stop > today)
        ended = match & ~current
        now = _rows(f.med_row, current, n)
        recent = _rows(f.med_row, ended, n)
        ends = np.full(n, -np.inf)
        np.maximum.at(ends, f.med_row[ended], (f.med_stop[ended] + days).astype(float))
        strangers = active & unknown
        odd = _rows(f.med_row, strangers, n) & ~now & ~recent
        v = _known(known & ~odd, now | recent, n)
        v.until = np.where(known & ~now & recent, ends, np.nan)
        for name, where in _per_value(f.med_name, strangers):
            _with_label(v, _unrecognised(str(name)), _rows(f.med_row, where, n) & odd & known)
        return _with_label(v, "medications", ~known)

    def _instrument(self, node: InstrumentValue, f: Facts) -> V:
        n = f.n
        inst = node.instrument
        name = f"assessments.{inst}"
        taken = f.cols[f"{inst}.date"]
        present = taken >= 0
        if node.within_days is not None:
            days = self._days(node.within_days)
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
            failed = present & ~_none(error)
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
        outcomes, until, missing, because = [], [], [], []
        for rule in self.rules.rules:
            v = self.evaluate(rule.when, f)
            outcomes.append(v.value)
            until.append(np.where(v.value == TRUE, v.until, np.nan))
            missing.append(v.missing)
            because.append(v.because)
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
                elif effect in CAUTIONS:
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
            because=because,
            status=status,
            major_caution=major,
        )


def _none(values: NDArray[Any]) -> Bools:
    """True where an object column holds ``None`` (one C loop, 4x a list comprehension)."""
    return np.asarray(np.equal(values, np.array(None, dtype=object)), dtype=bool)


def _is_known(values: NDArray[Any]) -> Bools:
    if values.dtype == object:
        return np.array([v is not None and v == v for v in values], dtype=bool)
    return ~np.isnan(values.astype(float))


@dataclass(frozen=True)
class BulkResult:
    """Outcomes ``[rules, rows]`` and statuses ``[treatments, rows]``.

    Outcomes are 1 fired, 0 not, -1 unknown; statuses index into ``ptsdrx.screening.STATUSES``.
    """

    rules: tuple[str, ...]
    treatments: tuple[str, ...]
    outcome: NDArray[np.int8]
    until: Floats
    missing: list[dict[str, Bools]]
    because: list[dict[str, Bools]]
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

    def reasons(self, rule: int, row: int) -> tuple[str, ...]:
        """Why a fired rule holds beyond its rationale (a phenoconversion), in rule order."""
        if self.outcome[rule, row] != TRUE:
            return ()
        return tuple(k for k, where in self.because[rule].items() if where[row])

    def until_date(self, rule: int, row: int) -> date | None:
        """The last day a fired time-limited rule holds (``None``: not time-limited)."""
        u = self.until[rule, row]
        return None if np.isnan(u) else date.fromordinal(int(u))

    def status_name(self, treatment: int, row: int) -> str:
        """The screening status of one treatment and row."""
        return STATUSES[int(self.status[treatment, row])]
