"""``score_batch``: local and Dask backends give identical output; resumable after SIGKILL;
bad records go to the rejects with their error; decisions agree with ``recommend()``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ptsdrx.batch import plan_partitions, score_batch, write_source

EXAMPLES = sorted(Path("examples/patients").glob("*.json"))


def _records(cohort: Any, n: int) -> list[Any]:
    from ptsdrx.cohort._record import row_to_record

    out = []
    for i, row in enumerate(cohort.head(n).to_dict("records")):
        rec = row_to_record(row)
        out.append(rec.model_copy(update={"patient_id": f"sim-{i:05d}"}))
    return out


def _hand_built() -> list[Any]:
    """A clean patient four times over: a failed adequate sertraline course, a refused
    treatment, unwilling for psychotherapy, sessions capped below ketamine's 3 h."""
    from ptsdrx.records import Preferences, PriorTreatment, load_record

    base = load_record("examples/patients/first_responder_clean.json")
    prefs = base.preferences or Preferences()
    failed = PriorTreatment(treatment="sertraline", adequate=True, response="none")
    changes = {
        "hand-failed-sertraline": {"prior_treatments": [failed]},
        "hand-refused-cpt": {
            "preferences": prefs.model_copy(update={"refused_treatments": ["cpt"]})
        },
        "hand-no-psychotherapy": {
            "preferences": prefs.model_copy(update={"willing_psychotherapy": False})
        },
        "hand-short-sessions": {"preferences": prefs.model_copy(update={"max_session_hours": 2.5})},
    }
    return [base.model_copy(update={"patient_id": pid, **u}) for pid, u in changes.items()]


#: Hand-built patient -> options ``recommend`` (and so batch) must mark "not preferred".
DEMOTED = {
    "hand-failed-sertraline": {"sertraline"},
    "hand-refused-cpt": {"cpt"},
    "hand-no-psychotherapy": {"cpt", "pe", "emdr"},
    "hand-short-sessions": {"ketamine_iv"},
}
ROWS = 124


@pytest.fixture(scope="module")
def records(cohort: Any) -> list[Any]:
    from ptsdrx.records import load_record

    return [load_record(p) for p in EXAMPLES] + _records(cohort, 110) + _hand_built()


@pytest.fixture(scope="module")
def jsonl(records: list[Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("src") / "records.jsonl"
    lines = [r.model_dump_json() for r in records]
    lines.insert(7, '{"patient_id": "bad-age", "demographics": {"age": 500}}')
    lines.insert(30, "{not json")
    lines.insert(50, '{"demographics": {"age": 40}}')  # no patient id
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.fixture(scope="module")
def parquet_source(records: list[Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pq")
    write_source(records, out, row_group_size=20, file_rows=70)
    return out


@pytest.fixture(scope="module")
def local_out(jsonl: Path, model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    sink = tmp_path_factory.mktemp("local") / "out"
    report = score_batch(jsonl, sink, model_dir, chunk=40)
    assert report.partitions == 4 and report.skipped == 0
    assert report.rows == ROWS and report.rejected == 3
    return sink


def _table(sink: Path) -> pa.Table:
    return pq.read_table(sink).sort_by("patient_id")


def _files(sink: Path) -> dict[str, pa.Table]:
    return {p.name: pq.read_table(p) for p in sorted(sink.glob("part-*.parquet"))}


def test_local_output_has_every_arm_status_and_decision(local_out: Path, fitted: Any) -> None:
    t = _table(local_out)
    assert t.num_rows == ROWS
    for arm in fitted.arms_:
        for prefix in ("pred", "lo", "hi", "screen"):
            assert f"{prefix}.{arm}" in t.column_names
    for name in ("first_option", "recommended", "abstained", "reason", "model_version"):
        assert name in t.column_names
    rows = t.to_pylist()
    assert all(r["reason"] for r in rows)
    assert all((r["recommended"] is None) == r["abstained"] for r in rows)
    assert all(r["recommended"] in (None, r["first_option"]) for r in rows)
    for r in rows:
        for arm in fitted.arms_:
            assert r[f"lo.{arm}"] <= r[f"pred.{arm}"] <= r[f"hi.{arm}"]


def test_bad_records_go_to_rejects_with_their_error(local_out: Path) -> None:
    lines = [
        json.loads(x)
        for f in sorted((local_out / "_rejects").glob("*.jsonl"))
        for x in f.read_text("utf-8").splitlines()
    ]
    assert sorted(r["line"] for r in lines) == [8, 31, 51]
    errors = " | ".join(r["error"] for r in lines)
    assert "demographics.age" in errors and "Invalid JSON" in errors and "patient_id" in errors
    assert "500" not in errors  # the error names the field, not the record's contents


def test_a_chunk_of_only_bad_records_is_written_empty_and_the_run_goes_on(
    records: list[Any], model_dir: Path, tmp_path: Path
) -> None:
    """Every line of the first chunk is rejected: that partition is written with no rows
    (same schema as the others), its lines go to the rejects, the next chunk is scored."""
    source = tmp_path / "records.jsonl"
    good = [r.model_dump_json() for r in records[:3]]
    source.write_text("\n".join(["{not json", '{"demographics": {"age": 40}}', *good]) + "\n")
    sink = tmp_path / "out"
    report = score_batch(source, sink, model_dir, chunk=2)
    assert (report.rows, report.rejected, report.partitions) == (3, 2, 3)
    files = _files(sink)
    first = files[min(files)]
    assert first.num_rows == 0
    assert all(t.schema.equals(first.schema) for t in files.values())
    assert _table(sink).num_rows == 3


def test_parquet_source_gives_the_same_output_as_jsonl(
    parquet_source: Path, local_out: Path, model_dir: Path, tmp_path: Path
) -> None:
    parts = plan_partitions(parquet_source, 40)
    assert {p.kind for p in parts} == {"parquet"} and len(parts) >= 3
    report = score_batch(parquet_source, tmp_path / "out", model_dir, chunk=40)
    assert report.rows == ROWS and report.rejected == 0
    assert _table(tmp_path / "out").equals(_table(local_out))


def test_decisions_agree_with_recommend_for_every_patient(
    local_out: Path, records: list[Any], fitted: Any
) -> None:
    """Batch's first-ranked option, status of every option, recommendation and reason are
    ``recommend()``'s for every patient: holds, major cautions, failed past courses and
    demoting preferences (refusals, unwillingness, session hours) included."""
    from ptsdrx.batch import FastScorer
    from ptsdrx.recommend import recommend

    by_id = {r["patient_id"]: r for r in _table(local_out).to_pylist()}
    assert len(by_id) == len(records) == ROWS
    fast = FastScorer(fitted)
    held = cautioned = by_history = by_preference = 0
    for rec in records:
        res = recommend(rec, model=fast)
        row = by_id[rec.patient_id]
        first = next(
            (
                o.treatment
                for o in res.options
                if o.status in ("recommended", "alternative") and o.safety_tier != "major caution"
            ),
            None,
        )
        top = res.recommended
        assert row["first_option"] == first, rec.patient_id
        assert {o.treatment: row[f"status.{o.treatment}"] for o in res.options} == {
            o.treatment: o.status for o in res.options
        }, rec.patient_id
        assert row["recommended"] == (top.treatment if top else None), rec.patient_id
        assert row["abstained"] == res.abstained, rec.patient_id
        if res.abstained:
            assert row["reason"] == res.abstention_reason, rec.patient_id
        kinds = {r.kind for o in res.options if o.status == "not preferred" for r in o.reasons}
        held += res.hold is not None
        cautioned += any(o.safety_tier == "major caution" for o in res.options)
        by_history += "history" in kinds
        by_preference += "preference" in kinds
    assert held >= 1 and cautioned >= 1 and by_history >= 2 and by_preference >= 4, (
        held,
        cautioned,
        by_history,
        by_preference,
    )


def test_hand_built_history_and_preferences_demote_in_batch(local_out: Path) -> None:
    by_id = {r["patient_id"]: r for r in _table(local_out).to_pylist()}
    for pid, demoted in DEMOTED.items():
        row = by_id[pid]
        got = {
            c.removeprefix("status.")
            for c, v in row.items()
            if c.startswith("status.") and v == "not preferred"
        }
        assert demoted <= got, (pid, got)
        assert row["first_option"] not in demoted, pid
    clean = by_id["ex-first-responder"]  # the same patient without the course or preference
    for tid in ("sertraline", "cpt", "pe", "ketamine_iv"):
        assert clean[f"status.{tid}"] != "not preferred", tid


def test_a_run_killed_with_sigkill_resumes_to_the_same_output(
    jsonl: Path, local_out: Path, model_dir: Path, tmp_path: Path
) -> None:
    sink = tmp_path / "out"
    cmd = [
        sys.executable, "-m", "ptsdrx", "score-batch", str(jsonl),
        "--model", str(model_dir), "--out", str(sink), "--chunk", "10",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list(sink.glob("part-*.parquet"))) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    done_before = {p.name for p in sink.glob("part-*.parquet")}
    total = len(plan_partitions(jsonl, 10))
    assert 2 <= len(done_before) < total
    report = score_batch(jsonl, sink, model_dir, chunk=10)
    assert report.skipped == len(done_before)
    assert report.partitions == total
    uninterrupted = tmp_path / "clean"
    score_batch(jsonl, uninterrupted, model_dir, chunk=10)
    assert _files(sink).keys() == _files(uninterrupted).keys()
    for name, table in _files(uninterrupted).items():
        assert _files(sink)[name].equals(table), name
    assert not list(sink.glob(".*.tmp"))


def test_a_different_run_into_the_same_sink_is_refused(
    jsonl: Path, local_out: Path, model_dir: Path
) -> None:
    with pytest.raises(ValueError, match="different run"):
        score_batch(jsonl, local_out, model_dir, chunk=7)


def test_dask_local_cluster_gives_identical_output(
    jsonl: Path, local_out: Path, model_dir: Path, tmp_path: Path
) -> None:
    from distributed import Client, LocalCluster

    seen: list[str] = []
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        report = score_batch(jsonl, tmp_path / "out", model_dir, chunk=40, client=client,
                             announce=seen.append)  # fmt: skip
    assert report.rows == ROWS and report.rejected == 3
    assert seen and seen[0].startswith("http://")
    assert _files(tmp_path / "out").keys() == _files(local_out).keys()
    assert _table(tmp_path / "out").equals(_table(local_out))


def _wait_for(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear in {seconds} s")
        time.sleep(0.1)


def test_dask_scheduler_and_workers_as_separate_processes(
    parquet_source: Path, local_out: Path, model_dir: Path, tmp_path: Path
) -> None:
    """A real scheduler and two workers started with the ``dask`` command on loopback."""
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    info = tmp_path / "scheduler.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    common = ["--no-dashboard"]
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--scheduler-file", str(info), *common],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
    ]  # fmt: skip
    try:
        _wait_for(info, 60)
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [dask, "worker", "--scheduler-file", str(info), "--host", "127.0.0.1",
                     "--nthreads", "1", "--nworkers", "1", *common],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                )
            )  # fmt: skip
        address = json.loads(info.read_text("utf-8"))["address"]
        assert address.startswith("tcp://127.0.0.1:")
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        report = score_batch(parquet_source, tmp_path / "out", model_dir, chunk=40,
                             scheduler=address)  # fmt: skip
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    assert report.rows == ROWS
    assert _table(tmp_path / "out").equals(_table(local_out))
