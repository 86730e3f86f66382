"""``ptsdrx score-batch``: screen, score and rank a whole registry extract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    """Add ``score-batch`` and ``distill`` to the app."""
    app.command("score-batch")(score_batch_cmd)
    app.command("distill")(distill_cmd)


REGISTRY = "registry"
"""The SOURCE that means the configured registry (``PTSDRX_DATABASE_URL``)."""


def _registry_source(out: Path) -> Path:
    """A Parquet source of every registry record, written once into the sink (``_source``).

    One consistent read, audited as an export of every patient (``export_jsonl``); the
    records go through a temporary JSON-lines file inside the sink and into the columnar
    source layout (``ptsdrx.batch.write_source``), which is renamed into place only when
    complete. A resumed run reuses the snapshot it started from.
    """
    import os
    import shutil

    from ptsdrx.batch import write_source
    from ptsdrx.commands._common import open_registry
    from ptsdrx.records import PatientRecord

    snapshot = out / "_source"
    if snapshot.exists():
        return snapshot
    out.mkdir(parents=True, exist_ok=True)
    lines = out / ".registry.jsonl.tmp"
    partial = out / ".source.tmp"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with open(lines, "w", encoding="utf-8") as fh:
            open_registry().export_jsonl(fh)
        with open(lines, encoding="utf-8") as fh:
            write_source((PatientRecord.model_validate_json(line) for line in fh), partial)
        os.replace(partial, snapshot)
    finally:
        lines.unlink(missing_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
    return snapshot


def score_batch_cmd(
    source: Annotated[
        Path,
        typer.Argument(
            help="Parquet file/dataset directory, a JSONL of records, or 'registry' (every "
            "record of the configured registry, read once into the sink, audited as an export)."
        ),
    ],
    model: Annotated[Path, typer.Option("--model", help="Model directory (ptsdrx demo/train).")],
    out: Annotated[Path, typer.Option("--out", help="Output Parquet dataset directory.")],
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, tcp://host:port.")
    ] = None,
    chunk: Annotated[int, typer.Option("--chunk", min=1, help="Rows per partition.")] = 50_000,
    scorer: Annotated[
        str,
        typer.Option(
            "--scorer",
            help="exact: the model's own trees (as recommend); compact: the distilled scorer "
            "saved by 'ptsdrx distill' (refused unless it passes the fidelity gate).",
        ),
    ] = "exact",
    to_registry: Annotated[
        bool,
        typer.Option(
            "--to-registry",
            help="When the run is finished, also store each registered patient's result in the "
            "registry's recommendations table (once per run; audited).",
        ),
    ] = False,
) -> None:
    """Screen, score and rank every patient of SOURCE into a partitioned Parquet dataset.

    Resumable: finished partitions are skipped when the same run is started again.
    """
    if scorer not in ("exact", "compact"):
        typer.echo(f"error: --scorer must be exact or compact, got {scorer!r}", err=True)
        raise typer.Exit(2)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ptsdrx.batch import score_batch
    from ptsdrx.response import ModelLoadError

    console = Console(stderr=True)
    if str(source) == REGISTRY and not source.exists():
        source = _registry_source(out)
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
                scorer=scorer,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                announce=lambda link: console.print(f"Dask dashboard: {link}"),
            )
        except (ValueError, FileNotFoundError, ModelLoadError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(
        f"{report.rows:,} patients scored in {report.partitions} partitions "
        f"({report.skipped} already done), {report.rejected} rejected -> {report.sink}"
    )
    if to_registry:
        _publish(out, console)


def _publish(out: Path, console: Any) -> None:
    """``--to-registry``: the finished run into the configured registry's recommendations."""
    from rich.progress import Progress

    from ptsdrx.batch import publish
    from ptsdrx.commands._common import open_registry

    registry = open_registry()
    with Progress(console=console) as bar:
        task = bar.add_task("registry", total=None)
        report = publish(
            out,
            registry,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    typer.echo(
        f"registry: {report.written:,} recommendation(s) stored for run {report.batch_run} "
        f"({report.already:,} already stored, {report.unknown:,} patient(s) not in the registry)"
    )


def distill_cmd(
    model: Annotated[Path, typer.Argument(help="Model directory (ptsdrx demo/train).")],
    source: Annotated[
        Path,
        typer.Option(
            "--source",
            help="Rows to distil on: a score-batch Parquet source or a JSONL of records "
            "(the population to be scored).",
        ),
    ],
    rows: Annotated[
        int, typer.Option("--rows", min=100, help="At most this many rows (20% held out).")
    ] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
) -> None:
    """Distil the model into a small forest for 'score-batch --scorer compact'.

    Prints the held-out agreement with the full model and whether it passes the gate.
    """
    import json

    from ptsdrx.batch import GATE, distill
    from ptsdrx.batch._run import OUTCOME_DIR, plan_partitions, read_features
    from ptsdrx.response import ModelLoadError

    outcome = model / OUTCOME_DIR if (model / OUTCOME_DIR).is_dir() else model
    if not (outcome / "model.skops").exists():
        typer.echo(f"error: {model} holds no model (ptsdrx demo/train write one)", err=True)
        raise typer.Exit(2)
    if not source.exists():
        typer.echo(f"error: --source {source} does not exist", err=True)
        raise typer.Exit(2)
    try:
        from ptsdrx.response import load_model

        names = [str(c) for c in load_model(outcome).feature_names_in_]
        X = read_features(plan_partitions(source, rows), names, rows)
        path, fidelity = distill(outcome, X, max_rows=rows, random_state=seed)
    except (ValueError, FileNotFoundError, ModelLoadError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    verdict = "passes" if fidelity.passed else "FAILS (" + "; ".join(fidelity.failures) + ")"
    typer.echo(json.dumps(fidelity.values, indent=2))
    typer.echo(f"distilled scorer -> {path}; fidelity gate {GATE}: {verdict}")
    if not fidelity.passed:
        raise typer.Exit(1)
