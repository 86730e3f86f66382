"""``ptsdrx audit``: every read and write of a patient's data (viewing it is audited too)."""

from __future__ import annotations

from typing import Annotated

import typer

from ptsdrx.commands._common import JsonOpt, echo_json, open_registry, refusals, text_of


def audit(
    patient_id: Annotated[str, typer.Argument(help="Internal patient id.")],
    as_json: JsonOpt = False,
) -> None:
    """Every read and write of the patient's data: who, when, what (viewing it is audited)."""
    reg = open_registry()
    with refusals():
        entries = reg.audit_trail(patient_id)
    if as_json:
        echo_json([e.to_dict() for e in entries])
        return
    for e in entries:
        typer.echo(text_of(e))


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("audit")(audit)
