"""The recommendation decision for a chunk of rows: first-ranked option, recommend or abstain.

The decision is ``ptsdrx.recommend.decide``'s: its gates (``gate_options``) are computed by
``recommend`` itself, once per group of rows whose options share every fact but the numbers
(screening outcomes, access, preferences, history, hold, which estimates exist), and the
ranking of a large group runs in columns (``batch._rank``, ``decide``'s steps in NumPy,
tested equal to ``decide``); small groups and holds go through ``decide`` row by row. Each
row's candidates are built as ``recommend`` gathers them (``Candidate`` per catalog
treatment, the same availability, evidence grade and prior). Inputs that repeat are cached:
per treatment its static facts (name, evidence grade, availability per place, prior per
baseline PCL-5), per distinct preferences the conflicts, per chunk each treatment's rule ids
per combination of its rule outcomes.

Treatment history and stated preferences are read as ``recommend`` reads them: each
candidate carries the row's past courses of its treatment (``Candidate.history``; the
policy's ``treatment_history`` gate in ``decide`` demotes a failed adequate course or one
stopped for adverse effects) and its clashes with the row's ``Preferences`` (the
``preference_conflicts`` of ``ptsdrx.recommend._facts.burden``, imported from that private
module so the effect of a refusal, an unwillingness or a session-hours limit is not copied),
and ``decide`` gets all the row's courses (restricted access routes). Acknowledgements and
overrides are not read (a registry re-score has no visit and no clinician).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ptsdrx.batch._rank import Ranked, rank
from ptsdrx.batch._screen import TRUE, UNKNOWN, BulkResult
from ptsdrx.recommend import Candidate, Decision, Gates, Policy, decide, gate_options
from ptsdrx.records import Preferences, PriorTreatment
from ptsdrx.screening import STATUSES, RuleSet

Interval = tuple[float, float]
Advantage = Callable[[int, int, NDArray[np.int64]], tuple[Any, Any]]

VECTOR_MIN = 6
"""Groups of at least this many rows are ranked at once (``batch._rank``), smaller ones row by
row with ``decide`` (the two agree exactly: tested). On 50,000 distinct simulated patients
thresholds from 1 to 16 ran equally fast within the machine's noise (~5% of rows are in
groups under 6)."""


@dataclass(frozen=True)
class Decisions:
    """Per row: first-ranked open option, recommended option (or none) and the reason."""

    first: NDArray[Any]
    statuses: dict[str, NDArray[Any]]
    """The decision status of every catalog treatment, per row."""
    recommended: NDArray[Any]
    abstained: NDArray[np.bool_]
    reason: NDArray[Any]


@dataclass(frozen=True)
class _Option:
    """What ``recommend`` reads of a catalog treatment that does not depend on the patient."""

    id: str
    name: str
    investigational: bool
    grade: str | None


@cache
def _catalog() -> tuple[_Option, ...]:
    from ptsdrx.recommend._facts import evidence
    from ptsdrx.treatments import catalog

    return tuple(
        _Option(t.id, str(t.name), bool(t.investigational), evidence(t.id).grade) for t in catalog()
    )


@cache
def _availability(treatment: str, jurisdiction: str | None) -> str | None:
    """``recommend``'s availability status of a treatment in a place."""
    from ptsdrx.recommend._facts import availability
    from ptsdrx.treatments import get_treatment

    return availability(get_treatment(treatment), jurisdiction).status


@cache
def _prior(treatment: str, baseline: float | None, level: float) -> tuple[Any, ...] | None:
    """``recommend``'s evidence prior: (expected PCL-5, interval, controlled) or ``None``."""
    from ptsdrx.recommend._predictions import prior_prediction

    p = prior_prediction(treatment, baseline, level=level)
    return None if p is None else (p.expected_pcl5, p.interval, p.controlled)


def _conflicts(prefs: Preferences | None, policy: Policy) -> dict[str, tuple[str, ...]]:
    """``recommend``'s preference conflicts of every catalog treatment for these preferences."""
    from ptsdrx.recommend._facts import burden
    from ptsdrx.treatments import catalog

    return {t.id: burden(t, prefs, policy).conflicts for t in catalog()}


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def decide_columns(
    *,
    arms: Sequence[str],
    screening: BulkResult,
    rules: RuleSet,
    outcomes: NDArray[np.float64],
    lo: NDArray[np.float64] | None,
    hi: NDArray[np.float64] | None,
    in_support: NDArray[np.bool_],
    advantage: Advantage,
    jurisdiction: NDArray[Any],
    baseline: NDArray[np.float64],
    hold: NDArray[Any],
    policy: Policy,
    preferences: Sequence[Preferences | None] | None = None,
    courses: Sequence[tuple[PriorTreatment, ...]] | None = None,
    vector_min: int = VECTOR_MIN,
) -> Decisions:
    """Decide every row with ``ptsdrx.recommend.decide`` (see the module docstring).

    ``outcomes``/``lo``/``hi`` are ``[rows, arms]`` (PCL-5, lower is better); ``advantage(best,
    other, rows)`` gives the ``(lo, hi)`` arrays of PCL-5 points ``best`` gains over ``other``;
    ``baseline`` is the latest PCL-5 (``NaN``: none); ``hold`` is the urgent-flag hold reason
    per row (``None``: no flag); ``preferences`` and ``courses`` are each row's
    ``Preferences`` (or ``None``) and past courses (``None``: no row has any).
    """
    from ptsdrx.recommend._predictions import PCL5_RANGE

    n = len(hold)
    arm_index = {a: k for k, a in enumerate(arms)}
    col = {tid: t for t, tid in enumerate(screening.treatments)}
    applies: dict[str, list[tuple[int, str, str]]] = {
        tid: [(k, r.id, str(r.effect)) for k, r in enumerate(rules.rules) if tid in r.treatments]
        for tid in screening.treatments
    }
    cat = _catalog()
    names = {o.id: o.name for o in cat}
    level = 1 - policy.interval_alpha
    first = np.full(n, None, dtype=object)
    statuses = {o.id: np.full(n, None, dtype=object) for o in cat}
    recommended = np.full(n, None, dtype=object)
    abstained = np.ones(n, dtype=bool)
    reason = np.full(n, None, dtype=object)
    # what is identical across rows is computed once per chunk: screening status names, the
    # rule ids of each treatment per combination of its rule outcomes, and the candidates of
    # unmodelled treatments (evidence prior) per combination of their per-row facts
    screened = {tid: _screened(screening, applies[tid], t, n) for tid, t in col.items()}
    finite = np.isfinite(outcomes)
    bounds_ok = bounds = None
    if lo is not None and hi is not None:
        bounds_ok = np.isfinite(lo) & np.isfinite(hi)
        bounds = (np.maximum(lo, PCL5_RANGE[0]), np.minimum(hi, PCL5_RANGE[1]))
    bases = baseline.tolist()
    support = [bool(x) for x in in_support.tolist()] if len(in_support) else None
    plan = [(o, arm_index.get(o.id), screened.get(o.id)) for o in cat]
    places: dict[str | None, list[str | None]] = {}
    templates: dict[tuple[Any, ...], Candidate] = {}
    gated: dict[tuple[Any, ...], Gates] = {}

    def row(i: int) -> tuple[list[Candidate], dict[str, float], tuple[Any, ...], Gates]:
        """Row ``i``'s candidates, its modelled estimates, its courses and its gates."""
        place = None if jurisdiction[i] is None else str(jurisdiction[i])
        if place not in places:
            places[place] = [_availability(o.id, place) for o in cat]
        available = places[place]
        base = None if math.isnan(bases[i]) else bases[i]
        conflicts = by_prefs[id(None if preferences is None else preferences[i])]
        past = () if courses is None else courses[i]
        expected: dict[str, float] = {}
        candidates = []
        facts_key = []
        for k, (o, a, found) in enumerate(plan):
            screened_as: str | None = None
            rule_ids, group = _NO_RULES, 0
            if found is not None:
                screened_as, group = found[0][i], found[1][i]
                rule_ids = found[2][group]
            history = tuple(c for c in past if c.treatment == o.id) if past else ()
            until = _until(screening, rule_ids, i) if rule_ids.blocking else None
            facts = (o.id, screened_as, group, available[k], conflicts[o.id], history, until)
            facts_key.append(facts)
            pred: tuple[Any, ...] | None = None
            if a is not None and finite[i, a]:
                e = float(outcomes[i, a])
                expected[o.id] = e
                interval = None
                if bounds is not None and bounds_ok is not None and bounds_ok[i, a]:
                    interval = (float(bounds[0][i, a]), float(bounds[1][i, a]))
                pred = (e, interval, True)
            else:
                pred = _prior(o.id, base, level)
            template = templates.get(facts)
            if template is None:
                template = templates[facts] = _candidate(
                    o, screened_as, available[k], None, conflicts[o.id], history, rule_ids, until
                )
            candidates.append(_with_prediction(template, pred))
        gates_key = (tuple(facts_key), past)
        gates = gated.get(gates_key)
        if gates is None:
            gates = gated[gates_key] = gate_options(candidates, policy=policy, courses=past)
        return candidates, expected, past, gates

    def one(i: int, built: tuple[Any, ...] | None = None) -> Decision:
        candidates, expected, past, gates = built or row(i)
        return decide(
            candidates,
            policy=policy,
            advantage_interval=_advantage_of(advantage, arm_index, expected, i),
            in_support=None if support is None else support[i],
            hold=hold[i],
            names=names,
            courses=past,
            gates=gates,
        )

    def put(i: int | NDArray[np.int64], d: Decision) -> None:
        first[i] = d.first
        for tid, status in d.statuses.items():
            statuses[tid][i] = status
        abstained[i] = d.abstained
        top = next((t for t, s in d.statuses.items() if s == "recommended"), None)
        recommended[i] = top
        reason[i] = d.abstention_reason if top is None else d.reasons[top][-1].text

    by_prefs = _conflicts_by_prefs(preferences, policy)
    keys = _row_keys(
        plan, col, screening, _fact_codes(jurisdiction, preferences, by_prefs, cat), courses,
        hold, finite, bounds_ok, baseline, level, policy,
    )  # fmt: skip
    for rows in _groups(keys):
        rep = int(rows[0])
        built = row(rep)
        candidates, expected, _, gates = built
        if hold[rep] is not None or any(c.screening_status == "hold" for c in candidates):
            put(rows, one(rep, built))  # a hold reads no prediction: one decision for the group
        elif len(rows) < vector_min:
            put(rep, one(rep, built))
            for i in rows[1:].tolist():
                put(i, one(i))
        else:
            ranked = _ranked(
                rows, candidates, gates, expected, outcomes, bounds, baseline, level, in_support,
                advantage, arm_index, policy, names,
            )  # fmt: skip
            tids = [c.treatment for c in candidates]
            for tid, status in ranked.statuses.items():
                statuses[tid][rows] = status
            chosen = ranked.recommended >= 0
            for k in np.unique(ranked.recommended[chosen]).tolist():
                statuses[tids[k]][rows[ranked.recommended == k]] = "recommended"
            first[rows] = ranked.first
            abstained[rows] = ~chosen
            recommended[rows] = [tids[k] if k >= 0 else None for k in ranked.recommended]
            reason[rows] = ranked.reason
    return Decisions(
        first=first, statuses=statuses, recommended=recommended, abstained=abstained, reason=reason
    )


def _row_keys(
    plan: Sequence[tuple[_Option, int | None, Any]],
    col: dict[str, int],
    screening: BulkResult,
    facts: NDArray[np.int64],
    courses: Sequence[tuple[PriorTreatment, ...]] | None,
    hold: NDArray[Any],
    finite: NDArray[np.bool_],
    bounds_ok: NDArray[np.bool_] | None,
    baseline: NDArray[np.float64],
    level: float,
    policy: Policy,
) -> NDArray[np.int64]:
    """Per row, integer codes of everything ``decide`` reads except the numbers.

    Rows with equal codes have the same candidates but for their predicted PCL-5 and
    intervals: access and preference conflicts (``facts``, from :func:`_fact_codes`),
    what the courses mean (:func:`_course_codes`), hold, and per treatment its screening
    status, its combination of rule outcomes, its ``until`` date and the kind of its
    estimate (model with or without an interval, or which shape of evidence prior).
    """
    import pandas as pd

    n = len(hold)
    cols: list[Any] = [facts, pd.factorize(np.asarray(hold, dtype=object))[0]]
    if courses is not None:
        cols.append(_course_codes(courses, policy))
    values, where = np.unique(baseline, return_inverse=True)
    where = where.reshape(-1)
    for o, a, found in plan:
        if found is not None:
            groups = np.asarray(found[1], dtype=np.int64)
            cols += [screening.status[col[o.id]], groups]
            until = np.full(n, -1, dtype=np.int64)  # -1: nothing blocks, -2: no end
            for g, rules in enumerate(found[2]):
                rows = groups == g
                if rules.blocking and rows.any():
                    ends = screening.until[list(rules.blocking)][:, rows]
                    last = np.where(np.isnan(ends), -np.inf, ends).max(0)
                    until[rows] = np.where(np.isnan(ends).any(0), -2, last)
            cols.append(until)
        kinds = []
        for v in values.tolist():
            p = _prior(o.id, None if math.isnan(v) else v, level)
            kinds.append(2 if p is None else 3 + 2 * (p[1] is None) + bool(p[2]))
        kind = np.asarray(kinds, dtype=np.int64)[where]
        if a is not None:
            has_bounds = bounds_ok[:, a] if bounds_ok is not None else np.zeros(n, dtype=bool)
            kind = np.where(finite[:, a], np.where(has_bounds, 0, 1), kind)
        cols.append(kind)
    return np.column_stack([np.asarray(c, dtype=np.int64) for c in cols])


def _conflicts_by_prefs(
    preferences: Sequence[Preferences | None] | None, policy: Policy
) -> dict[int, dict[str, tuple[str, ...]]]:
    """``_conflicts`` once per distinct ``Preferences`` object, keyed by its ``id``.

    The rows keep the objects alive; ``row_preferences`` shares one object between rows with
    the same columns.
    """
    rows: Sequence[Preferences | None] = [None] if preferences is None else preferences
    out: dict[int, dict[str, tuple[str, ...]]] = {}
    for prefs in rows:
        if id(prefs) not in out:
            out[id(prefs)] = _conflicts(prefs, policy)
    return out


def _fact_codes(
    jurisdiction: NDArray[Any],
    preferences: Sequence[Preferences | None] | None,
    by_prefs: dict[int, dict[str, tuple[str, ...]]],
    cat: Sequence[_Option],
) -> NDArray[np.int64]:
    """Per row, a code of what its place and preferences mean for the options.

    Two places with the same access to every treatment, or two patients whose preferences
    clash with the same options in the same words, decide alike: coding the meaning rather
    than the place or the ``Preferences`` object keeps rows of a real registry (where few
    patients share their exact preferences) in large groups. ``by_prefs``: the conflicts of
    each row's preferences (:func:`_conflicts_by_prefs`).
    """
    import pandas as pd

    where, places = pd.factorize(np.asarray(jurisdiction, dtype=object))  # -1: no place
    access = [tuple(_availability(o.id, str(p)) for o in cat) for p in places]
    access.append(tuple(_availability(o.id, None) for o in cat))
    clashes = {k: tuple(c[o.id] for o in cat) for k, c in by_prefs.items()}
    meaning: dict[tuple[Any, ...], int] = {}
    out = np.empty(len(jurisdiction), dtype=np.int64)
    for i, place in enumerate(where.tolist()):
        prefs = None if preferences is None else preferences[i]
        out[i] = meaning.setdefault((access[place], clashes[id(prefs)]), len(meaning))
    return out


def _course_codes(courses: Sequence[tuple[PriorTreatment, ...]], policy: Policy) -> list[int]:
    """Per row, a code of what its past courses mean to the decision.

    The gates read courses through one fact: which treatments have a course with demotion
    grounds (``demotion_grounds``). That set gives each option's "not preferred" status
    (``history_reasons``) and the guideline tiers with a failed course (restricted access
    routes); the reasons' wording (dates, doses) is not part of a batch row. Rows whose
    courses differ only in what the decision does not read share a code.
    """
    from ptsdrx.recommend._history import demotion_grounds

    history = policy.history
    by_value: dict[tuple[PriorTreatment, ...], int] = {}
    meaning: dict[frozenset[str], int] = {}
    out = []
    for past in courses:
        code = by_value.get(past)
        if code is None:
            demoted = frozenset(c.treatment for c in past if demotion_grounds(c, history))
            code = by_value[past] = meaning.setdefault(demoted, len(meaning))
        out.append(code)
    return out


def _groups(keys: NDArray[np.int64]) -> list[NDArray[np.int64]]:
    """The row indices of each distinct key (ascending within a group).

    The columns are folded into one group code a column at a time with a hash factorize
    (codes stay below the row count, so the product never overflows); ``np.unique`` over
    rows sorts the whole matrix and was 20x slower.
    """
    import pandas as pd

    if len(keys) == 0:
        return []
    inverse = np.zeros(len(keys), dtype=np.int64)
    for column in keys.T:
        column = column - column.min()
        inverse = pd.factorize(inverse * (int(column.max()) + 1) + column)[0]
    order = np.argsort(inverse, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(inverse[order])) + 1)


def _ranked(
    rows: NDArray[np.int64],
    candidates: list[Candidate],
    gates: Gates,
    expected: dict[str, float],
    outcomes: NDArray[np.float64],
    bounds: tuple[NDArray[np.float64], NDArray[np.float64]] | None,
    baseline: NDArray[np.float64],
    level: float,
    in_support: NDArray[np.bool_],
    advantage: Advantage,
    arm_index: dict[str, int],
    policy: Policy,
    names: dict[str, str],
) -> Ranked:
    """:func:`ptsdrx.batch._rank.rank` of a group of rows sharing ``candidates``' facts.

    ``bounds`` are the chunk's interval ends already clipped to the PCL-5 range.
    """
    m, C = len(rows), len(candidates)
    E, LO, HI = (np.full((m, C), np.nan) for _ in range(3))
    values, where = np.unique(baseline[rows], return_inverse=True)
    bases = [(None if math.isnan(v) else v, where.reshape(-1) == u) for u, v in enumerate(values)]
    for k, c in enumerate(candidates):
        if c.treatment in expected:
            a = arm_index[c.treatment]
            E[:, k] = outcomes[rows, a]
            if c.interval is not None and bounds is not None:
                LO[:, k], HI[:, k] = bounds[0][rows, a], bounds[1][rows, a]
            continue
        for base, at in bases:
            p = _prior(c.treatment, base, level)
            if p is None:
                continue
            E[at, k] = p[0]
            if p[1] is not None:
                LO[at, k], HI[at, k] = p[1]
    tids = [c.treatment for c in candidates]
    return rank(
        candidates,
        gates,
        E=E,
        LO=LO,
        HI=HI,
        modelled=[t in expected for t in tids],
        advantage=lambda k, j, sel: advantage(arm_index[tids[k]], arm_index[tids[j]], rows[sel]),
        in_support=in_support[rows] if len(in_support) else None,
        policy=policy,
        names=names,
    )


def _advantage_of(
    advantage: Advantage, arm_index: dict[str, int], expected: dict[str, float], row: int
) -> Callable[[str, str], Interval | None]:
    """``ModelView.advantage`` for one row: the group interval when both arms are modelled."""

    def interval(best: str, other: str) -> Interval | None:
        if best not in expected or other not in expected:
            return None
        low, high = advantage(arm_index[best], arm_index[other], np.array([row]))
        a, b = _finite(float(low[0])), _finite(float(high[0]))
        return None if a is None or b is None else (a, b)

    return interval


@dataclass(frozen=True)
class _Rules:
    """The rule ids of one treatment's candidate for one combination of its rule outcomes."""

    exclusions: tuple[str, ...] = ()
    contraindications: tuple[str, ...] = ()
    major: tuple[str, ...] = ()
    minor: tuple[str, ...] = ()
    blocking: tuple[int, ...] = ()
    """Fired exclusions and contraindications (rule indices): their ends give ``until``."""


_NO_RULES = _Rules()


def _screened(
    screening: BulkResult, applies: list[tuple[int, str, str]], t: int, n: int
) -> tuple[list[str], list[int], list[_Rules]]:
    """One treatment's status name per row, and its rule ids per combination of outcomes.

    Returns (status names, the combination of each row, the ``_Rules`` of each combination):
    rows whose rules of this treatment came out the same share one ``_Rules``.
    """
    names = [STATUSES[s] for s in screening.status[t].tolist()]
    if not applies or n == 0:
        return names, [0] * n, [_NO_RULES]
    block = screening.outcome[[k for k, _, _ in applies]]
    if len(applies) <= 39:  # each row's outcomes (-1, 0, 1) as one base-3 number in an int64
        codes = ((block.astype(np.int64) + 1) * 3 ** np.arange(len(applies))[:, None]).sum(0)
        _, where, inverse = np.unique(codes, return_index=True, return_inverse=True)
        unique = block[:, where]
    else:
        unique, inverse = np.unique(block, axis=1, return_inverse=True)
    groups = []
    for g in range(unique.shape[1]):
        fired = [
            (k, rid, e) for (k, rid, e), o in zip(applies, unique[:, g], strict=True) if o == TRUE
        ]
        cautions = [
            (rid, e)
            for (_, rid, e), o in zip(applies, unique[:, g], strict=True)
            if o in (TRUE, UNKNOWN) and e in ("caution_major", "caution")
        ]
        groups.append(
            _Rules(
                exclusions=tuple(rid for _, rid, e in fired if e == "exclude"),
                contraindications=tuple(rid for _, rid, e in fired if e == "contraindicated"),
                major=tuple(rid for rid, e in cautions if e == "caution_major"),
                minor=tuple(rid for rid, e in cautions if e == "caution"),
                blocking=tuple(k for k, _, e in fired if e in ("contraindicated", "exclude")),
            )
        )
    return names, inverse.reshape(-1).tolist(), groups


def _until(screening: BulkResult, rules: _Rules, row: int) -> date | None:
    """``excluded_until``: the latest end of the blocking rules, ``None`` if one never ends."""
    ends = [screening.until_date(k, row) for k in rules.blocking]
    if not ends or any(u is None for u in ends):
        return None
    return max(u for u in ends if u is not None)


def _with_prediction(template: Candidate, pred: tuple[Any, ...] | None) -> Candidate:
    """``template`` with a row's prediction (expected PCL-5, interval, controlled).

    The same as ``dataclasses.replace`` (a frozen dataclass without ``__post_init__``),
    without re-running ``__init__`` for 13 options x every row.
    """
    c = object.__new__(Candidate)
    c.__dict__.update(template.__dict__)
    if pred is not None:
        c.__dict__.update(expected_pcl5=pred[0], interval=pred[1], controlled=pred[2])
    return c


def _candidate(
    o: _Option,
    status: str | None,
    availability: str | None,
    pred: tuple[Any, ...] | None,
    conflicts: tuple[str, ...],
    history: tuple[PriorTreatment, ...],
    rules: _Rules = _NO_RULES,
    until: date | None = None,
) -> Candidate:
    """``OptionFacts.candidate()`` of one treatment for one row (``until``: ``_until``)."""
    return Candidate(
        treatment=o.id,
        screening_status=status,
        availability=availability,
        investigational=o.investigational,
        preference_conflicts=conflicts,
        expected_pcl5=None if pred is None else pred[0],
        interval=None if pred is None else pred[1],
        evidence_grade=o.grade,
        history=history,
        major_cautions=rules.major,
        minor_cautions=rules.minor,
        exclusions=rules.exclusions,
        contraindications=rules.contraindications,
        excluded_until=until,
        controlled=True if pred is None else pred[2],
    )
