"""A GRADE-like evidence grade per treatment, with every step written out as a reason.

Rules are data (``data/grading.yaml``): randomised evidence starts high, non-randomised
low, one level down per concern (risk of bias from open-label designs, inconsistency,
imprecision); negative RCTs that outweigh positive ones give "mixed". Caveats that must
travel with the grade (e.g. MDMA's complete response letter) are listed from the same file.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from ptsdrx._datafiles import Frozen, Sourced, load, packaged
from ptsdrx.evidence._synthesis import PooledEffect, synthesize
from ptsdrx.evidence._trials import SYNTHESES, EvidenceStudy, trials
from ptsdrx.treatments import TREATMENT_IDS

Grade = Literal["high", "moderate", "low", "very_low", "mixed", "insufficient"]
_LEVELS: tuple[Grade, ...] = ("high", "moderate", "low", "very_low")
_SMD = frozenset({"d", "g", "smd"})


class Thresholds(Frozen):
    """Numeric conventions of the grading (see ``grading.yaml``)."""

    min_positive_rcts_for_high: int = Field(ge=1)
    min_synthesis_k_for_high: int = Field(ge=2)
    inconsistency_i2: float = Field(ge=0, le=1)
    trivial_effect_below: float = Field(ge=0)
    small_total_n: int = Field(ge=0)


class Caveat(Sourced):
    """A fact shown next to the grade, with its source."""

    text: str


class GradingRules(Sourced):
    """The whole grading file; caveats may only name catalog treatments."""

    schema_version: str
    thresholds: Thresholds
    mixed: dict[str, bool]
    caveats: dict[str, tuple[Caveat, ...]]

    @model_validator(mode="after")
    def _known(self) -> GradingRules:
        unknown = sorted(set(self.caveats) - set(TREATMENT_IDS))
        if unknown:
            raise ValueError(f"caveats for unknown treatments {unknown}")
        return self


def load_grading(path: str | Path | None = None) -> GradingRules:
    """Load the grading rules (the packaged file by default); errors name the field."""
    return load(GradingRules, packaged("ptsdrx.evidence", "grading.yaml") if path is None else path)


@cache
def _packaged_rules() -> GradingRules:
    return load_grading()


class EvidenceGrade(Frozen):
    """The grade of one treatment's PTSD evidence, with reasons and the headline effect.

    ``reasons`` ends with the caveats (prefixed ``caveat:``), which are also kept structured
    in ``caveats`` with their sources.
    """

    treatment: str
    grade: Grade
    reasons: tuple[str, ...]
    caveats: tuple[Caveat, ...]
    pooled: PooledEffect | None
    trials: tuple[str, ...]

    def summary(self) -> str:
        """Plain lines for people."""
        lines = [f"{self.treatment}: evidence {self.grade.replace('_', ' ')}"]
        lines += [f"  - {r}" for r in self.reasons]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return self.model_dump(mode="json")


def _with_caveats(reasons: list[str], caveats: tuple[Caveat, ...]) -> tuple[str, ...]:
    """Reasons followed by the caveats, so readers of ``reasons`` alone still see them."""
    return (*reasons, *(f"caveat: {c.text} [{c.verification}]" for c in caveats))


def _biased(t: EvidenceStudy) -> bool:
    """Open-label, or rated medium/high risk of bias (e.g. functional unblinding) by a review."""
    rated = t.risk_of_bias is not None and t.risk_of_bias.rating in ("medium", "high")
    return t.blinding == "open_label" or rated


def _describe(t: EvidenceStudy) -> str:
    n = "n=?" if t.n is None else f"n={t.n}"
    return f"{t.id} ({n}, {t.blinding.replace('_', '-')})"


@cache
def _packaged_grade(treatment: str) -> EvidenceGrade:
    """The grade from the packaged evidence and rules (immutable, so computed once per arm)."""
    return grade(treatment, rules=_packaged_rules())


def grade(
    treatment: str,
    *,
    evidence: Sequence[EvidenceStudy] | None = None,
    rules: GradingRules | None = None,
) -> EvidenceGrade:
    """Grade the PTSD evidence for ``treatment`` and say why, step by step.

    Examples
    --------
    >>> grade("ketamine_iv").grade
    'mixed'
    >>> grade("mdma_at").grade  # two positive RCTs, down one for functional unblinding
    'moderate'
    """
    if evidence is None and rules is None:
        return _packaged_grade(treatment)
    if treatment not in TREATMENT_IDS:
        raise KeyError(f"unknown treatment {treatment!r}; allowed: {', '.join(TREATMENT_IDS)}")
    rules = rules or _packaged_rules()
    th = rules.thresholds
    rows = (
        trials(treatment)
        if evidence is None
        else [t for t in evidence if treatment in t.treatments]
    )
    direct = [t for t in rows if t.indication == "ptsd"]
    indirect = [t for t in rows if t.indication != "ptsd"]
    rcts = [t for t in direct if t.randomised and t.result in {"positive", "negative"}]
    positive = [t for t in rcts if t.result == "positive"]
    negative = [t for t in rcts if t.result == "negative"]
    syntheses = [t for t in direct if t.kind in SYNTHESES and t.result == "positive"]
    observational = [t for t in direct if not t.randomised and t.kind not in SYNTHESES]
    observational = [t for t in observational if t.kind != "secondary_compilation"]
    synthesis = synthesize(treatment, evidence=rows)
    pooled = synthesis.primary
    caveats = rules.caveats.get(treatment, ())
    reasons: list[str] = []
    ids = tuple(t.id for t in rows)
    if indirect:
        reasons.append(
            "indirect evidence only (other indications, not graded): "
            + ", ".join(f"{t.id} ({t.indication})" for t in indirect)
        )

    if not (rcts or syntheses or observational):
        reasons.insert(0, "no PTSD trial for this treatment in the evidence file")
        return EvidenceGrade(
            treatment=treatment,
            grade="insufficient",
            reasons=_with_caveats(reasons, caveats),
            caveats=caveats,
            pooled=pooled,
            trials=ids,
        )

    if positive:
        reasons.append(
            f"{len(positive)} positive PTSD RCT(s): " + ", ".join(map(_describe, positive))
        )
    if negative:
        reasons.append(
            f"{len(negative)} negative PTSD RCT(s): " + ", ".join(map(_describe, negative))
        )
    if pooled is not None:
        reasons.append(f"headline effect: {pooled.summary()}")
    for t in direct:
        for r in t.ratings:
            if r.treatment == treatment:
                reasons.append(
                    f"for comparison, {t.id} rated the strength of evidence {r.strength}"
                )

    largest = max(rcts, key=lambda t: t.n or 0) if rcts else None
    largest_negative = largest is not None and largest.result == "negative"
    if negative and (
        not positive or (rules.mixed.get("largest_rct_negative") and largest_negative)
    ):
        why = "no RCT is positive"
        if positive and largest is not None:
            why = f"the largest RCT, {_describe(largest)}, is negative"
        reasons.append(f"mixed: negative RCTs stand against positive ones and {why}")
        return EvidenceGrade(
            treatment=treatment,
            grade="mixed",
            reasons=_with_caveats(reasons, caveats),
            caveats=caveats,
            pooled=pooled,
            trials=ids,
        )

    big_synthesis = [
        t
        for t in syntheses
        if (t.k or 0) >= th.min_synthesis_k_for_high
        and any(
            e.treatment == treatment
            and e.scope == "between_group"
            and e.verification != "U"
            and e.measure in _SMD
            for e in t.effects
        )
    ]
    if len(positive) >= th.min_positive_rcts_for_high or big_synthesis:
        start = 0
        basis = (
            f">= {th.min_positive_rcts_for_high} positive RCTs"
            if len(positive) >= th.min_positive_rcts_for_high
            else "positive synthesis of " + ", ".join(f"{t.id} (k={t.k})" for t in big_synthesis)
        )
    elif positive or syntheses:
        start = 1
        basis = (
            "a single positive RCT"
            if positive
            else "positive systematic reviews without a verified per-treatment effect size: "
            + ", ".join(t.id for t in syntheses)
        )
    else:
        start = 2
        basis = "non-randomised studies only: " + ", ".join(map(_describe, observational))
    reasons.append(f"starts {_LEVELS[start].replace('_', ' ')}: {basis}")

    down = 0
    inconsistency: list[str] = []
    if negative:
        inconsistency.append("negative RCT(s) alongside positive ones")
    if pooled is not None and pooled.i2 is not None and pooled.i2 > th.inconsistency_i2:
        inconsistency.append(f"I² {100 * pooled.i2:.0f}% > {100 * th.inconsistency_i2:.0f}%")
    trivial = sorted(
        {
            e.value
            for t in direct
            if t.kind not in SYNTHESES
            for e in t.effects
            if e.treatment == treatment
            and e.scope == "between_group"
            and e.control not in TREATMENT_IDS  # vs a control, not another active treatment
            and e.measure in _SMD
            and e.verification != "U"
            and e.value < th.trivial_effect_below
        }
    )
    if trivial:
        values = ", ".join(f"{v:g}" for v in trivial)
        inconsistency.append(f"RCT effect(s) below SMD {th.trivial_effect_below}: {values}")
    if inconsistency:
        down += 1
        reasons.append("down one level for inconsistency: " + "; ".join(inconsistency))

    controlled = rcts or observational
    if controlled and all(t.blinding == "open_label" for t in controlled):
        down += 1
        reasons.append("down one level for risk of bias: every direct study is open-label")
    elif controlled and all(_biased(t) for t in controlled):
        down += 1
        rated = "; ".join(
            f"{t.id} {t.risk_of_bias.rating} ({t.risk_of_bias.reason})"
            for t in controlled
            if t.risk_of_bias is not None
        )
        reasons.append(
            "down one level for risk of bias: every direct study is open-label or rated "
            f"at medium or high risk of bias: {rated}"
        )

    imprecise: list[str] = []
    if pooled is not None and pooled.ci_excludes_zero is False:
        imprecise.append("the headline effect's 95% CI includes zero")
    total_n = sum(t.n or 0 for t in (rcts or observational))
    if (rcts or observational) and not big_synthesis and total_n < th.small_total_n:
        imprecise.append(f"{total_n} participants in direct studies (< {th.small_total_n})")
    if imprecise:
        down += 1
        reasons.append("down one level for imprecision: " + "; ".join(imprecise))

    level = _LEVELS[min(start + down, len(_LEVELS) - 1)]
    return EvidenceGrade(
        treatment=treatment,
        grade=level,
        reasons=_with_caveats(reasons, caveats),
        caveats=caveats,
        pooled=pooled,
        trials=ids,
    )
