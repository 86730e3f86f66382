"""The timeline picture: a trajectory with its thresholds and session markers.

Its cut-point, response, remission, relapse and dosing-session markers (matplotlib object API
through ``ptsdrx._figures``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ptsdrx._figures import new_figure, save
from ptsdrx.monitoring._sessions import DosingSession, Phase
from ptsdrx.monitoring._trajectory import Trajectory

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_PHASE_STYLE = {
    Phase.dosing: ("tab:purple", "-", 1.2),
    Phase.preparation: ("tab:gray", ":", 0.8),
    Phase.integration: ("tab:olive", "--", 0.8),
}


def plot_timeline(
    traj: Trajectory,
    sessions: Sequence[DosingSession] = (),
    path: str | Path | None = None,
) -> Figure:
    """Draw a trajectory; save it to ``path`` (PNG/PDF/SVG by suffix) when given.

    Scores are joined by a line; the cut-point is a dashed horizontal line; first response
    (triangle), first remission (star) and relapse (cross) are marked; each session is a
    vertical line coloured by phase (dosing sessions labelled with the treatment).
    """
    from matplotlib.dates import date2num

    fig = new_figure(10, 4.5)
    ax = fig.add_subplot()
    known = [p for p in traj.points if p.total is not None]
    if known:
        ax.plot(
            date2num([p.date for p in known]),
            [p.total or 0.0 for p in known],
            "o-",
            color="tab:blue",
            label=f"{traj.instrument} total",
        )
    if traj.baseline is not None and traj.baseline.total is not None:
        ax.plot(
            date2num([traj.baseline.date]),
            [traj.baseline.total],
            "s",
            color="tab:blue",
            ms=9,
            label="baseline",
        )
    if traj.cutpoint is not None:
        ax.axhline(
            traj.cutpoint, color="tab:red", ls="--", lw=1, label=f"cut-point {traj.cutpoint:g}"
        )
    by_date = {p.date: p.total for p in known}
    for when, marker, colour, name, size in (
        (traj.first_response, "^", "tab:green", "first response", 18),
        (traj.first_remission, "*", "gold", "first remission", 12),
        (None if traj.relapse is None else traj.relapse.date, "X", "tab:red", "relapse", 14),
    ):
        if when is not None and by_date.get(when) is not None:
            ax.plot(
                date2num([when]),
                [by_date[when] or 0.0],
                marker,
                color=colour,
                ms=size,
                mec="black",
                label=name,
                zorder=5,
            )
    labelled: set[tuple[Phase, str]] = set()
    for s in sorted(sessions, key=lambda s: s.start):
        colour, style, width = _PHASE_STYLE[s.phase]
        key = (s.phase, s.treatment)
        label: str | None = None if key in labelled else f"{s.phase.value} ({s.treatment})"
        labelled.add(key)
        ax.axvline(
            float(date2num(s.start.date())),
            color=colour,
            ls=style,
            lw=width,
            alpha=0.8,
            label=label,
        )
    for p in known:
        if p.flags:
            ax.annotate(
                "safety flag",
                (float(date2num(p.date)), p.total or 0.0),
                textcoords="offset points",
                xytext=(0, 10),
                ha="center",
                fontsize=7,
                color="tab:red",
            )
    ax.xaxis_date()
    ax.set_ylabel(f"{traj.instrument} total")
    ax.set_xlabel("date")
    ax.set_title(f"{traj.patient_id or 'patient'}: {traj.instrument} trajectory")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.autofmt_xdate()
    fig.tight_layout()
    if path is not None:
        save(fig, path, dpi=120)
    return fig
