"""``ptsdrx train`` and ``ptsdrx validate-model``: fit, save and validate response models.

``validate`` is taken by record validation, so model validation is ``validate-model``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ptsdrx.commands._common import policy_table

if TYPE_CHECKING:
    import pandas as pd

_console = Console(stderr=True)


def _read_cohort(path: Path) -> pd.DataFrame:
    """A cohort frame from parquet or CSV (as written by ``ptsdrx simulate``)."""
    import pandas as pd

    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    typer.echo(f"error: {path}: cohort must be .parquet or .csv", err=True)
    raise typer.Exit(2)


def _outcome(df: pd.DataFrame, column: str, path: Path) -> pd.DataFrame:
    """Rows with an observed outcome and arm; a missing column names what exists."""
    for needed in (column, "arm"):
        if needed not in df.columns:
            shown = ", ".join(c for c in df.columns if c.startswith(("pcl5_", "remission")))
            typer.echo(
                f"error: {path}: no column {needed!r}; outcome columns present: {shown}", err=True
            )
            raise typer.Exit(2)
    return df[df[column].notna() & df["arm"].notna()].reset_index(drop=True)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=_console
    )


def train(
    cohort: Annotated[Path, typer.Argument(help="Cohort .parquet/.csv with 'arm'.", exists=True)],
    out: Annotated[Path, typer.Option("--out", help="Model directory to write.")],
    outcome: Annotated[str, typer.Option(help="Outcome column, e.g. pcl5_w12.")] = "pcl5_w12",
    fast: Annotated[bool, typer.Option(help="Fewer trees: quicker, less accurate.")] = False,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing directory.")] = False,
) -> None:
    """Fit a multi-arm treatment-response model on a cohort and save it (skops + manifest)."""
    from ptsdrx.features import SCHEMA, from_cohort
    from ptsdrx.response import TreatmentResponseModel, save_model, training_hash

    if out.exists() and not overwrite:
        typer.echo(f"error: {out} exists; pass --overwrite to replace it", err=True)
        raise typer.Exit(2)
    df = _outcome(_read_cohort(cohort), outcome, cohort)
    with _progress() as progress:
        task = progress.add_task(f"features for {len(df):,} patients", total=None)
        X = from_cohort(df)
        y, t = df[outcome].to_numpy(dtype=float), df["arm"].astype(str).to_numpy()
        progress.update(task, description=f"cross-fitting learners ({df['arm'].nunique()} arms)")
        model = TreatmentResponseModel(fast=fast, random_state=seed).fit(y, t, X=X)
        progress.update(task, description="saving")
        save_model(
            model,
            out,
            schema=SCHEMA,
            data_hash=training_hash(y, t, X),
            metrics={"outcome": outcome, "n_train": len(df), "source": str(cohort)},
            overwrite=overwrite,
        )
    typer.echo(f"model written to {out} (arms: {', '.join(map(str, model.arms_))})")


def validate_model(
    model_dir: Annotated[Path, typer.Argument(help="Model directory.", exists=True)],
    cohort: Annotated[Path, typer.Argument(help="Held-out cohort .parquet/.csv.", exists=True)],
    outcome: Annotated[str, typer.Option(help="Outcome column.")] = "pcl5_w12",
    report: Annotated[Path | None, typer.Option(help="Write an HTML report here.")] = None,
    policy_figure: Annotated[
        Path | None, typer.Option(help="Write the treatment-policy figure here (PNG).")
    ] = None,
) -> None:
    """Validate a saved model on data it was not fitted on; uses known truth when simulated.

    Prints the metrics, then every candidate treatment policy side by side (doubly robust value
    and gain over the one-size open arm, true regret when the cohort is simulated).
    """
    import base64

    from ptsdrx.features import from_cohort
    from ptsdrx.response import load_model, validate

    model = load_model(model_dir)
    df = _outcome(_read_cohort(cohort), outcome, cohort)
    truth_cols = {f"mu_{outcome}__{a}": str(a) for a in model.arms_}
    truth = (
        df[list(truth_cols)].rename(columns=truth_cols)
        if all(c in df.columns for c in truth_cols)
        else None
    )
    with _progress() as progress:
        progress.add_task(f"validating on {len(df):,} held-out patients", total=None)
        result = validate(
            model,
            from_cohort(df),
            df[outcome].to_numpy(dtype=float),
            df["arm"].astype(str),
            truth=truth,
            figures=report is not None or policy_figure is not None,
        )
    typer.echo(result.to_text(policies=False))
    if result.policies is not None:
        title = f"Treatment policies (default {result.policies.default}; n = {result.policies.n})"
        Console().print(policy_table(result.policies.rows, result.policies.default, title))
    if report is not None:
        report.write_text(result.to_html(), encoding="utf-8")
        typer.echo(f"report written to {report}")
    if policy_figure is not None:
        policy_figure.write_bytes(base64.b64decode(result.figures["policies"]))
        typer.echo(f"policy figure written to {policy_figure}")


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("train")(train)
    app.command("validate-model")(validate_model)
