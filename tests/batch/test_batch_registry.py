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


def _registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, actor: str) -> Path:
    """The configured registry (SQLite, acting as ``actor``) holding the 10 example patients."""
    db = tmp_path / "reg.db"
    monkeypatch.setenv("PTSDRX_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PTSDRX_ACTOR", actor)
    monkeypatch.delenv("PTSDRX_SITE_FILE", raising=False)
    run("db", "upgrade")
    assert "imported 10 record(s)" in run("patient", "import", str(EXAMPLES))
    return db


def test_the_registry_is_a_source(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ptsdrx.registry import Registry
    from ptsdrx.registry._models import AuditRow

    db = _registry(tmp_path, monkeypatch, "batch.cli")
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


def test_a_finished_run_is_stored_in_the_registry_once(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--to-registry``: one audited recommendation per registered patient per run."""
    from ptsdrx.batch import batch_run_id, publish
    from ptsdrx.records import load_record
    from ptsdrx.registry import Registry
    from ptsdrx.registry._models import AuditRow

    db = _registry(tmp_path, monkeypatch, "nightly.batch")
    sink = tmp_path / "out"
    args = ("score-batch", "registry", "--model", str(model_dir), "--out", str(sink))
    out = run(*args, "--to-registry")
    assert "registry: 10 recommendation(s) stored" in out and "0 patient(s) not in" in out
    table = pq.read_table(sink).to_pylist()
    reg = Registry.connect(f"sqlite:///{db}", actor="check")
    run_id = batch_run_id(sink)
    for row in table:
        (stored,) = reg.recommendations(row["patient_id"])
        result = stored["result"]
        assert stored["issued_by"] == "nightly.batch"
        assert stored["model_version"] == row["model_version"]
        assert result["kind"] == "batch" and result["batch_run"] == run_id
        assert result["recommended"] == row["recommended"]
        assert result["abstained"] == row["abstained"] and result["reason"] == row["reason"]
        for arm, got in result["arms"].items():
            assert got["expected_pcl5"] == pytest.approx(row[f"pred.{arm}"], abs=1e-12)
            assert got["screening"] == row.get(f"screen.{arm}")
    with reg.transaction() as s:
        created = s.scalars(
            select(AuditRow).where(
                AuditRow.action == "create",
                AuditRow.entity == "recommendation",
                AuditRow.actor == "nightly.batch",
            )
        ).all()
    assert sorted(r.patient_id for r in created) == sorted(r["patient_id"] for r in table)
    # the same run again: nothing written twice
    again = run(*args, "--to-registry")
    assert "registry: 0 recommendation(s) stored" in again and "10 already stored" in again
    # a registry holding three of the ten: the others are counted, not written or raised
    other = Registry.connect(f"sqlite:///{tmp_path / 'other.db'}", actor="other.batch")
    other.upgrade()
    for f in sorted(EXAMPLES.glob("*.json"))[:3]:
        other.add_patient(load_record(str(f)))
    report = publish(sink, other)
    assert (report.written, report.already, report.unknown) == (3, 0, 7)
    # an unfinished run is refused before anything is written
    next(iter(sorted(sink.glob("part-*.parquet")))).unlink()
    with pytest.raises(ValueError, match="not finished"):
        publish(sink, other)


@pytest.mark.postgres
def test_publishing_on_postgresql(model_dir: Path, tmp_path: Path) -> None:
    """The same on PostgreSQL (``jsonb`` results, ``IN`` lists), repeated without duplicates."""
    from tests.api.conftest import new_database

    from ptsdrx.batch import publish, score_batch
    from ptsdrx.records import load_record
    from ptsdrx.registry import Registry

    source = tmp_path / "records.jsonl"
    files = sorted(EXAMPLES.glob("*.json"))
    source.write_text(
        "\n".join(load_record(str(f)).model_dump_json() for f in files) + "\n", "utf-8"
    )
    sink = tmp_path / "out"
    score_batch(source, sink, model_dir, chunk=4)
    url, cleanup = new_database("postgresql", tmp_path, tmp_path / "unused")
    try:
        reg = Registry.connect(url, actor="nightly.batch")
        for f in files[:3]:
            reg.add_patient(load_record(str(f)))
        first = publish(sink, reg)
        assert (first.written, first.already, first.unknown) == (3, 0, 7)
        second = publish(sink, reg)
        assert (second.written, second.already, second.unknown) == (0, 3, 7)
        pid = load_record(str(files[0])).patient_id
        assert pid is not None
        (stored,) = reg.recommendations(pid)
        assert stored["result"]["batch_run"] == first.batch_run
        reg.engine.dispose()
    finally:
        cleanup()
