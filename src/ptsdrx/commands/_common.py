"""What every verb shares: errors and exit codes, JSON output, patient files, argument parsing.

Exit codes: 1 for a refusal (the input was understood and refused, or a file holds an invalid
record), 2 for input the command cannot read (a malformed option). Nothing heavy is imported
at module level (``tests/test_cli_startup.py``): SQLAlchemy and pydantic-settings load inside
:func:`open_registry` and :func:`settings`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from ptsdrx._datafiles import describe
from ptsdrx._results import fixed

if TYPE_CHECKING:
    from rich.table import Table

    from ptsdrx.demo import DemoPolicy
    from ptsdrx.records import PatientRecord
    from ptsdrx.registry import Registry, SessionStore
    from ptsdrx.response import PolicyRow
    from ptsdrx.settings import Settings

__all__ = [
    "JsonOpt",
    "PatientArg",
    "echo_json",
    "fail",
    "load_patient",
    "open_registry",
    "open_store",
    "parse_day",
    "parse_responses",
    "parse_when",
    "policy_table",
    "refusals",
    "settings",
    "text_of",
]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
PatientArg = Annotated[Path, typer.Argument(help="PatientRecord JSON file.", exists=True)]

#: Tokens of a comma-separated response list that mean "no response to this item".
MISSING_TOKENS = frozenset({"", "na", "-", "none", "null"})


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` to stderr; return the exit to raise (``raise fail(...)``)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def policy_table(rows: Sequence[PolicyRow | DemoPolicy], default: str, title: str) -> Table:
    """The treatment-policy comparison as a rich table: the default named, gains signed.

    Doubly robust value and gain over the one-size open arm with their intervals, the share
    switched away from it, and the true regret where the truth is known; never ``-0``.
    """
    from rich.table import Table

    table = Table(
        title=title,
        caption="gain > 0: better than giving every patient the open arm with the best "
        "training average (one_size)",
    )
    columns = ("policy", "value (DR) [CI]", "gain vs one-size [CI]", "switched", "true regret")
    for column in columns:
        table.add_column(column, justify="left" if column == "policy" else "right")
    for r in rows:
        table.add_row(
            f"{r.policy} (default)" if r.policy == default else r.policy,
            f"{fixed(r.value, 2)} [{fixed(r.lo, 2)}, {fixed(r.hi, 2)}]",
            f"{fixed(r.gain_vs_one_size, sign=True)} "
            f"[{fixed(r.gain_lo, sign=True)}, {fixed(r.gain_hi, sign=True)}]",
            "—" if r.switched is None else f"{r.switched:.0%}",
            "—" if r.true_regret is None else fixed(r.true_regret),
        )
    return table


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (dates and other values as their text)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def text_of(result: Any) -> str:
    """A result's text rendering: ``to_text()`` for typed results, else its text ``summary()``."""
    render = getattr(result, "to_text", None)
    return str(render() if callable(render) else result.summary())


def load_patient(path: Path) -> PatientRecord:
    """Read a ``PatientRecord`` JSON file; exit 1 with every invalid field named."""
    from ptsdrx.records import PatientRecord

    try:
        return PatientRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        typer.echo(f"{path}: invalid patient record", err=True)
        typer.echo(describe(exc), err=True)
        raise typer.Exit(1) from exc


def parse_responses(text: str) -> list[Any]:
    """Split ``'0,1,-,2'`` into item responses: integers (or numbers), ``None`` for missing.

    A token that is not a number is kept as given, so the instrument's own check names the
    item and what it allows (``'gad7: item 7: must be a whole number 0–3'``).
    """
    values: list[Any] = []
    for token in text.split(","):
        token = token.strip()
        if token.lower() in MISSING_TOKENS:
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


def parse_when(text: str | None, option: str = "time") -> datetime:
    """An ISO date-time from the command line; now (local, naive, whole seconds) if not given."""
    if text is None:
        return datetime.now().replace(microsecond=0)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} must be ISO 8601 like 2026-01-05T09:30, got {text!r}", 2) from None


def parse_day(text: str | None, option: str = "date") -> date:
    """A ``YYYY-MM-DD`` date from the command line; today if not given."""
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{option} must look like 2026-01-05, got {text!r}", 2) from None


def settings() -> Settings:
    """The environment's settings (pydantic-settings loads only when a command needs them)."""
    from ptsdrx.settings import Settings

    return Settings()


def open_registry(actor: str | None = None) -> Registry:
    """The registry in the settings, at the newest schema; ``actor`` defaults to the settings'."""
    from ptsdrx.registry import Registry, RegistryError

    config = settings()
    try:
        reg = Registry.connect(config.resolved_database_url(), actor=actor or config.actor)
        reg.require_current_schema()
    except RegistryError as exc:
        raise fail(str(exc)) from exc
    return reg


def open_store() -> SessionStore:
    """The dosing-session store on the registry, with the settings' site file."""
    from ptsdrx.registry import SessionStore

    return SessionStore(open_registry(), site=settings().site_file)


@contextmanager
def refusals() -> Iterator[None]:
    """Turn refusals into a clear message: exit 2 for invalid input, 1 for a refusal."""
    from ptsdrx.registry import RegistryError

    try:
        yield
    except ValidationError as exc:
        typer.echo("error: invalid input", err=True)
        typer.echo(describe(exc), err=True)
        raise typer.Exit(2) from exc
    except (RegistryError, ValueError) as exc:
        raise fail(str(exc)) from exc
