"""The DSM-5 PTSD symptom-count rule shared by the PCL-5 and the CAPS-5.

A symptom counts when rated at or above ``endorsed_at`` (2, "moderate"); the rule needs
>= 1 B, >= 1 C, >= 2 D and >= 2 E symptoms (FACTS.md 1.1 and 2; VA scoring text).
With missing items the answer is three-valued: met, not met, or unknown when the missing
items could still decide it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ptsdrx.instruments._spec import InstrumentSpec


def symptom_criteria(
    spec: InstrumentSpec, items: Sequence[int | None]
) -> tuple[bool | None, dict[str, int]]:
    """Whether the B/C/D/E symptom counts are met (``None``: missing items could decide it).

    Returns the decision and the number of endorsed symptoms per cluster.
    """
    assert spec.diagnosis is not None, f"{spec.id} has no diagnostic rule"
    threshold = spec.diagnosis.endorsed_at
    endorsed: dict[str, int] = {}
    decided_no = False
    undecided = False
    for name, cluster in spec.clusters.items():
        need = cluster.min_endorsed or 0
        values = [items[i - 1] for i in cluster.members()]
        count = sum(1 for v in values if v is not None and v >= threshold)
        possible = count + sum(1 for v in values if v is None)
        endorsed[name] = count
        if possible < need:
            decided_no = True
        elif count < need:
            undecided = True
    if decided_no:
        return False, endorsed
    return (None if undecided else True), endorsed
