"""C-SSRS screener: Columbia Suicide Severity Rating Scale, screener version.

Seven answers in order Q1..Q6 then Q6b, each 0 (no) / 1 (yes) / ``None`` (skipped):
Q1 wish to be dead, Q2 active thoughts, Q3 method, Q4 intent, Q5 plan (past month), Q6
suicidal behaviour (lifetime), Q6b "within the past 3 months". Q3–Q5 are skipped when
Q2 is "no"; Q6b is asked only when Q6 is "yes".

Risk (Columbia triage guidelines, [V]): **high** for "yes" to Q4 or Q5, or behaviour in the
past 3 months. The low/moderate split varies between institutions ([V2]) and is
configurable; the default follows the data file (Q3 or behaviour > 3 months ago ->
moderate; Q1/Q2 only -> low).

A missing answer is accepted only when it cannot change the risk level; otherwise the error
names it. A "yes" that breaks the skip logic (Q4 "yes" after Q2 "no") still counts and is
listed under ``details["inconsistencies"]``: a recorded "yes" is never discarded.

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

from ptsdrx.instruments._base import Instrument, Items, cite
from ptsdrx.instruments._errors import InstrumentError
from ptsdrx.instruments._result import InstrumentResult

_ORDER = ("Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q6b")

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
        if self.max_missing is not None:
            raise InstrumentError(
                self.id, "max_missing", "screener answers are never prorated; leave it unset"
            )
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
        unanswered = _unanswered(q)
        level, reasons = self._level(_positive(q, fill=0))
        upper, _ = self._level(_positive(q, fill=1))
        if upper != level:
            raise InstrumentError(
                self.id,
                ", ".join(unanswered),
                f"unanswered but required (the risk level is at least {level!r} and the "
                f"missing answers could make it {upper!r}); answer 0 (no) or 1 (yes)",
            )
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
                "unanswered": unanswered,
                "inconsistencies": _inconsistencies(q),
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

    def _level(self, positive: dict[str, bool]) -> tuple[str, tuple[str, ...]]:
        """The highest level with a positive answer, and the answers that set it."""
        for candidate, answers in self.rules().items():
            hits = tuple(a for a in answers if positive[a])
            if hits:
                return candidate, hits
        return "none", ()

    def _flag(self, level: str) -> str:
        assert self.spec.flags is not None
        return self.spec.flags[level]

    def _sources(self) -> dict[str, str]:
        risk = self.spec.risk
        assert risk is not None
        out = {"scoring": cite(self.spec.source, self.spec.verification)}
        out.update({f"risk_{k}": cite(v.source, v.verification) for k, v in risk.items()})
        return out


def _unanswered(q: Items) -> tuple[str, ...]:
    """Questions that should have an answer but have none (skips by design excluded)."""
    q1, q2, _, _, _, q6, q6b = q
    out = [label for label, v in (("Q1", q1), ("Q2", q2), ("Q6", q6)) if v is None]
    if q2 != 0:
        out += [label for label, v in zip(("Q3", "Q4", "Q5"), q[2:5], strict=True) if v is None]
    if q6 != 0 and q6b is None:
        out.append("Q6b")
    return tuple(sorted(out, key=_ORDER.index))


def _positive(q: Items, *, fill: int) -> dict[str, bool]:
    """Positive answers, unanswered required questions taken as ``fill``.

    A "yes" is counted even where the skip logic says the question should not have been
    asked: on a suicide-risk screener a recorded "yes" is never discarded.
    """
    q1, q2, q3, q4, q5, q6, q6b = (fill if v is None else v for v in q)
    if q[1] == 0:  # legitimately skipped after "no" to Q2
        q3, q4, q5 = (0 if v is None else v for v in q[2:5])
    if q[5] == 0 and q[6] is None:  # legitimately skipped after "no" to Q6
        q6b = 0
    return {
        "q1": q1 == 1,
        "q2": q2 == 1,
        "q3": q3 == 1,
        "q4": q4 == 1,
        "q5": q5 == 1,
        "q6_recent": q6b == 1,
        "q6_lifetime_only": q6 == 1 and q6b == 0,
    }


def _inconsistencies(q: Items) -> tuple[str, ...]:
    """Answers that break the skip logic; they are still counted (see :func:`_positive`)."""
    out = [
        f"{label} is 'yes' although Q2 is 'no' (should have been skipped); counted as 'yes'"
        for label, v in zip(("Q3", "Q4", "Q5"), q[2:5], strict=True)
        if q[1] == 0 and v == 1
    ]
    if q[5] == 0 and q[6] == 1:
        out.append("Q6b is 'yes' although Q6 is 'no'; counted as behaviour in the past 3 months")
    return tuple(out)
