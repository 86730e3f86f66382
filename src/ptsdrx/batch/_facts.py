"""The columnar form of many patient records: the facts the screening rules read.

Why: registry-scale screening cannot walk 10 million ``PatientRecord`` objects. The rules
read a small, fixed set of facts (field values, condition statuses, the medication list,
the latest administration of a few instruments, the latest vital signs, past treatments);
this module lays them out as columns, once, so :mod:`ptsdrx.batch._screen` can evaluate
every rule over whole columns.

Layout (``Facts``): one entry per patient for scalar facts (``NaN``/``None`` = unknown), and
"long" arrays (one entry per medication or past course, with the patient's row) for lists.
Dates are proleptic ordinals (``date.toordinal()``). The same layout is the Parquet source
format of ``ptsdrx score-batch`` (:func:`to_arrow` / :func:`from_arrow`; list columns for
the medications and past courses).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ptsdrx.records import Condition, PatientRecord
from ptsdrx.screening import RuleSet
from ptsdrx.screening._language import (
    FIELDS,
    VITAL_FIELDS,
    AllOf,
    AnyOf,
    AssessedAfter,
    DiagnosisIs,
    FieldCompare,
    InstrumentValue,
    MedicationTaken,
    Node,
    Not,
    PriorTreatment,
)

NO_START = -(2**40)
"""Ordinal standing for "start date unknown" (read as started, as the screener does)."""
NO_STOP = 2**40
"""Ordinal standing for "no stop date" (still taking it)."""


@dataclass(frozen=True)
class Needs:
    """What a rule set reads: the facts to lay out, collected from its condition trees."""

    conditions: tuple[str, ...]
    instruments: tuple[str, ...]
    items: tuple[tuple[str, int], ...]
    details: tuple[tuple[str, str], ...]
    scored: tuple[str, ...]
    """Instruments whose total or details a rule reads (scored by ``ptsdrx.instruments``)."""
    flags: tuple[str, ...]
    """Instruments whose latest administration may raise an urgent flag."""


def _walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, AnyOf | AllOf):
        for c in node.children:
            yield from _walk(c)
    elif isinstance(node, Not):
        yield from _walk(node.child)


def needs(rules: RuleSet) -> Needs:
    """The facts ``rules`` read (every predicate of every rule, plus the urgent flags)."""
    conditions: dict[str, None] = {}
    instruments: dict[str, None] = {}
    items: dict[tuple[str, int], None] = {}
    details: dict[tuple[str, str], None] = {}
    scored: dict[str, None] = {}
    for rule in rules.rules:
        for node in _walk(rule.when):
            if isinstance(node, DiagnosisIs):
                conditions.update((c.value, None) for c in node.conditions)
            elif isinstance(node, InstrumentValue):
                instruments[node.instrument] = None
                kind, key = node.selector
                if kind == "item":
                    items[(node.instrument, int(key))] = None
                else:
                    scored[node.instrument] = None
                    if kind == "detail":
                        details[(node.instrument, str(key))] = None
            elif isinstance(node, AssessedAfter):
                instruments[node.instrument] = None
                instruments[node.after] = None
            elif not isinstance(
                node, AnyOf | AllOf | Not | FieldCompare | MedicationTaken | PriorTreatment
            ):
                raise TypeError(
                    f"rule {rule.id}: bulk screening has no columnar form for "
                    f"{type(node).__name__}; add one in ptsdrx.batch._facts/_screen"
                )
    flag_instruments = tuple(dict.fromkeys(spec.instrument for spec in rules.urgent_flags.values()))
    for inst in flag_instruments:
        instruments[inst] = None
        scored[inst] = None
    return Needs(
        conditions=tuple(conditions),
        instruments=tuple(instruments),
        items=tuple(items),
        details=tuple(details),
        scored=tuple(scored),
        flags=flag_instruments,
    )


@dataclass
class Facts:
    """Columns of facts for ``n`` patients (see the module docstring for the layout)."""

    n: int
    today: NDArray[np.int64]
    cols: dict[str, NDArray[Any]]
    """Scalar facts: ``demographics.age`` ..., ``vitals.<m>`` / ``vitals.<m>.date``,
    ``dx.<condition>`` (current/past/absent/None), ``<inst>.date`` (ordinal, -1 none),
    ``<inst>.item<k>``, ``<inst>.total``, ``<inst>.detail.<k>``, ``<inst>.error``,
    ``<inst>.flags`` (tuple of raised flags), ``assessments.known``, ``medications.known``,
    ``prior_treatments.known``."""
    med_row: NDArray[np.int64]
    med_name: NDArray[Any]
    med_start: NDArray[np.int64]
    med_stop: NDArray[np.int64]
    prior_row: NDArray[np.int64]
    prior_treatment: NDArray[Any]


def _bool(v: bool | None) -> float:
    return np.nan if v is None else float(v)


def facts_from_records(records: Sequence[PatientRecord], need: Needs) -> Facts:
    """Lay out the facts of ``records`` (reading fields only: no rule is evaluated here)."""
    from ptsdrx.instruments import score_administration

    n = len(records)
    today = np.array([r.reference_date().toordinal() for r in records], dtype=np.int64)
    cols: dict[str, list[Any]] = {}

    def put(name: str, i: int, value: Any, fill: Any = np.nan) -> None:
        cols.setdefault(name, [fill] * n)[i] = value

    med_row: list[int] = []
    med_name: list[str] = []
    med_start: list[int] = []
    med_stop: list[int] = []
    prior_row: list[int] = []
    prior_tr: list[str] = []
    for i, rec in enumerate(records):
        for path in FIELDS:
            part, name = path.split(".")
            if part == "vitals":
                continue
            holder = getattr(rec, part)
            value = None if holder is None else getattr(holder, name)
            if FIELDS[path] == (str,):
                put(path, i, value, fill=None)
                continue
            if isinstance(value, bool) or (value is None and path in _BOOL_FIELDS):
                value = _bool(value)
            put(path, i, np.nan if value is None else float(value), fill=np.nan)
        day = today[i]
        for vital in VITAL_FIELDS:
            best = None
            for v in rec.vitals or []:
                value = getattr(v, vital)
                if value is None or v.taken_at.date().toordinal() > day:
                    continue
                if best is None or v.taken_at > best[0]:
                    best = (v.taken_at, value)
            put(f"vitals.{vital}", i, np.nan if best is None else float(best[1]))
            put(f"vitals.{vital}.date", i, -1 if best is None else best[0].date().toordinal(), -1)
        for cond in need.conditions:
            put(f"dx.{cond}", i, rec.condition_status(Condition(cond)), fill=None)
        put("assessments.known", i, rec.assessments is not None, fill=False)
        for inst in need.instruments:
            adm = rec.latest(inst)
            put(f"{inst}.date", i, -1 if adm is None else adm.date.toordinal(), -1)
            if adm is None:
                continue
            for item_inst, k in need.items:
                if item_inst == inst:
                    resp = adm.responses
                    value = None if resp is None or len(resp) < k else resp[k - 1]
                    put(f"{inst}.item{k}", i, np.nan if value is None else float(value))
            if inst in need.scored:
                try:
                    result = score_administration(adm)
                except ValueError as exc:
                    put(f"{inst}.error", i, str(exc), fill=None)
                    continue
                put(f"{inst}.total", i, np.nan if result.total is None else result.total)
                put(f"{inst}.flags", i, tuple(result.flags), fill=())
                for det_inst, key in need.details:
                    if det_inst == inst:
                        put(f"{inst}.detail.{key}", i, result.details.get(key), fill=None)
        put("medications.known", i, rec.medications is not None, fill=False)
        for med in rec.medications or []:
            med_row.append(i)
            med_name.append(med.name)
            med_start.append(NO_START if med.start is None else med.start.toordinal())
            med_stop.append(NO_STOP if med.stop is None else med.stop.toordinal())
        put("prior_treatments.known", i, rec.prior_treatments is not None, fill=False)
        for p in rec.prior_treatments or []:
            prior_row.append(i)
            prior_tr.append(p.treatment)
    arrays = {k: _array(v) for k, v in cols.items()}
    _complete(arrays, n, need)
    return Facts(
        n=n,
        today=today,
        cols=arrays,
        med_row=np.asarray(med_row, dtype=np.int64),
        med_name=np.asarray(med_name, dtype=object),
        med_start=np.asarray(med_start, dtype=np.int64),
        med_stop=np.asarray(med_stop, dtype=np.int64),
        prior_row=np.asarray(prior_row, dtype=np.int64),
        prior_treatment=np.asarray(prior_tr, dtype=object),
    )


_BOOL_FIELDS = frozenset(p for p, kinds in FIELDS.items() if kinds == (bool,))


def _array(values: list[Any]) -> NDArray[Any]:
    if all(isinstance(v, float | int) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=float)
    if all(isinstance(v, bool | np.bool_) for v in values):
        return np.asarray(values, dtype=bool)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _complete(cols: dict[str, NDArray[Any]], n: int, need: Needs) -> None:
    """Columns no record filled (e.g. an instrument nobody took) exist, all unknown."""

    def obj(fill: Any) -> NDArray[Any]:
        a = np.empty(n, dtype=object)
        a[:] = [fill] * n
        return a

    for inst in need.instruments:
        cols.setdefault(f"{inst}.date", np.full(n, -1.0))
    for inst, k in need.items:
        cols.setdefault(f"{inst}.item{k}", np.full(n, np.nan))
    for inst in need.scored:
        cols.setdefault(f"{inst}.error", obj(None))
        cols.setdefault(f"{inst}.total", np.full(n, np.nan))
        cols.setdefault(f"{inst}.flags", obj(()))
    for inst, key in need.details:
        cols.setdefault(f"{inst}.detail.{key}", obj(None))
    for cond in need.conditions:
        cols.setdefault(f"dx.{cond}", obj(None))


def iter_chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive lists of at most ``size`` items (bounded memory over a stream)."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ----------------------------------------------------------------------- Arrow / Parquet


def to_arrow(facts: Facts, extra: dict[str, Any] | None = None) -> Any:
    """Facts as a ``pyarrow.Table`` (lists as list columns; dates as ordinals)."""
    import pyarrow as pa

    data: dict[str, Any] = {"today": pa.array(facts.today)}
    for name in sorted(facts.cols):  # a canonical column order, whatever the records held
        arr = facts.cols[name]
        if name.endswith(".flags"):
            data[name] = pa.array([list(v) for v in arr], type=pa.list_(pa.string()))
        elif arr.dtype == object:
            data[name] = pa.array([None if v is None else str(v) for v in arr], type=pa.string())
        else:
            data[name] = pa.array(arr)
    offsets = np.searchsorted(facts.med_row, np.arange(facts.n + 1)).astype(np.int32)
    known = np.asarray(facts.cols["medications.known"], dtype=bool)
    mask = pa.array(~known)
    for name, values in (
        ("medications.name", pa.array(facts.med_name.tolist(), type=pa.string())),
        ("medications.start", pa.array(facts.med_start)),
        ("medications.stop", pa.array(facts.med_stop)),
    ):
        data[name] = pa.ListArray.from_arrays(pa.array(offsets), values, mask=mask)
    p_off = np.searchsorted(facts.prior_row, np.arange(facts.n + 1)).astype(np.int32)
    p_known = np.asarray(facts.cols["prior_treatments.known"], dtype=bool)
    data["prior_treatments"] = pa.ListArray.from_arrays(
        pa.array(p_off),
        pa.array(facts.prior_treatment.tolist(), type=pa.string()),
        mask=pa.array(~p_known),
    )
    for name, values in (extra or {}).items():
        data[name] = values
    return pa.table(data)


def from_arrow(table: Any, need: Needs) -> Facts:
    """Facts from a table written by :func:`to_arrow` (or any table with that layout).

    Raises ``ValueError`` naming the columns a rule needs that the table lacks.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows
    required = _required_columns(need)
    absent = [c for c in required if c not in table.column_names]
    if absent:
        raise ValueError(f"source lacks columns the screening rules read: {absent}")
    cols: dict[str, NDArray[Any]] = {}
    for name in required:
        listed = name.startswith(("medications.", "prior_treatments"))
        if name == "today" or (listed and not name.endswith(".known")):
            continue
        col = table.column(name).combine_chunks()
        if name.endswith(".flags"):
            cols[name] = _obj([tuple(v) if v is not None else () for v in col.to_pylist()])
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            cols[name] = _obj(col.to_pylist())
        elif pa.types.is_boolean(col.type):
            cols[name] = np.asarray(col.fill_null(False).to_numpy(zero_copy_only=False))
        else:
            cols[name] = np.asarray(col.to_numpy(zero_copy_only=False), dtype=float)
    for name in ("assessments.known", "medications.known", "prior_treatments.known"):
        cols[name] = np.asarray(cols[name], dtype=bool)

    def long(list_col: str) -> tuple[NDArray[np.int64], Any]:
        col = table.column(list_col).combine_chunks()
        rows = np.asarray(pc.list_parent_indices(col).to_numpy(), dtype=np.int64)
        return rows, pc.list_flatten(col)

    med_row, names = long("medications.name")
    _, starts = long("medications.start")
    _, stops = long("medications.stop")
    prior_row, treatments = long("prior_treatments")
    return Facts(
        n=n,
        today=np.asarray(table.column("today").to_numpy(), dtype=np.int64),
        cols=cols,
        med_row=med_row,
        med_name=_obj(names.to_pylist()),
        med_start=np.asarray(starts.to_numpy(), dtype=np.int64),
        med_stop=np.asarray(stops.to_numpy(), dtype=np.int64),
        prior_row=prior_row,
        prior_treatment=_obj(treatments.to_pylist()),
    )


def _obj(values: list[Any]) -> NDArray[Any]:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _required_columns(need: Needs) -> list[str]:
    cols = ["today"]
    cols += [p for p in FIELDS if not p.startswith("vitals.")]
    cols += [f"vitals.{v}" for v in VITAL_FIELDS] + [f"vitals.{v}.date" for v in VITAL_FIELDS]
    cols += [f"dx.{c}" for c in need.conditions]
    cols += ["assessments.known", "medications.known", "prior_treatments.known"]
    cols += [f"{i}.date" for i in need.instruments]
    cols += [f"{i}.item{k}" for i, k in need.items]
    for i in need.scored:
        cols += [f"{i}.error", f"{i}.total", f"{i}.flags"]
    cols += [f"{i}.detail.{k}" for i, k in need.details]
    cols += ["medications.name", "medications.start", "medications.stop", "prior_treatments"]
    return cols


def ordinal_to_date(ordinal: int) -> date:
    """The calendar date of an ordinal used in these columns."""
    return date.fromordinal(int(ordinal))
