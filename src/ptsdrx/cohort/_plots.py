"""Pictures of a simulated cohort: trajectories per arm and the spread of true effects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ptsdrx._figures import new_figure, save

_WEEKS = (0, 4, 8, 12, 26, 52)


def plot_cohort(df: pd.DataFrame, path: str | Path, *, reference: str | None = None) -> Path:
    """Draw mean observed PCL-5 by week per arm, and the individual effects.

    The effects are the distribution of individual expected week-12 effects (``mu`` under each arm
    minus ``mu`` under ``reference``).

    ``reference`` defaults to ``waitlist`` when simulated, else the first arm.
    """
    from matplotlib import colormaps

    arms = [str(a) for a in df["arm"].cat.categories]
    ref = reference or ("waitlist" if "waitlist" in arms else arms[0])
    if ref not in arms:
        raise ValueError(f"reference must be a simulated arm ({', '.join(arms)}), got {ref!r}")
    fig = new_figure(15, 6.5)
    left, right = fig.subplots(1, 2)
    means = df.groupby("arm", observed=True)[[f"pcl5_w{w}" for w in _WEEKS]].mean()
    cmap = colormaps["tab20"]
    for i, arm in enumerate(arms):
        if arm in means.index:
            left.plot(_WEEKS, means.loc[arm].to_numpy(), marker="o", color=cmap(i), label=arm)
    left.axhline(33, color="0.5", linestyle=":", linewidth=1)
    left.set(
        xlabel="week", ylabel="mean observed PCL-5", title="Trajectories under the assigned arm"
    )
    left.set_xticks(_WEEKS)
    left.legend(fontsize=7, ncol=2)

    others = [a for a in arms if a != ref]
    effects = [
        (df[f"mu_pcl5_w12__{a}"] - df[f"mu_pcl5_w12__{ref}"]).to_numpy(dtype=float) for a in others
    ]
    order = np.argsort([np.median(e) for e in effects])
    right.violinplot([effects[i] for i in order], vert=False, showmedians=True)
    right.set_yticks(np.arange(1, len(others) + 1), [others[i] for i in order], fontsize=8)
    right.axvline(0, color="0.5", linewidth=1)
    right.set(
        xlabel=f"true expected week-12 PCL-5 difference vs {ref} (negative = better)",
        title="Heterogeneity of individual treatment effects",
    )
    fig.suptitle(f"Simulated cohort (n = {len(df):,}, design {df.attrs.get('design', '?')})")
    fig.tight_layout()
    return save(fig, path, dpi=100)
