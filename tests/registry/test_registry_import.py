"""Bulk import: one transaction; a bad record keeps nothing and is named by line and field."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ptsdrx.registry import ImportRejectedError, Registry, import_path

Counts = Callable[[], dict[str, int]]

PCL5 = [2] * 20


def _rec(pid: str, **extra: Any) -> dict[str, Any]:
    return {
        "patient_id": pid,
        "as_of": "2026-01-10",
        "demographics": {"age": 40, "sex": "female"},
        "assessments": [{"instrument": "pcl5", "date": "2026-01-05", "responses": PCL5}],
        **extra,
    }


def _jsonl(path: Path, records: list[Any]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_good_batch_is_kept(registry: Registry, tmp_path: Path) -> None:
    src = _jsonl(tmp_path / "batch.jsonl", [_rec(f"p{i}") for i in range(5)])
    seen: list[tuple[int, int]] = []
    report = import_path(registry, src, progress=lambda d, t: seen.append((d, t)))
    assert report.imported == ("p0", "p1", "p2", "p3", "p4")
    assert report.skipped == ()
    assert seen[-1] == (5, 5)
    assert [p.patient_id for p in registry.patients()] == list(report.imported)


def test_bad_record_keeps_nothing_and_names_line_and_field(
    registry: Registry, tmp_path: Path, counts: Counts
) -> None:
    kept = _record_obj("before")
    registry.add_patient(kept)
    before = counts()
    bad = _rec("p2", demographics={"age": 140})
    src = _jsonl(tmp_path / "batch.jsonl", [_rec("p1"), "", bad, _rec("p3")])
    with pytest.raises(ImportRejectedError) as info:
        import_path(registry, src)
    (problem,) = info.value.problems
    assert problem.line == 3  # the blank line 2 is counted
    assert [p.field for p in problem.problems] == ["demographics.age"]
    assert f"{src}:3: demographics.age:" in str(info.value)
    assert counts() == before
    assert registry.record("before") == kept


def _record_obj(pid: str) -> Any:
    from ptsdrx.records import PatientRecord

    return PatientRecord.model_validate(_rec(pid))


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("{not json", "(json)"),
        (
            json.dumps(_rec("x", assessments=[{"instrument": "pcl5", "date": "2026-01-01"}])),
            "assessments.0",
        ),
        (
            json.dumps(
                _rec(
                    "x",
                    assessments=[
                        {"instrument": "pcl5", "date": "2026-01-01", "responses": [9] * 20}
                    ],
                )
            ),
            "assessments.0",
        ),
        (json.dumps(_rec("x", unknown_part=1)), "unknown_part"),
        (json.dumps(_rec("x", medications=[{"name": "m" * 129}])), "medications.0.name"),
        (json.dumps(_rec("y" * 65)), "patient_id"),
        (json.dumps(_rec("already")), "patient_id"),
        (json.dumps(_rec("p1")), "patient_id"),  # repeated within the batch
    ],
    ids=[
        "json",
        "no-responses",
        "item-range",
        "extra-field",
        "too-long-text",
        "too-long-id",
        "registered-id",
        "batch-dup",
    ],
)
def test_each_kind_of_bad_record_is_refused(
    registry: Registry, tmp_path: Path, counts: Counts, line: str, field: str
) -> None:
    registry.add_patient(_record_obj("already"))
    before = counts()
    src = _jsonl(tmp_path / "batch.jsonl", [_rec("p1"), line])
    with pytest.raises(ImportRejectedError) as info:
        import_path(registry, src)
    (problem,) = info.value.problems
    assert problem.line == 2
    assert problem.problems[0].field.startswith(field)
    assert counts() == before


def test_skip_invalid_keeps_good_and_lists_every_skipped(
    registry: Registry, tmp_path: Path
) -> None:
    registry.add_patient(_record_obj("already"))
    lines = [
        _rec("a"),
        "[]",
        _rec("b", demographics={"sex": "unknown"}),
        _rec("already"),
        _rec("c"),
        _rec("c"),
    ]
    report = import_path(registry, _jsonl(tmp_path / "b.jsonl", lines), skip_invalid=True)
    assert report.imported == ("a", "c")
    assert sorted(p.line or 0 for p in report.skipped) == [2, 3, 4, 6]
    text = report.summary()
    assert text.startswith("imported 2 record(s), skipped 4")
    assert "b.jsonl:3: demographics.sex:" in text


def test_directory_import_names_the_file(registry: Registry, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(_rec("a")), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(_rec("b", as_of="2026-13-01")), encoding="utf-8")
    with pytest.raises(ImportRejectedError) as info:
        import_path(registry, tmp_path)
    (problem,) = info.value.problems
    assert problem.source.endswith("b.json") and problem.line is None
    assert problem.problems[0].field == "as_of"
    assert registry.patients() == []


_KILLED_IMPORT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ptsdrx.registry import Registry, import_path

    def progress(done, total):
        if done == total // 2:
            print("halfway", done, flush=True)  # rows of half the batch are flushed
            time.sleep(600)                      # wait here to be killed

    reg = Registry.connect(sys.argv[1], actor="importer")
    import_path(reg, Path(sys.argv[2]), progress=progress)
    print("committed", flush=True)
    """
)


def test_killing_an_import_midway_leaves_the_database_as_before(
    registry: Registry, db_url: str, tmp_path: Path, counts: Counts
) -> None:
    registry.add_patient(_record_obj("before"))
    before = counts()
    src = _jsonl(tmp_path / "big.jsonl", [_rec(f"k{i}") for i in range(40)])
    script = tmp_path / "importer.py"
    script.write_text(_KILLED_IMPORT, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), db_url, str(src)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("halfway 20"), first + (proc.stderr.read() if proc.stderr else "")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    registry.engine.dispose()  # fresh connections: SQLite rolls back the hot journal
    assert counts() == before
    assert [p.patient_id for p in registry.patients()] == ["before"]
    # and the database still takes writes
    assert import_path(registry, src).imported[-1] == "k39"


def test_export_all_reimports_exactly(registry: Registry, tmp_path: Path) -> None:
    src = _jsonl(tmp_path / "batch.jsonl", [_rec(f"p{i}") for i in range(3)])
    import_path(registry, src)
    out = tmp_path / "export.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        assert registry.export_jsonl(fh) == 3
    other = Registry.connect(f"sqlite:///{tmp_path / 'other.db'}", actor="t")
    other.upgrade()
    assert import_path(other, out).imported == ("p0", "p1", "p2")
    for pid in ("p0", "p1", "p2"):
        assert other.record(pid) == registry.record(pid)
    exports = [e for e in registry.audit_trail("p1") if e.action == "export"]
    assert exports and exports[0].detail == {"format": "jsonl"}
