"""C-SSRS screener: Columbia Suicide Severity Rating Scale, screener version.

Seven answers in order Q1..Q6 then Q6b, each 0 (no) / 1 (yes) / ``None`` (skipped):
Q1 wish to be dead, Q2 active thoughts, Q3 method, Q4 intent, Q5 plan (past month), Q6
suicidal behaviour (lifetime), Q6b "within the past 3 months". Q3–Q5 are skipped when
Q2 is "no"; Q6b is asked only when Q6 is "yes".

Risk (Columbia triage guidelines, [V]): **high** for "yes" to Q4 or Q5, or behaviour in the
past 3 months. The low/moderate split varies between institutions ([V2]) and is
configurable; the default follows the data file (Q3 or behaviour > 3 months ago ->
moderate; Q1/Q2 only -> low).

Examples
--------
>>> r = CSSRS().score([1, 1, 1, 1, 0, 0, None])
>>> r.band, r.flags
('high', ('cssrs_high_risk',))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ptsdrx.instruments.base import Instrument, cite
from ptsdrx.instruments.errors import InstrumentError
from ptsdrx.instruments.result import InstrumentResult

ANSWERS = ("q1", "q2", "q3", "q4", "q5", "q6_recent", "q6_lifetime_only")
"""Positive-answer names a risk rule may list (``q6_lifetime_only``: behaviour > 3 months ago)."""


@dataclass(frozen=True, kw_only=True)
class CSSRS(Instrument):
    """C-SSRS screener triage.

    ``moderate`` and ``low``: positive answers (names in :data:`ANSWERS`) that set each
    level; ``None`` uses the data file. High risk is fixed by the Columbia guidelines.
    """

    id = "cssrs"
    moderate: tuple[str, ...] | None = None
    low: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("moderate", "low"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, str) or any(v not in ANSWERS for v in value):
                raise InstrumentError(
                    self.id, name, f"must list answers from {', '.join(ANSWERS)}; got {value!r}"
                )
            object.__setattr__(self, name, tuple(value))

    def rules(self) -> dict[str, tuple[str, ...]]:
        """Risk level -> the positive answers that set it (highest level wins)."""
        risk = self.spec.risk
        assert risk is not None
        return {
            "high": risk["high"].any_of,
            "moderate": self.moderate if self.moderate is not None else risk["moderate"].any_of,
            "low": self.low if self.low is not None else risk["low"].any_of,
        }

    def score(self, responses: Sequence[Any]) -> InstrumentResult:
        """Triage the seven screener answers into none / low / moderate / high risk."""
        q = self.validate(responses)
        q1, q2, q3, q4, q5, q6, q6b = q
        for i, label in ((0, "Q1"), (1, "Q2"), (5, "Q6")):
            if q[i] is None:
                raise InstrumentError(self.id, label, "is always asked; answer 0 (no) or 1 (yes)")
        if q2 == 0:
            for i, label in ((2, "Q3"), (3, "Q4"), (4, "Q5")):
                if q[i] == 1:
                    raise InstrumentError(
                        self.id, label, "must be skipped (None) or 0 when Q2 is 'no'"
                    )
        else:
            for i, label in ((2, "Q3"), (3, "Q4"), (4, "Q5")):
                if q[i] is None:
                    raise InstrumentError(
                        self.id, label, "is required when Q2 is 'yes'; answer 0 or 1"
                    )
        if q6 == 1 and q6b is None:
            raise InstrumentError(self.id, "Q6b", "is required when Q6 is 'yes'; answer 0 or 1")
        if q6 == 0 and q6b == 1:
            raise InstrumentError(self.id, "Q6b", "must be skipped (None) or 0 when Q6 is 'no'")
        positive = {
            "q1": q1 == 1,
            "q2": q2 == 1,
            "q3": q3 == 1,
            "q4": q4 == 1,
            "q5": q5 == 1,
            "q6_recent": q6 == 1 and q6b == 1,
            "q6_lifetime_only": q6 == 1 and q6b == 0,
        }
        level = "none"
        reasons: tuple[str, ...] = ()
        for candidate, answers in self.rules().items():
            hits = tuple(a for a in answers if positive[a])
            if hits:
                level, reasons = candidate, hits
                break
        flags = () if level == "none" else (self._flag(level),)
        return InstrumentResult(
            instrument=self.id,
            total=None,
            band=level,
            flags=flags,
            details={
                "risk_level": level,
                "risk_reasons": reasons,
                "risk_rules": self.rules(),
                "sources": self._sources(),
            },
            loinc=self._loinc(),
            safety_messages={f: self.message() for f in flags},
        )

    def total_range(self) -> None:
        """The screener has no total."""
        return None

    def score_total(self, total: Any) -> InstrumentResult:
        """The C-SSRS screener has no total; always refuses."""
        raise InstrumentError(self.id, "total", "the C-SSRS screener has no total; give answers")

    def _flag(self, level: str) -> str:
        assert self.spec.flags is not None
        return self.spec.flags[level]

    def _sources(self) -> dict[str, str]:
        risk = self.spec.risk
        assert risk is not None
        out = {"scoring": cite(self.spec.source, self.spec.verification)}
        out.update({f"risk_{k}": cite(v.source, v.verification) for k, v in risk.items()})
        return out
