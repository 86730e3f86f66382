"""``ptsdrx screen`` and ``ptsdrx screen-rules``: contraindication screening on the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ptsdrx.records import PatientRecord, format_validation_error
from ptsdrx.screening import (
    STATUSES,
    RuleFileError,
    RuleSet,
    ScreeningResult,
    SiteConfig,
    apply_site,
    load_rules,
    load_site,
    screen,
)

_STYLE = {
    "contraindicated": "bold red",
    "excluded": "red",
    "hold": "bold red",
    "needs_information": "yellow",
    "caution": "magenta",
    "eligible": "green",
}


def _site(path: Path | None) -> SiteConfig | None:
    if path is None:
        return None
    try:
        return load_site(path)
    except RuleFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _table(result: ScreeningResult) -> Table:
    title = f"Screening of {result.patient_id or 'patient'} as of {result.as_of.isoformat()}"
    if result.site:
        title += f" (site: {result.site})"
    table = Table(title=title, show_lines=True)
    for column in ("treatment", "status", "why"):
        table.add_column(column)
    for status in STATUSES:
        for tid in result.by_status(status):
            ts = result.per_treatment[tid]
            why = [f"{r.effect}: {r.rationale} ({r.id} {r.verification})" for r in ts.fired]
            why += [
                f"unknown {r.effect} ({r.id}): needs {', '.join(r.missing)}" for r in ts.unknown
            ]
            status_cell = f"[{_STYLE[status]}]{escape(ts.status_text())}[/]"
            table.add_row(tid, status_cell, escape("\n".join(why) or "—"))
    return table


def screen_command(
    patient: Annotated[Path, typer.Argument(help="PatientRecord JSON file.", exists=True)],
    site: Annotated[
        Path | None, typer.Option("--site", help="Site YAML: tighter thresholds, local rules.")
    ] = None,
    treatment: Annotated[
        list[str] | None,
        typer.Option("--treatment", "-t", help="Screen only this treatment id (repeatable)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Screen a patient for contraindications: per treatment, status and every rule's outcome."""
    try:
        record = PatientRecord.model_validate_json(patient.read_text(encoding="utf-8"))
    except ValidationError as exc:
        typer.echo(f"{patient}: invalid patient record", err=True)
        typer.echo(format_validation_error(exc), err=True)
        raise typer.Exit(1) from exc
    config = _site(site)
    try:
        result = screen(record, site=config, treatments=treatment or None)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(result.to_json())
        return
    console = Console()
    for flag in result.safety_flags:
        console.print(f"[bold red]URGENT {flag.id}[/]: {escape(flag.text)}")
    if result.crisis is not None and any(f.suicide_risk for f in result.safety_flags):
        console.print(f"[bold red]CRISIS[/]: {escape(result.crisis.text)}")
    elif result.crisis_missing:
        console.print(
            "[bold red]CRISIS TEXT NOT CONFIGURED[/] for this patient's jurisdiction: give "
            "local crisis-line details now (site file, safety section)"
        )
    console.print(_table(result))


def _rules_json(rules: RuleSet) -> dict[str, Any]:
    """The rule set as JSON: every rule and parameter with its source and tag."""
    return {
        "version": rules.version,
        "site": rules.site,
        "rules": [
            {
                "id": r.id,
                "treatments": sorted(r.treatments),
                "effect": r.effect,
                "rationale": r.rationale,
                "source": r.source,
                "verification": r.verification,
                "origin": r.origin,
            }
            for r in rules.rules
        ],
        "parameters": {
            name: {
                "value": rules.values[name],
                **spec.model_dump(),
            }
            for name, spec in rules.parameters.items()
        },
    }


def screen_rules(
    site: Annotated[
        Path | None, typer.Option("--site", help="Show the rules as a site file changes them.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the screening rules and parameters with their sources and verification tags."""
    rules = load_rules()
    config = _site(site)
    if config is not None:
        rules = apply_site(rules, config)
    if as_json:
        typer.echo(json.dumps(_rules_json(rules)))
        return
    table = Table(title=f"ptsdrx screening rules ({rules.version})")
    for column in ("id", "effect", "treatments", "tag", "source"):
        table.add_column(column)
    for r in rules.rules:
        cells = (r.id, r.effect, ", ".join(sorted(r.treatments)), r.verification, r.source)
        table.add_row(*(escape(c) for c in cells))
    ptable = Table(title="parameters (a site may only tighten them)")
    for column in ("name", "value", "default", "stricter", "tag"):
        ptable.add_column(column)
    for name, spec in rules.parameters.items():
        value = f"{rules.values[name]:g} {spec.unit}"
        pcells = (name, value, f"{spec.default:g}", spec.stricter, spec.verification)
        ptable.add_row(*(escape(c) for c in pcells))
    console = Console()
    console.print(table)
    console.print(ptable)


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("screen")(screen_command)
    app.command("screen-rules")(screen_rules)
