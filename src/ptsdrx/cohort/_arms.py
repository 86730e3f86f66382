"""Arm ids the simulator knows: the treatment catalog ids plus trial control arms.

The ids are owned by :mod:`ptsdrx.treatments`; this module only fixes the simulator's order.
That order seeds the per-arm random draws, so it is spelled out here (reordering the catalog
must not change a simulated number) and checked against the catalog at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from ptsdrx.treatments import CONTROL_ARMS, TREATMENT_IDS


def draw_order(order: Sequence[str], catalog: Sequence[str], what: str) -> tuple[str, ...]:
    """``order`` as a tuple once it holds exactly the ``catalog`` ids.

    Each id once; otherwise an error naming the missing and unknown ids.
    """
    missing = [i for i in catalog if i not in order]
    unknown = [i for i in order if i not in catalog]
    if missing or unknown or len(set(order)) != len(order):
        raise ValueError(
            f"cohort {what} order must list each catalog id once: missing {missing}, "
            f"unknown {unknown}, given {list(order)}"
        )
    return tuple(order)


TREATMENTS: Final[tuple[str, ...]] = draw_order(
    (
        "ketamine_iv",
        "mdma_at",
        "psilocybin_at",
        "sertraline",
        "paroxetine",
        "venlafaxine",
        "prazosin",
        "cpt",
        "pe",
        "emdr",
        "esketamine",
        "ibogaine",
        "five_meo_dmt",
    ),
    TREATMENT_IDS,
    "treatment",
)
"""The catalog's treatment ids in the simulator's draw order."""

NO_PTSD_TRIAL_DATA: Final[frozenset[str]] = frozenset({"esketamine", "ibogaine", "five_meo_dmt"})
"""Arms without PTSD trial data, simulated with wide uncertainty (not the catalog's
``investigational`` flag: esketamine is approved, for depression, but untested in PTSD)."""

CONTROLS: Final[tuple[str, ...]] = draw_order(
    ("placebo_therapy", "placebo", "midazolam", "waitlist"), CONTROL_ARMS, "control"
)
"""Control arms used by trials: placebo with the same therapy (MAPP), pill placebo, active
placebo (midazolam) and waitlist."""

ARMS: Final[tuple[str, ...]] = TREATMENTS + CONTROLS
"""Every arm, in the canonical column order."""


def check_arms(arms: object) -> tuple[str, ...]:
    """Validate an arm list: known ids, no duplicates, at least one."""
    if isinstance(arms, str) or not isinstance(arms, list | tuple):
        raise ValueError(f"arms must be a list of arm ids, got {arms!r}")
    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        raise ValueError(f"arms: unknown arm id(s) {unknown}; allowed: {', '.join(ARMS)}")
    if len(set(arms)) != len(arms):
        raise ValueError(f"arms: duplicate ids in {list(arms)}")
    if not arms:
        raise ValueError("arms: at least one arm is needed")
    return tuple(arms)
