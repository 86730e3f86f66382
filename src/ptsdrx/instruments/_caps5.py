"""CAPS-5: Clinician-Administered PTSD Scale for DSM-5, past-month symptom severities.

Twenty item severities 0–4 (B1–E6, the PCL-5 order), optionally followed by the two
dissociation items (CAPS-5 items 29 depersonalization and 30 derealization) as items 21–22.
Total severity 0–80 and clusters B/C/D/E; a symptom is present at severity >= 2. Diagnosis
needs the B/C/D/E counts plus Criterion A, F (duration > 1 month) and G (distress or
impairment), which the interviewer records; unknown criteria give an unknown diagnosis.
Dissociative subtype: diagnosis plus either dissociation item >= 2 (VA CAPS-5 training
05_016.htm, 08_043.htm).

Severities can be derived from frequency and intensity ratings with the published
combining rule (:func:`severity`).

Examples
--------
>>> severity(1, 3), severity(3, 1), severity(2, 2)
(2, 1, 2)
>>> r = CAPS5().score([2] * 20, criterion_a=True, duration_over_1_month=True,
...                   distress_or_impairment=True)
>>> r.total, r.details["diagnosis"], r.details["dissociative_subtype"]
(40.0, True, None)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ptsdrx.instruments._base import Instrument, Items, cite
from ptsdrx.instruments._dsm5 import symptom_criteria
from ptsdrx.instruments._errors import InstrumentError
from ptsdrx.instruments._result import InstrumentResult

CRITERIA = ("criterion_a", "duration_over_1_month", "distress_or_impairment")
"""Non-symptom DSM-5 criteria the interviewer records (A, F, G)."""


def severity(frequency: int | None, intensity: int | None) -> int | None:
    """Combine a CAPS-5 frequency and intensity rating (each 0–4) into a severity 0–4.

    Equal ratings give that value; otherwise the lower one, except that an intensity two or
    more steps above frequency gives frequency + 1 (never round up for frequency; VA CAPS-5
    training lesson08/08_043.htm). Either rating missing gives ``None``.
    """
    if frequency is None or intensity is None:
        return None
    if intensity - frequency >= 2:
        return frequency + 1
    return min(frequency, intensity)


@dataclass(frozen=True, kw_only=True)
class CAPS5(Instrument):
    """CAPS-5 calculator (symptom severities, diagnosis, dissociative subtype)."""

    id = "caps5"

    def score(
        self,
        responses: Sequence[Any],
        *,
        criterion_a: bool | None = None,
        duration_over_1_month: bool | None = None,
        distress_or_impairment: bool | None = None,
    ) -> InstrumentResult:
        """Score 20 severities (or 22 with the dissociation items); criteria A/F/G optional."""
        items = self.validate(responses, counts=self._counts())
        return self._build(
            items,
            self._criteria(
                criterion_a=criterion_a,
                duration_over_1_month=duration_over_1_month,
                distress_or_impairment=distress_or_impairment,
            ),
        )

    def score_ratings(
        self,
        frequency: Sequence[Any],
        intensity: Sequence[Any],
        **criteria: bool | None,
    ) -> InstrumentResult:
        """Score from per-item frequency and intensity ratings (each 0–4, same length)."""
        freq = self.validate(frequency, counts=self._counts())
        inten = self.validate(intensity, counts=self._counts())
        if len(freq) != len(inten):
            raise InstrumentError(
                self.id,
                "intensity",
                f"needs as many ratings as frequency ({len(freq)}), got {len(inten)}",
            )
        severities = tuple(severity(f, i) for f, i in zip(freq, inten, strict=True))
        result = self._build(severities, self._criteria(**criteria))
        sources = {**result.details["sources"], "severity_combining": self._combining_source()}
        details = {**result.details, "severity_from_ratings": True, "sources": sources}
        return replace(result, details=details)

    def _counts(self) -> tuple[int, int]:
        return (self.spec.items, self.spec.items + len(self.spec.extra_items))

    def _combining_source(self) -> str:
        rule = self.spec.severity_combining
        assert rule is not None
        return cite(rule.source, rule.verification)

    def _criteria(self, **criteria: Any) -> dict[str, bool | None]:
        unknown = sorted(set(criteria) - set(CRITERIA))
        if unknown:
            raise InstrumentError(
                self.id, unknown[0], f"unknown criterion; allowed: {', '.join(CRITERIA)}"
            )
        out: dict[str, bool | None] = {}
        for name in CRITERIA:
            value = criteria.get(name)
            if value is not None and not isinstance(value, bool):
                raise InstrumentError(self.id, name, f"must be true, false or None, got {value!r}")
            out[name] = value
        return out

    def _interpret(
        self, items: Items | None, total: float | None, context: Mapping[str, Any]
    ) -> dict[str, Any]:
        details = super()._interpret(items, total, context)
        spec = self.spec
        assert spec.diagnosis is not None
        criteria = {name: context.get(name) for name in CRITERIA}
        if items is None:
            symptoms, endorsed = None, None
            dissociation: tuple[int | None, ...] = (None, None)
        else:
            symptoms, endorsed = symptom_criteria(spec, items[: spec.items])
            dissociation = items[spec.items :] or (None, None)
        diagnosis = _all_of([symptoms, *criteria.values()])
        present = [None if v is None else v >= spec.diagnosis.endorsed_at for v in dissociation]
        dissociative = _all_of([diagnosis, _any_of(present)])
        details.update(
            symptom_criteria_met=symptoms,
            endorsed_per_cluster=endorsed,
            criteria=criteria,
            diagnosis=diagnosis,
            dissociative_subtype=dissociative,
            dissociation_items=tuple(dissociation),
        )
        details["sources"]["diagnosis"] = cite(spec.diagnosis.source, spec.diagnosis.verification)
        return details


def _all_of(values: Sequence[bool | None]) -> bool | None:
    """Three-valued AND: False if any is False, True if all are True, else unknown."""
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


def _any_of(values: Sequence[bool | None]) -> bool | None:
    """Three-valued OR: True if any is True, False if all are False, else unknown."""
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else None
