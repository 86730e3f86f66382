"""``ptsdrx instruments`` and ``ptsdrx score``: validated questionnaires on the command line."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ptsdrx.commands._common import parse_responses, text_of
from ptsdrx.instruments import (
    CAPS5,
    Instrument,
    InstrumentError,
    InstrumentResult,
    UnknownInstrumentError,
    cite,
    get,
    instruments,
)


def list_instruments(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the validated instruments: id, name, items, range, LOINC codes."""
    rows: list[dict[str, Any]] = []
    for name, inst in instruments().items():
        spec = inst.spec
        rng = inst.total_range()
        rows.append(
            {
                "id": name,
                "name": spec.name,
                "items": spec.items,
                "item_range": [spec.item_min, inst.item_max()],
                "total_range": None if rng is None else list(rng),
                "options": list(inst.options()),
                "loinc": {role: c.code for role, c in spec.loinc.items()},
                "source": cite(spec.source, spec.verification),
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="ptsdrx instruments")
    for column in ("id", "name", "items", "item range", "total range", "LOINC"):
        table.add_column(column)
    for row in rows:
        lo, hi = row["item_range"]
        total = "—" if row["total_range"] is None else "{:g}–{:g}".format(*row["total_range"])
        loinc = ", ".join(f"{k} {v}" for k, v in row["loinc"].items()) or "—"
        table.add_row(row["id"], row["name"], str(row["items"]), f"{lo}–{hi}", total, loinc)
    Console().print(table)


def score(
    instrument: Annotated[
        str, typer.Argument(help="Instrument id, e.g. pcl5 (see 'instruments').")
    ],
    responses: Annotated[
        str | None,
        typer.Option(
            "--responses", "-r", help="Item responses in order, comma-separated; empty = missing."
        ),
    ] = None,
    total: Annotated[
        float | None, typer.Option("--total", help="A total scored elsewhere (no items).")
    ] = None,
    frequency: Annotated[
        str | None, typer.Option("--frequency", help="CAPS-5: per-item frequency ratings 0–4.")
    ] = None,
    intensity: Annotated[
        str | None, typer.Option("--intensity", help="CAPS-5: per-item intensity ratings 0–4.")
    ] = None,
    criterion_a: Annotated[
        bool | None,
        typer.Option("--criterion-a/--no-criterion-a", help="CAPS-5: Criterion A met."),
    ] = None,
    duration: Annotated[
        bool | None,
        typer.Option(
            "--duration-over-1-month/--no-duration-over-1-month",
            help="CAPS-5: Criterion F (duration > 1 month).",
        ),
    ] = None,
    distress: Annotated[
        bool | None,
        typer.Option(
            "--distress-or-impairment/--no-distress-or-impairment",
            help="CAPS-5: Criterion G (distress or impairment).",
        ),
    ] = None,
    cutoff: Annotated[
        float | None, typer.Option("--cutoff", help="PCL-5 cut-point (31–33; default 33).")
    ] = None,
    max_missing: Annotated[
        int | None,
        typer.Option("--max-missing", help="Prorate up to N missing items (default: refuse)."),
    ] = None,
    max_item_score: Annotated[
        int | None, typer.Option("--max-item-score", help="CADSS: highest item value ([U]).")
    ] = None,
    moderate: Annotated[
        str | None,
        typer.Option("--moderate", help="C-SSRS: answers that mean moderate risk, e.g. q3."),
    ] = None,
    low: Annotated[
        str | None, typer.Option("--low", help="C-SSRS: answers that mean low risk, e.g. q1,q2.")
    ] = None,
    crisis_message: Annotated[
        str | None, typer.Option("--crisis-message", help="Text attached to safety flags.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score one administration of an instrument."""
    options: dict[str, Any] = {
        "cutoff": cutoff,
        "max_missing": max_missing,
        "max_item_score": max_item_score,
        "moderate": None if moderate is None else tuple(moderate.split(",")),
        "low": None if low is None else tuple(low.split(",")),
        "crisis_message": crisis_message,
    }
    criteria = {
        "criterion_a": criterion_a,
        "duration_over_1_month": duration,
        "distress_or_impairment": distress,
    }
    try:
        inst = get(instrument, **{k: v for k, v in options.items() if v is not None})
        result = _score(inst, responses, total, frequency, intensity, criteria)
    except (InstrumentError, UnknownInstrumentError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        typer.echo(text_of(result))


def _score(
    inst: Instrument,
    responses: str | None,
    total: float | None,
    frequency: str | None,
    intensity: str | None,
    criteria: dict[str, bool | None],
) -> InstrumentResult:
    """Dispatch to items, ratings (CAPS-5) or a recorded total; exactly one must be given."""
    ratings = frequency is not None or intensity is not None
    if sum((responses is not None, total is not None, ratings)) != 1:
        raise InstrumentError(
            inst.id, "responses", "give exactly one of --responses, --total or --frequency"
        )
    given = {k: v for k, v in criteria.items() if v is not None}
    if not isinstance(inst, CAPS5):
        if ratings or given:
            raise InstrumentError(
                inst.id, "options", "frequency/intensity/criteria are CAPS-5 only"
            )
        return (
            inst.score(parse_responses(responses))
            if responses is not None
            else inst.score_total(total)
        )
    if total is not None:
        return inst.score_total(total)
    if ratings:
        if frequency is None or intensity is None:
            raise InstrumentError(inst.id, "intensity", "give both --frequency and --intensity")
        return inst.score_ratings(parse_responses(frequency), parse_responses(intensity), **given)
    assert responses is not None
    return inst.score(parse_responses(responses), **given)


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("instruments")(list_instruments)
    app.command("score")(score)
