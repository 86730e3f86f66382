"""``ptsdrx session``: dosing sessions (start, dose, vitals, adverse events, show, close).

Alerts use the site file ``PTSDRX_SITE_FILE``; a session closes as complete only when every
required reading is recorded (the REMS-style hard stop), else it is refused, listing them.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from ptsdrx.commands._common import (
    JsonOpt,
    echo_json,
    fail,
    open_store,
    parse_when,
    refusals,
    text_of,
)
from ptsdrx.monitoring import (
    Dose,
    DosingSession,
    SessionAdverseEvent,
    SessionReview,
    SessionVitals,
)

session_app = typer.Typer(
    help="Dosing sessions: start, vitals, doses, AEs, close.", no_args_is_help=True
)


def _print_review(review: SessionReview, as_json: bool) -> None:
    if as_json:
        echo_json(review.to_dict())
    else:
        typer.echo(text_of(review))


def _bp(text: str | None) -> tuple[float | None, float | None]:
    if text is None:
        return None, None
    try:
        sys_text, dia_text = text.split("/")
        return float(sys_text), float(dia_text)
    except ValueError:
        raise fail(f"--bp must look like 150/90 (systolic/diastolic), got {text!r}", 2) from None


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
    store = open_store()
    with refusals():
        session = DosingSession.model_validate(
            {
                "phase": phase,
                "treatment": treatment,
                "start": parse_when(start),
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
    store = open_store()
    with refusals():
        dose = Dose.model_validate(
            {
                "given_at": parse_when(at),
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
    store = open_store()
    systolic, diastolic = _bp(bp)
    with refusals():
        reading = SessionVitals.model_validate(
            {
                "taken_at": parse_when(at),
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
    store = open_store()
    with refusals():
        event = SessionAdverseEvent.model_validate(
            {
                "term": term,
                "severity": severity,
                "serious": serious,
                "onset": parse_when(onset),
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
    store = open_store()
    with refusals():
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
    store = open_store()
    with refusals():
        review = store.close(session_id, parse_when(end), aborted_note=aborted)
    _print_review(review, as_json)


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.add_typer(session_app, name="session")
