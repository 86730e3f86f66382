"""``ptsdrx timeline``: a patient's trajectory, relapse and follow-up suggestions.

The patient comes from the registry (by internal id) or from a ``PatientRecord`` JSON file;
with a file, dosing sessions can be given as a JSON list with ``--sessions``.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from ptsdrx.instruments import InstrumentError
from ptsdrx.monitoring import (
    ConfigError,
    DosingSession,
    plot_timeline,
    suggest,
    trajectory,
)
from ptsdrx.records import PatientRecord, format_validation_error


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _from_registry(patient_id: str, actor: str) -> tuple[PatientRecord, Sequence[DosingSession]]:
    from ptsdrx.registry import Registry, RegistryError
    from ptsdrx.registry._sessions import SessionStore
    from ptsdrx.settings import Settings

    try:
        reg = Registry.connect(Settings().resolved_database_url(), actor=actor)
        reg.require_current_schema()
        return reg.record(patient_id), SessionStore(reg).for_patient(patient_id)
    except RegistryError as exc:
        raise _fail(str(exc)) from exc


def _from_files(path: Path, sessions: Path | None) -> tuple[PatientRecord, Sequence[DosingSession]]:
    try:
        record = PatientRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise _fail(f"{path}: invalid patient record\n{format_validation_error(exc)}") from exc
    found: Sequence[DosingSession] = ()
    if sessions is not None:
        try:
            found = TypeAdapter(list[DosingSession]).validate_json(
                sessions.read_text(encoding="utf-8")
            )
        except ValidationError as exc:
            raise _fail(
                f"{sessions}: invalid dosing sessions\n{format_validation_error(exc)}"
            ) from exc
    return record, found


def timeline(
    patient: Annotated[
        str, typer.Argument(help="Registry patient id, or a PatientRecord JSON file.")
    ],
    instrument: Annotated[str, typer.Option(help="Instrument to follow.")] = "pcl5",
    since: Annotated[
        str | None, typer.Option(help="Treatment start (YYYY-MM-DD); baseline on or before it.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Write the timeline picture here (PNG, PDF or SVG).")
    ] = None,
    sessions: Annotated[
        Path | None,
        typer.Option(help="Dosing sessions JSON list (with a record file).", exists=True),
    ] = None,
    site: Annotated[
        Path | None, typer.Option(help="Site settings YAML (followup section).", exists=True)
    ] = None,
    actor: Annotated[
        str | None, typer.Option(help="Who is reading (audit log); default $PTSDRX_ACTOR/user.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a patient's trajectory with response, remission, relapse and suggestions."""
    path = Path(patient)
    if path.suffix.lower() == ".json" or path.is_file():
        if not path.is_file():
            raise _fail(f"{path}: no such file")
        record, found = _from_files(path, sessions)
    else:
        if sessions is not None:
            raise _fail("--sessions is only for a record file; the registry has the sessions", 2)
        who = actor or os.environ.get("PTSDRX_ACTOR") or getpass.getuser()
        record, found = _from_registry(patient, who)
    try:
        start = None if since is None else date.fromisoformat(since)
    except ValueError as exc:
        raise _fail(f"--since must be a date YYYY-MM-DD, got {since!r}", 2) from exc
    try:
        traj = trajectory(record, instrument, since=start, site=site)
        plan = suggest(record, found, instrument=instrument, site=site)
    except (InstrumentError, ConfigError) as exc:
        raise _fail(str(exc)) from exc
    if plot is not None:
        plot_timeline(traj, found, plot)
    if as_json:
        payload = {"trajectory": traj.to_dict(), "suggestions": plan.to_dict()["suggestions"]}
        if plot is not None:
            payload["plot"] = str(plot)
        typer.echo(json.dumps(payload, indent=2))
        return
    typer.echo(traj.summary())
    dosing = [s for s in found if s.phase.value == "dosing"]
    typer.echo(f"  sessions: {len(found)} ({len(dosing)} dosing)")
    typer.echo(plan.summary())
    if plot is not None:
        typer.echo(f"timeline picture written to {plot}")


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("timeline")(timeline)
