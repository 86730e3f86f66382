"""Treatment assignment: randomised (equal allocation) or confounded routine care."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ptsdrx.cohort._baseline import Arrays, FloatArray
from ptsdrx.cohort._config import JURISDICTIONS, SimulationConfig


def randomized(rng: np.random.Generator, m: int, k: int) -> NDArray[np.intp]:
    """Equal-allocation randomisation to ``k`` arms."""
    return rng.integers(0, k, m).astype(np.intp)


def propensities(base: Arrays, arms: tuple[str, ...], cfg: SimulationConfig) -> FloatArray:
    """True assignment probabilities in routine care, shape (people, arms).

    A multinomial logit: base shares, plus ``strength`` x (severity, prior failed SSRIs,
    preference for a psychedelic, military care, contraindications, log availability in the
    person's jurisdiction). Severity and prior SSRI failure also change outcomes, so a naive
    comparison of arms is confounded; ``strength`` controls the overlap.
    """
    obs = cfg.observational
    out = cfg.outcome
    sev = (base["pcl5_w0"].astype(float) - out.severity_reference_pcl5) / out.severity_scale_pcl5
    prior = base["prior_ssri_trials"].astype(float)
    pref = base["prefers_psychedelic"].astype(float)
    mil = base["military"].astype(float)
    psy = (base["psychotic_disorder"] | base["bipolar_i"]).astype(float)
    htn = base["hypertension"].astype(float)
    jur = base["jurisdiction"].astype(np.intp)
    psy_arms = set(obs.contraindication_arms.get("psychosis_or_bipolar", []))
    htn_arms = set(obs.contraindication_arms.get("hypertension", []))

    logits = np.empty((len(sev), len(arms)))
    for j, arm in enumerate(arms):
        avail = obs.availability.get(arm, {})
        log_avail = np.log(np.maximum([avail.get(code, 1.0) for code in JURISDICTIONS], 1e-12))[jur]
        confounding = (
            obs.severity_log_odds.get(arm, 0.0) * sev
            + obs.prior_ssri_log_odds.get(arm, 0.0) * prior
            + obs.preference_log_odds.get(arm, 0.0) * pref
            + obs.military_log_odds.get(arm, 0.0) * mil
            + obs.contraindication_log_odds * (psy * (arm in psy_arms) + htn * (arm in htn_arms))
            + log_avail
        )
        logits[:, j] = obs.base_log_odds.get(arm, 0.0) + obs.strength * confounding
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    return p


def draw_from(rng: np.random.Generator, p: FloatArray) -> NDArray[np.intp]:
    """One category per row from a probability matrix (inverse CDF, vectorised)."""
    cdf = np.cumsum(p, axis=1)
    u = rng.random(len(p))[:, None] * cdf[:, -1:]
    idx: NDArray[np.intp] = np.minimum((cdf < u).sum(axis=1), p.shape[1] - 1).astype(np.intp)
    return idx
