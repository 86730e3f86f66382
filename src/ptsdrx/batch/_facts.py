"""The columnar form of many patient records: the facts the screening rules read.

Why: registry-scale screening cannot walk 10 million ``PatientRecord`` objects. The rules
read a small, fixed set of facts (field values, condition statuses, the medication list,
the latest administration of a few instruments, the latest vital signs, past treatments);
the ranking also reads the past courses in full and the stated preferences;
this module lays them out as columns, once, so :mod:`ptsdrx.batch._screen` can evaluate
every rule over whole columns.

Layout (``Facts``): one entry per patient for scalar facts (``NaN``/``None`` = unknown), and
"long" arrays (one entry per medication, past course or diagnosis, with the patient's row)
for lists.
Dates are proleptic ordinals (``date.toordinal()``). The same layout is the Parquet source
format of ``ptsdrx score-batch`` (:func:`to_arrow` / :func:`from_arrow`; list columns for
the medications, past courses and diagnoses).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ptsdrx.records import PatientRecord, Preferences
from ptsdrx.records import PriorTreatment as Course
from ptsdrx.screening import RuleSet
from ptsdrx.screening._logic import AllOf, AnyOf, Node, Not
from ptsdrx.screening._predicates import (
    _FAMILY,
    FIELDS,
    VITAL_FIELDS,
    AssessedAfter,
    DiagnosisIs,
    FieldCompare,
    InstrumentValue,
    MedicationTaken,
    MetaboliserIs,
    PriorTreatment,
    medication_drug,
    orthostatic_drop,
)
from ptsdrx.vocabulary import condition_status

NO_START = -(2**40)
"""Ordinal standing for "start date unknown" (read as started, as the screener does)."""
NO_STOP = 2**40
"""Ordinal standing for "no stop date" (still taking it)."""
NO_ONSET = -1
"""Ordinal standing for "onset date not recorded"."""
NO_DATE = -1
"""Ordinal standing for "date not recorded" (a past course's start or stop)."""
PREFERENCES: tuple[str, ...] = tuple(Preferences.model_fields)
"""The fields of ``Preferences``, each laid out as a ``preferences.<field>`` column."""
_PREF_LISTS = frozenset({"refused_treatments", "preferred_treatments"})
_PREF_BOOLS = frozenset(
    {"willing_psychotherapy", "willing_psychedelic", "willing_to_travel_jurisdiction"}
)
ORTHOSTATIC = "vitals.orthostatic_systolic_drop"
_LEAVES = (
    FieldCompare,
    MedicationTaken,
    PriorTreatment,
    DiagnosisIs,
    InstrumentValue,
    AssessedAfter,
    MetaboliserIs,
)


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
    genes: tuple[str, ...] = ()
    """Genes whose metaboliser phenotype a rule reads."""


def walk(node: Node) -> Iterator[Node]:
    """Every node of a condition tree (``needed_if`` conditions included)."""
    yield node
    if isinstance(node, AnyOf | AllOf):
        for c in node.children:
            yield from walk(c)
    elif isinstance(node, Not):
        yield from walk(node.child)
    elif isinstance(node, FieldCompare) and node.needed_if is not None:
        yield from walk(node.needed_if)


def needs(rules: RuleSet) -> Needs:
    """The facts ``rules`` read (every predicate of every rule, plus the urgent flags)."""
    conditions: dict[str, None] = {}
    instruments: dict[str, None] = {}
    items: dict[tuple[str, int], None] = {}
    details: dict[tuple[str, str], None] = {}
    scored: dict[str, None] = {}
    genes: dict[str, None] = {}
    for rule in rules.rules:
        for node in walk(rule.when):
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
            elif isinstance(node, MetaboliserIs):
                genes[node.gene] = None
            elif not isinstance(node, (AnyOf, AllOf, Not, *_LEAVES)):
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
        genes=tuple(genes),
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
    ``<inst>.flags`` (tuple of raised flags), ``genetics.<gene>`` (phenotype or None),
    ``baseline_pcl5`` (the latest PCL-5 total the ranking's priors start from),
    ``assessments.known``, ``medications.known``, ``prior_treatments.known``,
    ``preferences.known`` and ``preferences.<field>`` (every ``Preferences`` field: lists as
    tuples or ``None``, booleans as 1/0/``NaN``, numbers as floats, ``NaN`` unknown)."""
    med_row: NDArray[np.int64]
    med_name: NDArray[Any]
    med_drug: NDArray[Any]
    """The vocabulary drug id of each medication (by name, else RxNorm; ``None``: unknown)."""
    med_start: NDArray[np.int64]
    med_stop: NDArray[np.int64]
    prior_row: NDArray[np.int64]
    prior_treatment: NDArray[Any]
    prior_start: NDArray[np.int64]
    """Ordinal (``NO_DATE``: not recorded); likewise ``prior_stop``."""
    prior_stop: NDArray[np.int64]
    prior_adequate: NDArray[Any]
    """``True``/``False``/``None`` per course; likewise ``prior_stopped_for_adverse_effects``."""
    prior_response: NDArray[Any]
    prior_stopped_for_adverse_effects: NDArray[Any]
    dx_row: NDArray[np.int64]
    dx_status: NDArray[Any]
    dx_conditions: NDArray[Any]
    """The conditions each diagnosis stands for, ``/``-joined (``Diagnosis.conditions()``)."""
    dx_onset: NDArray[np.int64]


def _bool(v: bool | None) -> float:
    return np.nan if v is None else float(v)


def _field(rec: PatientRecord, path: str) -> Any:
    """A non-vitals field as ``FieldCompare`` reads it (first-degree pairs answer family flags)."""
    part, name = path.split(".")
    holder = getattr(rec, part)
    if part == "family_history" and holder is not None and holder.first_degree(*_FAMILY[name]):
        return True
    return None if holder is None else getattr(holder, name)


def _baseline(rec: PatientRecord) -> float:
    """The latest PCL-5 total ``recommend`` starts its priors from (``NaN``: none, unscorable)."""
    from ptsdrx.recommend import baseline_pcl5

    try:
        found = baseline_pcl5(rec)
    except ValueError:
        return np.nan
    return np.nan if found is None else float(found)


def facts_from_records(records: Sequence[PatientRecord], need: Needs) -> Facts:
    """Lay out the facts of ``records`` (reading fields only: no rule is evaluated here)."""
    from ptsdrx.instruments import score_administration
    from ptsdrx.records import Condition

    n = len(records)
    today = np.array([r.reference_date().toordinal() for r in records], dtype=np.int64)
    cols: dict[str, list[Any]] = {}

    def put(name: str, i: int, value: Any, fill: Any = np.nan) -> None:
        if name not in cols:  # not setdefault: that would build an n-long list per call
            cols[name] = [fill] * n
        cols[name][i] = value

    long: dict[str, list[Any]] = {k: [] for k in _LONG}
    for i, rec in enumerate(records):
        for path in FIELDS:
            if path.startswith("vitals."):
                continue
            value = _field(rec, path)
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
        # the latest pair up to today: the vitals window is applied over columns
        pair = orthostatic_drop(rec, date.min, date.fromordinal(int(day)))
        put(ORTHOSTATIC, i, np.nan if pair is None else float(pair[1]))
        put(f"{ORTHOSTATIC}.date", i, -1 if pair is None else pair[0].date().toordinal(), -1)
        for cond in need.conditions:
            put(f"dx.{cond}", i, condition_status(rec, Condition(cond)), fill=None)
        for d in rec.diagnoses or []:
            long["dx_row"].append(i)
            long["dx_status"].append(d.status)
            long["dx_conditions"].append("/".join(c.value for c in d.conditions()))
            long["dx_onset"].append(NO_ONSET if d.onset is None else d.onset.toordinal())
        metabolizers = None if rec.genetics is None else rec.genetics.metabolizers
        for gene in need.genes:
            found = None if metabolizers is None else metabolizers.get(gene)  # type: ignore[call-overload]
            put(f"genetics.{gene}", i, found, fill=None)
        put("baseline_pcl5", i, _baseline(rec))
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
            long["med_row"].append(i)
            long["med_name"].append(med.name)
            long["med_drug"].append(medication_drug(med))
            long["med_start"].append(NO_START if med.start is None else med.start.toordinal())
            long["med_stop"].append(NO_STOP if med.stop is None else med.stop.toordinal())
        put("prior_treatments.known", i, rec.prior_treatments is not None, fill=False)
        for p in rec.prior_treatments or []:
            long["prior_row"].append(i)
            long["prior_treatment"].append(p.treatment)
            long["prior_start"].append(NO_DATE if p.start is None else p.start.toordinal())
            long["prior_stop"].append(NO_DATE if p.stop is None else p.stop.toordinal())
            long["prior_adequate"].append(p.adequate)
            long["prior_response"].append(p.response)
            long["prior_stopped_for_adverse_effects"].append(p.stopped_for_adverse_effects)
        _put_preferences(put, i, rec.preferences)
    arrays = {k: _array(v) for k, v in cols.items()}
    _complete(arrays, n, need)
    return Facts(
        n=n,
        today=today,
        cols=arrays,
        **{k: _long_array(k, v) for k, v in long.items()},
    )


#: The long arrays of ``Facts``: integer ones (rows, ordinals) and object ones (names).
_LONG = (
    "med_row",
    "med_name",
    "med_drug",
    "med_start",
    "med_stop",
    "prior_row",
    "prior_treatment",
    "prior_start",
    "prior_stop",
    "prior_adequate",
    "prior_response",
    "prior_stopped_for_adverse_effects",
    "dx_row",
    "dx_status",
    "dx_conditions",
    "dx_onset",
)
_INT_LONG = frozenset(
    {"med_row", "med_start", "med_stop", "prior_row", "prior_start", "prior_stop", "dx_row"}
    | {"dx_onset"}
)
_BOOL_LONG = frozenset({"prior_adequate", "prior_stopped_for_adverse_effects"})


def _put_preferences(put: Any, i: int, prefs: Preferences | None) -> None:
    """The ``preferences.*`` columns of one row (see :class:`Facts`)."""
    put("preferences.known", i, prefs is not None, fill=False)
    for name in PREFERENCES:
        value = None if prefs is None else getattr(prefs, name)
        if name in _PREF_LISTS:
            put(f"preferences.{name}", i, None if value is None else tuple(value), fill=None)
        elif name in _PREF_BOOLS:
            put(f"preferences.{name}", i, _bool(value))
        else:
            put(f"preferences.{name}", i, np.nan if value is None else float(value))


def preferences_of(facts: Facts, row: int) -> Preferences | None:
    """The ``Preferences`` of one row, rebuilt from its ``preferences.*`` columns."""
    if not bool(facts.cols["preferences.known"][row]):
        return None
    values: dict[str, Any] = {}
    for name in PREFERENCES:
        v = facts.cols[f"preferences.{name}"][row]
        if name in _PREF_LISTS:
            values[name] = None if v is None else list(v)
        elif np.isnan(v):
            values[name] = None
        elif name in _PREF_BOOLS:
            values[name] = bool(v)
        else:
            values[name] = int(v) if name == "max_visits" else float(v)
    return Preferences(**values)


def row_preferences(facts: Facts) -> list[Preferences | None]:
    """Each row's ``Preferences`` (rows with the same columns share one object)."""
    names = ["preferences.known", *(f"preferences.{p}" for p in PREFERENCES)]
    cols = [facts.cols[c] for c in names]
    seen: dict[tuple[Any, ...], Preferences | None] = {}
    out: list[Preferences | None] = []
    for i in range(facts.n):
        # NaN != NaN: key unknown numbers as None so identical rows share one entry
        key = tuple(None if isinstance(v, float) and v != v else v for v in (c[i] for c in cols))
        if key not in seen:
            seen[key] = preferences_of(facts, i)
        out.append(seen[key])
    return out


def row_courses(facts: Facts) -> list[tuple[Course, ...]]:
    """Each row's past courses, in record order (``()``: none or unknown).

    Rows with the same courses share one tuple: a registry repeats a few common histories,
    and building a ``PriorTreatment`` validates it.
    """
    bounds = np.searchsorted(facts.prior_row, np.arange(facts.n + 1)).tolist()
    columns = (
        facts.prior_treatment,
        facts.prior_start,
        facts.prior_stop,
        facts.prior_adequate,
        facts.prior_response,
        facts.prior_stopped_for_adverse_effects,
    )
    long = list(zip(*(c.tolist() for c in columns), strict=True))
    seen: dict[tuple[Any, ...], tuple[Course, ...]] = {(): ()}
    out: list[tuple[Course, ...]] = []
    for i in range(facts.n):
        start, stop = bounds[i], bounds[i + 1]
        key = tuple(long[start:stop])
        if key not in seen:
            seen[key] = courses_of(facts, start, stop)
        out.append(seen[key])
    return out


def courses_of(facts: Facts, start: int, stop: int) -> tuple[Course, ...]:
    """The past courses at ``[start, stop)`` of the long arrays, as ``PriorTreatment``."""

    def day(v: Any) -> date | None:
        return None if int(v) == NO_DATE else date.fromordinal(int(v))

    return tuple(
        Course(
            treatment=facts.prior_treatment[k],
            start=day(facts.prior_start[k]),
            stop=day(facts.prior_stop[k]),
            adequate=facts.prior_adequate[k],
            response=facts.prior_response[k],
            stopped_for_adverse_effects=facts.prior_stopped_for_adverse_effects[k],
        )
        for k in range(start, stop)
    )


def _long_array(name: str, values: list[Any]) -> NDArray[Any]:
    return np.asarray(values, dtype=np.int64) if name in _INT_LONG else _obj(values)


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
    """Columns no record filled (e.g. an instrument nobody took) exist, all unknown.

    Every record fills the per-record fields, so they are missing only from a chunk with no
    record at all (every line rejected): it still gets every column, with no rows.
    """

    def obj(fill: Any) -> NDArray[Any]:
        a = np.empty(n, dtype=object)
        a[:] = [fill] * n
        return a

    for path, kinds in FIELDS.items():
        if not path.startswith("vitals."):
            cols.setdefault(path, obj(None) if kinds == (str,) else np.full(n, np.nan))
    for name in (*(f"vitals.{v}" for v in VITAL_FIELDS), ORTHOSTATIC, "baseline_pcl5"):
        cols.setdefault(name, np.full(n, np.nan))
        if name != "baseline_pcl5":
            cols.setdefault(f"{name}.date", np.full(n, -1.0))
    for known in ("assessments.known", "medications.known", "prior_treatments.known"):
        cols.setdefault(known, np.zeros(n, dtype=bool))

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
    for gene in need.genes:
        cols.setdefault(f"genetics.{gene}", obj(None))
    cols.setdefault("preferences.known", np.zeros(n, dtype=bool))
    for name in PREFERENCES:
        cols.setdefault(
            f"preferences.{name}", obj(None) if name in _PREF_LISTS else np.full(n, np.nan)
        )


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


#: List columns of the source layout: (column, long array, row array, the ``.known`` column
#: whose false rows are null lists, or ``None``).
_LISTS = (
    ("medications.name", "med_name", "med_row", "medications.known"),
    ("medications.drug", "med_drug", "med_row", "medications.known"),
    ("medications.start", "med_start", "med_row", "medications.known"),
    ("medications.stop", "med_stop", "med_row", "medications.known"),
    ("prior_treatments", "prior_treatment", "prior_row", "prior_treatments.known"),
    ("prior_treatments.start", "prior_start", "prior_row", "prior_treatments.known"),
    ("prior_treatments.stop", "prior_stop", "prior_row", "prior_treatments.known"),
    ("prior_treatments.adequate", "prior_adequate", "prior_row", "prior_treatments.known"),
    ("prior_treatments.response", "prior_response", "prior_row", "prior_treatments.known"),
    (
        "prior_treatments.stopped_for_adverse_effects",
        "prior_stopped_for_adverse_effects",
        "prior_row",
        "prior_treatments.known",
    ),
    ("diagnoses.status", "dx_status", "dx_row", None),
    ("diagnoses.conditions", "dx_conditions", "dx_row", None),
    ("diagnoses.onset", "dx_onset", "dx_row", None),
)


def to_arrow(facts: Facts, extra: dict[str, Any] | None = None) -> Any:
    """Facts as a ``pyarrow.Table`` (lists as list columns; dates as ordinals)."""
    import pyarrow as pa

    data: dict[str, Any] = {"today": pa.array(facts.today)}
    for name in sorted(facts.cols):  # a canonical column order, whatever the records held
        arr = facts.cols[name]
        if name.endswith(".flags"):
            data[name] = pa.array([list(v) for v in arr], type=pa.list_(pa.string()))
        elif name in _TUPLE_COLS:
            data[name] = pa.array(
                [None if v is None else list(v) for v in arr], type=pa.list_(pa.string())
            )
        elif arr.dtype == object:
            data[name] = pa.array([None if v is None else str(v) for v in arr], type=pa.string())
        else:
            data[name] = pa.array(arr)
    for column, attr, row_attr, known in _LISTS:
        rows: NDArray[np.int64] = getattr(facts, row_attr)
        values: NDArray[Any] = getattr(facts, attr)
        offsets = np.searchsorted(rows, np.arange(facts.n + 1)).astype(np.int32)
        flat = (
            pa.array(values.tolist(), type=pa.bool_())
            if attr in _BOOL_LONG
            else pa.array(values.tolist(), type=pa.string())
            if values.dtype == object
            else pa.array(values, type=pa.int64())
        )
        mask = None if known is None else pa.array(~np.asarray(facts.cols[known], dtype=bool))
        data[column] = pa.ListArray.from_arrays(pa.array(offsets), flat, mask=mask)
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
    listed = {column for column, *_ in _LISTS}
    cols: dict[str, NDArray[Any]] = {}
    for name in required:
        if name == "today" or name in listed:
            continue
        col = table.column(name).combine_chunks()
        if name.endswith(".flags"):
            cols[name] = _obj([tuple(v) if v is not None else () for v in col.to_pylist()])
        elif name in _TUPLE_COLS:
            cols[name] = _obj([None if v is None else tuple(v) for v in col.to_pylist()])
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            cols[name] = _obj(col.to_pylist())
        elif pa.types.is_boolean(col.type):
            cols[name] = np.asarray(col.fill_null(False).to_numpy(zero_copy_only=False))
        else:
            cols[name] = np.asarray(col.to_numpy(zero_copy_only=False), dtype=float)
    known = ("assessments.known", "medications.known", "prior_treatments.known")
    for name in (*known, "preferences.known"):
        cols[name] = np.asarray(cols[name], dtype=bool)
    long: dict[str, NDArray[Any]] = {}
    for column, attr, row_attr, _ in _LISTS:
        col = table.column(column).combine_chunks()
        long[row_attr] = np.asarray(pc.list_parent_indices(col).to_numpy(), dtype=np.int64)
        flat = pc.list_flatten(col)
        long[attr] = (
            np.asarray(flat.to_numpy(), dtype=np.int64)
            if attr in _INT_LONG
            else _obj(flat.to_pylist())
        )
    return Facts(
        n=n,
        today=np.asarray(table.column("today").to_numpy(), dtype=np.int64),
        cols=cols,
        **long,
    )


_TUPLE_COLS = frozenset(f"preferences.{p}" for p in _PREF_LISTS)


def _obj(values: list[Any]) -> NDArray[Any]:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _required_columns(need: Needs) -> list[str]:
    cols = ["today", "baseline_pcl5"]
    cols += [p for p in FIELDS if not p.startswith("vitals.")]
    cols += [f"vitals.{v}" for v in VITAL_FIELDS] + [f"vitals.{v}.date" for v in VITAL_FIELDS]
    cols += [ORTHOSTATIC, f"{ORTHOSTATIC}.date"]
    cols += [f"dx.{c}" for c in need.conditions]
    cols += [f"genetics.{g}" for g in need.genes]
    cols += ["assessments.known", "medications.known", "prior_treatments.known"]
    cols += ["preferences.known"] + [f"preferences.{p}" for p in PREFERENCES]
    cols += [f"{i}.date" for i in need.instruments]
    cols += [f"{i}.item{k}" for i, k in need.items]
    for i in need.scored:
        cols += [f"{i}.error", f"{i}.total", f"{i}.flags"]
    cols += [f"{i}.detail.{k}" for i, k in need.details]
    cols += [column for column, *_ in _LISTS]
    return cols


def ordinal_to_date(ordinal: int) -> date:
    """The calendar date of an ordinal used in these columns."""
    return date.fromordinal(int(ordinal))
