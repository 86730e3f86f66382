"""The instrument facts file (``data/instruments.yaml``) read into typed, validated specs.

The YAML holds every clinical number (item counts, ranges, clusters, bands, cut-points,
LOINC codes, change thresholds) with its source; this module only checks its shape so a
typo in the data fails loudly at import rather than mis-scoring a patient.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Verification = Literal["[V]", "[V2]", "[U]", "[D]"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(_Spec):
    """A value with where it came from."""

    value: float | str | None = None
    source: str
    verification: Verification


class Cluster(_Spec):
    """Items of a cluster or subscale: an inclusive range ``items`` or an explicit list."""

    items: tuple[int, int] | None = None
    item_list: tuple[int, ...] | None = None
    min_endorsed: int | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Cluster:
        if (self.items is None) == (self.item_list is None):
            raise ValueError("a cluster needs exactly one of 'items' (range) or 'item_list'")
        return self

    def members(self) -> tuple[int, ...]:
        """1-based item numbers in the cluster."""
        if self.items is not None:
            return tuple(range(self.items[0], self.items[1] + 1))
        assert self.item_list is not None
        return self.item_list


class Band(_Spec):
    """A severity band with inclusive bounds."""

    label: str
    min: float
    max: float


class LoincCode(_Spec):
    """A LOINC code with its source."""

    code: str = Field(pattern=r"^\d{1,7}-\d$")
    source: str
    verification: Verification


class Diagnosis(_Spec):
    """The symptom-count diagnostic rule: items rated >= ``endorsed_at`` count as present."""

    endorsed_at: int
    source: str
    verification: Verification


class Cutoff(_Spec):
    """A configurable total-score cut-point (``total >= default`` is above the cut-off)."""

    default: float
    allowed: tuple[float, float]
    source: str
    verification: Verification


class ScreenPositive(_Spec):
    """A total at or above ``at_least`` screens positive (warrants further evaluation)."""

    at_least: float
    source: str
    verification: Verification


class SafetyItem(_Spec):
    """An item whose response at or above ``at_least`` raises ``flag``."""

    item: int
    at_least: int
    flag: str
    source: str
    verification: Verification


class Rci(_Spec):
    """Default inputs for the Jacobson-Truax reliable change index."""

    sd: float = Field(gt=0)
    r: float = Field(gt=0, lt=1)
    source: str
    verification: Verification


class PublishedThreshold(_Spec):
    """A published reliable-change threshold: a decrease of at least ``decrease`` points."""

    id: str
    decrease: float
    source: str
    verification: Verification


class ChangeSpec(_Spec):
    """Change definitions for one instrument (each optional: absent means not defined)."""

    rci: Rci | None = None
    published_reliable: tuple[PublishedThreshold, ...] = ()
    response_percent: Sourced | None = None
    response_points: Sourced | None = None
    remission_below_cutoff: Sourced | None = None
    endpoint: Sourced | None = None


class RiskRule(_Spec):
    """C-SSRS triage: the level applies when any listed answer is positive."""

    any_of: tuple[str, ...]
    source: str
    verification: Verification


class ExtraItem(_Spec):
    """An optional item after the scored items (CAPS-5 dissociation items)."""

    label: str
    caps5_item: int


class InstrumentSpec(_Spec):
    """Everything ptsdrx knows about one instrument, as read from the data file."""

    id: str
    name: str
    kind: Literal["self_report", "clinician_interview", "screener"]
    timeframe: str
    items: int = Field(gt=0)
    item_min: int
    item_max: int
    item_max_source: str | None = None
    item_max_verification: Verification | None = None
    total_range: tuple[float, float] | None = None
    proprietary: bool = False
    source: str
    verification: Verification
    item_labels: tuple[str, ...] | None = None
    extra_items: tuple[ExtraItem, ...] = ()
    extra_items_source: str | None = None
    clusters: dict[str, Cluster] = Field(default_factory=dict)
    clusters_source: str | None = None
    clusters_verification: Verification | None = None
    diagnosis: Diagnosis | None = None
    severity_combining: Sourced | None = None
    cutoff: Cutoff | None = None
    bands: tuple[Band, ...] | None = None
    bands_source: str | None = None
    bands_verification: Verification | None = None
    bands_note: str | None = None
    screen_positive: ScreenPositive | None = None
    safety_items: tuple[SafetyItem, ...] = ()
    risk: dict[Literal["high", "moderate", "low"], RiskRule] | None = None
    flags: dict[str, str] | None = None
    loinc: dict[str, LoincCode] = Field(default_factory=dict)
    loinc_note: str | None = None
    change: ChangeSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> InstrumentSpec:
        if self.item_labels is not None and len(self.item_labels) != self.items:
            raise ValueError(f"{self.id}: item_labels must have {self.items} entries")
        for name, cluster in self.clusters.items():
            bad = [i for i in cluster.members() if not 1 <= i <= self.items]
            if bad:
                raise ValueError(f"{self.id}: cluster {name} has items outside 1..{self.items}")
        return self

    def label(self, item: int) -> str:
        """Display label of a 1-based item number, e.g. ``'item 3 (B3)'``."""
        if self.item_labels is not None and 1 <= item <= len(self.item_labels):
            return f"item {item} ({self.item_labels[item - 1]})"
        extra = item - self.items - 1
        if 0 <= extra < len(self.extra_items):
            spec = self.extra_items[extra]
            return f"item {item} ({spec.label}, CAPS-5 item {spec.caps5_item})"
        return f"item {item}"


class Proration(_Spec):
    """The site-wide default proration policy."""

    default_max_missing: int = Field(ge=0)
    method: Literal["person_mean"]
    source: str
    verification: Verification


class Facts(_Spec):
    """The whole data file."""

    crisis_message: Sourced
    proration: Proration
    instruments: dict[str, InstrumentSpec]


@cache
def facts() -> Facts:
    """Load and validate ``data/instruments.yaml`` once per process."""
    text = (
        resources.files("ptsdrx.instruments").joinpath("data/instruments.yaml").read_text("utf-8")
    )
    raw: dict[str, Any] = yaml.safe_load(text)
    instruments = {k: {"id": k, **v} for k, v in raw["instruments"].items()}
    return Facts(
        crisis_message=raw["safety"]["crisis_message"],
        proration=raw["proration"],
        instruments=instruments,
    )
