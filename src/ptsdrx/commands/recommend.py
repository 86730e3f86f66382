"""``ptsdrx recommend`` and ``ptsdrx demo``: ranked treatment options and the end-to-end demo."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from ptsdrx.recommend import ModelCard, Option, Recommendation, recommend
from ptsdrx.records import PatientRecord, format_validation_error

MODEL_CARD_FILE = "model_card.json"
REMISSION_DIR = "remission"

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


def load_patient(path: Path) -> PatientRecord:
    """Read a patient JSON file; exit 1 with every invalid field named."""
    try:
        return PatientRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        typer.echo(f"{path}: invalid patient record", err=True)
        typer.echo(format_validation_error(exc), err=True)
        raise typer.Exit(1) from exc


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
    """The table cell: the gating rules (id, rationale, missing information) for an excluded
    or needs-information option; otherwise the highest-severity caution, then what drives
    its status or rank; dosing notes last."""
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
    run_demo(out=out, patients=patients, n=n, seed=seed, pdf=pdf, console=Console())


def _factual(df: Any, prefix: str) -> Any:
    """The observed value of a per-arm column (``prefix__<arm>``) for each row's own arm."""
    import numpy as np

    cols = {arm: f"{prefix}__{arm}" for arm in df["arm"].unique()}
    out = np.full(len(df), np.nan)
    for arm, col in cols.items():
        mask = (df["arm"] == arm).to_numpy()
        out[mask] = df.loc[mask, col].to_numpy(dtype=float)
    return out


def validate_model(model: Any, remission: Any, test: Any, X: Any, alpha: float) -> dict[str, float]:
    """Held-out metrics against the simulator's ground truth.

    ``rmse_observed`` and ``coverage`` use each patient's observed week-12 PCL-5 under the
    arm they received; ``rmse_true_mean`` compares predictions with the noise-free expected
    outcome under every arm; ``regret`` is the mean true PCL-5 lost by following the model's
    best arm instead of the oracle's; ``gain_vs_one_size`` is what the model's choice gains
    over giving everyone the single best arm on average (positive = better).
    """
    import numpy as np

    arms = [str(a) for a in model.arms_]
    pred = model.predict_outcomes(X)
    observed = test["pcl5_w12"].to_numpy(dtype=float)
    own = np.array([pred.iloc[i][a] for i, a in enumerate(test["arm"])], dtype=float)
    seen = ~np.isnan(observed)
    intervals = model.predict_interval(X, alpha=alpha)
    lo = np.array([intervals[a]["lo"].iloc[i] for i, a in enumerate(test["arm"])])
    hi = np.array([intervals[a]["hi"].iloc[i] for i, a in enumerate(test["arm"])])
    truth = test[[f"mu_pcl5_w12__{a}" for a in arms]].to_numpy(dtype=float)
    chosen = pred[arms].to_numpy().argmin(axis=1)
    rows = np.arange(len(test))
    metrics = {
        "n_test": float(len(test)),
        "rmse_observed": float(np.sqrt(np.mean((own[seen] - observed[seen]) ** 2))),
        f"coverage_{round(100 * (1 - alpha))}": float(
            np.mean((observed[seen] >= lo[seen]) & (observed[seen] <= hi[seen]))
        ),
        "mean_interval_width": float(np.mean(hi - lo)),
        "rmse_true_mean": float(np.sqrt(np.mean((pred[arms].to_numpy() - truth) ** 2))),
        "regret": float(np.mean(truth[rows, chosen] - truth.min(axis=1))),
        "gain_vs_one_size": float(
            np.mean(truth[:, truth.mean(axis=0).argmin()]) - np.mean(truth[rows, chosen])
        ),
    }
    if remission is not None:
        from sklearn.metrics import roc_auc_score

        rem_obs = _factual(test, "remission_w12")
        rem_pred = remission.predict_outcomes(X)
        p_own = np.array([rem_pred.iloc[i][a] for i, a in enumerate(test["arm"])], dtype=float)
        metrics["remission_auc"] = float(roc_auc_score(rem_obs, p_own))
    return metrics


def run_demo(*, out: Path, patients: Path, n: int, seed: int, pdf: bool, console: Console) -> None:
    """Simulate, train, validate, save, then write JSON/HTML/PDF for each example patient."""
    from datetime import UTC, datetime

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from sklearn.model_selection import train_test_split

    from ptsdrx.cohort import TREATMENTS, simulate
    from ptsdrx.features import SCHEMA, from_cohort
    from ptsdrx.records import load_record
    from ptsdrx.reports import render_html, render_pdf
    from ptsdrx.response import OverlapWarning, TreatmentResponseModel, save_model

    files = sorted(patients.glob("*.json"))
    if not files:
        typer.echo(f"error: no patient JSON files in {patients}", err=True)
        raise typer.Exit(2)
    out.mkdir(parents=True, exist_ok=True)
    alpha = 0.1
    columns = (
        TextColumn("{task.description:<34}"),
        BarColumn(),
        TextColumn("{task.completed:>5.0f}/{task.total:<5.0f}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        sim = progress.add_task("simulate cohort", total=n)
        cohort = simulate(
            n,
            design="randomized",
            arms=list(TREATMENTS),
            random_state=seed,
            progress=lambda done, total: progress.update(sim, completed=done, total=total),
        )
        cohort = cohort[cohort["pcl5_w12"].notna()].reset_index(drop=True)
        train, test = train_test_split(
            cohort, test_size=0.2, random_state=seed, stratify=cohort["arm"]
        )
        train, test = train.reset_index(drop=True), test.reset_index(drop=True)
        fit = progress.add_task("train outcome + remission models", total=2)
        X_train, X_test = from_cohort(train), from_cohort(test)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", OverlapWarning)
            model = TreatmentResponseModel(fast=True, random_state=seed).fit(
                train["pcl5_w12"], train["arm"], X=X_train
            )
            progress.advance(fit)
            remission = TreatmentResponseModel(fast=True, random_state=seed).fit(
                _factual(train, "remission_w12"), train["arm"], X=X_train
            )
            progress.advance(fit)
        overlap = sorted({str(w.message) for w in caught if w.category is OverlapWarning})
        val = progress.add_task("validate on held-out 20%", total=1)
        metrics = validate_model(model, remission, test, X_test, alpha)
        progress.advance(val)
        card = ModelCard(
            name="ptsdrx TreatmentResponseModel (demo)",
            version=f"demo-seed{seed}",
            trained_on=(
                f"simulated randomized cohort ({n} patients, {len(TREATMENTS)} arms; "
                "synthetic, calibrated to published trials — not real patients)"
            ),
            n_train=len(train),
            arms=tuple(str(a) for a in model.arms_),
            feature_schema_version=f"{SCHEMA.version} ({SCHEMA.fingerprint})",
            validation=(
                f"held-out 20% of the cohort (n = {len(test)}), against observed outcomes "
                "and the simulator's true expected outcomes"
            ),
            metrics=metrics,
            created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
        model_dir = out / "model"
        model_dir.mkdir(exist_ok=True)
        save_model(model, model_dir / "outcome", schema=SCHEMA, metrics=metrics, overwrite=True)
        save_model(remission, model_dir / REMISSION_DIR, schema=SCHEMA, overwrite=True)
        (model_dir / MODEL_CARD_FILE).write_text(card.model_dump_json(indent=2), "utf-8")

        rep = progress.add_task("recommend + report per patient", total=len(files))
        written: list[tuple[str, str, str]] = []
        for f in files:
            record = load_record(str(f))
            rec = recommend(record, model=model, remission_model=remission, model_card=card)
            base = out / f.stem
            dump_json(base.with_suffix(".json"), rec.to_dict())
            html = render_html(rec, record)
            base.with_suffix(".html").write_text(html, encoding="utf-8")
            if pdf:
                base.with_suffix(".pdf").write_bytes(render_pdf(html))
            first = rec.options[0]
            if first.status == "recommended":
                top = f"recommended: {first.name}"
            elif first.status == "alternative":
                top = f"no clear winner; ranked first: {first.name}"
            else:
                top = "no option open now (see report)"
            written.append((f.stem, top, "; ".join(s.flag for s in rec.safety_flags)))
            progress.advance(rep)

    table = Table(title="ptsdrx demo")
    for column in ("patient", "result", "safety flags"):
        table.add_column(column)
    for name, top, flags in written:
        table.add_row(name, top, flags or "—")
    console.print(table)
    for note in overlap:
        console.print(f"[dim]training note: {note}[/]")
    kinds = "json,html" + (",pdf" if pdf else "")
    console.print(f"reports: {out.resolve()}/<patient>.{{{kinds}}}")
    console.print("validation (held-out): " + ", ".join(f"{k} {v:.3g}" for k, v in metrics.items()))
    console.print(
        f"model saved to {model_dir}; try: ptsdrx recommend {files[0]} --model {model_dir}"
    )


def register(app: typer.Typer) -> None:
    """Add this module's verbs to the app."""
    app.command("recommend")(recommend_cmd)
    app.command("demo")(demo_cmd)


def dump_json(path: Path, data: Any) -> None:
    """Write JSON atomically (nothing half-written is kept)."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    tmp.replace(path)
