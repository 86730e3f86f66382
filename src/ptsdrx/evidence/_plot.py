"""Forest plot of a :class:`Synthesis`: each study, the pooled estimate, published syntheses."""

from __future__ import annotations

import math
from pathlib import Path

from scipy.stats import norm

from ptsdrx._figures import new_figure, save
from ptsdrx.evidence._synthesis import Synthesis

_Z95 = float(norm.ppf(0.975))


def forest_plot(synthesis: Synthesis, path: str | Path) -> Path:
    """Draw ``synthesis`` as a forest plot (PNG or SVG by suffix), written atomically.

    Studies are squares sized by their random-effects weight with 95% CIs; our pooled
    estimate is a filled diamond, a published synthesis a hollow one (CI when reported).
    """
    out = Path(path)
    if out.suffix.lower() not in {".png", ".svg"}:
        raise ValueError(f"plot path must end in .png or .svg, got {out.name!r}")
    rows: list[tuple[str, float, float | None, float | None, str, float]] = []
    for p in synthesis.pooled:
        weights = p.weights or (1.0,) * len(p.trials)
        for tid, est, var, w in zip(
            p.trials, p.study_estimates or (), p.study_variances or (), weights, strict=False
        ):
            half = _Z95 * math.sqrt(var)
            rows.append((f"{tid} vs {p.control}", est, est - half, est + half, "study", w))
        if p.method == "random_effects_dl":
            name = f"pooled vs {p.control} (DL, k={p.k}, I²={100 * (p.i2 or 0):.0f}%)"
            rows.append((name, p.estimate, p.ci_low, p.ci_high, "pooled", 1.0))
    for p in synthesis.published:
        label = f" [{p.label}]" if p.label else ""
        name = f"{p.trials[0]} vs {p.control} (published, k={p.k}){label} [{p.verification}]"
        rows.append((name, p.estimate, p.ci_low, p.ci_high, "published", 1.0))
    fig = new_figure(8.5, 1.2 + 0.45 * max(len(rows), 1))
    ax = fig.subplots()
    if not rows:
        ax.text(0.5, 0.5, "no quantitative evidence", ha="center", va="center")
        ax.set_axis_off()
    for i, (_, est, lo, hi, kind, w) in enumerate(rows):
        y = len(rows) - 1 - i
        if lo is not None and hi is not None:
            ax.plot([lo, hi], [y, y], color="black", lw=1)
        if kind == "study":
            ax.plot(est, y, "s", color="tab:blue", markersize=5 + 10 * w)
        else:
            lo_, hi_ = (lo, hi) if lo is not None and hi is not None else (est - 0.03, est + 0.03)
            ax.fill(
                [lo_, est, hi_, est],
                [y, y + 0.25, y, y - 0.25],
                facecolor="tab:red" if kind == "pooled" else "none",
                edgecolor="tab:red",
            )
    if rows:
        ax.axvline(0, color="grey", lw=0.8, ls="--")
        ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)], fontsize=8)
        ax.set_xlabel("standardised mean difference (positive = better than control)")
        ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.set_title(f"{synthesis.treatment}: PTSD evidence")
    fig.tight_layout()
    return save(fig, out, dpi=120)
