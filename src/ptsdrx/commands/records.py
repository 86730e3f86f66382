"""``ptsdrx schema`` and ``ptsdrx validate``: the patient record on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from ptsdrx.records import PatientRecord, format_validation_error


def schema(
    kind: Annotated[
        str, typer.Argument(help="Which schema: 'patient', or 'rules' (the rules file).")
    ] = "patient",
) -> None:
    """Print the JSON Schema of a record type or of the screening rules file."""
    if kind == "rules":
        from ptsdrx.screening import rules_schema

        typer.echo(json.dumps(rules_schema(), indent=2))
        return
    if kind != "patient":
        typer.echo(f"error: unknown schema {kind!r}; allowed: patient, rules", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(PatientRecord.model_json_schema(), indent=2))


def validate(
    path: Annotated[Path, typer.Argument(help="PatientRecord JSON file.", exists=True)],
) -> None:
    """Validate a patient JSON file; list every problem with its field."""
    try:
        record = PatientRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        typer.echo(f"{path}: invalid patient record", err=True)
        typer.echo(format_validation_error(exc), err=True)
        raise typer.Exit(1) from exc
    parts = [
        name
        for name in PatientRecord.model_fields
        if name not in {"schema_version", "patient_id", "as_of"}
        and getattr(record, name) is not None
    ]
    typer.echo(f"{path}: valid (parts present: {', '.join(parts) or 'none'})")
    from ptsdrx.vocabulary import record_warnings

    for warning in record_warnings(record):
        typer.echo(f"warning: {warning}")


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("schema")(schema)
    app.command("validate")(validate)
