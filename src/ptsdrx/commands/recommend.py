"""``ptsdrx recommend`` and ``ptsdrx demo``: ranked treatment options; the demo's CLI wrapper.

The demo pipeline itself (simulate, train, validate, report) is :mod:`ptsdrx.demo`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ptsdrx.commands._common import fail, load_patient, policy_table
from ptsdrx.demo import MODEL_CARD_FILE, REMISSION_DIR
from ptsdrx.recommend import ModelCard, Option, Recommendation, recommend

_STYLES = {
    "recommended": "bold green",
    "alternative": "blue",
    "not preferred": "dim",
    "trial only": "dark_orange",
    "needs information": "yellow",
    "excluded": "red",
    "contraindicated": "bold red",
    "hold": "bold magenta",
}


def load_model_dir(path: Path) -> tuple[Any, Any, ModelCard | None]:
    """The outcome model, the optional remission model and the model card saved in ``path``."""
    from ptsdrx.response import load_model

    if not path.is_dir():
        typer.echo(f"error: --model {path} is not a directory saved by 'ptsdrx demo'", err=True)
        raise typer.Exit(2)
    model = load_model(path / "outcome")
    remission = load_model(path / REMISSION_DIR) if (path / REMISSION_DIR).exists() else None
    card_file = path / MODEL_CARD_FILE
    card = (
        ModelCard.model_validate_json(card_file.read_text(encoding="utf-8"))
        if card_file.exists()
        else None
    )
    return model, remission, card


_SHOWN_RULES = 3
"""Rules listed per option in the terminal table; the JSON carries the full trace."""


def _short(text: str, limit: int = 90) -> str:
    """The first sentence of a rule rationale, cut at a word boundary to ``limit`` characters."""
    first = text.split(". ")[0].rstrip(".")
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"


def _gating_rules(option: Option) -> str | None:
    """For an excluded / needs-information option: the rules that decided it, and what is missing.

    Each line is ``rule id: short rationale``; a needs-information option ends with the
    information to record. ``None`` when no screening rule explains the status.
    """
    rules = option.gating_rules()
    if not rules:
        return None
    lines = [f"{r.id}: {_short(r.rationale)}" for r in rules[:_SHOWN_RULES]]
    if len(rules) > _SHOWN_RULES:
        lines.append(f"+{len(rules) - _SHOWN_RULES} more rule(s) (see --json)")
    if option.status == "needs information":
        missing = option.missing_information()
        lines.append("missing: " + (", ".join(missing) or "not stated by the rule"))
    return "\n".join(lines)


def _main_reason(option: Option) -> str:
    """The table cell that says why an option has its status or rank.

    The gating rules (id, rationale, missing information) for an excluded or needs-information
    option; otherwise the highest-severity caution, then what drives its status or rank; dosing
    notes last.
    """
    gating = _gating_rules(option)
    if gating is not None:
        return gating
    notes = "".join(f"\ndosing: {_short(n.text)}" for n in option.dosing_notes)
    if option.cautions:
        c = option.cautions[0]
        return f"{c.rule}: {_short(c.rationale)}{notes}"
    reasons = list(option.reasons)
    if option.status in ("alternative", "recommended"):
        drivers = [r for r in reasons if r.kind == "history"]
        drivers += [
            r for r in reasons if r.kind == "model" and r.source and r.source.startswith("SHAP")
        ]
        if not drivers and option.guideline_tier_label:
            tier = f"tier {option.guideline_tier}: {option.guideline_tier_label}"
            return tier + notes
        reasons = drivers + reasons
    return (reasons[0].text if reasons else "") + notes


def print_recommendation(rec: Recommendation, console: Console) -> None:
    """The readable terminal rendering: crisis text, safety flags, the choice, the table."""
    if rec.crisis_warning:
        console.print(f"[bold white on red] CRISIS [/] {rec.crisis_warning}")
    for f in rec.safety_flags:
        console.print(f"[bold white on red] SAFETY [/] {f.text}")
    for ov in rec.overrides:
        console.print(f"[bold]Override[/] {ov.rule} by {ov.clinician}: {ov.reason}")
    if rec.acknowledged:
        who = f" by {rec.clinician}" if rec.clinician else ""
        console.print(f"[bold]Acknowledged{who}:[/] {', '.join(rec.acknowledged)}")
    if rec.hold is not None:
        console.print(f"[bold magenta]On hold:[/] {rec.hold} (options listed, not ranked)")
    elif rec.recommended is not None:
        console.print(f"[bold green]Recommended:[/] {rec.recommended.name}")
    else:
        console.print(f"[bold]No option is clearly better:[/] {rec.abstention_reason}")
    table = Table(title=f"Treatment options for {rec.patient_id or 'patient'} ({rec.as_of})")
    for column in (
        "#",
        "treatment",
        "status",
        "PCL-5 wk 12",
        "remission",
        "evidence",
        "here",
        "why",
    ):
        table.add_column(column)
    for o in rec.options:
        p = o.prediction
        pred = "—"
        if p is not None:
            pred = f"{p.expected_pcl5:.0f}"
            if p.interval:
                pred += f" [{p.interval[0]:.0f}, {p.interval[1]:.0f}]"
            if p.source == "evidence_prior":
                pred += f" {p.label.split()[0]}"
        rem = (
            f"{100 * p.remission_probability:.0f}%"
            if p is not None and p.remission_probability is not None
            else "—"
        )
        why = _main_reason(o)
        table.add_row(
            "—" if o.rank is None else str(o.rank),
            o.name,
            f"[{_STYLES[o.status]}]{o.status_label}[/]",
            pred,
            rem,
            (o.evidence_grade or "—").replace("_", " "),
            (o.availability.status or "unknown").replace("_", " "),
            why,
        )
    console.print(table)
    for n in rec.notes:
        console.print(f"[dim]{n}[/]")


def recommend_cmd(
    patient: Annotated[Path, typer.Argument(help="PatientRecord JSON file.", exists=True)],
    model: Annotated[
        Path | None, typer.Option("--model", help="Model directory saved by 'ptsdrx demo'.")
    ] = None,
    site: Annotated[
        Path | None, typer.Option("--site", help="Screening site configuration (YAML).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a report (.html or .pdf).")
    ] = None,
    acknowledge: Annotated[
        list[str] | None,
        typer.Option("--acknowledge", metavar="RULE", help="Acknowledge a major caution."),
    ] = None,
    override: Annotated[
        list[str] | None,
        typer.Option(
            "--override",
            metavar="RULE=REASON",
            help="Override a relative exclusion with a reason (needs --clinician).",
        ),
    ] = None,
    clinician: Annotated[
        str | None,
        typer.Option("--clinician", help="Who acknowledges or overrides (stored with it)."),
    ] = None,
) -> None:
    """Rank every treatment for one patient, with reasons; safety flags first."""
    pairs: list[tuple[str, str]] = []
    for item in override or []:
        rule, sep, reason = item.partition("=")
        if not sep or not rule.strip() or not reason.strip():
            typer.echo(f"error: --override {item!r}: expected RULE=REASON", err=True)
            raise typer.Exit(2)
        pairs.append((rule.strip(), reason.strip()))
    record = load_patient(patient)
    fitted, remission, card = load_model_dir(model) if model else (None, None, None)
    if fitted is not None:  # one native pass per patient, same answer (ptsdrx.batch.TOLERANCE)
        from ptsdrx.batch import FastScorer

        fitted = FastScorer(fitted)
        remission = FastScorer(remission) if remission is not None else None
    site_cfg = None
    if site is not None:
        from ptsdrx.screening import RuleFileError, load_site

        try:
            site_cfg = load_site(site)
        except (OSError, RuleFileError) as exc:
            typer.echo(f"error: --site: {exc}", err=True)
            raise typer.Exit(2) from exc
    try:
        rec = recommend(
            record,
            model=fitted,
            remission_model=remission,
            site=site_cfg,
            model_card=card,
            acknowledged=acknowledge or (),
            overrides=pairs,
            clinician=clinician,
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(rec.to_json())
    else:
        print_recommendation(rec, Console())
    if report is not None:
        from ptsdrx.reports import write_report

        try:
            write_report(rec, record, report)
        except ValueError as exc:
            typer.echo(f"error: --report: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"report written to {report}", err=as_json)


def demo_cmd(
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("demo-output"),
    patients: Annotated[
        Path, typer.Option("--patients", help="Directory of example patient JSON files.")
    ] = Path("examples/patients"),
    n: Annotated[int, typer.Option("--n", min=300, help="Simulated cohort size.")] = 4000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write PDF reports.")] = True,
) -> None:
    """Simulate a cohort, train and validate a model, and report on every example patient."""
    from ptsdrx.demo import run_demo

    console = Console()
    try:
        result = run_demo(out=out, patients=patients, n=n, seed=seed, pdf=pdf, console=console)
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
    table = Table(title="ptsdrx demo")
    for column in ("patient", "result", "safety flags"):
        table.add_column(column)
    for p in result.patients:
        table.add_row(p.patient, p.result, "; ".join(p.safety_flags) or "—")
    console.print(table)
    for note in result.training_notes:
        console.print(f"[dim]training note: {note}[/]")
    console.print(f"reports: {result.out}/<patient>.{{{','.join(result.formats)}}}")
    console.print(f"validation (held-out, ptsdrx.response.validate): {result.metrics_text()}")
    title = f"Treatment policies on the held-out 20% (PCL-5; default {result.default_policy})"
    console.print(policy_table(result.policies, result.default_policy, title))
    example = sorted(patients.glob("*.json"))[0]
    model_dir = result.model_dir
    console.print(
        f"model saved to {model_dir}; try: ptsdrx recommend {example} --model {model_dir}"
    )


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("recommend")(recommend_cmd)
    app.command("demo")(demo_cmd)
