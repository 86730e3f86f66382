"""Guideline tiers: which options a guideline committee puts first, as sourced data.

``data/guideline.yaml`` assigns every catalog treatment to one tier (VA/DoD 2023:
trauma-focused psychotherapy; the guideline medications; off-label and adjunct options;
restricted access routes; trial only), names the restricted access routes and the tiers whose
documented failure they need, the adjunct-only options, and the minimal important difference
a model must clear before it may move an option into a better tier.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from pydantic import Field, model_validator

from ptsdrx._datafiles import DataFileError, Frozen, Source, Sourced, duplicates, load, packaged
from ptsdrx.treatments import TREATMENT_IDS

__all__ = ["Guideline", "GuidelineTier", "default_guideline", "load_guideline"]


class GuidelineTier(Sourced):
    """One tier: its rank (1 is best), a label and the treatments in it."""

    tier: int = Field(ge=1)
    label: str = Field(min_length=3)
    treatments: tuple[str, ...] = Field(min_length=1)


class Routes(Sourced):
    """Access routes that restrict an option to patients with documented failures."""

    restricted_statuses: tuple[str, ...]
    restricted_tier: int = Field(ge=1)
    requires_failure_of: tuple[int, ...]


class Adjuncts(Sourced):
    """Options that are never the only PTSD treatment offered."""

    treatments: tuple[str, ...]
    text: str = Field(min_length=10)


class Promotion(Sourced):
    """How much better (PCL-5 points, interval lower bound) a model must say to cross a tier."""

    min_advantage_pcl5: float = Field(ge=0, le=80)


class Guideline(Frozen):
    """The whole guideline file, checked: every treatment in exactly one tier."""

    version: int
    tiers: tuple[GuidelineTier, ...] = Field(min_length=1)
    routes: Routes
    adjuncts: Adjuncts
    promotion: Promotion

    @model_validator(mode="after")
    def _complete(self) -> Guideline:
        listed = [t for tier in self.tiers for t in tier.treatments]
        if dup := duplicates(listed):
            raise ValueError(f"treatments in more than one tier: {', '.join(dup)}")
        if dup := duplicates(str(t.tier) for t in self.tiers):
            raise ValueError(f"tier numbers used twice: {', '.join(dup)}")
        unknown = sorted(set(listed) - set(TREATMENT_IDS))
        unknown += sorted(set(self.adjuncts.treatments) - set(TREATMENT_IDS))
        if unknown:
            raise ValueError(f"unknown treatments {unknown}; allowed: {', '.join(TREATMENT_IDS)}")
        missing = [t for t in TREATMENT_IDS if t not in listed]
        if missing:
            raise ValueError(f"treatments without a tier: {', '.join(missing)}")
        numbers = {t.tier for t in self.tiers}
        bad = [n for n in (self.routes.restricted_tier, *self.routes.requires_failure_of)]
        if any(n not in numbers for n in bad):
            raise ValueError(f"routes name tiers that do not exist; tiers: {sorted(numbers)}")
        return self

    def tier_of(self, treatment: str) -> int:
        """The treatment's own tier (before any access route or promotion)."""
        for tier in self.tiers:
            if treatment in tier.treatments:
                return tier.tier
        raise KeyError(f"no tier for {treatment!r}")

    def tier(self, number: int) -> GuidelineTier:
        """The tier with this number."""
        return next(t for t in self.tiers if t.tier == number)

    def restricted(self, availability: str | None) -> bool:
        """True when this access route needs documented failure of earlier tiers."""
        return availability in self.routes.restricted_statuses

    def failed_tiers(self, failed_treatments: Iterable[str]) -> frozenset[int]:
        """The tiers in which the record documents a failed course."""
        return frozenset(self.tier_of(t) for t in failed_treatments if t in TREATMENT_IDS)


def load_guideline(source: Source) -> Guideline:
    """A site's guideline file; :class:`DataFileError` names the entry and field."""
    return load(Guideline, source, error=DataFileError)


@cache
def default_guideline() -> Guideline:
    """The packaged guideline tiers (``ptsdrx/recommend/data/guideline.yaml``)."""
    return load_guideline(packaged("ptsdrx.recommend", "guideline.yaml"))
