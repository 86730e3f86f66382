"""PHQ-9: Patient Health Questionnaire-9 (Kroenke, Spitzer & Williams 2001).

9 items 0–3, total 0–27; bands 0–4 none/minimal, 5–9 mild, 10–14 moderate, 15–19
moderately severe, 20–27 severe. Item 9 (thoughts of death or self-harm) >= 1 raises the
``phq9_item9_positive`` safety flag whatever the total (PMC5942185). Beside the total it
reports the PHQ-9 diagnostic algorithm (``depressive_syndrome``: major, other or none;
provisional, a clinician confirms it) and, when given as a 10th response, item 10
(``functional_difficulty``), which is recorded but never added to the total. Numbers live in
``data/instruments.yaml``.

Examples
--------
>>> r = PHQ9().score([1, 1, 1, 1, 1, 1, 1, 1, 1])
>>> r.total, r.band, r.flags
(9.0, 'mild', ('phq9_item9_positive',))
>>> r = PHQ9().score([3, 2, 2, 2, 2, 0, 0, 0, 0, 2])
>>> r.total, r.details["depressive_syndrome"], r.details["functional_difficulty"]
(11.0, 'major_depressive_syndrome', 'very_difficult')
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ptsdrx.instruments._base import Instrument, Items, cite
from ptsdrx.instruments._errors import InstrumentError
from ptsdrx.instruments._result import InstrumentResult
from ptsdrx.instruments._spec import SyndromeRule

Syndrome = Literal["major_depressive_syndrome", "other_depressive_syndrome", "none"]


def _classify(present: Sequence[bool], rule: SyndromeRule) -> Syndrome:
    count = sum(present)
    cardinal = any(present[i - 1] for i in rule.cardinal_items)
    if cardinal and count >= rule.major_min:
        return "major_depressive_syndrome"
    if cardinal and count >= rule.other_min:
        return "other_depressive_syndrome"
    return "none"


def depressive_syndrome(items: Items, rule: SyndromeRule) -> Syndrome | None:
    """The algorithm's result for 9 item responses; ``None`` when missing items could change it.

    Each missing item is tried as present and as absent: the result is known only when every
    completion gives the same answer (unknown stays unknown, never "none").
    """
    known: list[bool | None] = [
        None if v is None else v >= rule.present_at_item.get(i, rule.present_at)
        for i, v in enumerate(items, start=1)
    ]
    missing = [i for i, v in enumerate(known) if v is None]
    found: set[Syndrome] = set()
    for fill in itertools.product((False, True), repeat=len(missing)):
        present = [bool(v) for v in known]
        for i, value in zip(missing, fill, strict=True):
            present[i] = value
        found.add(_classify(present, rule))
        if len(found) > 1:
            return None
    return found.pop()


@dataclass(frozen=True, kw_only=True)
class PHQ9(Instrument):
    """PHQ-9 calculator: 9 scored items, optionally item 10 (functional difficulty)."""

    id = "phq9"

    def score(self, responses: Sequence[Any]) -> InstrumentResult:
        """Score 9 item responses, or 10 with item 10 (functional difficulty, not totalled)."""
        n = self.spec.items
        counts = (n, n + len(self.spec.extra_items))
        listed = isinstance(responses, Sequence) and not isinstance(responses, str | bytes)
        if listed and len(responses) not in counts:
            raise InstrumentError(
                self.id,
                "responses",
                f"expected {n} item responses ({counts[1]} with item 10, functional "
                f"difficulty), got {len(responses)}",
            )
        return self._build(self.validate(responses, counts=counts), {})

    def _interpret(
        self, items: Items | None, total: float | None, context: Mapping[str, Any]
    ) -> dict[str, Any]:
        details = super()._interpret(items, total, context)
        spec = self.spec
        rule = spec.syndrome
        assert rule is not None and len(spec.extra_items) == 1
        item10 = spec.extra_items[0]
        assert item10.levels is not None
        scored = None if items is None else items[: spec.items]
        answered = None if items is None or len(items) <= spec.items else items[spec.items]
        details.update(
            depressive_syndrome=None if scored is None else depressive_syndrome(scored, rule),
            depressive_syndrome_note=" ".join(rule.note.split()),
            functional_difficulty=None if answered is None else item10.levels[answered],
        )
        details["sources"].update(
            depressive_syndrome=cite(rule.source, rule.verification),
            functional_difficulty=" ".join((spec.extra_items_source or "").split()),
        )
        return details
