"""``InstrumentResult``: one scored administration, immutable, rendered the same everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ptsdrx._results import Result


class FrozenDict(dict[str, Any]):
    """A ``dict`` that refuses changes: still a dict for ``json.dumps`` and ``isinstance``."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("instrument results are immutable")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]


def frozen(value: Any) -> Any:
    """Read-only copy: dicts become :class:`FrozenDict`, lists become tuples (recursively)."""
    if isinstance(value, Mapping):
        return FrozenDict({str(k): frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    return value


@dataclass(frozen=True)
class InstrumentResult(Result):
    """A scored instrument.

    Attributes
    ----------
    instrument : id, e.g. ``'pcl5'``.
    total : total score; ``None`` when it cannot be computed (missing items and no proration
        policy allows it) or the instrument has no total (C-SSRS).
    subscales : cluster or subscale scores (only those that could be computed).
    band : severity band label, or the C-SSRS risk level; ``None`` when the instrument has no
        validated bands (PCL-5, CAPS-5) or the total is unknown.
    flags : safety flags, e.g. ``'phq9_item9_positive'``, ``'cssrs_high_risk'``.
    details : instrument-specific interpretation (PCL-5: ``provisional_diagnosis``,
        ``above_cutoff``; C-SSRS: ``risk_level``; ...), with sources.
    prorated_items : 1-based item numbers whose values were imputed by the proration policy.
    missing_items : 1-based item numbers with no response.
    loinc : LOINC codes by role (``panel``, ``total``, ...), where they exist.
    safety_messages : the crisis message for each raised safety flag.
    """

    instrument: str
    total: float | None
    subscales: dict[str, float] = field(default_factory=dict)
    band: str | None = None
    flags: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    prorated_items: tuple[int, ...] = ()
    missing_items: tuple[int, ...] = ()
    loinc: dict[str, str] = field(default_factory=dict)
    safety_messages: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("subscales", "details", "loinc", "safety_messages"):
            object.__setattr__(self, name, frozen(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the fields, with ``details`` keys merged at the top level."""
        out = super().to_dict()
        for key, value in out.pop("details").items():
            if key in out:
                raise RuntimeError(f"details key {key!r} collides with a result field")
            out[key] = value
        return out

    def summary_rows(self) -> list[dict[str, Any]]:
        """One row: instrument, total, band, flags and the scalar interpretation details."""
        row: dict[str, Any] = {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "flags": ", ".join(self.flags),
        }
        row.update({k: v for k, v in self.details.items() if isinstance(v, str | bool | float)})
        return [row]

    def to_text(self) -> str:
        """A few human-readable lines (what a clinician reads first)."""
        if "risk_level" in self.details:
            lines = [f"{self.instrument}: risk level {self.details['risk_level']}"]
        else:
            total = "not computed" if self.total is None else _num(self.total)
            band = f" ({self.band})" if self.band else ""
            lines = [f"{self.instrument}: total {total}{band}"]
        if self.subscales:
            lines.append(
                "  subscales: " + ", ".join(f"{k} {_num(v)}" for k, v in self.subscales.items())
            )
        for key in (
            "provisional_diagnosis",
            "above_cutoff",
            "diagnosis",
            "dissociative_subtype",
            "depressive_syndrome",
            "functional_difficulty",
        ):
            if key in self.details:
                value = self.details[key]
                lines.append(f"  {key}: {'unknown' if value is None else value}")
        if self.missing_items:
            lines.append(f"  missing items: {', '.join(map(str, self.missing_items))}")
        if self.prorated_items:
            lines.append(
                f"  prorated items (person mean): {', '.join(map(str, self.prorated_items))}"
            )
        for key in ("unanswered", "inconsistencies"):
            for note in self.details.get(key) or ():
                lines.append(f"  {key}: {note}")
        if self.details.get("recorded_total_mismatch"):
            lines.append(
                f"  WARNING recorded total {_num(self.details['recorded_total'])} disagrees "
                "with the item responses; the items were scored"
            )
        if "total_withheld" in self.details:
            lines.append(f"  total withheld: {self.details['total_withheld']}")
        for flag in self.flags:
            lines.append(f"  SAFETY {flag}: {self.safety_messages.get(flag, '')}".rstrip())
        return "\n".join(lines)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"
