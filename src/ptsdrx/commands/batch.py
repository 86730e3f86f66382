"""``ptsdrx score-batch``: screen, score and rank a whole registry extract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``score-batch`` to the app."""
    app.command("score-batch")(score_batch_cmd)


def score_batch_cmd(
    source: Annotated[
        Path, typer.Argument(help="Parquet file/dataset directory, or a JSONL of records.")
    ],
    model: Annotated[Path, typer.Option("--model", help="Model directory (ptsdrx demo/train).")],
    out: Annotated[Path, typer.Option("--out", help="Output Parquet dataset directory.")],
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, tcp://host:port.")
    ] = None,
    chunk: Annotated[int, typer.Option("--chunk", min=1, help="Rows per partition.")] = 50_000,
) -> None:
    """Screen, score and rank every patient of SOURCE into a partitioned Parquet dataset.

    Resumable: finished partitions are skipped when the same run is started again.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ptsdrx.batch import score_batch

    console = Console(stderr=True)
    if not source.exists():
        typer.echo(f"error: source {source} does not exist", err=True)
        raise typer.Exit(2)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=scheduler is not None and not console.is_terminal,
    ) as bar:
        task = bar.add_task("partitions", total=None)
        try:
            report = score_batch(
                source,
                out,
                model,
                scheduler=scheduler,
                chunk=chunk,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                announce=lambda link: console.print(f"Dask dashboard: {link}"),
            )
        except (ValueError, FileNotFoundError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(
        f"{report.rows:,} patients scored in {report.partitions} partitions "
        f"({report.skipped} already done), {report.rejected} rejected -> {report.sink}"
    )
