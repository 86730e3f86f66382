"""Potential outcomes under every arm, and the observed trajectory under the assigned arm.

Outcome model (all assumptions named in the config):

- expected fraction of baseline PCL-5 removed by week 12 under arm A:
  ``frac_A(x) = fraction_A + sum(effect_k * feature_k(x))`` over the modifiers of A;
- realised fraction: ``f_A = frac_A + shared_sd * u + response_sd_A * e_A`` where ``u`` is
  a person's responsiveness shared by all arms and ``e_A`` is arm-specific;
- ``mu_pcl5_w12__A = clip(pcl5_w0 * (1 - frac_A), 0, 80)`` (noise-free expectation) and
  ``pcl5_w12__A = clip(round(pcl5_w0 * (1 - f_A) + measurement noise), 0, 80)``;
- CAPS-5 follows the same realised fraction (used by the calibration against trials
  reported on CAPS-5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ptsdrx.cohort._baseline import Arrays, FloatArray
from ptsdrx.cohort._config import CYP2D6_PHENOTYPES, SimulationConfig

FOLLOW_UP_WEEKS = (4, 8, 12, 26, 52)


def modifier_features(base: Arrays, cfg: SimulationConfig) -> dict[str, FloatArray]:
    """The effect-modifier features (true values) named by ``Modifier.feature``."""
    out = cfg.outcome
    cyp = base["cyp2d6"]
    return {
        "severity": (base["pcl5_w0"].astype(float) - out.severity_reference_pcl5)
        / out.severity_scale_pcl5,
        "dissociative_subtype": base["dissociative_subtype"].astype(float),
        "childhood_trauma": base["childhood_trauma"].astype(float),
        "prior_ssri_trials": base["prior_ssri_trials"].astype(float),
        "concomitant_psychotherapy": base["concomitant_psychotherapy"].astype(float),
        "bdnf_met_carrier": (base["bdnf_rs6265_met"] >= 1).astype(float),
        "cyp2d6_poor": (cyp == CYP2D6_PHENOTYPES.index("poor")).astype(float),
        "cyp2d6_ultrarapid": (cyp == CYP2D6_PHENOTYPES.index("ultrarapid")).astype(float),
        "amygdala_reactivity": base["amygdala_reactivity"].astype(float),
        "military": base["military"].astype(float),
        "substance_use_history": base["substance_use_history"].astype(float),
    }


def expected_fraction(base: Arrays, arms: tuple[str, ...], cfg: SimulationConfig) -> FloatArray:
    """Expected fraction of baseline PCL-5 removed by week 12, shape (people, arms)."""
    feats = modifier_features(base, cfg)
    m = len(base["pcl5_w0"])
    frac = np.empty((m, len(arms)))
    for j, arm in enumerate(arms):
        col = np.full(m, cfg.arms[arm].fraction)
        for mod in cfg.modifiers:
            if arm in mod.arms:
                col += mod.effect * feats[mod.feature]
        frac[:, j] = col
    clipped: FloatArray = np.clip(frac, -0.5, 1.0)
    return clipped


@dataclass(frozen=True)
class PotentialOutcomes:
    """Week-12 potential outcomes, each of shape (people, arms)."""

    expected_fraction: FloatArray
    realised_fraction: FloatArray
    mu_pcl5: NDArray[np.float32]
    pcl5: NDArray[np.float32]
    remission: NDArray[np.bool_]
    caps5: NDArray[np.float32] | None


def potential_outcomes(
    rng: np.random.Generator,
    base: Arrays,
    arms: tuple[str, ...],
    cfg: SimulationConfig,
    *,
    with_caps5: bool = False,
) -> PotentialOutcomes:
    """Draw every arm's week-12 outcome for every person."""
    m, k = len(base["pcl5_w0"]), len(arms)
    out = cfg.outcome
    frac = expected_fraction(base, arms, cfg)
    sd = np.array([cfg.arms[a].response_sd for a in arms])
    u = rng.standard_normal((m, 1))
    f = frac + out.shared_response_sd * u + sd * rng.standard_normal((m, k))
    pcl0 = base["pcl5_w0"].astype(float)[:, None]
    mu = np.clip(pcl0 * (1 - frac), 0, 80).astype(np.float32)
    noise = out.pcl5_measurement_sd * rng.standard_normal((m, k))
    pcl = np.clip(np.rint(pcl0 * (1 - f) + noise), 0, 80).astype(np.float32)
    caps = None
    if with_caps5:
        caps0 = base["caps5_w0"].astype(float)[:, None]
        caps_noise = out.caps5_measurement_sd * rng.standard_normal((m, k))
        caps = np.clip(np.rint(caps0 * (1 - f) + caps_noise), 0, 80).astype(np.float32)
    return PotentialOutcomes(frac, f, mu, pcl, pcl < out.remission_pcl5_below, caps)


@dataclass(frozen=True)
class Trajectory:
    """Observed PCL-5 under the assigned arm and the durability ground truth."""

    pcl5: dict[int, FloatArray]
    responder_w12: NDArray[np.bool_]
    relapse_event: NDArray[np.bool_]
    relapse_weeks: FloatArray


def trajectory(
    rng: np.random.Generator,
    base: Arrays,
    po: PotentialOutcomes,
    assigned: NDArray[np.intp],
    arms: tuple[str, ...],
    cfg: SimulationConfig,
) -> Trajectory:
    """PCL-5 at weeks 4-52 under the assigned arm (week 12 = that arm's potential outcome).

    Improvement ramps up linearly to week ``onset_weeks``. From week 12, true responders
    (realised fraction >= ``responder_fraction``) lose response after an exponential time
    with the arm's median; after loss they keep ``residual_after_relapse`` of their
    improvement. Everyone else changes their improvement by ``late_change_w52`` (relative)
    linearly to week 52.
    """
    m = len(assigned)
    rows = np.arange(m)
    out = cfg.outcome
    pcl0 = base["pcl5_w0"].astype(float)
    f = po.realised_fraction[rows, assigned]
    gain = pcl0 * f
    arm_cfg = [cfg.arms[a] for a in arms]
    onset = np.array([a.onset_weeks for a in arm_cfg])[assigned]
    median = np.array([a.relapse_median_weeks or np.inf for a in arm_cfg])[assigned]
    residual = np.array([a.residual_after_relapse for a in arm_cfg])[assigned]
    late = np.array([a.late_change_w52 for a in arm_cfg])[assigned]

    responder = f >= out.responder_fraction
    time = median / np.log(2) * rng.standard_exponential(m)
    window = out.relapse_window_weeks
    event = responder & (time <= window)
    weeks = np.where(responder, np.minimum(time, window), np.nan)

    scores: dict[int, FloatArray] = {}
    for week in FOLLOW_UP_WEEKS:
        noise = out.pcl5_measurement_sd * rng.standard_normal(m)
        if week == 12:
            scores[week] = po.pcl5[rows, assigned].astype(float)
            continue
        if week < 12:
            improvement = gain * np.minimum(1.0, week / onset)
        else:
            kept = gain * (1 + late * min(1.0, (week - 12) / window))
            improvement = np.where(event & (time <= week - 12), gain * residual, kept)
        scores[week] = np.clip(np.rint(pcl0 - improvement + noise), 0, 80)
    return Trajectory(scores, responder, event, weeks)
