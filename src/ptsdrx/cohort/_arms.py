"""Arm ids the simulator knows: the treatment catalog ids plus trial control arms."""

from __future__ import annotations

from typing import Final

TREATMENTS: Final[tuple[str, ...]] = (
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
)
"""Treatment catalog ids (the shared contract)."""

INVESTIGATIONAL: Final[frozenset[str]] = frozenset({"esketamine", "ibogaine", "five_meo_dmt"})
"""Arms without PTSD trial data; simulated with wide uncertainty."""

CONTROLS: Final[tuple[str, ...]] = ("placebo_therapy", "placebo", "midazolam", "waitlist")
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
