"""The patient report: HTML content, figures, and a PDF whose pages are not blank."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from ptsdrx.recommend import (
    Advantage,
    Availability,
    ModelCard,
    Option,
    OptionBurden,
    Prediction,
    Reason,
    Recommendation,
    RuleTrace,
)
from ptsdrx.records import Administration, Demographics, PatientRecord
from ptsdrx.reports import outcome_figure, render_html, trajectory_figure, write_report
from ptsdrx.screening import SafetyFlag


def _record() -> PatientRecord:
    return PatientRecord(
        patient_id="t-1",
        as_of=date(2026, 6, 1),
        demographics=Demographics(age=40, sex="female", jurisdiction="US"),
        assessments=[
            Administration(instrument="pcl5", date=date(2026, 1, 1), total=60, context="before"),
            Administration(instrument="pcl5", date=date(2026, 3, 1), total=45),
            Administration(instrument="pcl5", date=date(2026, 6, 1), total=50, context="intake"),
        ],
    )


def _option(tid: str, status: str, rank: int, mean: float | None, **kw: object) -> Option:
    pred = (
        None
        if mean is None
        else Prediction(
            source=kw.pop("source", "model"),  # type: ignore[arg-type]
            expected_pcl5=mean,
            interval=(mean - 8, mean + 8),
            interval_level=0.9,
            remission_probability=0.4,
            basis="test model",
        )
    )
    return Option(
        treatment=tid,
        name=tid.upper(),
        status=status,  # type: ignore[arg-type]
        rank=rank,
        screening_status="eligible",
        prediction=pred,
        availability=Availability(jurisdiction="US", status="approved", as_of="2025-01-01"),
        burden=OptionBurden(visits=12, clinic_hours=12, session_hours=1),
        reasons=(Reason(kind="model", text=f"reason for {tid}"),),
        **kw,  # type: ignore[arg-type]
    )


def _recommendation(model: bool = True) -> Recommendation:
    return Recommendation(
        patient_id="t-1",
        as_of=date(2026, 6, 1),
        jurisdiction="US",
        safety_flags=(
            SafetyFlag(
                id="phq9_item9_positive",
                instrument="phq9",
                text="PHQ-9 item 9 positive.",
                suicide_risk=True,
            ),
        ),
        options=(
            _option(
                "cpt",
                "recommended",
                1,
                25,
                advantage_next_best=Advantage(
                    over="pe", points=6.0, interval=(1.0, 11.0), basis="b"
                ),
            ),
            _option("pe", "alternative", 2, 31),
            _option("sertraline", "alternative", 3, 38, source="evidence_prior"),
            _option(
                "mdma_at",
                "excluded",
                4,
                None,
                rules=(
                    RuleTrace(
                        id="mdma_uncontrolled_htn",
                        effect="exclude",
                        outcome="fired",
                        rationale="uncontrolled hypertension",
                        source="MAPP1 methods",
                        verification="V",
                    ),
                ),
            ),
        ),
        abstained=False,
        prediction_source="mixed",
        in_support=True,
        model_card=(
            ModelCard(
                name="ptsdrx-response",
                version="1",
                trained_on="simulated randomized cohort",
                n_train=800,
                validation="held-out 20%",
                metrics={"rmse": 9.1, "coverage_90": 0.9},
            )
            if model
            else None
        ),
        policy_version=1,
    )


def test_reports_html_has_every_section() -> None:
    html = render_html(_recommendation(), _record())
    for needle in (
        "Safety first",
        "PHQ-9 item 9 positive.",
        "Recommended:</strong> CPT",
        "Options, ranked",
        "Screening trace",
        "mdma_uncontrolled_htn",
        "Model card",
        "held-out 20%",
        "Evidence references",
        "Decision support only",
        "trial prior",
        "PCL-5 over time",  # three PCL-5 totals: the trajectory is drawn
        "data:image/svg+xml;base64,",
    ):
        assert needle in html, needle


def test_reports_no_model_says_so_and_single_pcl5_has_no_trajectory() -> None:
    record = _record().model_copy(update={"assessments": _record().assessments[-1:]})
    html = render_html(_recommendation(model=False), record)
    assert "No response model was used" in html
    assert "PCL-5 over time" not in html


def test_reports_figures() -> None:
    svg = outcome_figure(_recommendation(), 50.0)
    assert svg is not None and svg.startswith("<?xml") and "<svg" in svg
    assert trajectory_figure([(date(2026, 1, 1), 50.0, None)]) is None


def test_reports_bad_suffix_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "r.docx"
    with pytest.raises(ValueError, match=r"must end in \.html or \.pdf"):
        write_report(_recommendation(), _record(), target)
    assert list(tmp_path.iterdir()) == []


def _weasyprint_works() -> bool:
    """WeasyPrint imports only when the OS has pango (.ci/run installs it)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
@pytest.mark.skipif(not _weasyprint_works(), reason="WeasyPrint needs pango from the OS")
def test_reports_pdf_pages_are_not_blank(tmp_path: Path) -> None:
    pdf = write_report(_recommendation(), _record(), tmp_path / "report.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 2
    for page in pages:
        pixels = imread(page)[..., :3]
        # a blank page is all white: require some ink on every page
        assert float(np.mean(pixels < 0.9)) > 0.005, page.name


def test_reports_options_table_names_gating_rules_and_prior_basis() -> None:
    base = _recommendation()
    needs = _option(
        "psilocybin_at",
        "needs information",
        5,
        None,
        rules=(
            RuleTrace(
                id="psilocybin_qtc",
                effect="exclude",
                outcome="unknown",
                rationale="a recent ECG is needed",
                source="trial exclusions",
                missing=("vitals.qtc_ms (within 90 days)",),
            ),
        ),
    )
    derived = base.option("sertraline").model_copy(
        update={
            "prediction": base.option("sertraline").prediction.model_copy(  # type: ignore[union-attr]
                update={"prior_kind": "effect_sizes"}
            )
        }
    )
    options = tuple(derived if o.treatment == "sertraline" else o for o in base.options)
    rec = base.model_copy(update={"options": (*options, needs)})
    html = render_html(rec, _record())
    table = html[html.index("Options, ranked") : html.index("Predicted outcome per treatment")]
    # excluded: the rule id and rationale in the status cell; needs information: and what to record
    assert "mdma_uncontrolled_htn: uncontrolled hypertension" in table
    assert "psilocybin_qtc: a recent ECG is needed" in table
    assert "missing: vitals.qtc_ms (within 90 days)" in table
    assert ">derived prior</span>" in table
    assert 'title="derived from effect sizes vs control, not from a trial arm"' in table
