"""Status, ranking and abstention over plain inputs: the decision logic, free of I/O.

The policy (standard care, the advantage margin, preference groups) is data in
``data/policy.yaml`` and the guideline tiers in ``data/guideline.yaml``; this module only
evaluates them. Order of precedence for an option: a suicide-risk hold, a contraindication,
a screening exclusion (unless every exclusion rule carries a recorded override), missing
information, trial-only availability, then unavailability, the patient's preferences, a
failed past course of the same treatment, a restricted access route without documented
failure of the earlier tiers, or an adjunct with nothing to add it to ("not preferred",
every such reason listed). The open options are then ranked lexicographically: safety tier,
guideline tier (crossed only when a model's advantage interval clears the minimal important
difference), predicted PCL-5 (controlled estimates before uncontrolled ones), evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from ptsdrx._datafiles import DataFileError, Frozen, Source, Sourced, packaged, read_yaml
from ptsdrx.recommend._guideline import Guideline, default_guideline
from ptsdrx.recommend._history import (
    HistoryPolicy,
    HistorySection,
    demotion_grounds,
    history_reasons,
)
from ptsdrx.recommend._result import (
    OPTION_STATUSES,
    SAFETY_TIERS,
    OptionStatus,
    Override,
    Reason,
    SafetyTier,
)
from ptsdrx.records import PriorTreatment

Interval = tuple[float, float]


class _Treatments(Sourced):
    treatments: tuple[str, ...]


class _Margin(Sourced):
    margin_pcl5: float

    @field_validator("margin_pcl5")
    @classmethod
    def _range(cls, value: float) -> float:
        if not 0 <= value <= 80:
            raise ValueError(f"must be 0-80, got {value}")
        return value


class _Unestimated(Sourced):
    action: Literal["abstain", "note"]


class _FlagText(Sourced):
    text: str = Field(min_length=3)


class PolicyFile(Frozen):
    """``policy.yaml`` as written: every section sourced, unknown keys refused."""

    version: int
    standard_care: _Treatments
    clear_advantage: _Margin
    unestimated_open_options: _Unestimated
    treatment_history: HistorySection
    interval_alpha: float
    preference_groups: dict[str, _Treatments]
    trial_only_statuses: tuple[str, ...]
    unavailable_statuses: tuple[str, ...]
    safety_flags: dict[str, _FlagText]
    hold_recommendation_flags: tuple[str, ...]
    evidence_order: tuple[str, ...]

    @field_validator("interval_alpha")
    @classmethod
    def _alpha(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError(f"must be in (0, 1), got {value}")
        return value

    @field_validator("preference_groups")
    @classmethod
    def _groups(cls, value: dict[str, _Treatments]) -> dict[str, _Treatments]:
        for name in ("psychedelic", "psychotherapy"):
            if name not in value:
                raise ValueError(f"missing group {name!r}")
        return value


@dataclass(frozen=True)
class Policy:
    """The recommendation policy, validated and ready to evaluate."""

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
    guideline: Guideline = field(default_factory=lambda: default_guideline())
    """Guideline tiers, restricted routes, adjuncts and the tier-crossing threshold."""

    @classmethod
    def from_file(cls, f: PolicyFile, guideline: Guideline | None = None) -> Policy:
        """The evaluated policy from its validated file."""
        return cls(
            version=f.version,
            standard_care=f.standard_care.treatments,
            standard_care_source=f.standard_care.source,
            margin_pcl5=f.clear_advantage.margin_pcl5,
            margin_source=f.clear_advantage.source,
            interval_alpha=f.interval_alpha,
            preference_groups={k: g.treatments for k, g in f.preference_groups.items()},
            trial_only_statuses=frozenset(f.trial_only_statuses),
            unavailable_statuses=frozenset(f.unavailable_statuses),
            safety_flags={k: (v.text, v.source) for k, v in f.safety_flags.items()},
            hold_flags=frozenset(f.hold_recommendation_flags),
            evidence_order=f.evidence_order,
            history=HistoryPolicy.from_section(f.treatment_history),
            unestimated=f.unestimated_open_options.action,
            guideline=guideline or default_guideline(),
        )


def _message(err: Any, where: str) -> str:
    """One pydantic error in the policy's words: the field path and what is allowed."""
    loc = [str(p) for p in err["loc"]]
    path = ".".join([where, *loc])
    parent = ".".join([where, *loc[:-1]])
    kind, got = err["type"], err.get("input")
    if kind == "missing":
        return f"{parent}: missing required field {loc[-1]!r}"
    if kind == "extra_forbidden":
        return f"{parent}: unknown field {loc[-1]!r}"
    if loc and loc[-1] == "source" and kind == "string_too_short":
        return f"{path} must be a non-empty text naming where the rule is from"
    if loc and loc[-1] == "verification":
        return f"{path} must be one of V, V2, U, D, got {got!r}"
    if kind == "literal_error":
        return f"{path} must be {err['ctx']['expected']}, got {got!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{path} must be true or false, got {got!r}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{path} must be a mapping, got {got!r}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{path} {msg}" if msg.startswith("must ") else f"{path}: {msg}"


def parse_policy(data: Any, where: str = "policy", *, guideline: Guideline | None = None) -> Policy:
    """Validate a policy mapping; errors name the field and what is allowed."""
    try:
        parsed = PolicyFile.model_validate(data)
    except ValidationError as exc:
        raise DataFileError("; ".join(_message(e, where) for e in exc.errors())) from exc
    return Policy.from_file(parsed, guideline)


def load_policy(source: Source, *, guideline: Guideline | None = None) -> Policy:
    """A site's policy file (``DataFileError`` naming the field when it is malformed)."""
    label = str(getattr(source, "name", source))
    return parse_policy(read_yaml(source), label, guideline=guideline)


@cache
def default_policy() -> Policy:
    """The packaged policy (``ptsdrx/recommend/data/policy.yaml``)."""
    return load_policy(packaged("ptsdrx.recommend", "policy.yaml"))


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
    major_cautions: tuple[str, ...] = ()
    """Rule ids of fired or unknown major cautions."""
    minor_cautions: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    """Rule ids of fired relative exclusions (``exclude``: overridable with a reason)."""
    contraindications: tuple[str, ...] = ()
    """Rule ids of fired absolute contraindications (never overridable)."""
    excluded_until: date | None = None
    controlled: bool = True
    """False for an estimate from uncontrolled pre-post cohorts."""


@dataclass(frozen=True)
class Decision:
    """Statuses, the ranked order and the abstention, with the reason for each gate."""

    statuses: dict[str, OptionStatus]
    order: tuple[str, ...]
    abstained: bool
    abstention_reason: str | None
    reasons: dict[str, tuple[Reason, ...]] = field(default_factory=dict)
    safety: dict[str, SafetyTier] = field(default_factory=dict)
    tiers: dict[str, int] = field(default_factory=dict)
    """Guideline tier each option is ranked in (after access routes and promotion)."""
    held: bool = False
    """A suicide-risk hold applies: options are listed without ranks."""
    first: str | None = None
    """The first-ranked option: the first open one without an unacknowledged major caution
    (``None`` when no open option qualifies, or during a hold)."""


def safety_tier(c: Candidate, acknowledged: frozenset[str]) -> SafetyTier:
    """None < minor caution < acknowledged major caution < (unacknowledged) major caution."""
    if any(r not in acknowledged for r in c.major_cautions):
        return "major caution"
    if c.major_cautions:
        return "acknowledged major caution"
    return "minor caution" if c.minor_cautions else "none"


def _excluded_reason(c: Candidate) -> Reason:
    rules = ", ".join(c.exclusions) or "a screening rule"
    if c.excluded_until is not None:
        text = f"Excluded until {c.excluded_until.isoformat()} ({rules}; time-limited)."
    else:
        text = f"Excluded by {rules}."
    if c.exclusions and not c.contraindications:
        text += " A clinician may override with a recorded reason."
    return Reason(kind="rule", text=text)


def _gate(
    c: Candidate,
    policy: Policy,
    overrides: Mapping[str, Override],
    failed_tiers: frozenset[int],
) -> tuple[OptionStatus | None, tuple[Reason, ...]]:
    """The status an option gets before predictions count (``None``: still a candidate)."""
    if c.screening_status == "hold":
        return "hold", (Reason(kind="safety", text="On hold: urgent suicide-risk assessment."),)
    if c.screening_status == "contraindicated" or c.contraindications:
        rules = ", ".join(c.contraindications) or "a screening rule"
        text = f"Contraindicated ({rules}): never offered, and no override is possible."
        if c.excluded_until is not None:
            text = (
                f"Contraindicated until {c.excluded_until.isoformat()} ({rules}; time-limited): "
                "not offered before then, and no override is possible."
            )
        return "contraindicated", (Reason(kind="rule", text=text),)
    reasons: list[Reason] = []
    if c.screening_status == "excluded":
        if not c.exclusions or any(r not in overrides for r in c.exclusions):
            return "excluded", (_excluded_reason(c),)
        for r in c.exclusions:
            o = overrides[r]
            reasons.append(
                Reason(
                    kind="rule",
                    text=f"Exclusion {r} overridden by {o.clinician}: {o.reason}",
                    source="clinician override (recorded with the recommendation)",
                )
            )
    elif c.screening_status in (None, "needs_information"):
        text = "Screening needs more information before this can be offered."
        return "needs information", (Reason(kind="rule", text=text),)
    if c.investigational or c.availability in policy.trial_only_statuses:
        text = "Available only within a clinical trial here."
        return "trial only", (Reason(kind="availability", text=text),)
    demoted: list[Reason] = []
    if c.availability in policy.unavailable_statuses:
        demoted.append(Reason(kind="availability", text="Not available here."))
    if c.preference_conflicts:
        demoted.append(Reason(kind="preference", text="; ".join(c.preference_conflicts)))
    demoted.extend(history_reasons(c.treatment, c.history, policy.history))
    g = policy.guideline
    if g.restricted(c.availability):
        needed = [t for t in g.routes.requires_failure_of if t not in failed_tiers]
        if needed:
            labels = "; ".join(f"tier {t} ({g.tier(t).label})" for t in needed)
            demoted.append(
                Reason(
                    kind="availability",
                    text=f"Restricted access ({str(c.availability).replace('_', ' ')}): "
                    f"needs a documented failed course in {labels} first.",
                    source=f"{g.routes.source} [{g.routes.verification}]",
                )
            )
    status: OptionStatus | None = "not preferred" if demoted else None
    return status, tuple(reasons + demoted)


def _tier(c: Candidate, guideline: Guideline) -> int:
    own = guideline.tier_of(c.treatment)
    if guideline.restricted(c.availability):
        return max(own, guideline.routes.restricted_tier)
    return own


def _evidence_index(c: Candidate, policy: Policy) -> int:
    order = policy.evidence_order
    return order.index(c.evidence_grade) if c.evidence_grade in order else len(order)


def _overlap_advantage(best: Candidate, runner_up: Candidate) -> Interval | None:
    """Conservative advantage interval from two outcome intervals (no joint model)."""
    if best.interval is None or runner_up.interval is None:
        return None
    return (runner_up.interval[0] - best.interval[1], runner_up.interval[1] - best.interval[0])


@dataclass(frozen=True)
class Gates:
    """What :func:`decide` settles before any prediction counts.

    Per option: the status screening, access, preferences and history give it (``None``:
    still a candidate) with the reasons, its safety tier and its guideline tier. It reads
    no ``expected_pcl5``, ``interval``, ``controlled`` or ``evidence_grade``, so callers
    deciding many patients with the same facts (batch scoring) compute it once per
    combination and pass it to :func:`decide`.
    """

    gated: dict[str, tuple[OptionStatus | None, tuple[Reason, ...]]]
    safety: dict[str, SafetyTier]
    tiers: dict[str, int]


def gate_options(
    candidates: Sequence[Candidate],
    *,
    policy: Policy | None = None,
    acknowledged: Sequence[str] = (),
    overrides: Sequence[Override] = (),
    courses: Sequence[PriorTreatment] = (),
) -> Gates:
    """The gate stage of :func:`decide` (same arguments)."""
    policy = policy or default_policy()
    guideline = policy.guideline
    acked = frozenset(acknowledged)
    by_rule = {o.rule: o for o in overrides}
    failed = guideline.failed_tiers(
        c.treatment for c in courses if demotion_grounds(c, policy.history)
    )
    return Gates(
        gated={c.treatment: _gate(c, policy, by_rule, failed) for c in candidates},
        safety={c.treatment: safety_tier(c, acked) for c in candidates},
        tiers={c.treatment: _tier(c, guideline) for c in candidates},
    )


def decide(
    candidates: Sequence[Candidate],
    *,
    policy: Policy | None = None,
    advantage_interval: Callable[[str, str], Interval | None] | None = None,
    in_support: bool | None = None,
    hold: str | None = None,
    names: dict[str, str] | None = None,
    acknowledged: Sequence[str] = (),
    overrides: Sequence[Override] = (),
    courses: Sequence[PriorTreatment] = (),
    gates: Gates | None = None,
) -> Decision:
    """Give each option a status, rank them, and abstain when no option is clearly better.

    ``advantage_interval(best, runner_up)`` returns the interval of PCL-5 points the best
    candidate gains over the runner-up (from the response model's effect interval); when
    it is absent or returns ``None``, the two outcome intervals are compared instead (clear
    only when they do not overlap). The first-ranked open option is ``recommended`` only
    when that interval lies above the policy margin, the patient is not outside the model's
    support, and it has no major caution nobody has acknowledged (``acknowledged``: rule
    ids); if every open option has one, the decision abstains and names the cautions.
    ``overrides`` (rule id, reason, clinician) reopen an option whose every exclusion is
    overridden; a contraindication never reopens. ``courses`` are all the patient's past
    courses (a restricted access route needs a documented failure in earlier tiers).
    ``hold`` (a reason: a suicide-risk hold) lists every option as ``hold`` (a
    contraindication stays shown as such), unranked, and withholds any recommendation.
    ``names`` gives the display names used in reasons. ``gates``: the result of
    :func:`gate_options` for these candidates and arguments, when the caller has it already.
    """
    policy = policy or default_policy()
    guideline = policy.guideline
    acked = frozenset(acknowledged)
    if gates is None:
        gates = gate_options(
            candidates,
            policy=policy,
            acknowledged=acknowledged,
            overrides=overrides,
            courses=courses,
        )

    def label(treatment: str) -> str:
        return (names or {}).get(treatment, treatment)

    statuses: dict[str, OptionStatus] = {}
    reasons: dict[str, tuple[Reason, ...]] = {}
    safety = dict(gates.safety)
    tiers = dict(gates.tiers)
    held = hold is not None or any(c.screening_status == "hold" for c in candidates)
    if held:
        on_hold = hold or "suicide-risk hold: urgent risk assessment before any treatment decision"
        for c in candidates:
            status, said = gates.gated[c.treatment]
            statuses[c.treatment] = "contraindicated" if status == "contraindicated" else "hold"
            reasons[c.treatment] = (
                said
                if status == "contraindicated"
                else (Reason(kind="safety", text=f"Hold: {on_hold}."),)
            )
        return Decision(
            statuses=statuses,
            order=tuple(c.treatment for c in candidates),
            abstained=True,
            abstention_reason=on_hold,
            reasons=reasons,
            safety=safety,
            tiers=tiers,
            held=True,
        )

    pool: list[Candidate] = []
    for c in candidates:
        status, said = gates.gated[c.treatment]
        if status is None:
            pool.append(c)
        else:
            statuses[c.treatment] = status
        reasons[c.treatment] = said
    adjuncts = set(guideline.adjuncts.treatments)
    if pool and all(c.treatment in adjuncts for c in pool):
        for c in pool:
            statuses[c.treatment] = "not preferred"
            reasons[c.treatment] += (
                Reason(
                    kind="ranking",
                    text=guideline.adjuncts.text.strip(),
                    source=f"{guideline.adjuncts.source} [{guideline.adjuncts.verification}]",
                ),
            )
        pool = []

    def interval_between(a: Candidate, b: Candidate) -> tuple[Interval | None, str]:
        if a.controlled != b.controlled:
            return None, "estimates of different kinds"
        got = advantage_interval(a.treatment, b.treatment) if advantage_interval else None
        if got is not None:
            return got, "advantage interval"
        return _overlap_advantage(a, b), "outcome intervals"

    def base_key(c: Candidate) -> tuple[Any, ...]:
        return (
            SAFETY_TIERS.index(safety[c.treatment]),
            c.treatment in adjuncts,
            tiers[c.treatment],
            not c.controlled,
            c.expected_pcl5 if c.expected_pcl5 is not None else float("inf"),
            _evidence_index(c, policy),
            c.treatment,
        )

    mid = guideline.promotion.min_advantage_pcl5
    promoted: dict[str, Reason] = {}
    own = dict(tiers)
    for c in pool:
        if c.expected_pcl5 is None or c.treatment in adjuncts:
            continue
        for number in sorted({own[o.treatment] for o in pool}):
            if number >= own[c.treatment]:
                break
            # the tier's best estimate, chosen without safety so that acknowledging one
            # option's caution cannot change how any other option is ranked
            ref = min(
                (o for o in pool if own[o.treatment] == number and o.expected_pcl5 is not None),
                key=lambda o: (not o.controlled, o.expected_pcl5, o.treatment),
                default=None,
            )
            if ref is None:
                continue
            interval, basis = interval_between(c, ref)
            if interval is not None and interval[0] > mid:
                promoted[c.treatment] = Reason(
                    kind="ranking",
                    text=f"Ranked with tier {number} ({guideline.tier(number).label}): its "
                    f"{basis} over {label(ref.treatment)} ({interval[0]:+.1f} to "
                    f"{interval[1]:+.1f} PCL-5 points) clears the minimal important "
                    f"difference of {mid:g}.",
                    source=guideline.promotion.source,
                )
                tiers[c.treatment] = number
                break

    keys = {c.treatment: base_key(c) for c in candidates}  # tiers are final from here
    pool.sort(key=lambda c: keys[c.treatment])
    for c in pool:
        statuses[c.treatment] = "alternative"
    predicted = [c for c in pool if c.expected_pcl5 is not None]
    abstained, why = True, None
    best = predicted[0] if predicted else None
    above = [] if best is None else [c for c in pool[: pool.index(best)]]
    later = [c for c in pool if c.expected_pcl5 is None and c not in above]
    unestimated = ", ".join(label(c.treatment) for c in later)
    cautioned = [c for c in pool if safety[c.treatment] == "major caution"]
    if not pool:
        why = "no option is open to this patient without more information or a trial"
    elif len(cautioned) == len(pool):
        named = "; ".join(
            f"{label(c.treatment)} ({', '.join(r for r in c.major_cautions if r not in acked)})"
            for c in cautioned
        )
        why = f"every open option has a major caution nobody has acknowledged: {named}"
    elif best is None:
        why = "no outcome estimate is available for any open option"
    elif in_support is False:
        why = "the patient is outside the range of the data the model was trained on"
    elif len(pool) == 1:
        why = f"only one option is open ({label(pool[0].treatment)}): there is nothing to compare"
    elif above:
        ahead = ", ".join(label(c.treatment) for c in above)
        why = (
            f"no outcome estimate for {ahead}, ranked above {label(best.treatment)} by "
            "safety or guideline tier, so no option can be called clearly better"
        )
    elif safety[best.treatment] == "major caution":
        why = f"{label(best.treatment)} has a major caution nobody has acknowledged"
    elif len(predicted) < len(pool) and (policy.unestimated == "abstain" or len(predicted) < 2):
        unknown = ", ".join(label(c.treatment) for c in pool if c.expected_pcl5 is None)
        why = f"no outcome estimate for {unknown}, so no option can be called clearly better"
    else:
        runner_up = predicted[1]
        interval, basis = interval_between(best, runner_up)
        if basis == "estimates of different kinds":
            why = (
                f"{label(best.treatment)} and {label(runner_up.treatment)} have estimates of "
                "different kinds (controlled vs uncontrolled pre-post): not compared"
            )
        elif interval is None:
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
    for tid, why_promoted in promoted.items():
        reasons[tid] += (why_promoted,)
    if not abstained and best is not None:
        top = best.treatment
        statuses[top] = "recommended"
        text = "First among the open options, clearly ahead of the next."
        if unestimated:
            text += f" Not compared (no outcome estimate): {unestimated}."
        reasons[top] += (Reason(kind="ranking", text=text, source=policy.margin_source),)
    for c in pool:
        if statuses[c.treatment] == "recommended":
            continue
        if c.expected_pcl5 is None:
            text = "Open option; no outcome estimate, so it is not compared with the others."
        elif not c.controlled:
            text = (
                "Open option; its estimate comes from uncontrolled pre-post cohorts, so it "
                "is listed after options with controlled estimates in its tier."
            )
        else:
            text = "Open option, ranked by safety, guideline tier, then predicted PCL-5."
        reasons[c.treatment] += (Reason(kind="ranking", text=text),)
    by_id = {c.treatment: c for c in candidates}
    order = tuple(sorted(by_id, key=lambda t: (OPTION_STATUSES.index(statuses[t]), *keys[t])))
    first = next(
        (
            t
            for t in order
            if statuses[t] in ("recommended", "alternative") and safety[t] != "major caution"
        ),
        None,
    )
    return Decision(
        statuses=statuses,
        order=order,
        abstained=abstained,
        abstention_reason=why,
        reasons=reasons,
        safety=safety,
        tiers=tiers,
        first=first,
    )
