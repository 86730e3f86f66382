"""The patient report: one Jinja2 template rendered to HTML, and to PDF with WeasyPrint.

The report renders the same :class:`~ptsdrx.recommend.Recommendation` the CLI and API
show, plus the record's identity block and PCL-5 trajectory.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from importlib import metadata, resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ptsdrx._figures import atomic_write
from ptsdrx.recommend import (
    Advantage,
    OptionBurden,
    Recommendation,
    baseline_pcl5,
    default_policy,
)
from ptsdrx.records import PatientRecord
from ptsdrx.reports._figures import outcome_figure, trajectory_figure

_SOURCE_LABELS = {
    "model": "the fitted response model",
    "evidence_prior": "published-trial priors (no model)",
    "mixed": "the model, and trial priors where the model has no arm",
    "none": "nothing: no prediction possible",
}


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("ptsdrx.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["adv"] = _fmt_advantage
    env.globals["burden"] = _fmt_burden
    return env


def _fmt_advantage(a: Advantage | None) -> str:
    if a is None:
        return "—"
    text = f"{a.points:+.1f}"
    if a.interval is not None:
        text += f" ({a.interval[0]:+.1f} to {a.interval[1]:+.1f})"
    return text


def _fmt_burden(b: OptionBurden) -> str:
    parts = []
    if b.visits is not None:
        parts.append(f"{b.visits:g} visits")
    if b.clinic_hours is not None:
        parts.append(f"{b.clinic_hours:g} h in clinic")
    if b.session_hours is not None:
        parts.append(f"sessions {b.session_hours:g} h")
    return ", ".join(parts) or "unknown"


def pcl5_trajectory(record: PatientRecord) -> list[tuple[date, float, str | None]]:
    """Dated PCL-5 totals (scored from items where recorded), oldest first."""
    from ptsdrx.instruments import score_administration

    points = []
    for adm in record.administrations("pcl5"):
        total = score_administration(adm).total if adm.responses is not None else adm.total
        if total is not None:
            points.append((adm.date, float(total), adm.context))
    return points


def _references(rec: Recommendation) -> list[str]:
    """Each trial behind an option (its citation line) and each rule source that fired."""
    from ptsdrx.evidence import trials

    citations = {t.id: t.summary() for t in trials()}
    seen: dict[str, None] = {}
    for o in rec.options:
        for t in o.key_trials:
            seen.setdefault(citations.get(t, t), None)
    for o in rec.options:
        for r in o.fired_rules():
            seen.setdefault(f"Rule {r.id}: {r.source}", None)
    return list(seen)


def _b64(svg: str | None) -> str | None:
    return None if svg is None else base64.b64encode(svg.encode("utf-8")).decode("ascii")


def render_html(
    rec: Recommendation, record: PatientRecord, *, generated: datetime | None = None
) -> str:
    """The report as one self-contained HTML page (figures inlined as SVG)."""
    baseline = baseline_pcl5(record)
    demo = record.demographics
    levels = {o.prediction.interval_level for o in rec.options if o.prediction}
    level = ", ".join(f"{100 * v:.0f}%" for v in sorted(x for x in levels if x)) or "no"
    css = resources.files("ptsdrx.reports").joinpath("templates/report.css").read_text("utf-8")
    try:
        version = metadata.version("ptsdrx")
    except metadata.PackageNotFoundError:
        version = "dev"
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            rec=rec,
            css=css,
            version=version,
            generated=(generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
            identity={
                "age": demo.age if demo and demo.age is not None else "unknown",
                "sex": demo.sex if demo and demo.sex else "unknown",
                "baseline": "not recorded" if baseline is None else f"{baseline:.0f}",
            },
            source_label=_SOURCE_LABELS[rec.prediction_source],
            names={o.treatment: o.name for o in rec.options},
            level=level,
            standard_care=", ".join(default_policy().standard_care),
            outcome_svg=_b64(outcome_figure(rec, baseline)),
            trajectory_svg=_b64(trajectory_figure(pcl5_trajectory(record))),
            references=_references(rec),
        )
    )


def render_pdf(html: str) -> bytes:
    """The HTML report as PDF bytes (WeasyPrint)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def write_report(rec: Recommendation, record: PatientRecord, path: Path) -> Path:
    """Write the report as ``.html`` or ``.pdf`` (by suffix); nothing half-written is kept."""
    suffix = path.suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise ValueError(f"report file must end in .html or .pdf, got {path.name!r}")
    html = render_html(rec, record)
    data = html.encode("utf-8") if suffix == ".html" else render_pdf(html)
    return atomic_write(path, data)
