"""Baseline multimodal features: correlated, vectorised draws from the population config.

A latent severity factor (standard normal, shifted by childhood trauma) drives PCL-5,
CAPS-5, PHQ-9, CRP, amygdala reactivity and hippocampal volume so that these measures
correlate the way the config says. :func:`draw_baseline` returns the *true* values;
:func:`measurement_masks` decides what a clinic would not have measured.
Categorical features are integer codes into ``TRAUMA_TYPES``, ``CYP2D6_PHENOTYPES`` and
``JURISDICTIONS``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ptsdrx.cohort._config import (
    CYP2D6_PHENOTYPES,
    JURISDICTIONS,
    TRAUMA_TYPES,
    MeasurementConfig,
    PopulationConfig,
)

Arrays = dict[str, NDArray[Any]]
FloatArray = NDArray[np.float64]


def logit(p: float) -> float:
    """Log-odds of a probability (clipped away from 0 and 1)."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


def expit(x: FloatArray) -> FloatArray:
    """Inverse logit."""
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


def _categorical(
    rng: np.random.Generator, weights: dict[str, float], labels: tuple[str, ...], m: int
) -> NDArray[np.int8]:
    """Integer codes into ``labels`` drawn with the given (unnormalised) weights."""
    w = np.array([weights.get(label, 0.0) for label in labels], dtype=float)
    cdf = np.cumsum(w / w.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(m), side="right").astype(np.int8)


def _score(mean: float, sd: float, z: FloatArray, hi: float) -> FloatArray:
    out: FloatArray = np.clip(np.rint(mean + sd * z), 0, hi)
    return out


def draw_baseline(rng: np.random.Generator, m: int, pop: PopulationConfig) -> Arrays:
    """True baseline values for ``m`` people (no missingness)."""
    female = rng.random(m) < pop.p_female
    age = np.clip(np.rint(rng.normal(pop.age_mean, pop.age_sd, m)), pop.age_min, pop.age_max)
    p_mil = np.where(female, pop.p_military_female, pop.p_military_male)
    military = rng.random(m) < p_mil
    childhood = rng.random(m) < pop.p_childhood_trauma

    civilian = _categorical(rng, pop.civilian_trauma_weights, TRAUMA_TYPES[1:], m) + 1
    combat = military & (rng.random(m) < pop.p_combat_given_military)
    trauma = np.where(combat, 0, civilian).astype(np.int8)
    childhood |= trauma == TRAUMA_TYPES.index("childhood_abuse")

    shift = pop.childhood_trauma_severity_shift
    sev = rng.standard_normal(m) + shift * (childhood - pop.p_childhood_trauma)
    years = np.exp(
        rng.normal(np.log(pop.years_since_trauma_median), pop.years_since_trauma_sigma, m)
    )
    years = np.round(np.clip(years, 0.1, np.maximum(age - 3.0, 0.1)), 1)

    r = pop.pcl5_caps5_correlation
    pcl5 = _score(pop.pcl5_mean, pop.pcl5_sd, sev, 80)
    caps5 = _score(
        pop.caps5_mean, pop.caps5_sd, r * sev + np.sqrt(1 - r**2) * rng.standard_normal(m), 80
    )
    r2 = pop.phq9_severity_correlation
    phq9 = _score(
        pop.phq9_mean, pop.phq9_sd, r2 * sev + np.sqrt(1 - r2**2) * rng.standard_normal(m), 27
    )
    mdd = rng.random(m) < expit(
        pop.mdd_logit_intercept + pop.mdd_logit_per_phq9_point * (phq9 - 10)
    )

    diss_logit = logit(pop.p_dissociative_subtype) + np.log(
        pop.dissociative_childhood_odds_ratio
    ) * (childhood - pop.p_childhood_trauma)
    dissociative = rng.random(m) < expit(diss_logit)
    rate = pop.prior_ssri_mean * np.exp(pop.prior_ssri_per_decade_since_trauma * (years - 10) / 10)
    prior_ssri = np.minimum(rng.poisson(rate), pop.prior_ssri_max).astype(np.int8)

    younger = (40.0 - age) / 10.0
    prefers = rng.random(m) < expit(
        logit(pop.p_prefers_psychedelic) + pop.prefers_psychedelic_per_decade_younger * younger
    )
    rb = pop.bp_correlation
    z_bp = rng.standard_normal(m)
    sbp = np.rint(pop.sbp_mean + pop.sbp_per_decade_age * (age - 40) / 10 + pop.sbp_sd * z_bp)
    dbp_z = rb * z_bp + np.sqrt(1 - rb**2) * rng.standard_normal(m)
    dbp = np.rint(np.minimum(pop.dbp_mean + pop.dbp_sd * dbp_z, sbp - 15))
    sbp, dbp = np.clip(sbp, 80, 220), np.clip(dbp, 40, 140)
    weight_mean = np.where(female, pop.weight_mean_female, pop.weight_mean_male)

    return {
        "age": age,
        "female": female,
        "military": military,
        "trauma_type": trauma,
        "childhood_trauma": childhood,
        "years_since_trauma": years,
        "severity_latent": sev,
        "pcl5_w0": pcl5,
        "caps5_w0": caps5,
        "phq9_w0": phq9,
        "mdd": mdd,
        "substance_use_history": rng.random(m) < pop.p_substance_use_history,
        "dissociative_subtype": dissociative,
        "prior_ssri_trials": prior_ssri,
        "concomitant_psychotherapy": rng.random(m) < pop.p_concomitant_psychotherapy,
        "prefers_psychedelic": prefers,
        "bipolar_i": rng.random(m) < pop.p_bipolar_i,
        "psychotic_disorder": rng.random(m) < pop.p_psychotic_disorder,
        "sbp": sbp,
        "dbp": dbp,
        "hypertension": (sbp >= pop.hypertension_systolic) | (dbp >= pop.hypertension_diastolic),
        "heart_rate": np.clip(
            np.rint(rng.normal(pop.heart_rate_mean, pop.heart_rate_sd, m)), 40, 150
        ),
        "weight_kg": np.round(np.clip(rng.normal(weight_mean, pop.weight_sd), 40, 200), 1),
        "crp_mg_l": np.round(
            np.exp(
                np.log(pop.crp_median_mg_l)
                + pop.crp_log_per_severity_sd * sev
                + pop.crp_log_sd * rng.standard_normal(m)
            ),
            2,
        ),
        "bdnf_rs6265_met": rng.binomial(2, pop.bdnf_met_allele_frequency, m).astype(np.int8),
        "cyp2d6": _categorical(rng, pop.cyp2d6_phenotype_weights, CYP2D6_PHENOTYPES, m),
        "amygdala_reactivity": np.round(
            pop.amygdala_severity_correlation * sev
            + np.sqrt(1 - pop.amygdala_severity_correlation**2) * rng.standard_normal(m),
            3,
        ),
        "hippocampal_volume_mm3": np.rint(
            pop.hippocampal_volume_mean_mm3
            + pop.hippocampal_volume_per_severity_sd * sev
            + pop.hippocampal_volume_sd_mm3 * rng.standard_normal(m)
        ),
        "jurisdiction": _categorical(rng, pop.jurisdiction_weights, JURISDICTIONS, m),
    }


MEASURED_GROUPS: dict[str, tuple[str, ...]] = {
    "p_caps5_measured": ("caps5_w0",),
    "p_phq9_measured": ("phq9_w0",),
    "p_vitals_measured": ("sbp", "dbp", "heart_rate"),
    "p_weight_measured": ("weight_kg",),
    "p_biomarkers_measured": ("crp_mg_l",),
    "p_genetics_measured": ("bdnf_rs6265_met", "cyp2d6"),
    "p_imaging_measured": ("amygdala_reactivity", "hippocampal_volume_mm3"),
}
"""Columns hidden together when a part of the record was not measured."""


def measurement_masks(
    rng: np.random.Generator, m: int, meas: MeasurementConfig
) -> dict[str, NDArray[np.bool_]]:
    """For each measured group, a boolean array: True where the group was measured."""
    return {key: rng.random(m) < getattr(meas, key) for key in MEASURED_GROUPS}
