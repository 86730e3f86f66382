"""The simulator's configuration: every assumption a named, typed value.

The defaults live in ``data/assumptions.yaml`` where each value carries its source and a
verification tag; :func:`default_config` strips those and validates the values into a
:class:`SimulationConfig`, and :func:`assumptions` lists them for the documentation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from ptsdrx._datafiles import DataFileError, Frozen, load, packaged, read_yaml
from ptsdrx._results import Result
from ptsdrx.cohort._arms import ARMS

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
Feature = Literal[
    "severity",
    "dissociative_subtype",
    "childhood_trauma",
    "prior_ssri_trials",
    "concomitant_psychotherapy",
    "bdnf_met_carrier",
    "cyp2d6_poor",
    "cyp2d6_ultrarapid",
    "amygdala_reactivity",
    "military",
    "substance_use_history",
]
TRAUMA_TYPES = (
    "combat",
    "sexual_assault",
    "physical_assault",
    "childhood_abuse",
    "accident",
    "disaster",
    "medical",
    "sudden_loss",
    "witnessed_violence",
    "other",
)
CYP2D6_PHENOTYPES = ("poor", "intermediate", "normal", "ultrarapid")
JURISDICTIONS = ("US", "US-OR", "US-CO", "AU")


class CohortFileError(DataFileError):
    """A cohort data file (assumptions, calibration targets) is malformed; names the field."""


def _check_weights(v: dict[str, float], allowed: tuple[str, ...], name: str) -> dict[str, float]:
    unknown = sorted(set(v) - set(allowed))
    if unknown:
        raise ValueError(f"{name}: unknown key(s) {unknown}; allowed: {', '.join(allowed)}")
    if any(w < 0 for w in v.values()) or sum(v.values()) <= 0:
        raise ValueError(f"{name}: weights must be >= 0 with a positive sum, got {v}")
    return v


def _check_arm_keys(v: dict[str, Any], name: str) -> dict[str, Any]:
    unknown = sorted(set(v) - set(ARMS))
    if unknown:
        raise ValueError(f"{name}: unknown arm id(s) {unknown}; allowed: {', '.join(ARMS)}")
    return v


class PopulationConfig(Frozen):
    """Baseline distributions (ages in years, scores in instrument points, BP in mmHg)."""

    age_mean: float
    age_sd: Positive
    age_min: Annotated[int, Field(ge=18)]
    age_max: Annotated[int, Field(le=120)]
    p_female: Probability
    p_military_female: Probability
    p_military_male: Probability
    p_combat_given_military: Probability
    civilian_trauma_weights: dict[str, float]
    p_childhood_trauma: Probability
    childhood_trauma_severity_shift: float
    years_since_trauma_median: Positive
    years_since_trauma_sigma: Positive
    pcl5_mean: Annotated[float, Field(ge=0, le=80)]
    pcl5_sd: Positive
    caps5_mean: Annotated[float, Field(ge=0, le=80)]
    caps5_sd: Positive
    pcl5_caps5_correlation: Annotated[float, Field(ge=-1, le=1)]
    phq9_mean: Annotated[float, Field(ge=0, le=27)]
    phq9_sd: Positive
    phq9_severity_correlation: Annotated[float, Field(ge=-1, le=1)]
    mdd_logit_intercept: float
    mdd_logit_per_phq9_point: float
    p_substance_use_history: Probability
    p_dissociative_subtype: Probability
    dissociative_childhood_odds_ratio: Positive
    prior_ssri_mean: Annotated[float, Field(ge=0)]
    prior_ssri_per_decade_since_trauma: float
    prior_ssri_max: Annotated[int, Field(ge=0)]
    p_concomitant_psychotherapy: Probability
    p_prefers_psychedelic: Probability
    prefers_psychedelic_per_decade_younger: float
    p_bipolar_i: Probability
    p_psychotic_disorder: Probability
    sbp_mean: Positive
    sbp_sd: Positive
    sbp_per_decade_age: float
    dbp_mean: Positive
    dbp_sd: Positive
    bp_correlation: Annotated[float, Field(ge=-1, le=1)]
    hypertension_systolic: Positive
    hypertension_diastolic: Positive
    heart_rate_mean: Positive
    heart_rate_sd: Positive
    weight_mean_female: Positive
    weight_mean_male: Positive
    weight_sd: Positive
    crp_median_mg_l: Positive
    crp_log_sd: Positive
    crp_log_per_severity_sd: float
    bdnf_met_allele_frequency: Probability
    cyp2d6_phenotype_weights: dict[str, float]
    amygdala_severity_correlation: Annotated[float, Field(ge=-1, le=1)]
    hippocampal_volume_mean_mm3: Positive
    hippocampal_volume_sd_mm3: Positive
    hippocampal_volume_per_severity_sd: float
    jurisdiction_weights: dict[str, float]

    @field_validator("civilian_trauma_weights")
    @classmethod
    def _trauma(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_weights(v, TRAUMA_TYPES[1:], "civilian_trauma_weights")

    @field_validator("cyp2d6_phenotype_weights")
    @classmethod
    def _cyp(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_weights(v, CYP2D6_PHENOTYPES, "cyp2d6_phenotype_weights")

    @field_validator("jurisdiction_weights")
    @classmethod
    def _jur(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_weights(v, JURISDICTIONS, "jurisdiction_weights")

    @model_validator(mode="after")
    def _ages(self) -> PopulationConfig:
        if self.age_min >= self.age_max:
            raise ValueError(f"age_min ({self.age_min}) must be below age_max ({self.age_max})")
        return self


class MeasurementConfig(Frozen):
    """Which parts of the record are measured, and loss to follow-up per visit."""

    p_caps5_measured: Probability
    p_phq9_measured: Probability
    p_vitals_measured: Probability
    p_weight_measured: Probability
    p_biomarkers_measured: Probability
    p_genetics_measured: Probability
    p_imaging_measured: Probability
    dropout_w4: Probability
    dropout_w8: Probability
    dropout_w12: Probability
    dropout_w26: Probability
    dropout_w52: Probability


class OutcomeConfig(Frozen):
    """Noise, thresholds and scales of the outcome model."""

    pcl5_measurement_sd: Annotated[float, Field(ge=0)]
    caps5_measurement_sd: Annotated[float, Field(ge=0)]
    shared_response_sd: Annotated[float, Field(ge=0)]
    severity_reference_pcl5: float
    severity_scale_pcl5: Positive
    remission_pcl5_below: Annotated[float, Field(gt=0, le=80)]
    responder_fraction: Annotated[float, Field(gt=0, lt=1)]
    caps5_loss_of_diagnosis_below: Annotated[float, Field(gt=0, le=80)]
    relapse_window_weeks: Positive


class ArmConfig(Frozen):
    """One arm: expected week-12 effect for the reference patient, spread and durability."""

    fraction: Annotated[float, Field(ge=-0.5, le=1.0)]
    response_sd: Annotated[float, Field(ge=0)]
    onset_weeks: Annotated[float, Field(gt=0, le=12)]
    relapse_median_weeks: Positive | None
    residual_after_relapse: Probability
    late_change_w52: Annotated[float, Field(ge=-1, le=1)]
    source: str
    tag: str


class Modifier(Frozen):
    """An effect-modification hypothesis: ``effect`` x ``feature`` added to arms' fraction."""

    id: str
    feature: Feature
    arms: list[str]
    effect: float
    hypothesis: str
    source: str
    tag: str

    @field_validator("arms")
    @classmethod
    def _arms(cls, v: list[str]) -> list[str]:
        _check_arm_keys(dict.fromkeys(v), "modifier arms")
        return v


#: Observational-assignment tables keyed by arm id (validated against ARMS; overrides merge).
_ARM_KEYED = (
    "base_log_odds",
    "severity_log_odds",
    "prior_ssri_log_odds",
    "preference_log_odds",
    "military_log_odds",
    "availability",
)


class ObservationalConfig(Frozen):
    """Confounded treatment assignment in routine care (multinomial logit terms)."""

    strength: Annotated[float, Field(ge=0)]
    base_log_odds: dict[str, float]
    severity_log_odds: dict[str, float]
    prior_ssri_log_odds: dict[str, float]
    preference_log_odds: dict[str, float]
    military_log_odds: dict[str, float]
    contraindication_log_odds: float
    availability: dict[str, dict[str, Annotated[float, Field(ge=0)]]]
    contraindication_arms: dict[Literal["psychosis_or_bipolar", "hypertension"], list[str]]

    @field_validator(*_ARM_KEYED)
    @classmethod
    def _keys(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_arm_keys(v, "observational")

    @field_validator("availability")
    @classmethod
    def _jur(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for arm, per in v.items():
            unknown = sorted(set(per) - set(JURISDICTIONS))
            if unknown:
                raise ValueError(
                    f"availability.{arm}: unknown jurisdiction(s) {unknown}; "
                    f"allowed: {', '.join(JURISDICTIONS)}"
                )
        return v


class SimulationConfig(Frozen):
    """All simulator assumptions; build with :func:`default_config` and ``with_overrides``."""

    population: PopulationConfig
    measurement: MeasurementConfig
    outcome: OutcomeConfig
    arms: dict[str, ArmConfig]
    modifiers: list[Modifier]
    observational: ObservationalConfig

    @model_validator(mode="before")
    @classmethod
    def _values_of_documented_leaves(cls, data: Any) -> Any:
        """Each number in the assumptions file is ``{value, source, tag}``: read the value."""
        return _strip(data)

    @field_validator("arms")
    @classmethod
    def _all_arms(cls, v: dict[str, ArmConfig]) -> dict[str, ArmConfig]:
        missing = [a for a in ARMS if a not in v]
        if missing:
            raise ValueError(f"arms: missing configuration for {missing}")
        return _check_arm_keys(v, "arms")

    def with_overrides(self, overrides: dict[str, Any]) -> SimulationConfig:
        """A copy with nested values replaced, e.g. ``{"population": {"p_military_male": 0}}``.

        The result is validated again, so a bad value names its field.
        """
        data = self.model_dump()
        _merge(data, overrides, "")
        return SimulationConfig.model_validate(data)


def _merge(base: dict[str, Any], upd: dict[str, Any], where: str, free: bool = False) -> None:
    for key, value in upd.items():
        path = f"{where}{key}"
        if key not in base and not free:
            raise ValueError(f"config override: unknown field {path!r}")
        if isinstance(value, dict) and isinstance(base.get(key), dict) and key not in _REPLACED:
            _merge(base[key], value, path + ".", free=key in _KEYED_MAPS)
        else:
            base[key] = value


# weight tables are replaced whole, not merged key by key
_REPLACED = frozenset(
    {"civilian_trauma_weights", "cyp2d6_phenotype_weights", "jurisdiction_weights"}
)
# maps keyed by arm id: merged key by key, new keys allowed (and validated)
_KEYED_MAPS = frozenset(_ARM_KEYED)


@dataclass(frozen=True)
class Assumption(Result):
    """One documented assumption: dotted path, value, source and verification tag."""

    path: str
    value: Any
    source: str
    tag: str


def _is_leaf(node: object) -> bool:
    return isinstance(node, dict) and "value" in node and "source" in node


def _strip(node: Any) -> Any:
    if _is_leaf(node):
        return node["value"]
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


_ASSUMPTIONS = packaged("ptsdrx.cohort", "assumptions.yaml")


@cache
def _raw() -> dict[str, Any]:
    try:
        data: dict[str, Any] = read_yaml(_ASSUMPTIONS)
    except DataFileError as exc:
        raise CohortFileError(str(exc)) from exc
    return data


@cache
def default_config() -> SimulationConfig:
    """The default configuration read from ``data/assumptions.yaml``."""
    return load(SimulationConfig, _ASSUMPTIONS, error=CohortFileError)


def assumptions() -> list[Assumption]:
    """Every default assumption with its source and tag, in file order."""
    return list(_walk(_raw(), ""))


def _walk(node: Any, path: str) -> Iterator[Assumption]:
    if _is_leaf(node):
        yield Assumption(path, node["value"], str(node["source"]), str(node.get("tag", "")))
    elif isinstance(node, dict) and "source" in node:  # an arm or a modifier entry
        value = {k: v for k, v in node.items() if k not in {"source", "tag", "id"}}
        yield Assumption(path, value, str(node["source"]), str(node.get("tag", "")))
    elif isinstance(node, dict):
        for key, child in node.items():
            yield from _walk(child, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for child in node:
            name = child.get("id", "?") if isinstance(child, dict) else "?"
            yield from _walk(child, f"{path}.{name}")


def assumptions_markdown() -> str:
    """Every default assumption as a Markdown table (path, value, source, tag)."""

    def cell(value: Any) -> str:
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        return str(value).replace("|", "\\|")

    lines = ["| assumption | value | source | tag |", "| --- | --- | --- | --- |"]
    lines += [
        f"| `{a.path}` | {cell(a.value)} | {cell(a.source)} | {cell(a.tag)} |"
        for a in assumptions()
    ]
    return "\n".join(lines)
