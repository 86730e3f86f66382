"""The shared scoring calculator: validate item responses, total, subscales, bands, flags.

Each instrument module subclasses :class:`Instrument` and adds only what is special about
it (a diagnostic rule, a risk triage). The numbers come from ``data/instruments.yaml``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from ptsdrx.instruments._errors import InstrumentError
from ptsdrx.instruments._result import InstrumentResult
from ptsdrx.instruments._spec import InstrumentSpec, facts

Items = tuple[int | None, ...]


def cite(source: str, verification: str | None) -> str:
    """``'source [V]'``: a source with its verification tag, written as FACTS.md does."""
    return f"{source.strip()} [{verification}]" if verification else source.strip()


@dataclass(frozen=True, kw_only=True)
class Instrument:
    """A configured instrument: a small pure calculator over item responses.

    Parameters
    ----------
    max_missing : most missing items the person-mean proration policy may fill in; ``None``
        uses the site default from the data file (0: refuse to total with any item missing).
    crisis_message : text attached to every safety flag; ``None`` uses the data file's.
    """

    id: ClassVar[str]
    max_missing: int | None = None
    crisis_message: str | None = None

    def __post_init__(self) -> None:
        if self.max_missing is not None and (
            isinstance(self.max_missing, bool)
            or not isinstance(self.max_missing, int)
            or not 0 <= self.max_missing < self.spec.items
        ):
            raise InstrumentError(
                self.id,
                "max_missing",
                f"must be an integer 0..{self.spec.items - 1}, got {self.max_missing!r}",
            )
        if self.crisis_message is not None and (
            not isinstance(self.crisis_message, str) or not self.crisis_message.strip()
        ):
            raise InstrumentError(
                self.id, "crisis_message", f"must be non-empty text, got {self.crisis_message!r}"
            )

    # ------------------------------------------------------------------ configuration

    @property
    def spec(self) -> InstrumentSpec:
        """The instrument's facts from the data file."""
        return facts().instruments[self.id]

    @property
    def name(self) -> str:
        """Full instrument name."""
        return self.spec.name

    @classmethod
    def options(cls) -> tuple[str, ...]:
        """Names of the configuration options this instrument accepts."""
        return tuple(f.name for f in fields(cls) if f.init)

    def item_max(self) -> int:
        """Highest allowed item response."""
        return self.spec.item_max

    def total_range(self) -> tuple[float, float] | None:
        """Allowed total score range (``None`` when the instrument has no total)."""
        if self.spec.total_range is not None:
            return self.spec.total_range
        return (self.spec.items * self.spec.item_min, self.spec.items * self.item_max())

    def allowed_missing(self) -> int:
        """Items the proration policy may fill in."""
        if self.max_missing is not None:
            return self.max_missing
        return facts().proration.default_max_missing

    def message(self) -> str:
        """The crisis message attached to safety flags."""
        return self.crisis_message or str(facts().crisis_message.value).strip()

    # ------------------------------------------------------------------------ scoring

    def score(self, responses: Sequence[Any]) -> InstrumentResult:
        """Score item responses given in item order (``None`` for a missing item)."""
        return self._build(self.validate(responses), {})

    def score_total(self, total: Any) -> InstrumentResult:
        """Interpret a total recorded elsewhere (e.g. a proprietary scale scored on paper)."""
        value = self._check_total(total)
        details = self._interpret(None, value, {})
        details["from_total_only"] = True
        return InstrumentResult(
            instrument=self.id,
            total=value,
            band=self._band(value),
            details=details,
            loinc=self._loinc(),
        )

    def validate(self, responses: Sequence[Any], *, counts: Sequence[int] | None = None) -> Items:
        """Check item count, types and range; return the items as ``int | None``.

        ``counts`` lists the accepted numbers of responses (default: the item count).
        """
        spec = self.spec
        if isinstance(responses, str | bytes) or not isinstance(responses, Sequence):
            raise InstrumentError(
                self.id, "responses", f"must be a list of item responses, got {responses!r}"
            )
        allowed_counts = tuple(counts) if counts else (spec.items,)
        if len(responses) not in allowed_counts:
            want = " or ".join(map(str, allowed_counts))
            raise InstrumentError(
                self.id, "responses", f"expected {want} item responses, got {len(responses)}"
            )
        lo, hi = spec.item_min, self.item_max()
        out: list[int | None] = []
        for i, value in enumerate(responses, start=1):
            label = spec.label(i)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                out.append(None)
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise InstrumentError(
                    self.id, label, f"must be an integer {lo}–{hi}, got {value!r}"
                )
            number = float(value)
            if not number.is_integer():
                raise InstrumentError(
                    self.id, label, f"must be a whole number {lo}–{hi}, got {value!r}"
                )
            if not lo <= number <= hi:
                raise InstrumentError(self.id, label, f"is {value!r}; allowed integers {lo}–{hi}")
            out.append(int(number))
        return tuple(out)

    # -------------------------------------------------------------------- internals

    def _build(self, items: Items, context: Mapping[str, Any]) -> InstrumentResult:
        spec = self.spec
        scored = items[: spec.items]
        missing = tuple(i for i, v in enumerate(scored, start=1) if v is None)
        answered = [v for v in scored if v is not None]
        allowed = self.allowed_missing()
        filled: tuple[float, ...] | None = None
        prorated: tuple[int, ...] = ()
        withheld: str | None = None
        if not missing:
            filled = tuple(float(v) for v in answered)
        elif len(missing) <= allowed and answered:
            mean = sum(answered) / len(answered)
            filled = tuple(mean if v is None else float(v) for v in scored)
            prorated = missing
        else:
            withheld = (
                f"{len(missing)} of {spec.items} items missing; the proration policy allows "
                f"{allowed} ({cite(facts().proration.source, facts().proration.verification)})"
            )
        total = None if filled is None else _tidy(sum(filled))
        subscales: dict[str, float] = {}
        for name, cluster in spec.clusters.items():
            members = cluster.members()
            if filled is not None:
                subscales[name] = _tidy(sum(filled[i - 1] for i in members))
            elif all(scored[i - 1] is not None for i in members):
                subscales[name] = float(sum(scored[i - 1] or 0 for i in members))
        flags, unanswered = self._safety(scored)
        details = self._interpret(items, total, context)
        if withheld:
            details["total_withheld"] = withheld
        if prorated:
            details["proration"] = cite(
                f"person-mean imputation of {len(prorated)} item(s), policy max {allowed}",
                facts().proration.verification,
            )
        if unanswered:
            details["safety_items_unanswered"] = unanswered
        return InstrumentResult(
            instrument=self.id,
            total=total,
            subscales=subscales,
            band=self._band(total),
            flags=flags,
            details=details,
            prorated_items=prorated,
            missing_items=missing,
            loinc=self._loinc(),
            safety_messages={f: self.message() for f in flags},
        )

    def _interpret(
        self, items: Items | None, total: float | None, context: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Instrument-specific details; the base adds the scoring and band sources."""
        spec = self.spec
        sources = {"scoring": cite(spec.source, spec.verification)}
        if spec.bands:
            sources["bands"] = cite(spec.bands_source or "", spec.bands_verification)
        elif spec.bands_note:
            sources["bands"] = spec.bands_note.strip()
        if spec.clusters_source:
            sources["subscales"] = cite(spec.clusters_source, spec.clusters_verification)
        for item in spec.safety_items:
            sources[item.flag] = cite(item.source, item.verification)
        details: dict[str, Any] = {"sources": sources}
        if spec.screen_positive is not None:
            rule = spec.screen_positive
            details["screen_positive"] = self.at_least(items, total, rule.at_least)
            sources["screen_positive"] = cite(rule.source, rule.verification)
        return details

    def at_least(self, items: Items | None, total: float | None, threshold: float) -> bool | None:
        """``total >= threshold``, also when items are missing.

        With the total withheld, decided from the bounds the missing items allow (``None`` only when
        they could go either way).
        """
        if total is not None:
            return total >= threshold
        if items is None:
            return None
        scored = items[: self.spec.items]
        known = sum(v for v in scored if v is not None)
        if known >= threshold:
            return True
        if known + self.item_max() * sum(1 for v in scored if v is None) < threshold:
            return False
        return None

    def _band(self, total: float | None) -> str | None:
        """The band whose lower bound the total reaches (a prorated 4.5 stays in 0–4)."""
        if total is None or not self.spec.bands:
            return None
        label = None
        for band in self.spec.bands:
            if total >= band.min:
                label = band.label
        return label

    def _safety(self, scored: Items) -> tuple[tuple[str, ...], tuple[int, ...]]:
        flags: list[str] = []
        unanswered: list[int] = []
        for rule in self.spec.safety_items:
            value = scored[rule.item - 1]
            if value is None:
                unanswered.append(rule.item)
            elif value >= rule.at_least:
                flags.append(rule.flag)
        return tuple(flags), tuple(unanswered)

    def _loinc(self) -> dict[str, str]:
        return {role: code.code for role, code in self.spec.loinc.items()}

    def _check_total(self, total: Any) -> float:
        rng = self.total_range()
        if rng is None:
            raise InstrumentError(self.id, "total", "this instrument has no total score")
        lo, hi = rng
        if (
            isinstance(total, bool)
            or not isinstance(total, numbers.Real)
            or math.isnan(float(total))
        ):
            raise InstrumentError(
                self.id, "total", f"must be a number {lo:g}–{hi:g}, got {total!r}"
            )
        value = float(total)
        if not lo <= value <= hi:
            raise InstrumentError(self.id, "total", f"is {total!r}; allowed {lo:g}–{hi:g}")
        return value


def _tidy(x: float) -> float:
    """Round away float noise from proration (e.g. 41.99999999 -> 42.0)."""
    return round(float(x), 6)
