"""``simulate``: a synthetic multimodal PTSD cohort with known potential outcomes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ptsdrx.cohort._arms import ARMS, TREATMENTS, check_arms
from ptsdrx.cohort._assignment import draw_from, propensities, randomized
from ptsdrx.cohort._baseline import (
    MEASURED_GROUPS,
    draw_baseline,
    measurement_masks,
)
from ptsdrx.cohort._config import (
    CYP2D6_PHENOTYPES,
    JURISDICTIONS,
    TRAUMA_TYPES,
    SimulationConfig,
    default_config,
)
from ptsdrx.cohort._outcomes import FOLLOW_UP_WEEKS, potential_outcomes, trajectory

Design = Literal["randomized", "observational"]
DESIGNS: tuple[str, ...] = ("randomized", "observational")
CHUNK_ROWS = 100_000
"""Rows simulated per random stream; fixed so a seed gives the same cohort at any size."""
SIMULATOR_VERSION = "1"

BASELINE_COLUMNS: tuple[str, ...] = (
    "age",
    "sex",
    "military",
    "trauma_type",
    "childhood_trauma",
    "years_since_trauma",
    "pcl5_w0",
    "caps5_w0",
    "phq9_w0",
    "mdd",
    "substance_use_history",
    "dissociative_subtype",
    "prior_ssri_trials",
    "concomitant_psychotherapy",
    "prefers_psychedelic",
    "bipolar_i",
    "psychotic_disorder",
    "hypertension",
    "sbp",
    "dbp",
    "heart_rate",
    "weight_kg",
    "crp_mg_l",
    "bdnf_rs6265_met",
    "cyp2d6",
    "amygdala_reactivity",
    "hippocampal_volume_mm3",
    "jurisdiction",
)
"""Baseline features in column order (documented in docs/simulation.md)."""

_CATEGORIES: dict[str, tuple[str, ...]] = {
    "trauma_type": TRAUMA_TYPES,
    "cyp2d6": CYP2D6_PHENOTYPES,
    "jurisdiction": JURISDICTIONS,
}


def _check(n: object, design: object, random_state: object, config: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)}, got {design!r}")
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise ValueError(f"random_state must be a non-negative integer, got {random_state!r}")
    if random_state < 0:
        raise ValueError(f"random_state must be a non-negative integer, got {random_state!r}")
    if config is not None and not isinstance(config, SimulationConfig):
        raise ValueError(
            f"config must be a SimulationConfig (see default_config()), got {type(config)}"
        )


def config_digest(cfg: SimulationConfig) -> str:
    """Short hash of a configuration, stored with every cohort."""
    return hashlib.sha256(cfg.model_dump_json().encode()).hexdigest()[:12]


def simulate(
    n: int,
    *,
    design: Design = "randomized",
    arms: Sequence[str] | None = None,
    random_state: int = 0,
    config: SimulationConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Simulate ``n`` patients with baseline features, an assigned arm and ground truth.

    Parameters
    ----------
    n : number of patients.
    design : ``"randomized"`` (equal allocation) or ``"observational"`` (confounded
        routine-care assignment; adds the true propensities ``propensity__<arm>``).
    arms : arm ids to assign and to compute potential outcomes for. Default: all 17 arms
        (13 treatments and 4 controls) when randomised, the 13 treatments when observational.
    random_state : seed; the same seed, ``n``, design, arms and config give the same cohort.
    config : a :class:`SimulationConfig`; default :func:`default_config`.
    progress : called as ``progress(rows_done, n)`` after each block of rows.

    Returns
    -------
    DataFrame, one row per patient: ``patient_id``, the baseline features, ``arm``, observed
    ``pcl5_w0``..``pcl5_w52``, durability truth (``responder_w12``, ``relapse_event``,
    ``relapse_weeks``) and for every arm A ``mu_pcl5_w12__A``, ``pcl5_w12__A`` and
    ``remission_w12__A``. ``df.attrs`` records design, arms, seed and config digest.

    Examples
    --------
    >>> df = simulate(200, random_state=1)
    >>> bool((df["pcl5_w12"] == df.apply(lambda r: r[f"pcl5_w12__{r.arm}"], axis=1)).all())
    True
    """
    _check(n, design, random_state, config)
    cfg = config or default_config()
    arm_ids = check_arms(list(arms)) if arms is not None else None
    if arm_ids is None:
        arm_ids = ARMS if design == "randomized" else TREATMENTS
    n = int(n)
    starts = range(0, n, CHUNK_ROWS)
    seeds = np.random.SeedSequence(int(random_state)).spawn(len(starts))
    blocks: list[dict[str, NDArray[Any]]] = []
    for start, seed in zip(starts, seeds, strict=True):
        m = min(CHUNK_ROWS, n - start)
        blocks.append(_block(np.random.default_rng(seed), m, design, arm_ids, cfg))
        if progress is not None:
            progress(start + m, n)
    columns = {key: np.concatenate([b[key] for b in blocks]) for key in blocks[0]}
    del blocks
    frame = _frame(columns, n, arm_ids)
    frame.attrs.update(
        design=design,
        arms=list(arm_ids),
        random_state=int(random_state),
        config_digest=config_digest(cfg),
        simulator_version=SIMULATOR_VERSION,
    )
    return frame


def _block(
    rng: np.random.Generator, m: int, design: str, arms: tuple[str, ...], cfg: SimulationConfig
) -> dict[str, NDArray[Any]]:
    base = draw_baseline(rng, m, cfg.population)
    masks = measurement_masks(rng, m, cfg.measurement)
    if design == "randomized":
        p = None
        assigned = randomized(rng, m, len(arms))
    else:
        p = propensities(base, arms, cfg)
        assigned = draw_from(rng, p)
    po = potential_outcomes(rng, base, arms, cfg)
    traj = trajectory(rng, base, po, assigned, arms, cfg)

    cols: dict[str, NDArray[Any]] = {}
    for name in BASELINE_COLUMNS:
        if name == "sex":
            cols[name] = base["female"]
            continue
        value = base[name]
        for key, group in MEASURED_GROUPS.items():
            if name in group:
                if name in _CATEGORIES:
                    value = np.where(masks[key], value, -1).astype(np.int8)
                else:
                    value = np.where(masks[key], value.astype(float), np.nan)
        cols[name] = value
    cols["arm"] = assigned.astype(np.int8)
    if p is not None:
        cols["propensity"] = p[np.arange(m), assigned]
        for j, arm in enumerate(arms):
            cols[f"propensity__{arm}"] = p[:, j]
    for week in FOLLOW_UP_WEEKS:
        dropout = getattr(cfg.measurement, f"dropout_w{week}")
        observed = rng.random(m) >= dropout
        cols[f"pcl5_w{week}"] = np.where(observed, traj.pcl5[week], np.nan)
    cols["responder_w12"] = traj.responder_w12
    cols["relapse_event"] = traj.relapse_event
    cols["relapse_weeks"] = traj.relapse_weeks
    for j, arm in enumerate(arms):
        cols[f"mu_pcl5_w12__{arm}"] = po.mu_pcl5[:, j]
    for j, arm in enumerate(arms):
        cols[f"pcl5_w12__{arm}"] = po.pcl5[:, j]
    for j, arm in enumerate(arms):
        cols[f"remission_w12__{arm}"] = po.remission[:, j]
    return cols


def _frame(cols: dict[str, NDArray[Any]], n: int, arms: tuple[str, ...]) -> pd.DataFrame:
    """Assemble the columns; categorical codes become pandas categoricals (-1 = missing)."""
    data: dict[str, object] = {"patient_id": np.arange(n, dtype=np.int64)}
    for name, values in cols.items():
        if name == "sex":
            data[name] = _categorical(np.where(values, 0, 1), ("female", "male"))
        elif name in _CATEGORIES:
            data[name] = _categorical(values, _CATEGORIES[name])
        elif name == "arm":
            data[name] = _categorical(values, arms)
        else:
            data[name] = values
    return pd.DataFrame(data)


def _categorical(codes: NDArray[Any], categories: Sequence[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(cast(Any, codes.astype(np.int8)), pd.Index(categories))
