"""``ptsdrx assess``: score an instrument administration and store it in the registry."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from ptsdrx.commands._common import (
    JsonOpt,
    echo_json,
    fail,
    open_registry,
    parse_responses,
    refusals,
)
from ptsdrx.records import Administration


def _criteria(given: list[str] | None) -> dict[str, bool] | None:
    if not given:
        return None
    out: dict[str, bool] = {}
    for item in given:
        name, _, value = item.partition("=")
        if value.lower() not in {"yes", "no", "true", "false"}:
            raise fail(f"--criterion must look like criterion_a=yes, got {item!r}", 2)
        out[name.strip()] = value.lower() in {"yes", "true"}
    return out


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
    reg = open_registry()
    with refusals():
        adm = Administration.model_validate(
            {
                "instrument": instrument,
                "date": on or date.today().isoformat(),
                "responses": None if responses is None else parse_responses(responses),
                "frequency": None if frequency is None else parse_responses(frequency),
                "intensity": None if intensity is None else parse_responses(intensity),
                "criteria": _criteria(criterion),
                "total": total,
                "administered_by": by,
                "context": context,
            }
        )
        scores = reg.add_assessment(patient_id, adm)
    result = scores.get("score_result")
    if as_json:
        echo_json(
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


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("assess")(assess)
