"""The patient trajectory chart: PCL-5 and PHQ-9 over time, thresholds, episodes as bands.

Drawn with matplotlib's object API through :mod:`ptsdrx._figures` and inlined as SVG, so
the page needs no image route and no JavaScript. Every threshold line is read from the
instrument data (PCL-5 cut-off, response and clinically meaningful change from the
baseline; PHQ-9 cut-point from the follow-up rules).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache

from ptsdrx._figures import new_figure, to_svg
from ptsdrx.instruments import get
from ptsdrx.monitoring import load_followup_rules, trajectory
from ptsdrx.records import PatientRecord
from ptsdrx.registry import Episode

_EPISODE_COLOURS = ("#cfe2f3", "#d9ead3", "#fce5cd", "#ead1dc", "#fff2cc")


def _series(record: PatientRecord, instrument: str) -> list[tuple[date, float]]:
    out = []
    for adm in record.administrations(instrument):
        total = adm.total
        if total is None and adm.responses is not None:
            try:
                total = get(instrument).score(adm.responses).total
            except ValueError:
                total = None
        if total is not None:
            out.append((adm.date, float(total)))
    return out


def _baseline(
    record: PatientRecord, episodes: Sequence[Episode], pcl: list[tuple[date, float]]
) -> float:
    """The PCL-5 the change lines start from.

    The monitoring baseline for the latest episode (the last total on or before its start), else the
    first total.
    """
    since = max((e.started_on for e in episodes), default=None)
    base = trajectory(record, "pcl5", since=since).baseline
    return base.total if base is not None and base.total is not None else pcl[0][1]


def _thresholds() -> tuple[float, float | None, float | None, float | None]:
    spec = get("pcl5").spec
    cutoff = float(spec.cutoff.default) if spec.cutoff is not None else 33.0
    change = spec.change
    percent = None
    points = None
    if change is not None:
        if change.response_percent is not None and change.response_percent.value is not None:
            percent = float(change.response_percent.value)
        if change.response_points is not None and change.response_points.value is not None:
            points = float(change.response_points.value)
    phq = load_followup_rules().cutpoints.get("phq9")
    return cutoff, percent, points, (None if phq is None else phq.value)


def has_trajectory(record: PatientRecord) -> bool:
    """Whether the record has a PCL-5 or PHQ-9 total to draw (cheap: nothing is drawn)."""
    return bool(_series(record, "pcl5") or _series(record, "phq9"))


def trajectory_svg(record: PatientRecord, episodes: Sequence[Episode] = ()) -> str | None:
    """The chart as SVG text, or ``None`` when neither PCL-5 nor PHQ-9 has a total."""
    pcl, phq = _series(record, "pcl5"), _series(record, "phq9")
    if not pcl and not phq:
        return None
    bands = tuple((e.treatment, e.started_on, e.ended_on) for e in episodes)
    return _drawn(tuple(pcl), tuple(phq), bands, _baseline(record, episodes, pcl) if pcl else 0.0)


@lru_cache(maxsize=512)
def _drawn(
    pcl: tuple[tuple[date, float], ...],
    phq: tuple[tuple[date, float], ...],
    bands: tuple[tuple[str, date, date | None], ...],
    base: float,
) -> str:
    """The SVG for these numbers (cached: drawing costs far more than the page around it)."""
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ptsdrx"}):
        return _draw(list(pcl), list(phq), bands, base)


def _draw(
    pcl: list[tuple[date, float]],
    phq: list[tuple[date, float]],
    bands: tuple[tuple[str, date, date | None], ...],
    base: float,
) -> str:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    cutoff, percent, points, phq_cut = _thresholds()
    fig = new_figure(10.0, 4.6)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    days = [d for d, _ in pcl + phq]
    first, last = min(days), max(days)
    for _, started, _ in bands:
        last = max(last, started)
    last = max(last, first + timedelta(days=14))
    for i, (treatment, started, ended) in enumerate(bands):
        colour = _EPISODE_COLOURS[i % len(_EPISODE_COLOURS)]
        for ax in (top, bottom):
            ax.axvspan(started, ended or last, color=colour, alpha=0.8, lw=0)
        top.text(started, 79, f" {treatment}", va="top", fontsize=8, color="#333")
    if pcl:
        top.plot([d for d, _ in pcl], [v for _, v in pcl], "o-", color="#0b4f8a", label="PCL-5")
        top.axhline(
            cutoff, ls="--", color="#8a1010", lw=1, label=f"probable PTSD cut-off {cutoff:g}"
        )
        if percent is not None:
            top.axhline(
                base * (1 - percent / 100),
                ls=":",
                color="#135c2a",
                lw=1.2,
                label=f"response: {percent:g}% below baseline",
            )
        if points is not None:
            top.axhline(
                base - points,
                ls="-.",
                color="#5c4100",
                lw=1,
                label=f"clinically meaningful change: {points:g} points",
            )
    top.set_ylim(0, 80)
    top.set_ylabel("PCL-5 (0-80)")
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    if phq:
        bottom.plot([d for d, _ in phq], [v for _, v in phq], "s-", color="#6a1b9a", label="PHQ-9")
    if phq_cut is not None:
        bottom.axhline(
            phq_cut, ls="--", color="#8a1010", lw=1, label=f"PHQ-9 cut-point {phq_cut:g}"
        )
    bottom.set_ylim(0, 27)
    bottom.set_ylabel("PHQ-9 (0-27)")
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    locator = AutoDateLocator(maxticks=7)
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    svg = to_svg(fig)
    svg = svg[svg.find("<svg") :]  # drop the XML prolog and DOCTYPE for inlining
    return re.sub(r"<svg ", '<svg role="img" aria-labelledby="chart-title" ', svg, count=1)
