"""The instrument facts file (``data/instruments.yaml``) read into typed, validated specs.

The YAML holds every clinical number (item counts, ranges, clusters, bands, cut-points,
LOINC codes, change thresholds) with its source; this module only checks its shape so a
typo in the data fails loudly at import rather than mis-scoring a patient.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ptsdrx._datafiles import Frozen, Sourced, Verification, load, packaged
from ptsdrx._datafiles import Source as DataSource
from ptsdrx.instruments._errors import InstrumentFileError


class SourcedValue(Sourced):
    """A value with where it came from."""

    value: float | str | None = None


class Cluster(Frozen):
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


class Band(Frozen):
    """A severity band with inclusive bounds."""

    label: str
    min: float
    max: float


class LoincCode(Sourced):
    """A LOINC code with its source."""

    code: str = Field(pattern=r"^\d{1,7}-\d$")


class Diagnosis(Sourced):
    """The symptom-count diagnostic rule: items rated >= ``endorsed_at`` count as present."""

    endorsed_at: int


class Cutoff(Sourced):
    """A configurable total-score cut-point (``total >= default`` is above the cut-off)."""

    default: float
    allowed: tuple[float, float]


class ScreenPositive(Sourced):
    """A total at or above ``at_least`` screens positive (warrants further evaluation)."""

    at_least: float


class SafetyItem(Sourced):
    """An item whose response at or above ``at_least`` raises ``flag``."""

    item: int
    at_least: int
    flag: str


class Rci(Sourced):
    """Default inputs for the Jacobson-Truax reliable change index."""

    sd: float = Field(gt=0)
    r: float = Field(gt=0, lt=1)


class PublishedThreshold(Sourced):
    """A published reliable-change threshold: a decrease of at least ``decrease`` points."""

    id: str
    decrease: float


class ChangeSpec(Frozen):
    """Change definitions for one instrument (each optional: absent means not defined)."""

    rci: Rci | None = None
    published_reliable: tuple[PublishedThreshold, ...] = ()
    response_percent: SourcedValue | None = None
    response_points: SourcedValue | None = None
    remission_below_cutoff: SourcedValue | None = None
    endpoint: SourcedValue | None = None


class RiskRule(Sourced):
    """C-SSRS triage: the level applies when any listed answer is positive."""

    any_of: tuple[str, ...]


class ExtraItem(Frozen):
    """An optional item after the scored items, never part of the total.

    CAPS-5 dissociation items (``caps5_item`` is their number in the interview) and PHQ-9
    item 10, functional difficulty (``levels`` names each response, lowest first).
    """

    label: str
    caps5_item: int | None = None
    levels: tuple[str, ...] | None = None


class SyndromeRule(Sourced):
    """The PHQ-9 diagnostic algorithm (Kroenke, Spitzer & Williams 2001), provisional.

    A symptom is present when its item is at least ``present_at`` (``present_at_item``
    overrides per item: item 9 counts "if present at all"). Major depressive syndrome:
    ``major_min`` or more present, one of them a ``cardinal_items`` item; other depressive
    syndrome: ``other_min`` to ``major_min - 1`` present, one of them cardinal.
    """

    present_at: int = Field(ge=1)
    present_at_item: dict[int, int] = Field(default_factory=dict)
    cardinal_items: tuple[int, ...] = Field(min_length=1)
    major_min: int = Field(ge=1)
    other_min: int = Field(ge=1)
    note: str

    @model_validator(mode="after")
    def _ordered(self) -> SyndromeRule:
        if not self.other_min < self.major_min:
            raise ValueError(f"other_min ({self.other_min}) must be below major_min")
        return self


class InstrumentSpec(Frozen):
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
    severity_combining: SourcedValue | None = None
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
    syndrome: SyndromeRule | None = None

    @model_validator(mode="after")
    def _consistent(self) -> InstrumentSpec:
        if self.item_labels is not None and len(self.item_labels) != self.items:
            raise ValueError(f"{self.id}: item_labels must have {self.items} entries")
        for rule in self.safety_items:
            if not 1 <= rule.item <= self.items:
                raise ValueError(f"{self.id}: safety item {rule.item} outside 1..{self.items}")
        for extra in self.extra_items:
            if extra.levels is not None and len(extra.levels) != self.item_max - self.item_min + 1:
                raise ValueError(f"{self.id}: {extra.label} needs one level per response value")
        if self.syndrome is not None:
            used = {*self.syndrome.cardinal_items, *self.syndrome.present_at_item}
            if any(not 1 <= i <= self.items for i in used):
                raise ValueError(f"{self.id}: syndrome items outside 1..{self.items}")
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
            if spec.caps5_item is None:
                return f"item {item} ({spec.label})"
            return f"item {item} ({spec.label}, CAPS-5 item {spec.caps5_item})"
        return f"item {item}"


class Proration(Sourced):
    """The site-wide default proration policy."""

    default_max_missing: int = Field(ge=0)
    method: Literal["person_mean"]


class Safety(Frozen):
    """The default text attached to every safety flag."""

    crisis_message: SourcedValue


class Facts(Frozen):
    """The whole data file; each instrument's id is its key."""

    safety: Safety
    proration: Proration
    instruments: dict[str, InstrumentSpec]

    @field_validator("instruments", mode="before")
    @classmethod
    def _ids_from_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"id": k, **v} if isinstance(v, dict) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _keys_are_ids(self) -> Facts:
        wrong = [k for k, spec in self.instruments.items() if spec.id != k]
        if wrong:
            raise ValueError(f"instrument ids must match their keys: {', '.join(wrong)}")
        return self

    @property
    def crisis_message(self) -> SourcedValue:
        """The default crisis message (a site or caller may set its own)."""
        return self.safety.crisis_message


def read_facts(source: DataSource | None = None) -> Facts:
    """Validate an instruments file (default: the packaged one); errors name the field."""
    found = packaged("ptsdrx.instruments", "instruments.yaml") if source is None else source
    return load(Facts, found, error=InstrumentFileError)


@cache
def facts() -> Facts:
    """The packaged ``data/instruments.yaml``, loaded and validated once per process."""
    return read_facts()
