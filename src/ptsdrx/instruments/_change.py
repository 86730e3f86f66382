"""Change between two administrations: raw, percent, reliable change, response, remission.

Lower scores are better on every scored instrument here. Definitions, each with its source
in ``data/instruments.yaml``:

- reliable change index (Jacobson & Truax): SEM = SD·√(1−r), S_diff = √2·SEM,
  RCI = Δ / S_diff, reliable when abs(RCI) >= 1.96. PCL-5 defaults SD 12.40 (PMC7443209)
  and r .82 (Blevins 2015) give a threshold of about 14.6 points; SD and r are
  configurable, and the published PCL-5 thresholds of Marx et al. 2022 (15 and 18 points)
  are reported alongside;
- response: >= 30 % reduction, and >= 10 points (both reported);
- remission: below the cut-point (PCL-5: 33, configurable), and the clinically significant
  endpoint (PCL-5 <= 28, CAPS-5 <= 8; Marx 2022).

Examples
--------
>>> c = change(52, 30)
>>> c.raw, round(c.percent, 1), c.reliable, c.response_30pct, c.remission_below_cutoff
(-22.0, -42.3, True, True, True)
>>> round(c.rci_threshold, 1)
14.6
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from ptsdrx._results import Result
from ptsdrx.instruments._base import cite
from ptsdrx.instruments._errors import InstrumentError
from ptsdrx.instruments._lookup import get, score_administration
from ptsdrx.instruments._result import InstrumentResult, frozen
from ptsdrx.instruments._spec import ChangeSpec
from ptsdrx.records import Administration

Z_RELIABLE = 1.96
"""Two-sided 95 % criterion of the Jacobson-Truax RCI (Blampied 2022)."""

Score = float | int | InstrumentResult | Administration


@dataclass(frozen=True)
class PublishedChange(Result):
    """A published reliable-change threshold and whether this change meets it."""

    id: str
    decrease: float
    met: bool
    source: str


@dataclass(frozen=True)
class ChangeResult(Result):
    """Change from ``before`` to ``after`` on one instrument (``None``: not defined/unknown)."""

    instrument: str
    before: float
    after: float
    raw: float
    percent: float | None
    rci: float | None
    rci_threshold: float | None
    reliable: bool | None
    direction: Literal["improved", "worsened", "no_reliable_change"] | None
    published_reliable: tuple[PublishedChange, ...]
    response_30pct: bool | None
    response_10pt: bool | None
    remission_below_cutoff: bool | None
    clinically_significant_endpoint: bool | None
    clinically_significant_change: bool | None
    thresholds: dict[str, float | None] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "thresholds", frozen(self.thresholds))
        object.__setattr__(self, "sources", frozen(self.sources))

    def to_text(self) -> str:
        """A few human-readable lines."""
        pct = "n/a" if self.percent is None else f"{self.percent:+.1f}%"
        lines = [
            f"{self.instrument}: {self.before:g} -> {self.after:g} (change {self.raw:+g}, {pct})"
        ]
        if self.rci is not None and self.rci_threshold is not None:
            lines.append(
                f"  RCI {self.rci:+.2f} (reliable at |change| >= {self.rci_threshold:.1f}): "
                f"{self.direction}"
            )
        for p in self.published_reliable:
            lines.append(f"  {p.id} (decrease >= {p.decrease:g}): {'met' if p.met else 'not met'}")
        for name in (
            "response_30pct",
            "response_10pt",
            "remission_below_cutoff",
            "clinically_significant_endpoint",
            "clinically_significant_change",
        ):
            value = getattr(self, name)
            if value is not None:
                lines.append(f"  {name}: {value}")
        return "\n".join(lines)


def change(
    before: Score,
    after: Score,
    instrument: str = "pcl5",
    *,
    sd: float | None = None,
    r: float | None = None,
    cutoff: float | None = None,
    endpoint: float | None = None,
    response_percent: float | None = None,
    response_points: float | None = None,
) -> ChangeResult:
    """Compare two totals (numbers, scored results or recorded administrations).

    ``sd``/``r`` override the RCI inputs (give both for an instrument without defaults);
    ``cutoff`` the remission cut-point (PCL-5 default 33, must be 31–33), ``endpoint`` the
    clinically significant endpoint, ``response_percent``/``response_points`` the response
    thresholds. A definition with no default and no override is reported as ``None``.
    """
    inst = get(instrument)
    spec = inst.spec.change or ChangeSpec()
    b = _total(before, instrument, "before")
    a = _total(after, instrument, "after")
    raw = a - b
    percent = None if b == 0 else 100.0 * raw / b
    sources: dict[str, str] = {}

    rci = threshold = None
    reliable = None
    direction: Literal["improved", "worsened", "no_reliable_change"] | None = None
    sd_, r_ = _rci_inputs(instrument, spec, sd, r, sources)
    if sd_ is not None and r_ is not None:
        s_diff = math.sqrt(2.0) * sd_ * math.sqrt(1.0 - r_)
        rci = raw / s_diff
        threshold = Z_RELIABLE * s_diff
        reliable = abs(rci) >= Z_RELIABLE
        direction = (
            "no_reliable_change" if not reliable else ("improved" if raw < 0 else "worsened")
        )

    published = tuple(
        PublishedChange(p.id, p.decrease, -raw >= p.decrease, cite(p.source, p.verification))
        for p in spec.published_reliable
    )

    pct_threshold = _threshold(instrument, "response_percent", response_percent, spec, sources)
    pts_threshold = _threshold(instrument, "response_points", response_points, spec, sources)
    end = _threshold(instrument, "endpoint", endpoint, spec, sources)
    cut = _cutoff(instrument, cutoff, spec, sources)

    # compare as products, not via the rounded percent: 30 % of 70 is exactly 21 points
    response_30pct = None if pct_threshold is None or b == 0 else -raw * 100 >= pct_threshold * b
    response_10pt = None if pts_threshold is None else raw <= -pts_threshold
    remission = None if cut is None else a < cut
    at_endpoint = None if end is None else a <= end
    significant = None
    if direction is not None and at_endpoint is not None:
        significant = direction == "improved" and at_endpoint
        sources["clinically_significant_change"] = (
            "Jacobson & Truax: reliable improvement and ending at or below the endpoint "
            "(Blampied 2022) [V2]"
        )
    return ChangeResult(
        instrument=instrument,
        before=b,
        after=a,
        raw=raw,
        percent=percent,
        rci=rci,
        rci_threshold=threshold,
        reliable=reliable,
        direction=direction,
        published_reliable=published,
        response_30pct=response_30pct,
        response_10pt=response_10pt,
        remission_below_cutoff=remission,
        clinically_significant_endpoint=at_endpoint,
        clinically_significant_change=significant,
        thresholds={
            "sd": sd_,
            "r": r_,
            "response_percent": pct_threshold,
            "response_points": pts_threshold,
            "cutoff": cut,
            "endpoint": end,
        },
        sources=sources,
    )


def _total(value: Score, instrument: str, name: str) -> float:
    if isinstance(value, Administration):
        if value.instrument != instrument:
            raise InstrumentError(
                instrument, name, f"is a {value.instrument!r} administration, not {instrument!r}"
            )
        value = score_administration(value)
    if isinstance(value, InstrumentResult):
        if value.instrument != instrument:
            raise InstrumentError(
                instrument, name, f"is a {value.instrument!r} result, not {instrument!r}"
            )
        if value.total is None:
            raise InstrumentError(instrument, name, "has no total (missing items not prorated)")
        value = value.total
    try:
        checked = get(instrument).score_total(value).total
    except InstrumentError as exc:
        raise InstrumentError(instrument, name, str(exc).split(": ", 2)[-1]) from None
    assert checked is not None
    return checked


def _rci_inputs(
    instrument: str,
    spec: ChangeSpec,
    sd: float | None,
    r: float | None,
    sources: dict[str, str],
) -> tuple[float | None, float | None]:
    if sd is not None and (isinstance(sd, bool) or not sd > 0):
        raise InstrumentError(instrument, "sd", f"must be a positive number, got {sd!r}")
    if r is not None and (isinstance(r, bool) or not 0 < r < 1):
        raise InstrumentError(instrument, "r", f"must be between 0 and 1 (exclusive), got {r!r}")
    default = spec.rci
    sd_ = sd if sd is not None else (default.sd if default else None)
    r_ = r if r is not None else (default.r if default else None)
    if (sd_ is None) != (r_ is None):
        missing = "r" if r_ is None else "sd"
        raise InstrumentError(
            instrument, missing, "no default for this instrument; give both sd and r"
        )
    if sd_ is not None:
        if sd is None and r is None and default is not None:
            sources["rci"] = cite(default.source, default.verification)
        else:
            sources["rci"] = "Jacobson-Truax RCI with user-supplied SD and r (Blampied 2022) [V2]"
    return sd_, r_


def _threshold(
    instrument: str,
    name: Literal["response_percent", "response_points", "endpoint"],
    override: float | None,
    spec: ChangeSpec,
    sources: dict[str, str],
) -> float | None:
    if override is not None:
        if isinstance(override, bool) or not override >= 0:
            raise InstrumentError(instrument, name, f"must be a number >= 0, got {override!r}")
        sources[name] = "user-supplied threshold"
        return float(override)
    default = getattr(spec, name)
    if default is None or default.value is None:
        return None
    sources[name] = cite(default.source, default.verification)
    return float(default.value)


def _cutoff(
    instrument: str, cutoff: float | None, spec: ChangeSpec, sources: dict[str, str]
) -> float | None:
    """The remission cut-point: the instrument's own (range-checked) when it has one."""
    own = get(instrument).spec.cutoff
    if own is not None and spec.remission_below_cutoff is not None:
        lo, hi = own.allowed
        if cutoff is not None and (isinstance(cutoff, bool) or not lo <= cutoff <= hi):
            raise InstrumentError(
                instrument, "cutoff", f"must be between {lo:g} and {hi:g}, got {cutoff!r}"
            )
        rule = spec.remission_below_cutoff
        sources["remission_below_cutoff"] = cite(rule.source, rule.verification)
        return own.default if cutoff is None else float(cutoff)
    if cutoff is None:
        return None
    if isinstance(cutoff, bool) or not cutoff >= 0:
        raise InstrumentError(instrument, "cutoff", f"must be a number >= 0, got {cutoff!r}")
    sources["remission_below_cutoff"] = "user-supplied cut-point"
    return float(cutoff)
