"""Report figures: predicted outcome per option, and the PCL-5 trajectory.

Figures use matplotlib's object API through :mod:`ptsdrx._figures` (no backend switching)
and are returned as SVG text so the HTML stays one self-contained file and the PDF stays
sharp. Reference lines come from ``data/figures.yaml``, each with its source.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from pydantic import Field

from ptsdrx._datafiles import Frozen, Sourced, load, packaged
from ptsdrx._figures import new_figure, to_svg
from ptsdrx.recommend import Recommendation

STATUS_COLOURS = {
    "recommended": "#1b7837",
    "alternative": "#2166ac",
    "not preferred": "#8c8c8c",
    "trial only": "#b35806",
    "needs information": "#d6a300",
    "excluded": "#b2182b",
    "contraindicated": "#67001f",
    "hold": "#762a83",
}


class Band(Sourced):
    """A shaded range on a figure (e.g. the probable-PTSD cut-off band)."""

    low: float = Field(ge=0, le=80)
    high: float = Field(ge=0, le=80)
    label: str


class Line(Sourced):
    """A reference line on a figure."""

    value: float = Field(ge=0, le=80)
    label: str


class ReferenceLines(Frozen):
    """The reference lines file."""

    pcl5_probable_ptsd_band: Band
    pcl5_clinically_significant_endpoint: Line


@cache
def reference_lines() -> ReferenceLines:
    """The reference lines file (cut-offs drawn on the figures, with sources)."""
    return load(ReferenceLines, packaged("ptsdrx.reports", "figures.yaml"))


def _cutoffs(ax: Any, horizontal: bool) -> None:
    ref = reference_lines()
    band = ref.pcl5_probable_ptsd_band
    endpoint = ref.pcl5_clinically_significant_endpoint
    span = ax.axhspan if horizontal else ax.axvspan
    line = ax.axhline if horizontal else ax.axvline
    span(band.low, band.high, color="#fdb863", alpha=0.35, lw=0, label=band.label)
    line(endpoint.value, color="#5e3c99", ls=":", lw=1.2, label=endpoint.label)


def outcome_figure(rec: Recommendation, baseline: float | None) -> str | None:
    """Predicted week-12 PCL-5 with its interval for each option, coloured by status."""
    rows = [o for o in rec.options if o.prediction is not None]
    if not rows:
        return None
    fig = new_figure(7.0, 0.34 * len(rows) + 1.3)
    ax = fig.subplots()
    _cutoffs(ax, horizontal=False)
    if baseline is not None:
        ax.axvline(baseline, color="black", lw=1, label=f"baseline PCL-5 ({baseline:.0f})")
    for y, o in enumerate(reversed(rows)):
        p = o.prediction
        assert p is not None
        colour = STATUS_COLOURS[o.status]
        if p.interval is not None:
            ax.plot(p.interval, [y, y], color=colour, lw=2.2, solid_capstyle="butt")
        marker = "o" if p.source == "model" else "D"
        face = colour if p.source == "model" else "white"
        ax.plot([p.expected_pcl5], [y], marker=marker, ms=6, mec=colour, mfc=face, ls="none")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{o.name} ({o.status_label})" for o in reversed(rows)], fontsize=8)
    ax.set_xlim(0, 80)
    ax.set_xlabel("predicted PCL-5 at week 12 (lower is better)")
    ax.plot([], [], "o", color="grey", label="model")
    ax.plot([], [], "D", mec="grey", mfc="white", label="published-trial prior")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return to_svg(fig)


def trajectory_figure(points: list[tuple[date, float, str | None]]) -> str | None:
    """PCL-5 totals over time; drawn only when there are repeated measures."""
    if len(points) < 2:
        return None
    import matplotlib.dates as mdates

    fig = new_figure(7.0, 2.6)
    ax = fig.subplots()
    _cutoffs(ax, horizontal=True)
    days = [float(mdates.date2num(d)) for d, _, _ in points]
    totals = [t for _, t, _ in points]
    ax.plot(days, totals, "-o", color="#2166ac")
    for x, (_, t, label) in zip(days, points, strict=True):
        if label:
            ax.annotate(label, (x, t), textcoords="offset points", xytext=(0, 6), fontsize=7)
    locator = mdates.AutoDateLocator(maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_ylim(0, 80)
    ax.set_ylabel("PCL-5 total")
    ax.legend(fontsize=7, loc="lower left", frameon=False)
    ax.grid(alpha=0.3)
    return to_svg(fig)
