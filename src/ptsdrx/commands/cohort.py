"""``ptsdrx simulate``: write a synthetic cohort, or print the simulator's calibration."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from ptsdrx.commands._common import fail, text_of

if TYPE_CHECKING:  # pandas and the simulator load only when a command runs (fast --help)
    import pandas as pd

    from ptsdrx.cohort._simulate import Design

_PROGRESS_FROM = 200_000
"""Show a progress bar from this many patients on."""


def _write(frame: pd.DataFrame, out: Path) -> None:
    """Write parquet or CSV atomically: a temporary file in the same folder, then rename."""
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if out.suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def simulate_command(
    n: Annotated[int | None, typer.Option("--n", help="Number of patients.")] = None,
    design: Annotated[str, typer.Option(help="randomized or observational.")] = "randomized",
    seed: Annotated[int, typer.Option(help="Random seed (same seed -> same cohort).")] = 0,
    arms: Annotated[
        str | None, typer.Option(help="Comma-separated arm ids (default: all for the design).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output file, .parquet or .csv.", dir_okay=False)
    ] = None,
    calibration: Annotated[
        bool,
        typer.Option("--calibration-report", help="Print simulated vs published trial aggregates."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Calibration report as JSON.")] = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            help="Draw a PNG: the calibration report, or the cohort's trajectories and effects.",
            dir_okay=False,
        ),
    ] = None,
    n_per_trial: Annotated[
        int, typer.Option(help="Simulated patients per trial in the calibration report.")
    ] = 20_000,
) -> None:
    """Simulate a synthetic PTSD cohort with known potential outcomes, or check calibration."""
    from ptsdrx.cohort import DESIGNS, calibration_report, plot_cohort, simulate

    if calibration:
        try:
            report = calibration_report(n_per_trial=n_per_trial, random_state=seed)
        except ValueError as exc:
            raise fail(str(exc), 2) from exc
        typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else text_of(report))
        if plot is not None:
            report.plot(plot)
            if not as_json:
                typer.echo(f"plot written to {plot}")
        raise typer.Exit(0 if report.passed else 1)
    if n is None or out is None:
        raise fail("give --n N and --out FILE.parquet (or --calibration-report)", 2)
    if design not in DESIGNS:
        raise fail(f"--design must be one of {', '.join(DESIGNS)}, got {design!r}", 2)
    if out.suffix not in {".parquet", ".csv"}:
        raise fail(f"--out must end in .parquet or .csv, got {out.name!r}", 2)
    if not out.parent.exists():
        raise fail(f"--out folder {out.parent} does not exist", 2)
    arm_list = [a.strip() for a in arms.split(",")] if arms else None
    try:
        if n >= _PROGRESS_FROM:
            frame = _with_progress(n, cast("Design", design), arm_list, seed)
        else:
            frame = simulate(n, design=cast("Design", design), arms=arm_list, random_state=seed)
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
    _write(frame, out)
    typer.echo(
        f"wrote {len(frame)} patients x {frame.shape[1]} columns ({design}, seed {seed}, "
        f"{len(frame.attrs['arms'])} arms) to {out}"
    )
    if plot is not None:
        plot_cohort(frame, plot)
        typer.echo(f"plot written to {plot}")


def _with_progress(n: int, design: Design, arms: list[str] | None, seed: int) -> pd.DataFrame:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ptsdrx.cohort import simulate

    console = Console(stderr=True)
    with Progress(
        "simulating", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("simulate", total=n)
        return simulate(
            n,
            design=design,
            arms=arms,
            random_state=seed,
            progress=lambda done, total: bar.update(task, completed=done),
        )


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("simulate")(simulate_command)
