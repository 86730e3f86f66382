"""The recommendation decision for a chunk of rows: first-ranked option, recommend or abstain.

Why not a columnar copy of the gates: the ranking (``ptsdrx.recommend.decide``) now has
holds, safety tiers, major cautions, guideline tiers crossed only past the minimal important
difference, adjunct-only options, restricted access routes and evidence priors for the
treatments the model does not cover; a copy would drift. So each row's candidates are built
from the bulk screening and the one-pass model scores exactly as ``recommend`` gathers them
(``Candidate`` per catalog treatment, the same availability, evidence grade and prior), and
``decide`` itself ranks them. Only inputs are cached, so the decision stays exactly
``recommend``'s: per treatment its static facts (name, evidence grade, availability per
place, prior per baseline PCL-5), per distinct preferences the conflicts, per chunk each
treatment's rule ids per combination of its rule outcomes, and the candidates of treatments
the model does not cover per combination of their per-row facts. ``decide`` itself (pure
Python, per row) is most of what remains.

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

from ptsdrx.batch._screen import TRUE, UNKNOWN, BulkResult
from ptsdrx.recommend import Candidate, Gates, Policy, decide, gate_options
from ptsdrx.records import Preferences, PriorTreatment
from ptsdrx.screening import STATUSES, RuleSet

Interval = tuple[float, float]
Advantage = Callable[[int, int, NDArray[np.int64]], tuple[Any, Any]]


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
    by_prefs: dict[int, dict[str, tuple[str, ...]]] = {}  # id() of a row's (live) Preferences
    recommended = np.full(n, None, dtype=object)
    abstained = np.ones(n, dtype=bool)
    reason = np.full(n, None, dtype=object)
    # what is identical across rows is computed once per chunk: screening status names, the
    # rule ids of each treatment per combination of its rule outcomes, Python floats instead
    # of NumPy scalars, and the candidates of unmodelled treatments (evidence prior) per
    # combination of their per-row facts
    screened = {tid: _screened(screening, applies[tid], t, n) for tid, t in col.items()}
    outs = outcomes.tolist()
    has_e = np.isfinite(outcomes).tolist()
    bounds = None
    if lo is not None and hi is not None:
        bounds = (
            (np.isfinite(lo) & np.isfinite(hi)).tolist(),
            np.maximum(lo, PCL5_RANGE[0]).tolist(),
            np.minimum(hi, PCL5_RANGE[1]).tolist(),
        )
    bases = baseline.tolist()
    support = [bool(x) for x in in_support.tolist()] if len(in_support) else None
    plan = [(o, arm_index.get(o.id), screened.get(o.id)) for o in cat]
    places: dict[str | None, list[str | None]] = {}
    templates: dict[tuple[Any, ...], Candidate] = {}
    gated: dict[tuple[Any, ...], Gates] = {}
    for i in range(n):
        place = None if jurisdiction[i] is None else str(jurisdiction[i])
        if place not in places:
            places[place] = [_availability(o.id, place) for o in cat]
        available = places[place]
        base = None if math.isnan(bases[i]) else bases[i]
        prefs = None if preferences is None else preferences[i]
        if id(prefs) not in by_prefs:
            by_prefs[id(prefs)] = _conflicts(prefs, policy)
        conflicts = by_prefs[id(prefs)]
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
            if a is not None and has_e[i][a]:
                e = outs[i][a]
                expected[o.id] = e
                interval = None
                if bounds is not None and bounds[0][i][a]:
                    interval = (bounds[1][i][a], bounds[2][i][a])
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
        d = decide(
            candidates,
            policy=policy,
            advantage_interval=_advantage_of(advantage, arm_index, expected, i),
            in_support=None if support is None else support[i],
            hold=hold[i],
            names=names,
            courses=past,
            gates=gates,
        )
        first[i] = d.first
        for tid, status in d.statuses.items():
            statuses[tid][i] = status
        abstained[i] = d.abstained
        top = next((t for t, s in d.statuses.items() if s == "recommended"), None)
        recommended[i] = top
        reason[i] = d.abstention_reason if top is None else d.reasons[top][-1].text
    return Decisions(
        first=first, statuses=statuses, recommended=recommended, abstained=abstained, reason=reason
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
