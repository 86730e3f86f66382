"""Export verbs: ``ptsdrx export research OUT_DIR`` (de-identified, HIPAA Safe Harbor).

The pseudonym secret comes from ``--secret-file`` or ``PTSDRX_RESEARCH_SECRET`` (at least
16 bytes; keep it: the same secret makes re-exports link). It is never written to the export.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import typer

from ptsdrx.commands._common import JsonOpt, echo_json, fail, open_registry

export_app = typer.Typer(help="De-identified exports of the registry.", no_args_is_help=True)
SECRET_ENV = "PTSDRX_RESEARCH_SECRET"


@export_app.command("research")
def research(
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the Parquet tables into.")],
    secret_file: Annotated[
        Path | None, typer.Option(help=f"File with the pseudonym secret (else ${SECRET_ENV}).")
    ] = None,
    dates: Annotated[
        str, typer.Option(help="'year' (Safe Harbor) or 'shift' (per-patient offset).")
    ] = "year",
    key_file: Annotated[
        Path | None, typer.Option(help="Where the date-shift offsets go (outside OUT_DIR).")
    ] = None,
    k: Annotated[
        int | None, typer.Option(min=2, help="Suppress patients in classes smaller than k.")
    ] = None,
    require_consent: Annotated[
        bool, typer.Option(help="Only patients with consent.research_use true.")
    ] = True,
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty OUT_DIR.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write de-identified Parquet tables, a data dictionary and a k-anonymity report (audited)."""
    from ptsdrx.research import export_research

    if secret_file is not None:
        secret = secret_file.read_bytes().strip()
    else:
        secret = os.environ.get(SECRET_ENV, "").encode()
    if len(secret) < 16:
        raise fail(f"give a pseudonym secret of >= 16 bytes (--secret-file or ${SECRET_ENV})", 2)
    if dates not in ("year", "shift"):
        raise fail(f"--dates must be 'year' or 'shift', got {dates!r}", 2)
    mode: Literal["year", "shift"] = "year" if dates == "year" else "shift"
    try:
        result = export_research(
            open_registry(),
            out_dir,
            secret=secret,
            dates=mode,
            key_file=key_file,
            k=k,
            require_consent=require_consent,
            overwrite=overwrite,
        )
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
    if as_json:
        echo_json(result.to_dict())
    else:
        typer.echo(result.summary())


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.add_typer(export_app, name="export")
