"""``ptsdrx timeline`` and ``ptsdrx relapse``: follow-up of one patient, relapse across many.

``timeline`` reads the patient from the registry (by internal id) or a ``PatientRecord``
JSON file (dosing sessions then come as a JSON list with ``--sessions``). ``relapse`` fits
time to relapse across the registry, or from a relapse table CSV. The registry, the acting
user (audit log) and the site file come from the settings (``PTSDRX_DATABASE_URL``,
``PTSDRX_ACTOR``, ``PTSDRX_SITE_FILE``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from ptsdrx._datafiles import describe
from ptsdrx.commands._common import JsonOpt, fail, load_patient, open_registry, settings, text_of
from ptsdrx.instruments import InstrumentError
from ptsdrx.monitoring import (
    ConfigError,
    Course,
    DosingSession,
    plot_timeline,
    relapse_survival,
    relapse_table_from_patients,
    suggest,
    trajectory,
)
from ptsdrx.records import PatientRecord

if TYPE_CHECKING:
    from ptsdrx.registry import Registry


SiteOpt = Annotated[
    Path | None,
    typer.Option(
        help="Site settings YAML (followup section); default $PTSDRX_SITE_FILE.", exists=True
    ),
]
ActorOpt = Annotated[
    str | None, typer.Option(help="Who is reading (audit log); default $PTSDRX_ACTOR or user.")
]


def _from_registry(
    patient_id: str, actor: str | None
) -> tuple[PatientRecord, Sequence[DosingSession]]:
    from ptsdrx.registry import RegistryError, SessionStore

    reg = open_registry(actor)
    try:
        return reg.record(patient_id), SessionStore(reg).for_patient(patient_id)
    except RegistryError as exc:
        raise fail(str(exc)) from exc


def _from_files(path: Path, sessions: Path | None) -> tuple[PatientRecord, Sequence[DosingSession]]:
    record = load_patient(path)
    found: Sequence[DosingSession] = ()
    if sessions is not None:
        try:
            found = TypeAdapter(list[DosingSession]).validate_json(
                sessions.read_text(encoding="utf-8")
            )
        except ValidationError as exc:
            raise fail(f"{sessions}: invalid dosing sessions\n{describe(exc)}") from exc
    return record, found


def timeline(
    patient: Annotated[
        str, typer.Argument(help="Registry patient id, or a PatientRecord JSON file.")
    ],
    instrument: Annotated[str, typer.Option(help="Instrument to follow.")] = "pcl5",
    since: Annotated[
        str | None,
        typer.Option(
            help="Treatment start (YYYY-MM-DD); baseline is on or before it. Default: the "
            "first complete dosing session, else the first assessment."
        ),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Write the timeline picture here (PNG, PDF or SVG).")
    ] = None,
    sessions: Annotated[
        Path | None,
        typer.Option(help="Dosing sessions JSON list (with a record file).", exists=True),
    ] = None,
    site: SiteOpt = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a patient's trajectory with response, remission, relapse and suggestions."""
    try:
        start = None if since is None else date.fromisoformat(since)
    except ValueError as exc:
        raise fail(f"--since must be a date YYYY-MM-DD, got {since!r}", 2) from exc
    path = Path(patient)
    if path.suffix.lower() == ".json" or path.is_file():
        if not path.is_file():
            raise fail(f"{path}: no such file")
        record, found = _from_files(path, sessions)
    else:
        if sessions is not None:
            raise fail("--sessions is only for a record file; the registry has the sessions", 2)
        record, found = _from_registry(patient, actor)
    dosed = sorted(s.start.date() for s in found if s.phase == "dosing" and s.status == "complete")
    if start is None and dosed:
        start = dosed[0]
    rules = site or settings().site_file
    try:
        traj = trajectory(record, instrument, since=start, site=rules)
        plan = suggest(record, found, instrument=instrument, site=rules)
    except (InstrumentError, ConfigError) as exc:
        raise fail(str(exc)) from exc
    if plot is not None:
        plot_timeline(traj, found, plot)
    if as_json:
        payload = {"trajectory": traj.to_dict(), "suggestions": plan.to_dict()["suggestions"]}
        if plot is not None:
            payload["plot"] = str(plot)
        typer.echo(json.dumps(payload, indent=2))
        return
    typer.echo(text_of(traj))
    dosing = [s for s in found if s.phase.value == "dosing"]
    typer.echo(f"  sessions: {len(found)} ({len(dosing)} dosing)")
    typer.echo(text_of(plan))
    if plot is not None:
        typer.echo(f"timeline picture written to {plot}")


def _registry_patients(
    reg: Registry,
) -> Iterator[tuple[PatientRecord, Sequence[DosingSession] | Course]]:
    """Each patient with their first treatment episode, else their dosing sessions."""
    from rich.progress import Progress

    from ptsdrx.registry import SessionStore, episodes

    store = SessionStore(reg)
    listed = reg.patients()
    with Progress(transient=True) as progress:
        task = progress.add_task("reading patients", total=len(listed))
        for summary in listed:
            pid = summary.patient_id
            courses = episodes(reg, pid)
            given: Sequence[DosingSession] | Course = (
                Course(courses[0].treatment, courses[0].started_on)
                if courses
                else store.for_patient(pid)
            )
            yield reg.record(pid), given
            progress.advance(task)


def relapse(
    table: Annotated[
        Path | None,
        typer.Option(
            help="Relapse table CSV (treatment, days, relapsed) instead of the registry.",
            exists=True,
        ),
    ] = None,
    instrument: Annotated[str, typer.Option(help="Instrument followed.")] = "pcl5",
    reference: Annotated[
        str | None, typer.Option(help="Treatment the hazard ratios compare with.")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write Kaplan–Meier curves here.")] = None,
    site: SiteOpt = None,
    actor: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Time to relapse after response or remission, per treatment (Kaplan–Meier and Cox).

    From the registry, a patient's treatment is their first treatment episode, else their
    first complete dosing session.
    """
    import pandas as pd

    if table is not None:
        frame = pd.read_csv(table, comment="#")
    else:
        reg = open_registry(actor)
        rules = site or settings().site_file
        try:
            frame = relapse_table_from_patients(
                _registry_patients(reg), instrument=instrument, site=rules
            )
        except (InstrumentError, ConfigError) as exc:
            raise fail(str(exc)) from exc
    try:
        result = relapse_survival(frame, reference=reference)
    except (KeyError, ValueError) as exc:
        raise fail(str(exc).strip("'\"")) from exc
    if plot is not None:
        result.plot(str(plot))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    typer.echo(text_of(result))
    if plot is not None:
        typer.echo(f"Kaplan–Meier picture written to {plot}")


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("timeline")(timeline)
    app.command("relapse")(relapse)
