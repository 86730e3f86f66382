"""FHIR verbs: ``ptsdrx fhir import BUNDLE.json`` and ``ptsdrx fhir export PATIENT_ID``.

``fhir.resources`` (pydantic models of every R4B resource) loads only when a verb runs.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from ptsdrx.commands._common import JsonOpt, echo_json, fail, open_registry, refusals

fhir_app = typer.Typer(help="HL7 FHIR R4 Bundles in and out of the registry.", no_args_is_help=True)


@fhir_app.command("import")
def fhir_import(
    bundle: Annotated[Path, typer.Argument(help="FHIR Bundle JSON file.", exists=True)],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Map and report only; store nothing.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse the Bundle if any element is not mapped.")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Record date (YYYY-MM-DD); default: Bundle.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import every patient of a Bundle in one transaction, listing what was not mapped."""
    from ptsdrx.fhir import BundleInvalidError, import_bundle, read_bundle

    try:
        day = None if as_of is None else date.fromisoformat(as_of)
    except ValueError:
        raise fail(f"--as-of must be YYYY-MM-DD, got {as_of!r}", 2) from None
    text = bundle.read_bytes()
    with refusals():  # registry refusals: exit 1; an invalid Bundle: exit 2, below
        try:
            if dry_run:
                result, ids = read_bundle(text, as_of=day), tuple[str, ...]()
            else:
                ids, result = import_bundle(open_registry(), text, as_of=day, strict=strict)
        except BundleInvalidError as exc:
            if as_json:
                echo_json({"imported": [], "errors": list(exc.errors)})
            raise fail(str(exc), 2) from exc
    if as_json:
        echo_json(
            {
                "imported": list(ids),
                "dry_run": dry_run,
                "unmapped": [u.to_dict() for u in result.unmapped],
            }
        )
        return
    typer.echo(result.summary())
    if not dry_run:
        typer.echo(f"stored {len(ids)} patient(s): {', '.join(ids)}")


@fhir_app.command("export")
def fhir_export(
    patient_id: Annotated[str, typer.Argument(help="Internal patient id.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
    screening: Annotated[
        bool, typer.Option(help="Include the screening as a RiskAssessment.")
    ] = True,
) -> None:
    """Export a patient's record, scores, sessions and screening as a FHIR Bundle (audited)."""
    from ptsdrx.fhir import export_patient

    with refusals():
        data = export_patient(open_registry(), patient_id, screening=screening)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output is None:
        typer.echo(text)
        return
    tmp = output.with_name(output.name + ".partial")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(output)
    typer.echo(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.add_typer(fhir_app, name="fhir")
