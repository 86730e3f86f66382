"""Status, ranking and abstention over plain inputs: the decision logic, free of I/O.

The policy (standard care, the advantage margin, preference groups) is data in
``data/policy.yaml``; this module only evaluates it. Order of precedence for an option:
screening exclusion, missing information, trial-only availability, then unavailability, the
patient's preferences or a failed past course of the same treatment ("not preferred", every
such reason listed), and only then the predicted outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

import yaml

from ptsdrx.recommend._history import HistoryPolicy, history_reasons, parse_history
from ptsdrx.recommend._result import STATUSES, Reason, Status
from ptsdrx.records import PriorTreatment

Interval = tuple[float, float]


@dataclass(frozen=True)
class Policy:
    """The recommendation policy file, validated."""

    version: int
    standard_care: tuple[str, ...]
    standard_care_source: str
    margin_pcl5: float
    margin_source: str
    interval_alpha: float
    preference_groups: dict[str, tuple[str, ...]]
    trial_only_statuses: frozenset[str]
    unavailable_statuses: frozenset[str]
    safety_flags: dict[str, tuple[str, str]]
    """flag id -> (text, source)."""
    hold_flags: frozenset[str]
    evidence_order: tuple[str, ...]
    history: HistoryPolicy
    """When a past course of the same treatment makes an option "not preferred"."""
    unestimated: Literal["abstain", "note"] = "abstain"
    """Open options without an estimate: block any recommendation, or are named as not compared."""


def _require(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ValueError(f"{where}: missing required field {key!r}")
    return data[key]


def parse_policy(data: dict[str, Any], where: str = "policy") -> Policy:
    """Validate a policy mapping; errors name the field and what is allowed."""
    sc = _require(data, "standard_care", where)
    ca = _require(data, "clear_advantage", where)
    alpha = float(_require(data, "interval_alpha", where))
    if not 0 < alpha < 1:
        raise ValueError(f"{where}.interval_alpha must be in (0, 1), got {alpha}")
    margin = float(_require(ca, "margin_pcl5", f"{where}.clear_advantage"))
    if not 0 <= margin <= 80:
        raise ValueError(f"{where}.clear_advantage.margin_pcl5 must be 0-80, got {margin}")
    groups = {
        name: tuple(_require(g, "treatments", f"{where}.preference_groups.{name}"))
        for name, g in _require(data, "preference_groups", where).items()
    }
    for name in ("psychedelic", "psychotherapy"):
        if name not in groups:
            raise ValueError(f"{where}.preference_groups: missing group {name!r}")
    unest = _require(data, "unestimated_open_options", where)
    action = _require(unest, "action", f"{where}.unestimated_open_options")
    if action not in ("abstain", "note"):
        raise ValueError(
            f"{where}.unestimated_open_options.action must be 'abstain' or 'note', got {action!r}"
        )
    return Policy(
        version=int(_require(data, "version", where)),
        standard_care=tuple(_require(sc, "treatments", f"{where}.standard_care")),
        standard_care_source=str(_require(sc, "source", f"{where}.standard_care")),
        margin_pcl5=margin,
        margin_source=str(_require(ca, "source", f"{where}.clear_advantage")),
        interval_alpha=alpha,
        preference_groups=groups,
        trial_only_statuses=frozenset(_require(data, "trial_only_statuses", where)),
        unavailable_statuses=frozenset(_require(data, "unavailable_statuses", where)),
        evidence_order=tuple(_require(data, "evidence_order", where)),
        hold_flags=frozenset(_require(data, "hold_recommendation_flags", where)),
        history=parse_history(
            _require(data, "treatment_history", where), f"{where}.treatment_history"
        ),
        unestimated=cast(Literal["abstain", "note"], action),
        safety_flags={
            flag: (
                str(_require(f, "text", f"{where}.safety_flags.{flag}")),
                str(_require(f, "source", f"{where}.safety_flags.{flag}")),
            )
            for flag, f in _require(data, "safety_flags", where).items()
        },
    )


@cache
def default_policy() -> Policy:
    """The packaged policy (``ptsdrx/recommend/data/policy.yaml``)."""
    text = resources.files("ptsdrx.recommend").joinpath("data/policy.yaml").read_text("utf-8")
    return parse_policy(yaml.safe_load(text), "policy.yaml")


@dataclass(frozen=True)
class Candidate:
    """What the decision needs to know about one option, already gathered."""

    treatment: str
    screening_status: str | None
    availability: str | None = None
    investigational: bool = False
    preference_conflicts: tuple[str, ...] = ()
    expected_pcl5: float | None = None
    interval: Interval | None = None
    evidence_grade: str | None = None
    history: tuple[PriorTreatment, ...] = ()
    """The patient's past courses (only those of this treatment count)."""


@dataclass(frozen=True)
class Decision:
    """Statuses, the ranked order and the abstention, with the reason for each gate."""

    statuses: dict[str, Status]
    order: tuple[str, ...]
    abstained: bool
    abstention_reason: str | None
    reasons: dict[str, tuple[Reason, ...]] = field(default_factory=dict)


def _gate(c: Candidate, policy: Policy) -> tuple[Status | None, tuple[Reason, ...]]:
    """The status an option gets before predictions count (``None``: still a candidate)."""
    if c.screening_status == "excluded":
        return "excluded", (Reason(kind="rule", text="Excluded by a screening rule."),)
    if c.screening_status in (None, "needs_information"):
        text = "Screening needs more information before this can be offered."
        return "needs information", (Reason(kind="rule", text=text),)
    if c.investigational or c.availability in policy.trial_only_statuses:
        text = "Available only within a clinical trial here."
        return "trial only", (Reason(kind="availability", text=text),)
    reasons: list[Reason] = []
    if c.availability in policy.unavailable_statuses:
        reasons.append(Reason(kind="availability", text="Not available here."))
    if c.preference_conflicts:
        reasons.append(Reason(kind="preference", text="; ".join(c.preference_conflicts)))
    reasons.extend(history_reasons(c.treatment, c.history, policy.history))
    return ("not preferred" if reasons else None), tuple(reasons)


def _sort_key(c: Candidate, policy: Policy) -> tuple[float, int, str]:
    """Predicted PCL-5 (lower first), then evidence grade, then id for a stable order."""
    order = policy.evidence_order
    grade = order.index(c.evidence_grade) if c.evidence_grade in order else len(order)
    return (c.expected_pcl5 if c.expected_pcl5 is not None else float("inf"), grade, c.treatment)


def _overlap_advantage(best: Candidate, runner_up: Candidate) -> Interval | None:
    """Conservative advantage interval from two outcome intervals (no joint model)."""
    if best.interval is None or runner_up.interval is None:
        return None
    return (runner_up.interval[0] - best.interval[1], runner_up.interval[1] - best.interval[0])


def decide(
    candidates: Sequence[Candidate],
    *,
    policy: Policy | None = None,
    advantage_interval: Callable[[str, str], Interval | None] | None = None,
    in_support: bool | None = None,
    hold: str | None = None,
    names: dict[str, str] | None = None,
) -> Decision:
    """Give each option a status, rank them, and abstain when no option is clearly better.

    ``advantage_interval(best, runner_up)`` returns the interval of PCL-5 points the best
    candidate gains over the runner-up (from the response model's effect interval); when
    it is absent or returns ``None``, the two outcome intervals are compared instead (clear
    only when they do not overlap). The best candidate is ``recommended`` only when that
    interval lies above the policy margin and the patient is not outside the model's
    support; excluded, needs-information, trial-only and not-preferred options (unavailable,
    against the patient's preferences, or a failed past course under the policy's
    ``treatment_history``) never are: they keep their prediction and are listed after the
    open ones. ``hold`` (a reason, e.g. an urgent safety flag) withholds any
    recommendation; ``names`` gives the display names used in the abstention reason. Open
    options without an outcome estimate either block any recommendation (policy
    ``unestimated_open_options: abstain``) or are ranked last among the open options and
    named as not compared (``note``).
    """
    policy = policy or default_policy()

    def label(treatment: str) -> str:
        return (names or {}).get(treatment, treatment)

    statuses: dict[str, Status] = {}
    reasons: dict[str, tuple[Reason, ...]] = {}
    pool: list[Candidate] = []
    for c in candidates:
        status, gate_reasons = _gate(c, policy)
        if status is None:
            pool.append(c)
        else:
            statuses[c.treatment] = status
            reasons[c.treatment] = gate_reasons
    pool.sort(key=lambda c: _sort_key(c, policy))
    predicted = [c for c in pool if c.expected_pcl5 is not None]
    unestimated = ", ".join(label(c.treatment) for c in pool if c.expected_pcl5 is None)
    for c in pool:
        statuses[c.treatment] = "alternative"
    abstained, why = True, None
    if hold is not None:
        why = hold
    elif not pool:
        why = "no option is open to this patient without more information or a trial"
    elif not predicted:
        why = "no outcome estimate is available for any open option"
    elif in_support is False:
        why = "the patient is outside the range of the data the model was trained on"
    elif len(pool) == 1:
        why = f"only one option is open ({label(pool[0].treatment)}): there is nothing to compare"
    elif len(predicted) < len(pool) and (policy.unestimated == "abstain" or len(predicted) < 2):
        unknown = ", ".join(label(c.treatment) for c in pool if c.expected_pcl5 is None)
        why = f"no outcome estimate for {unknown}, so no option can be called clearly better"
    else:
        best, runner_up = predicted[0], predicted[1]
        interval = (
            advantage_interval(best.treatment, runner_up.treatment)
            if (advantage_interval)
            else None
        )
        basis = "advantage interval"
        if interval is None:
            interval, basis = _overlap_advantage(best, runner_up), "outcome intervals"
        if interval is None:
            why = "the predictions have no intervals, so no difference can be called clear"
        elif interval[0] > policy.margin_pcl5:
            abstained = False
        else:
            why = (
                f"{label(best.treatment)} and {label(runner_up.treatment)} "
                "are not clearly different "
                f"({basis}: {interval[0]:+.1f} to {interval[1]:+.1f} PCL-5 points; "
                f"needs > {policy.margin_pcl5:g})"
            )
        if unestimated and why is not None:
            why += f"; not compared, no outcome estimate: {unestimated}"
    if not abstained:
        top = predicted[0].treatment
        statuses[top] = "recommended"
        text = "Lowest predicted PCL-5 among the open options, clearly ahead of the next."
        if unestimated:
            text += f" Not compared (no outcome estimate): {unestimated}."
        reasons[top] = (Reason(kind="ranking", text=text, source=policy.margin_source),)
    for c in pool:
        if c.treatment not in reasons:
            text = (
                "Open option; no outcome estimate, so it is not compared with the others."
                if c.expected_pcl5 is None
                else "Open option, ranked by predicted PCL-5."
            )
            reasons[c.treatment] = (Reason(kind="ranking", text=text),)
    by_id = {c.treatment: c for c in candidates}
    order = tuple(
        sorted(
            by_id,
            key=lambda t: (STATUSES.index(statuses[t]), *_sort_key(by_id[t], policy)),
        )
    )
    return Decision(
        statuses=statuses,
        order=order,
        abstained=abstained,
        abstention_reason=why,
        reasons=reasons,
    )
