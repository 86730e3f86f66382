"""``ptsdrx instruments`` and ``ptsdrx score``: validated questionnaires on the command line."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ptsdrx.instruments import InstrumentError, UnknownInstrumentError, get, instruments

_MISSING = {"", "na", "-", "none", "null"}


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
                "source": f"{spec.source.strip()} {spec.verification}",
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


def _parse(text: str) -> list[Any]:
    """Split ``'0,1,,2'``: integers, empty/'na'/'-' as missing, anything else kept for the error."""
    values: list[Any] = []
    for token in text.split(","):
        token = token.strip()
        if token.lower() in _MISSING:
            values.append(None)
            continue
        try:
            values.append(int(token))
        except ValueError:
            try:
                values.append(float(token))
            except ValueError:
                values.append(token)
    return values


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
    cutoff: Annotated[
        float | None, typer.Option("--cutoff", help="PCL-5 cut-point (31–33; default 33).")
    ] = None,
    max_missing: Annotated[
        int | None,
        typer.Option("--max-missing", help="Prorate up to N missing items (default: refuse)."),
    ] = None,
    crisis_message: Annotated[
        str | None, typer.Option("--crisis-message", help="Text attached to safety flags.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score one administration of an instrument."""
    options: dict[str, Any] = {"max_missing": max_missing, "crisis_message": crisis_message}
    if cutoff is not None:
        options["cutoff"] = cutoff
    try:
        inst = get(instrument, **{k: v for k, v in options.items() if v is not None})
        if (responses is None) == (total is None):
            raise InstrumentError(
                instrument, "responses", "give exactly one of --responses or --total"
            )
        result = inst.score(_parse(responses)) if responses is not None else inst.score_total(total)
    except (InstrumentError, UnknownInstrumentError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        typer.echo(result.summary())


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("instruments")(list_instruments)
    app.command("score")(score)
