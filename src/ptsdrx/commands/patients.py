"""``ptsdrx patient``: register, import, export, show and list patients in the registry.

Identifiers (name, date of birth, MRN, contact, postal code) are stored apart from clinical
data and shown only on request; every read and write is audited under ``PTSDRX_ACTOR``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ptsdrx.commands._common import JsonOpt, echo_json, fail, open_registry, refusals, text_of
from ptsdrx.records import PatientRecord

patient_app = typer.Typer(help="Patients in the registry.", no_args_is_help=True)


@patient_app.command("add")
def patient_add(
    record_file: Annotated[
        Path | None, typer.Argument(help="PatientRecord JSON file (default: an empty record).")
    ] = None,
    patient_id: Annotated[str | None, typer.Option("--id", help="Internal id to use.")] = None,
    name: Annotated[str | None, typer.Option(help="Full name (identifier).")] = None,
    dob: Annotated[str | None, typer.Option(help="Date of birth, YYYY-MM-DD.")] = None,
    mrn: Annotated[str | None, typer.Option(help="Medical record number.")] = None,
    contact: Annotated[str | None, typer.Option(help="Phone or e-mail.")] = None,
    postal_code: Annotated[str | None, typer.Option(help="Postal (ZIP) code.")] = None,
) -> None:
    """Register a patient; identifiers are stored apart from clinical data. Prints the id."""
    from ptsdrx.registry import Identifiers

    reg = open_registry()
    with refusals():
        data = {} if record_file is None else json.loads(record_file.read_text(encoding="utf-8"))
        if patient_id is not None:
            data["patient_id"] = patient_id
        record = PatientRecord.model_validate(data)
        given = {
            "name": name,
            "date_of_birth": dob,
            "mrn": mrn,
            "contact": contact,
            "postal_code": postal_code,
        }
        ids = Identifiers.model_validate(given) if any(given.values()) else None
        typer.echo(reg.add_patient(record, ids))


@patient_app.command("import")
def patient_import(
    path: Annotated[
        Path, typer.Argument(help="Directory of *.json records, a .jsonl file or a .json file.")
    ],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Keep the good records; list every bad one.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import records in one transaction: a bad record keeps nothing unless --skip-invalid."""
    from ptsdrx.registry import ImportRejectedError, RegistryError, import_path

    reg = open_registry()
    console = Console(stderr=True)
    columns = (
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("import", total=None)
            report = import_path(
                reg,
                path,
                skip_invalid=skip_invalid,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except ImportRejectedError as exc:
        if as_json:
            echo_json({"imported": [], "rejected": [p.to_dict() for p in exc.problems]})
        raise fail(str(exc)) from exc
    except RegistryError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        echo_json(report.to_dict())
    else:
        typer.echo(text_of(report))


@patient_app.command("export")
def patient_export(
    patient_id: Annotated[
        str | None, typer.Argument(help="Internal patient id (omit with --all).")
    ] = None,
    all_patients: Annotated[
        bool, typer.Option("--all", help="Every patient, as JSON lines (re-importable).")
    ] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
) -> None:
    """Export PatientRecord JSON (one patient) or JSON lines (--all); exports are audited."""
    if (patient_id is None) == (not all_patients):
        raise fail("give a PATIENT_ID or --all (not both)", 2)
    reg = open_registry()
    if patient_id is not None:
        with refusals():
            text = reg.export(patient_id)
        if output is None:
            typer.echo(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
            typer.echo(f"wrote {output}")
        return
    columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("export", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        if output is None:
            n = reg.export_jsonl(sys.stdout, progress=advance)
        else:
            tmp = output.with_name(output.name + ".partial")
            with tmp.open("w", encoding="utf-8") as fh:
                n = reg.export_jsonl(fh, progress=advance)
            tmp.replace(output)  # never leave a half-written export under the real name
    if output is not None:
        typer.echo(f"wrote {n} record(s) to {output}")


@patient_app.command("show")
def patient_show(
    patient_id: Annotated[str, typer.Argument(help="Internal patient id.")],
    identifiers: Annotated[
        bool, typer.Option("--identifiers", help="Also show name, DOB, MRN, contact, ZIP.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show a patient's record (identifiers only on request; both reads are audited)."""
    reg = open_registry()
    with refusals():
        record = reg.record(patient_id)
        ids = reg.identifiers(patient_id) if identifiers else None
    if as_json:
        out: dict[str, Any] = {"record": record.model_dump(mode="json", exclude_none=True)}
        if identifiers:
            out["identifiers"] = None if ids is None else ids.model_dump(mode="json")
        echo_json(out)
        return
    console = Console()
    console.print(f"[bold]{patient_id}[/bold]  as_of {record.as_of or 'unknown'}")
    if identifiers:
        console.print(f"identifiers: {ids.model_dump(mode='json') if ids else 'none recorded'}")
    for name in PatientRecord.model_fields:
        if name in {"schema_version", "patient_id", "as_of"}:
            continue
        value = getattr(record, name)
        if value is None:
            shown = "unknown"
        elif isinstance(value, list):
            shown = f"{len(value)} item(s)"
        else:
            shown = str(value) if isinstance(value, bool) else "recorded"
        console.print(f"  {name}: {shown}")
    if record.assessments:
        table = Table("date", "instrument", "responses", "total", "context")
        for a in sorted(record.assessments, key=lambda a: a.date):
            responses = "" if a.responses is None else f"{len(a.responses)} items"
            total = "" if a.total is None else f"{a.total:g}"
            table.add_row(a.date.isoformat(), a.instrument, responses, total, a.context or "")
        console.print(table)


@patient_app.command("recommendations")
def patient_recommendations(
    patient_id: Annotated[str, typer.Argument(help="Internal patient id.")],
    as_json: JsonOpt = False,
) -> None:
    """Recommendations issued for a patient: when, by whom, which model (full result in JSON)."""
    reg = open_registry()
    with refusals():
        found = reg.recommendations(patient_id)
    if as_json:
        echo_json(found)
        return
    for r in found:
        typer.echo(f"{r['issued_at']} {r['issued_by']} model {r['model_version']} (id {r['id']})")


@patient_app.command("list")
def patient_list(
    limit: Annotated[int | None, typer.Option(help="At most this many.", min=1)] = None,
    as_json: JsonOpt = False,
) -> None:
    """List registered patients by internal id (no identifiers)."""
    reg = open_registry()
    found = reg.patients(limit=limit)
    if as_json:
        echo_json([p.to_dict() for p in found])
        return
    table = Table("patient_id", "as_of", "assessments", "registered (UTC)")
    for p in found:
        as_of = "-" if p.as_of is None else p.as_of.isoformat()
        table.add_row(p.patient_id, as_of, str(p.assessments), p.created_at)
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.add_typer(patient_app, name="patient")
