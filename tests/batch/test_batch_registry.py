"""``ptsdrx score-batch registry``: every record of the configured registry, read once into the
sink (audited as an export), scored as any other source, and resumable from that snapshot."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ptsdrx.cli import app

EXAMPLES = Path(__file__).parents[2] / "examples" / "patients"
runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_the_registry_is_a_source(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ptsdrx.registry import Registry
    from ptsdrx.registry._models import AuditRow

    db = tmp_path / "reg.db"
    monkeypatch.setenv("PTSDRX_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PTSDRX_ACTOR", "batch.cli")
    monkeypatch.delenv("PTSDRX_SITE_FILE", raising=False)
    run("db", "upgrade")
    assert "imported 10 record(s)" in run("patient", "import", str(EXAMPLES))
    sink = tmp_path / "out"
    out = run("score-batch", "registry", "--model", str(model_dir), "--out", str(sink))
    assert "10 patients scored" in out
    table = pq.read_table(sink)  # the snapshot (_source) is not part of the dataset
    reg = Registry.connect(f"sqlite:///{db}", actor="check")
    ids = {p.patient_id for p in reg.patients()}
    assert set(table.column("patient_id").to_pylist()) == ids
    assert (sink / "_source").is_dir() and not list(sink.glob(".*tmp"))
    with reg.transaction() as s:
        exports = s.scalars(
            select(AuditRow).where(AuditRow.action == "export", AuditRow.actor == "batch.cli")
        ).all()
    assert {row.patient_id for row in exports} == ids  # every patient's read is audited
    # a new patient after the run: resuming the same run scores its own snapshot, unchanged
    run("patient", "add", "--name", "Late Arrival")
    again = run("score-batch", "registry", "--model", str(model_dir), "--out", str(sink))
    assert "0 patients scored" in again and pq.read_table(sink).num_rows == 10
