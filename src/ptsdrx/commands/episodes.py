"""``ptsdrx episode``: treatment episodes (start, end, list) in the registry."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from ptsdrx.commands._common import (
    JsonOpt,
    echo_json,
    open_registry,
    parse_day,
    refusals,
    text_of,
)

episode_app = typer.Typer(help="Treatment episodes: start, end, list.", no_args_is_help=True)


@episode_app.command("start")
def episode_start(
    patient_id: Annotated[str, typer.Argument(help="Internal patient id.")],
    treatment: Annotated[str, typer.Option(help="Catalog id, e.g. ketamine_iv, cpt.")],
    start: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today).")] = None,
    note: Annotated[str | None, typer.Option(help="Free text.")] = None,
) -> None:
    """Open a treatment episode; prints its id."""
    from ptsdrx.registry import start_episode

    reg = open_registry()
    with refusals():
        typer.echo(text_of(start_episode(reg, patient_id, treatment, parse_day(start), note)))


@episode_app.command("end")
def episode_end(
    episode_id: Annotated[int, typer.Argument(help="Episode id.")],
    status: Annotated[Literal["completed", "stopped"], typer.Option(help="How it ended.")],
    end: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today).")] = None,
    note: Annotated[str | None, typer.Option(help="e.g. why it was stopped.")] = None,
) -> None:
    """End an active episode."""
    from ptsdrx.registry import end_episode

    reg = open_registry()
    with refusals():
        typer.echo(text_of(end_episode(reg, episode_id, parse_day(end), status, note)))


@episode_app.command("list")
def episode_list(
    patient_id: Annotated[str, typer.Argument(help="Internal patient id.")],
    as_json: JsonOpt = False,
) -> None:
    """A patient's treatment episodes."""
    from ptsdrx.registry import episodes

    reg = open_registry()
    with refusals():
        found = episodes(reg, patient_id)
    if as_json:
        echo_json([e.to_dict() for e in found])
    else:
        for e in found:
            typer.echo(text_of(e))


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.add_typer(episode_app, name="episode")
