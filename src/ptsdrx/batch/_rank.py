"""The ranking stage of ``recommend.decide`` for many rows that share their gates, at once.

Rows of a chunk whose options have the same facts (screening outcomes, access, preferences,
history, which predictions and intervals exist) are gated identically; they differ only in
numbers: predicted PCL-5, intervals and advantage intervals. ``batch._decide`` computes the
gates once per such group (``recommend.gate_options``) and :func:`rank` ranks all the group's
rows with NumPy, step by step as ``decide`` does: promotion into a better guideline tier past
the minimal important difference, the sort by (safety, adjunct, tier, controlled, predicted
PCL-5, evidence grade, treatment), the abstention checks in ``decide``'s order with its
texts, and the first-ranked option. A hold never reaches here (its decision reads no
prediction). Tested against ``decide`` row by row on simulated registries with random
predictions, ties, missing intervals and non-finite advantages (``tests/batch``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ptsdrx.recommend import Candidate, Gates, Policy
from ptsdrx.recommend._policy import _evidence_index
from ptsdrx.recommend._result import SAFETY_TIERS, OptionStatus

FloatArray = NDArray[np.float64]
Advantage = Callable[[int, int, NDArray[np.bool_]], tuple[FloatArray, FloatArray] | None]
"""``(k, j, rows)``: the points candidate ``k`` gains over ``j`` on the selected rows, or
``None`` when the model has no joint interval for the pair."""

_NONE, _ADVANTAGE, _OUTCOMES, _KINDS = 0, 1, 2, 3  # the basis of an interval between two


@dataclass(frozen=True)
class Ranked:
    """The decision of every row of a group (candidate indices into the group's list)."""

    statuses: dict[str, OptionStatus]
    """Each option's status in a row where nothing is recommended."""
    recommended: NDArray[np.int64]
    """Per row, the recommended candidate (``-1``: the decision abstained)."""
    first: list[str | None]
    reason: list[str | None]


def rank(
    cands: Sequence[Candidate],
    gates: Gates,
    *,
    E: FloatArray,
    LO: FloatArray,
    HI: FloatArray,
    modelled: Sequence[bool],
    advantage: Advantage,
    in_support: NDArray[np.bool_] | None,
    policy: Policy,
    names: dict[str, str],
) -> Ranked:
    """``decide`` for every row of a group (see the module docstring).

    ``E``, ``LO``, ``HI`` are ``[rows, candidates]``: the predicted PCL-5 (NaN: no estimate,
    the same for every row of the group) and the interval (NaN: none); ``modelled[k]`` says
    candidate ``k``'s estimate is the response model's (so ``advantage`` applies).
    """
    m = E.shape[0]
    guideline = policy.guideline
    adjuncts = set(guideline.adjuncts.treatments)
    tid = [c.treatment for c in cands]

    def label(k: int) -> str:
        return names.get(tid[k], tid[k])

    statuses: dict[str, OptionStatus] = {}
    pool = []
    for k, t in enumerate(tid):
        status = gates.gated[t][0]
        if status is None:
            pool.append(k)
        else:
            statuses[t] = status
    if pool and all(tid[k] in adjuncts for k in pool):
        statuses.update({tid[k]: "not preferred" for k in pool})
        pool = []
    statuses.update({tid[k]: "alternative" for k in pool})
    has = [not np.isnan(E[0, k]) for k in range(len(cands))]
    safety = [gates.safety[t] for t in tid]
    none: NDArray[np.int64] = np.full(m, -1, dtype=np.int64)

    def between(k: int, j: NDArray[np.int64], rows: NDArray[np.bool_]) -> tuple[Any, Any, Any]:
        """``decide``'s ``interval_between(k, j)`` per selected row: (lo, hi, basis)."""
        lo, hi = np.full(m, np.nan), np.full(m, np.nan)
        basis = np.full(m, _NONE)
        for ref in np.unique(j[rows]):
            sel = rows & (j == ref)
            if cands[k].controlled != cands[ref].controlled:
                basis[sel] = _KINDS
                continue
            got = advantage(k, int(ref), sel) if modelled[k] and modelled[ref] else None
            ok = np.zeros(m, dtype=bool)
            if got is not None:
                a, b = np.full(m, np.nan), np.full(m, np.nan)
                a[sel], b[sel] = got
                ok = sel & np.isfinite(a) & np.isfinite(b)
                lo[ok], hi[ok], basis[ok] = a[ok], b[ok], _ADVANTAGE
            rest = sel & ~ok
            basis[rest] = _OUTCOMES
            lo[rest] = LO[rest, ref] - HI[rest, k]  # the conservative overlap comparison
            hi[rest] = HI[rest, ref] - LO[rest, k]
        return lo, hi, basis

    if not pool:
        why = "no option is open to this patient without more information or a trial"
        return Ranked(statuses, none, [None] * m, [why] * m)
    tiers = _promoted(cands, gates, pool, has, E, policy, between)
    P = np.array(pool)
    key_e = np.where(np.array(has)[P], E[:, P], np.inf)
    order = np.lexsort(
        tuple(
            np.broadcast_to(np.asarray(v), (m, len(P)))
            for v in (
                [sorted(tid).index(tid[k]) for k in P],
                [_evidence_index(cands[k], policy) for k in P],
                key_e,
                [not cands[k].controlled for k in P],
                tiers[:, P],
                [tid[k] in adjuncts for k in P],
                [SAFETY_TIERS.index(safety[k]) for k in P],
            )
        ),
        axis=-1,
    )
    ranked = P[order]  # [rows, pool]: each row's pool in decide's order
    first: list[str | None] = [
        None if safety[k] == "major caution" else tid[k] for k in ranked[:, 0].tolist()
    ]
    if all(safety[k] == "major caution" for k in pool):
        named: list[str | None] = [
            "every open option has a major caution nobody has acknowledged: "
            + "; ".join(f"{label(k)} ({', '.join(cands[k].major_cautions)})" for k in row)
            for row in ranked.tolist()
        ]  # in each row's ranked order
        return Ranked(statuses, none, first, named)
    predicted = [k for k in pool if has[k]]
    if not predicted:
        why = "no outcome estimate is available for any open option"
        return Ranked(statuses, none, first, [why] * m)
    is_predicted = np.array(has)[ranked]
    at = np.argmax(is_predicted, axis=1)  # the position of the best (first predicted) option
    best = ranked[np.arange(m), at]
    ahead = [k for k in pool if not has[k]]  # the unestimated options, in ranked order
    ahead.sort(key=lambda k: list(ranked[0]).index(k))
    reason: list[str | None] = [None] * m
    todo = np.ones(m, dtype=bool)

    def say(rows: NDArray[np.bool_], text: Callable[[int], str]) -> None:
        for i in np.flatnonzero(rows & todo):
            reason[i] = text(int(i))
        todo[rows] = False

    if in_support is not None:
        outside = "the patient is outside the range of the data the model was trained on"
        say(~in_support, lambda i: outside)
    if len(pool) == 1:
        alone = f"only one option is open ({label(pool[0])}): there is nothing to compare"
        say(todo.copy(), lambda i: alone)
    say(
        at > 0,
        lambda i: (
            f"no outcome estimate for {', '.join(label(k) for k in ahead[: at[i]])}, "
            f"ranked above {label(best[i])} by safety or guideline tier, so no option can be "
            "called clearly better"
        ),
    )
    major = np.array([safety[k] == "major caution" for k in best])
    say(major, lambda i: f"{label(best[i])} has a major caution nobody has acknowledged")
    if len(predicted) < len(pool) and (policy.unestimated == "abstain" or len(predicted) < 2):
        unknown = ", ".join(label(k) for k in ahead)
        missing = f"no outcome estimate for {unknown}, so no option can be called clearly better"
        say(todo.copy(), lambda i: missing)
    recommended = none.copy()
    if todo.any():
        runner = ranked[
            np.arange(m), np.argmax(is_predicted & (np.arange(len(P)) > at[:, None]), 1)
        ]
        lo, hi, basis = _pairwise(between, best, runner, todo, m)

        def unestimated(i: int) -> str:
            later = ahead[at[i] :]
            return ", ".join(label(k) for k in later)

        clear = todo & (basis != _KINDS) & np.isfinite(lo) & (lo > policy.margin_pcl5)
        for i in np.flatnonzero(clear):
            later = unestimated(int(i))
            reason[i] = "First among the open options, clearly ahead of the next." + (
                f" Not compared (no outcome estimate): {later}." if later else ""
            )
            recommended[i] = best[i]
            first[i] = tid[best[i]]
        todo &= ~clear
        for i in np.flatnonzero(todo):
            b, r = label(best[i]), label(runner[i])
            if basis[i] == _KINDS:
                why = (
                    f"{b} and {r} have estimates of different kinds (controlled vs "
                    "uncontrolled pre-post): not compared"
                )
            elif np.isnan(lo[i]):  # no interval (an interval has both ends or none)
                why = "the predictions have no intervals, so no difference can be called clear"
            else:
                name = "advantage interval" if basis[i] == _ADVANTAGE else "outcome intervals"
                why = (
                    f"{b} and {r} are not clearly different ({name}: {lo[i]:+.1f} to "
                    f"{hi[i]:+.1f} PCL-5 points; needs > {policy.margin_pcl5:g})"
                )
            later = unestimated(int(i))
            reason[i] = why + (f"; not compared, no outcome estimate: {later}" if later else "")
    return Ranked(statuses, recommended, first, reason)


def _pairwise(
    between: Callable[[int, NDArray[np.int64], NDArray[np.bool_]], tuple[Any, Any, Any]],
    best: NDArray[np.int64],
    other: NDArray[np.int64],
    rows: NDArray[np.bool_],
    m: int,
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """``between(best, other)`` where both vary by row."""
    lo, hi = np.full(m, np.nan), np.full(m, np.nan)
    basis = np.full(m, _NONE)
    for k in np.unique(best[rows]):
        sel = rows & (best == k)
        a, b, c = between(int(k), other, sel)
        lo[sel], hi[sel], basis[sel] = a[sel], b[sel], c[sel]
    return lo, hi, basis


def _promoted(
    cands: Sequence[Candidate],
    gates: Gates,
    pool: list[int],
    has: list[bool],
    E: FloatArray,
    policy: Policy,
    between: Callable[[int, NDArray[np.int64], NDArray[np.bool_]], tuple[Any, Any, Any]],
) -> NDArray[np.int64]:
    """Each row's guideline tier per candidate after ``decide``'s promotion past the MID.

    An option is ranked with the first better tier whose best estimate (chosen without
    safety: controlled first, lowest PCL-5, then treatment id) it beats by more than the
    minimal important difference, on an advantage or outcome-interval basis.
    """
    m = E.shape[0]
    guideline = policy.guideline
    adjuncts = set(guideline.adjuncts.treatments)
    own = [gates.tiers[c.treatment] for c in cands]
    tiers = np.tile(np.array(own, dtype=np.int64), (m, 1))
    mid = guideline.promotion.min_advantage_pcl5
    numbers = sorted({own[k] for k in pool})
    for k in pool:
        if not has[k] or cands[k].treatment in adjuncts:
            continue
        todo = np.ones(m, dtype=bool)
        for number in numbers:
            if number >= own[k] or not todo.any():
                break
            tier = [o for o in pool if own[o] == number and has[o]]
            controlled = [o for o in tier if cands[o].controlled]
            refs = sorted(controlled or tier, key=lambda o: cands[o].treatment)
            if not refs:
                continue
            ref = np.array(refs)[np.argmin(E[:, refs], axis=1)]
            lo, _, basis = between(k, ref, todo)
            up = todo & (basis != _KINDS) & np.isfinite(lo) & (lo > mid)
            tiers[up, k] = number
            todo &= ~up
    return tiers
