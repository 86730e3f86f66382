"""``ptsdrx treatments`` and ``ptsdrx evidence``: the catalog and the evidence base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ptsdrx.commands._common import fail, text_of
from ptsdrx.treatments import TREATMENT_IDS, catalog, get_treatment


def treatments(
    jurisdiction: Annotated[
        str | None,
        typer.Option(help="ISO 3166 code, e.g. US, US-OR, US-CO, AU: show status there only."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the treatment catalog with protocol burden and regulatory status for PTSD."""
    entries = catalog()
    try:
        statuses = [None if jurisdiction is None else t.availability(jurisdiction) for t in entries]
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
    if as_json:
        out: list[dict[str, Any]] = []
        for t, status in zip(entries, statuses, strict=True):
            item = t.to_dict()
            if jurisdiction is not None:
                item["availability"] = None if status is None else status.model_dump(mode="json")
            out.append(item)
        typer.echo(json.dumps(out, indent=2))
        return
    codes = [jurisdiction] if jurisdiction else ["US", "US-OR", "US-CO", "AU"]
    table = Table(title="ptsdrx treatment catalog (status for PTSD)")
    table.add_column("id", no_wrap=True)
    for col in ("name", "class", "visits", "clinic h", *codes):
        table.add_column(col)
    for t in entries:
        b = t.burden
        hours = "?" if b.clinic_hours is None else f"{b.clinic_hours:g}"
        if b.clinic_hours_lower_bound and b.clinic_hours is not None:
            hours = f">={hours}"
        cells = []
        for code in codes:
            status = t.availability(code)
            cells.append(
                "unknown" if status is None else f"{status.status} [{status.verification}]"
            )
        name = f"{t.name} (INVESTIGATIONAL)" if t.investigational else t.name
        visits = "?" if b.visits is None else str(b.visits)
        table.add_row(t.id, name, t.klass, visits, hours, *cells)
    Console().print(table)


def evidence(
    treatment: Annotated[
        str | None, typer.Argument(help=f"One of: {', '.join(TREATMENT_IDS)}; all when omitted.")
    ] = None,
    baseline_pcl5: Annotated[
        float, typer.Option(help="Baseline PCL-5 (0-80) for the cold-start prior shown.")
    ] = 50.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    plot: Annotated[
        Path | None, typer.Option(help="Write a forest plot (.png or .svg) for TREATMENT.")
    ] = None,
) -> None:
    """Pooled effect, evidence grade (with reasons), cold-start prior and trials per treatment."""
    # scipy (evidence) and matplotlib (forest plot) load only when this runs (fast --help).
    from ptsdrx.evidence import forest_plot, grade, prior_outcome, synthesize, trials

    if treatment is not None and treatment not in TREATMENT_IDS:
        raise fail(f"unknown treatment {treatment!r}; allowed: {', '.join(TREATMENT_IDS)}", 2)
    if not 0 <= baseline_pcl5 <= 80:
        raise fail(f"--baseline-pcl5 must be between 0 and 80, got {baseline_pcl5:g}", 2)
    if plot is not None:
        if treatment is None:
            raise fail("--plot needs a TREATMENT", 2)
        try:
            forest_plot(synthesize(treatment), plot)
        except ValueError as exc:
            raise fail(str(exc), 2) from exc
        typer.echo(f"forest plot written to {plot}", err=True)
    ids = [treatment] if treatment else list(TREATMENT_IDS)
    if as_json:
        out = {
            t: {
                "grade": grade(t).to_dict(),
                "synthesis": synthesize(t).to_dict(),
                "prior": prior_outcome(t, baseline_pcl5).to_dict(),
                "trials": [row.to_dict() for row in trials(t)],
            }
            for t in ids
        }
        typer.echo(json.dumps(out, indent=2))
        return
    if treatment is None:
        table = Table(title="ptsdrx evidence (PTSD)")
        table.add_column("treatment", no_wrap=True)
        for col in ("grade", "headline effect (SMD)", "k", "trials"):
            table.add_column(col)
        for t in ids:
            g = grade(t)
            p = g.pooled
            effect = "—" if p is None else f"{p.estimate:.2f} vs {p.control} ({p.method})"
            k = "—" if p is None or p.k is None else str(p.k)
            table.add_row(t, g.grade, effect, k, str(len(g.trials)))
        Console().print(table)
        return
    entry = get_treatment(treatment)
    typer.echo(text_of(grade(treatment)))
    typer.echo("")
    typer.echo(text_of(synthesize(treatment)))
    typer.echo("")
    typer.echo("Cold-start prior: " + text_of(prior_outcome(treatment, baseline_pcl5)))
    typer.echo("")
    typer.echo(f"Trials ({len(trials(treatment))}):")
    for row in trials(treatment):
        typer.echo(f"  {text_of(row)}")
        for ae in row.adverse_events:
            if ae.arm == treatment and ae.rate is not None:
                typer.echo(f"    adverse event: {ae.event} {ae.rate:.0%} [{ae.verification}]")
    if entry.investigational:
        typer.echo("\nINVESTIGATIONAL: never recommended outside a registered trial.")


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("treatments")(treatments)
    app.command("evidence")(evidence)
