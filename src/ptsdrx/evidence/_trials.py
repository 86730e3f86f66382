"""The trials data file as typed, immutable records (``data/trials.yaml``, FACTS.md §5).

Arms, rates, effects and adverse events inherit their trial's ``source`` and
``verification`` unless they state their own, so every number answers "where from?".
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from ptsdrx._datafiles import DataFileError, Frozen, Sourced, describe, packaged, read_yaml
from ptsdrx.treatments import CONTROL_ARMS, TREATMENT_IDS

Kind = Literal[
    "rct",
    "crossover_rct",
    "nonrandomised",
    "retrospective",
    "pooled_analysis",
    "meta_analysis",
    "network_meta_analysis",
    "systematic_review",
    "secondary_compilation",
]
Blinding = Literal["double_blind", "assessor_blind", "open_label", "unknown"]
Result = Literal["positive", "negative", "uncontrolled", "descriptive"]
Measure = Literal["d", "g", "smd", "mean_difference"]

#: Comparators beyond the contract's control arms that the literature uses.
EXTRA_CONTROLS: tuple[str, ...] = ("inactive_control", "minimal_attention")
#: Every arm or comparator id a trial row may name.
ARM_IDS: frozenset[str] = frozenset(TREATMENT_IDS + CONTROL_ARMS + EXTRA_CONTROLS)
#: Designs that randomise (the ones that start a GRADE-like rating high).
RANDOMISED: frozenset[str] = frozenset({"rct", "crossover_rct"})
#: Designs that pool other studies.
SYNTHESES: frozenset[str] = frozenset(
    {"meta_analysis", "network_meta_analysis", "systematic_review", "pooled_analysis"}
)

_Z95 = 1.959963984540054


class EvidenceError(DataFileError):
    """An evidence file is malformed; the message names the row and field."""


def _check_arm(value: str | None, field: str) -> None:
    if value is not None and value not in ARM_IDS:
        raise ValueError(f"{field} {value!r} is not a known arm; allowed: {sorted(ARM_IDS)}")


class Arm(Sourced):
    """One arm's size and change on the trial instrument (``None`` = not reported)."""

    arm: str
    label: str | None = None
    n: int | None = Field(None, ge=1)
    n_analysed: int | None = Field(None, ge=1)
    baseline_mean: float | None = None
    baseline_sd: float | None = Field(None, gt=0)
    post_mean: float | None = None
    post_sd: float | None = Field(None, gt=0)
    change_mean: float | None = None
    change_sd: float | None = Field(None, gt=0)
    change_ci: tuple[float, float] | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _valid(self) -> Arm:
        _check_arm(self.arm, "arm")
        if self.change_ci is not None and not self.change_ci[0] < self.change_ci[1]:
            raise ValueError(f"change_ci must be (low, high) with low < high, got {self.change_ci}")
        return self

    @property
    def n_effective(self) -> int | None:
        """Analysed n when reported, else randomised n."""
        return self.n_analysed if self.n_analysed is not None else self.n

    @property
    def change_sd_resolved(self) -> float | None:
        """SD of change: reported, or derived [D] from a 95% CI of the mean as SE·√n."""
        if self.change_sd is not None:
            return self.change_sd
        n = self.n_effective
        if self.change_ci is None or n is None:
            return None
        se = (self.change_ci[1] - self.change_ci[0]) / (2 * _Z95)
        return se * math.sqrt(n)


class Rate(Sourced):
    """A proportion in one arm (response, loss of diagnosis, remission, completion)."""

    outcome: str
    arm: str
    value: float = Field(ge=0, le=1)
    definition: str

    @model_validator(mode="after")
    def _valid(self) -> Rate:
        _check_arm(self.arm, "arm")
        return self


class Effect(Sourced):
    """An effect size as published; positive means benefit (see the file header)."""

    treatment: str
    control: str | None
    scope: Literal["between_group", "within_group"]
    measure: Measure
    value: float
    ci: tuple[float, float] | None = None
    se: float | None = Field(None, gt=0)
    label: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _valid(self) -> Effect:
        _check_arm(self.treatment, "treatment")
        _check_arm(self.control, "control")
        if (self.scope == "between_group") != (self.control is not None):
            raise ValueError("between_group effects need a control; within_group effects none")
        if self.ci is not None and not self.ci[0] <= self.value <= self.ci[1]:
            raise ValueError(f"value {self.value} lies outside its ci {self.ci}")
        return self

    @property
    def variance(self) -> float | None:
        """Sampling variance from the SE or the 95% CI, when the source gave one."""
        if self.se is not None:
            return self.se**2
        if self.ci is not None:
            return ((self.ci[1] - self.ci[0]) / (2 * _Z95)) ** 2
        return None


class TrialAdverseEvent(Sourced):
    """An adverse-event rate in one arm (``rate=None`` when the source gives none)."""

    arm: str
    event: str
    rate: float | None = Field(None, ge=0, le=1)
    note: str | None = None

    @model_validator(mode="after")
    def _valid(self) -> TrialAdverseEvent:
        _check_arm(self.arm, "arm")
        return self


class RiskOfBias(Sourced):
    """A trial's risk of bias as rated by a systematic review or a regulator, and why.

    ``double_blind`` alone says nothing about functional unblinding (participants who can
    tell their allocation, as with MDMA); GRADE rates that as risk of bias, and so does
    :func:`ptsdrx.evidence.grade` when every controlled study is rated ``medium`` or ``high``.
    """

    rating: Literal["low", "medium", "high"]
    reason: str = Field(min_length=10)


class Rating(Frozen):
    """A strength-of-evidence rating given by a systematic review."""

    treatment: str
    strength: str


class EvidenceStudy(Sourced):
    """One trial, cohort or synthesis from FACTS.md §5."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    citation: str
    doi: str | None
    registry: str | None
    kind: Kind
    blinding: Blinding
    indication: Literal["ptsd", "depression"]
    population: str
    treatments: tuple[str, ...] = Field(min_length=1)
    control: str | None
    result: Result
    instrument: str | None
    timepoint_weeks: float | None = Field(None, gt=0)
    n: int | None = Field(None, ge=1)
    k: int | None = Field(None, ge=1)
    follow_up: str | None
    disagrees_with: tuple[str, ...] = ()
    arms: tuple[Arm, ...]
    rates: tuple[Rate, ...]
    effects: tuple[Effect, ...]
    adverse_events: tuple[TrialAdverseEvent, ...]
    ratings: tuple[Rating, ...] = ()
    risk_of_bias: RiskOfBias | None = None
    note: str | None

    @model_validator(mode="before")
    @classmethod
    def _inherit_source(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        inherited = {"source": data.get("source"), "verification": data.get("verification")}
        out = dict(data)
        for part in ("arms", "rates", "effects", "adverse_events"):
            items = data.get(part)
            if isinstance(items, list):
                out[part] = [
                    {**inherited, **item} if isinstance(item, dict) else item for item in items
                ]
        return out

    @model_validator(mode="after")
    def _valid(self) -> EvidenceStudy:
        for t in self.treatments:
            if t not in TREATMENT_IDS:
                raise ValueError(f"treatments: {t!r} unknown; allowed: {', '.join(TREATMENT_IDS)}")
        _check_arm(self.control, "control")
        if self.result in {"positive", "negative"} and self.control is None:
            raise ValueError("a positive/negative result needs the control it was tested against")
        return self

    @property
    def randomised(self) -> bool:
        """True for parallel or crossover RCTs."""
        return self.kind in RANDOMISED

    def arm(self, arm_id: str) -> tuple[Arm, ...]:
        """The arms with this id (a trial may have several doses of one treatment)."""
        return tuple(a for a in self.arms if a.arm == arm_id)

    def summary(self) -> str:
        """One line for people: id, design, n, result, source tag."""
        n = "n=?" if self.n is None else f"n={self.n}"
        k = "" if self.k is None else f", k={self.k}"
        return (
            f"{self.id}: {self.citation} — {self.kind.replace('_', ' ')}, {n}{k}, "
            f"{self.result} vs {self.control or 'no control'} [{self.verification}]"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return self.model_dump(mode="json")


def load_trials(path: str | Path | None = None) -> tuple[EvidenceStudy, ...]:
    """Load and validate a trials file (the packaged one by default).

    Raises
    ------
    EvidenceError
        Naming the row and field that failed, duplicate ids, or dangling ``disagrees_with``.
    """
    try:
        raw = read_yaml(packaged("ptsdrx.evidence", "trials.yaml") if path is None else path)
    except DataFileError as exc:
        raise EvidenceError(str(exc)) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("trials"), list):
        raise EvidenceError("trials: expected a mapping with a 'trials' list")
    rows: list[EvidenceStudy] = []
    for i, item in enumerate(raw["trials"]):
        label = item.get("id", f"#{i}") if isinstance(item, dict) else f"#{i}"
        try:
            rows.append(EvidenceStudy.model_validate(item))
        except ValidationError as exc:
            problems = describe(exc).replace("\n", "; ")
            raise EvidenceError(f"trial {label!r}: {problems}") from exc
    ids = [t.id for t in rows]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise EvidenceError(f"trials: duplicate ids {duplicates}")
    for t in rows:
        dangling = [d for d in t.disagrees_with if d not in ids]
        if dangling:
            raise EvidenceError(f"trial {t.id!r}: disagrees_with names unknown rows {dangling}")
    return tuple(rows)


@cache
def _packaged() -> tuple[EvidenceStudy, ...]:
    return load_trials()


def trials(treatment: str | None = None) -> tuple[EvidenceStudy, ...]:
    """The packaged evidence rows, optionally only those informing ``treatment``.

    Examples
    --------
    >>> [t.id for t in trials("mdma_at")][:2]
    ['mapp1', 'mapp2']
    """
    if treatment is not None and treatment not in TREATMENT_IDS:
        raise KeyError(f"unknown treatment {treatment!r}; allowed: {', '.join(TREATMENT_IDS)}")
    rows = _packaged()
    return rows if treatment is None else tuple(t for t in rows if treatment in t.treatments)


def get_trial(trial_id: str) -> EvidenceStudy:
    """One evidence row by id; ``KeyError`` listing the ids otherwise."""
    for t in _packaged():
        if t.id == trial_id:
            return t
    raise KeyError(f"unknown trial {trial_id!r}; allowed: {', '.join(t.id for t in _packaged())}")
