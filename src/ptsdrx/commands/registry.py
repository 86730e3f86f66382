"""Registry verbs: ``db``, ``patient``, ``assess``, ``session`` and ``audit``.

The database is ``PTSDRX_DATABASE_URL`` (PostgreSQL in production), else a SQLite file under
``PTSDRX_DATA_DIR``; the acting user written to the audit log is ``PTSDRX_ACTOR`` (default:
the operating-system user). Dosing-session alerts use the site file ``PTSDRX_SITE_FILE``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ptsdrx.monitoring import (
    AdverseEvent,
    Dose,
    DosingSession,
    SessionIncompleteError,
    SessionReview,
    SessionVitals,
)
from ptsdrx.records import Administration, PatientRecord, format_validation_error

if TYPE_CHECKING:  # SQLAlchemy and pydantic-settings load only when a command runs (fast --help)
    from ptsdrx.registry import Registry, SessionStore
    from ptsdrx.settings import Settings

db_app = typer.Typer(help="Create, migrate and check the registry database.", no_args_is_help=True)
patient_app = typer.Typer(help="Patients in the registry.", no_args_is_help=True)
episode_app = typer.Typer(help="Treatment episodes: start, end, list.", no_args_is_help=True)
session_app = typer.Typer(
    help="Dosing sessions: start, vitals, doses, AEs, close.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
_MISSING = {"", "na", "-", "none", "null"}


def _err(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _settings() -> Settings:
    """The environment's settings (pydantic-settings loads only when a command needs them)."""
    from ptsdrx.settings import Settings

    return Settings()


def _registry() -> Registry:
    from ptsdrx.registry import Registry, RegistryError, make_engine

    settings = _settings()
    reg = Registry(make_engine(settings.resolved_database_url()), actor=settings.actor)
    try:
        reg.require_current_schema()
    except RegistryError as exc:
        raise _err(str(exc)) from exc
    return reg


def _store() -> SessionStore:
    from ptsdrx.registry import SessionStore

    return SessionStore(_registry(), site=_settings().site_file)


@contextmanager
def _refusals() -> Iterator[None]:
    """Turn refusals into a clear message and exit code 1 (2 for bad input)."""
    from ptsdrx.registry import RegistryError

    try:
        yield
    except ValidationError as exc:
        typer.echo("error: invalid input", err=True)
        typer.echo(format_validation_error(exc), err=True)
        raise typer.Exit(2) from exc
    except SessionIncompleteError as exc:
        raise _err(str(exc)) from exc
    except (RegistryError, ValueError) as exc:
        raise _err(str(exc)) from exc


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _when(text: str | None) -> datetime:
    """An ISO date-time from the command line; now (local, naive) when not given."""
    if text is None:
        return datetime.now().replace(microsecond=0)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _err(f"time must be ISO 8601 like 2026-01-05T09:30, got {text!r}", 2) from None


# --------------------------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(
    sql: Annotated[
        bool, typer.Option("--sql", help="Print the DDL for review instead of applying it.")
    ] = False,
) -> None:
    """Create the schema or migrate it to the newest revision."""
    from ptsdrx.registry import make_engine, schema_revision, upgrade_schema
    from ptsdrx.registry._migrate import upgrade_sql

    url = _settings().resolved_database_url()
    if sql:
        upgrade_sql(url, sys.stdout)
        return
    engine = make_engine(url)
    upgrade_schema(engine)
    typer.echo(f"database at revision {schema_revision(engine)} ({engine.url.render_as_string()})")


@db_app.command("check")
def db_check() -> None:
    """Check the database is at the newest revision and matches the models (alembic check)."""
    from ptsdrx.registry import check_schema, make_engine, schema_head, schema_revision

    engine = make_engine(_settings().resolved_database_url())
    at = schema_revision(engine)
    if at != schema_head():
        raise _err(f"database at {at or 'nothing'}, newest is {schema_head()}: run db upgrade")
    try:
        check_schema(engine)
    except Exception as exc:  # alembic's CommandError names the drift
        raise _err(f"schema drift: {exc}") from exc
    typer.echo(f"database at {at}; models and migrations agree")


# --------------------------------------------------------------------------- patients


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
) -> None:
    """Register a patient; identifiers are stored apart from clinical data. Prints the id."""
    from ptsdrx.registry import Identifiers

    reg = _registry()
    with _refusals():
        data = {} if record_file is None else json.loads(record_file.read_text(encoding="utf-8"))
        if patient_id is not None:
            data["patient_id"] = patient_id
        record = PatientRecord.model_validate(data)
        given = {"name": name, "date_of_birth": dob, "mrn": mrn, "contact": contact}
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

    reg = _registry()
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
            _echo_json({"imported": [], "rejected": [p.to_dict() for p in exc.problems]})
        raise _err(str(exc)) from exc
    except RegistryError as exc:
        raise _err(str(exc)) from exc
    if as_json:
        _echo_json(report.to_dict())
    else:
        typer.echo(report.summary())


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
        raise _err("give a PATIENT_ID or --all (not both)", 2)
    reg = _registry()
    if patient_id is not None:
        with _refusals():
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
        bool, typer.Option("--identifiers", help="Also show name, DOB, MRN, contact.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show a patient's record (identifiers only on request; both reads are audited)."""
    reg = _registry()
    with _refusals():
        record = reg.record(patient_id)
        ids = reg.identifiers(patient_id) if identifiers else None
    if as_json:
        out: dict[str, Any] = {"record": record.model_dump(mode="json", exclude_none=True)}
        if identifiers:
            out["identifiers"] = None if ids is None else ids.model_dump(mode="json")
        _echo_json(out)
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
    reg = _registry()
    with _refusals():
        found = reg.recommendations(patient_id)
    if as_json:
        _echo_json(found)
        return
    for r in found:
        typer.echo(f"{r['issued_at']} {r['issued_by']} model {r['model_version']} (id {r['id']})")


@patient_app.command("list")
def patient_list(
    limit: Annotated[int | None, typer.Option(help="At most this many.", min=1)] = None,
    as_json: JsonOpt = False,
) -> None:
    """List registered patients by internal id (no identifiers)."""
    reg = _registry()
    found = reg.patients(limit=limit)
    if as_json:
        _echo_json([p.to_dict() for p in found])
        return
    table = Table("patient_id", "as_of", "assessments", "registered (UTC)")
    for p in found:
        as_of = "-" if p.as_of is None else p.as_of.isoformat()
        table.add_row(p.patient_id, as_of, str(p.assessments), p.created_at)
    Console().print(table)


# ------------------------------------------------------------------------ assessments


def _criteria(given: list[str] | None) -> dict[str, bool] | None:
    if not given:
        return None
    out: dict[str, bool] = {}
    for item in given:
        name, _, value = item.partition("=")
        if value.lower() not in {"yes", "no", "true", "false"}:
            raise _err(f"--criterion must look like criterion_a=yes, got {item!r}", 2)
        out[name.strip()] = value.lower() in {"yes", "true"}
    return out


def _responses(text: str, option: str) -> list[int | None]:
    values: list[int | None] = []
    for i, token in enumerate(text.split(","), start=1):
        token = token.strip()
        if token.lower() in _MISSING:
            values.append(None)
            continue
        try:
            values.append(int(token))
        except ValueError:
            message = f"{option} item {i}: expected a whole number or '-', got {token!r}"
            raise _err(message, 2) from None
    return values


def assess(
    patient_id: Annotated[str, typer.Argument(help="Internal patient id.")],
    instrument: Annotated[str, typer.Argument(help="Instrument id, e.g. pcl5, phq9, cssrs.")],
    responses: Annotated[
        str | None,
        typer.Option(help="Item responses in order, comma-separated; '-' for a missing item."),
    ] = None,
    frequency: Annotated[
        str | None, typer.Option(help="CAPS-5 per-item frequency ratings, comma-separated.")
    ] = None,
    intensity: Annotated[
        str | None, typer.Option(help="CAPS-5 per-item intensity ratings, comma-separated.")
    ] = None,
    criterion: Annotated[
        list[str] | None,
        typer.Option(
            help="Interview criterion as NAME=yes|no (criterion_a, duration_over_1_month, "
            "distress_or_impairment); repeat."
        ),
    ] = None,
    total: Annotated[float | None, typer.Option(help="A total scored elsewhere.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default today).")] = None,
    by: Annotated[str | None, typer.Option(help="Who administered it.")] = None,
    context: Annotated[str | None, typer.Option(help="e.g. 'baseline', 'post session 2'.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score and store an administration; safety flags are shown first."""
    reg = _registry()
    with _refusals():
        adm = Administration.model_validate(
            {
                "instrument": instrument,
                "date": on or date.today().isoformat(),
                "responses": None if responses is None else _responses(responses, "--responses"),
                "frequency": None if frequency is None else _responses(frequency, "--frequency"),
                "intensity": None if intensity is None else _responses(intensity, "--intensity"),
                "criteria": _criteria(criterion),
                "total": total,
                "administered_by": by,
                "context": context,
            }
        )
        scores = reg.add_assessment(patient_id, adm)
    result = scores.get("score_result")
    if as_json:
        _echo_json(
            {
                "patient_id": patient_id,
                "administration": adm.model_dump(mode="json"),
                "score": result,
            }
        )
        return
    if result is None:
        typer.echo(f"stored {instrument} for {patient_id} (not an instrument ptsdrx scores)")
        return
    for flag, message in result.get("safety_messages", {}).items():
        typer.echo(f"SAFETY {flag}: {message}")
    band = f", {result['band']}" if result.get("band") else ""
    total_text = "n/a" if result.get("total") is None else f"{result['total']:g}"
    typer.echo(f"stored {instrument} for {patient_id}: total {total_text}{band}")


# --------------------------------------------------------------------------- episodes


def _day(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _err(f"date must look like 2026-01-05, got {text!r}", 2) from None


@episode_app.command("start")
def episode_start(
    patient_id: Annotated[str, typer.Argument(help="Internal patient id.")],
    treatment: Annotated[str, typer.Option(help="Catalog id, e.g. ketamine_iv, cpt.")],
    start: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today).")] = None,
    note: Annotated[str | None, typer.Option(help="Free text.")] = None,
) -> None:
    """Open a treatment episode; prints its id."""
    from ptsdrx.registry import start_episode

    reg = _registry()
    with _refusals():
        typer.echo(start_episode(reg, patient_id, treatment, _day(start), note).summary())


@episode_app.command("end")
def episode_end(
    episode_id: Annotated[int, typer.Argument(help="Episode id.")],
    status: Annotated[Literal["completed", "stopped"], typer.Option(help="How it ended.")],
    end: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today).")] = None,
    note: Annotated[str | None, typer.Option(help="e.g. why it was stopped.")] = None,
) -> None:
    """End an active episode."""
    from ptsdrx.registry import end_episode

    reg = _registry()
    with _refusals():
        typer.echo(end_episode(reg, episode_id, _day(end), status, note).summary())


@episode_app.command("list")
def episode_list(
    patient_id: Annotated[str, typer.Argument(help="Internal patient id.")],
    as_json: JsonOpt = False,
) -> None:
    """A patient's treatment episodes."""
    from ptsdrx.registry import episodes

    reg = _registry()
    with _refusals():
        found = episodes(reg, patient_id)
    if as_json:
        _echo_json([e.to_dict() for e in found])
    else:
        for e in found:
            typer.echo(e.summary())


# --------------------------------------------------------------------------- sessions


def _print_review(review: SessionReview, as_json: bool) -> None:
    if as_json:
        _echo_json(review.to_dict())
    else:
        typer.echo(review.summary())


def _bp(text: str | None) -> tuple[float | None, float | None]:
    if text is None:
        return None, None
    try:
        sys_text, dia_text = text.split("/")
        return float(sys_text), float(dia_text)
    except ValueError:
        raise _err(f"--bp must look like 150/90 (systolic/diastolic), got {text!r}", 2) from None


@session_app.command("start")
def session_start(
    patient_id: Annotated[str, typer.Argument(help="Internal patient id.")],
    treatment: Annotated[str, typer.Option(help="Catalog id, e.g. esketamine, ketamine_iv.")],
    phase: Annotated[
        Literal["preparation", "dosing", "integration"], typer.Option(help="Session phase.")
    ] = "dosing",
    start: Annotated[str | None, typer.Option(help="ISO start time (default now).")] = None,
    staff: Annotated[list[str] | None, typer.Option(help="Staff present (repeat).")] = None,
    note: Annotated[str | None, typer.Option(help="Free text.")] = None,
    episode: Annotated[int | None, typer.Option(help="Active episode it belongs to.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a session; prints its id and what is still required before it can close."""
    store = _store()
    with _refusals():
        session = DosingSession.model_validate(
            {
                "phase": phase,
                "treatment": treatment,
                "start": _when(start),
                "staff": tuple(staff or ()),
                "note": note,
            }
        )
        review = store.start(patient_id, session, episode_id=episode)
    if not as_json:
        typer.echo(f"session {review.session.session_id} started")
    _print_review(review, as_json)


@session_app.command("dose")
def session_dose(
    session_id: Annotated[str, typer.Argument(help="Session id.")],
    route: Annotated[str, typer.Option(help="oral, iv, im, intranasal, sublingual, other.")],
    amount_mg: Annotated[float | None, typer.Option("--mg", help="Dose in mg.")] = None,
    mg_per_kg: Annotated[float | None, typer.Option("--mg-per-kg", help="Dose in mg/kg.")] = None,
    at: Annotated[str | None, typer.Option(help="ISO time given (default now).")] = None,
    supplemental: Annotated[bool, typer.Option(help="A supplemental dose.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Record a dose given in a dosing session."""
    store = _store()
    with _refusals():
        dose = Dose.model_validate(
            {
                "given_at": _when(at),
                "amount_mg": amount_mg,
                "mg_per_kg": mg_per_kg,
                "route": route,
                "supplemental": supplemental,
            }
        )
        review = store.add_doses(session_id, dose)
    _print_review(review, as_json)


@session_app.command("vitals")
def session_vitals(
    session_id: Annotated[str, typer.Argument(help="Session id.")],
    at: Annotated[str | None, typer.Option(help="ISO time taken (default now).")] = None,
    bp: Annotated[str | None, typer.Option(help="Blood pressure, e.g. 150/90 mmHg.")] = None,
    hr: Annotated[float | None, typer.Option(help="Heart rate, beats/min.")] = None,
    spo2: Annotated[float | None, typer.Option(help="SpO2, %.")] = None,
    temp: Annotated[float | None, typer.Option(help="Temperature, °C.")] = None,
    cadss: Annotated[float | None, typer.Option(help="CADSS total (0–92).")] = None,
    by: Annotated[str | None, typer.Option(help="Who took the reading.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a vitals reading; prints every alert in force (rule, reading, source)."""
    store = _store()
    systolic, diastolic = _bp(bp)
    with _refusals():
        reading = SessionVitals.model_validate(
            {
                "taken_at": _when(at),
                "systolic": systolic,
                "diastolic": diastolic,
                "heart_rate": hr,
                "spo2": spo2,
                "temperature_c": temp,
                "cadss": cadss,
                "taken_by": by,
            }
        )
        review = store.add_vitals(session_id, reading)
    _print_review(review, as_json)


@session_app.command("ae")
def session_ae(
    session_id: Annotated[str, typer.Argument(help="Session id.")],
    term: Annotated[str, typer.Option(help="e.g. nausea, hypertension.")],
    severity: Annotated[Literal["mild", "moderate", "severe"], typer.Option(help="Severity.")],
    serious: Annotated[bool, typer.Option(help="A serious adverse event.")] = False,
    onset: Annotated[str | None, typer.Option(help="ISO onset time (default now).")] = None,
    action: Annotated[str | None, typer.Option(help="What was done.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an adverse event in a session."""
    store = _store()
    with _refusals():
        event = AdverseEvent.model_validate(
            {
                "term": term,
                "severity": severity,
                "serious": serious,
                "onset": _when(onset),
                "action": action,
            }
        )
        review = store.add_adverse_events(session_id, event)
    _print_review(review, as_json)


@session_app.command("show")
def session_show(
    session_id: Annotated[str, typer.Argument(help="Session id.")],
    as_json: JsonOpt = False,
) -> None:
    """Show a session with its alerts and what is still missing."""
    store = _store()
    with _refusals():
        review = store.review(session_id)
    _print_review(review, as_json)


@session_app.command("close")
def session_close(
    session_id: Annotated[str, typer.Argument(help="Session id.")],
    end: Annotated[str | None, typer.Option(help="ISO end time (default now).")] = None,
    aborted: Annotated[
        str | None, typer.Option(help="Close as aborted, saying why (no hard stop).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Close as complete; refused (exit 1) while required readings are missing, listing them."""
    store = _store()
    with _refusals():
        review = store.close(session_id, _when(end), aborted_note=aborted)
    _print_review(review, as_json)


# ------------------------------------------------------------------------------ audit


def audit(
    patient_id: Annotated[str, typer.Argument(help="Internal patient id.")],
    as_json: JsonOpt = False,
) -> None:
    """Every read and write of the patient's data: who, when, what (viewing it is audited)."""
    reg = _registry()
    with _refusals():
        entries = reg.audit_trail(patient_id)
    if as_json:
        _echo_json([e.to_dict() for e in entries])
        return
    for e in entries:
        typer.echo(e.summary())


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.add_typer(db_app, name="db")
    app.add_typer(patient_app, name="patient")
    app.add_typer(episode_app, name="episode")
    app.add_typer(session_app, name="session")
    app.command("assess")(assess)
    app.command("audit")(audit)
