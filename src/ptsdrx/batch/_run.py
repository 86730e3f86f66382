"""``score_batch``: screen, score and rank a whole registry, partition by partition.

One function, two backends. The source is cut into deterministic partitions (Parquet row
groups gathered up to ``chunk`` rows, or ``chunk`` lines of a JSONL file); each partition is
read, screened in bulk, scored in one pass of the model and decided, then written
atomically (temporary file, then ``os.replace``) as ``part-<id>.parquet``. A partition whose
output exists is skipped, so a run killed at any point and started again ends with the same
files as an uninterrupted run. Records that cannot be read go to ``_rejects/part-<id>.jsonl``
with their error (written before the partition's output, which is the commit marker).

Locally the partitions run one after another (memory bounded by one partition); with a
Dask scheduler address, ``dask.dataframe.from_map`` builds a frame over the same partitions
and the ``distributed`` client runs them on the workers, which load the model themselves.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

MANIFEST = "_batch.json"
REJECTS = "_rejects"
"""Rejected records (a leading underscore: Parquet readers skip it in the sink)."""
OUTCOME_DIR = "outcome"


@dataclass(frozen=True)
class Partition:
    """One unit of work: rows ``[start, stop)`` of a file (row groups or lines)."""

    id: str
    kind: str
    """``parquet`` (``start``/``stop`` are row-group indices) or ``jsonl`` (line numbers)."""
    path: str
    start: int
    stop: int


@dataclass(frozen=True)
class BatchReport:
    """What a run did."""

    partitions: int
    skipped: int
    rows: int
    rejected: int
    sink: str
    dashboard: str | None = None


# ------------------------------------------------------------------------- partitions


def _files(source: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if source.is_dir():
        return sorted(p for p in source.rglob("*") if p.suffix in suffixes and p.is_file())
    return [source]


def plan_partitions(source: str | Path, chunk: int) -> list[Partition]:
    """The partitions of ``source``: a Parquet file or dataset directory, or a JSONL file."""
    import pyarrow.parquet as pq

    if chunk < 1:
        raise ValueError(f"chunk must be a positive number of rows; got {chunk}")
    src = Path(source)
    if not src.exists():
        raise FileNotFoundError(f"source {src} does not exist")
    parts: list[Partition] = []
    if src.suffix in (".jsonl", ".ndjson") or (src.is_dir() and not _files(src, (".parquet",))):
        for f, path in enumerate(_files(src, (".jsonl", ".ndjson"))):
            with path.open("rb") as fh:
                lines = sum(1 for _ in fh)
            for k, start in enumerate(range(0, lines, chunk)):
                parts.append(
                    Partition(
                        f"{f:05d}-{k:06d}", "jsonl", str(path), start, min(lines, start + chunk)
                    )
                )
        return parts
    for f, path in enumerate(_files(src, (".parquet",))):
        meta = pq.ParquetFile(path).metadata
        start, rows, k = 0, 0, 0
        for g in range(meta.num_row_groups):
            rows += meta.row_group(g).num_rows
            if rows >= chunk or g == meta.num_row_groups - 1:
                parts.append(Partition(f"{f:05d}-{k:06d}", "parquet", str(path), start, g + 1))
                start, rows, k = g + 1, 0, k + 1
    return parts


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class Settings:
    """What every partition needs, small and picklable (workers load the model themselves)."""

    model_dir: str
    sink: str
    alpha: float
    rules_version: str
    policy_version: int
    model_version: str
    scorer: str = "exact"
    """``exact`` (the model's boosters) or ``compact`` (the distilled scorer, gated)."""


_LOADED: dict[str, Any] = {}


def _engine(settings: Settings) -> Any:
    """The per-process scorer, screener and policy (loaded once per worker process)."""
    key = f"{settings.model_dir}|{settings.scorer}"
    if key not in _LOADED:
        from ptsdrx.batch._compact import load_engine
        from ptsdrx.batch._facts import needs
        from ptsdrx.batch._screen import BulkScreener
        from ptsdrx.recommend import default_policy
        from ptsdrx.screening import load_rules

        scorer = load_engine(Path(settings.model_dir), settings.scorer)
        rules = load_rules()
        _LOADED[key] = (scorer, BulkScreener(rules), needs(rules), default_policy())
    return _LOADED[key]


# ------------------------------------------------------------------------------ read


def _read(
    part: Partition, need: Any, feature_names: list[str]
) -> tuple[Any, Any, Any, list[dict[str, Any]]]:
    """(facts, feature matrix, patient ids, rejects) of one partition."""
    if part.kind == "jsonl":
        return _read_jsonl(part, need, feature_names)
    return _read_parquet(part, need, feature_names)


def _read_jsonl(part: Partition, need: Any, feature_names: list[str]) -> Any:
    from pydantic import ValidationError

    from ptsdrx.batch._facts import facts_from_records
    from ptsdrx.features import from_records
    from ptsdrx.records import PatientRecord

    records, rejects = [], []
    with open(part.path, encoding="utf-8") as fh:
        for line_no, line in enumerate(fh):
            if line_no < part.start:
                continue
            if line_no >= part.stop:
                break
            if not line.strip():
                continue
            try:
                rec = PatientRecord.model_validate_json(line)
            except ValidationError as exc:
                rejects.append({"line": line_no + 1, "error": _errors(exc)})
                continue
            if rec.patient_id is None:
                rejects.append({"line": line_no + 1, "error": "patient_id: required for batch"})
                continue
            records.append(rec)
    facts = facts_from_records(records, need)
    X = from_records(records).reindex(columns=feature_names).to_numpy(dtype=float)
    ids = np.array([r.patient_id for r in records], dtype=object)
    facts.cols["jurisdiction"] = np.array(
        [r.demographics.jurisdiction if r.demographics else None for r in records], dtype=object
    )
    return facts, X, ids, rejects


def read_features(parts: list[Partition], feature_names: list[str], limit: int) -> Any:
    """The feature rows of a source's first partitions, up to ``limit`` (to distil on).

    Rows that would be rejected are left out, as in a run. A DataFrame with the model's
    column names.
    """
    import pandas as pd

    from ptsdrx.batch._facts import needs
    from ptsdrx.screening import load_rules

    need = needs(load_rules())
    blocks, total = [], 0
    for part in parts:
        X = _read(part, need, feature_names)[1]
        blocks.append(X)
        total += len(X)
        if total >= limit:
            break
    if total == 0:
        raise ValueError("the source has no rows to distil on")
    return pd.DataFrame(np.vstack(blocks)[:limit], columns=feature_names)


def _errors(exc: Any) -> str:
    """A validation error as ``field: message`` pairs (no record contents)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in exc.errors()
    )


def _read_parquet(part: Partition, need: Any, feature_names: list[str]) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ptsdrx.batch._facts import from_arrow

    table = pq.ParquetFile(part.path).read_row_groups(list(range(part.start, part.stop)))
    base = sum(pq.ParquetFile(part.path).metadata.row_group(g).num_rows for g in range(part.start))
    wanted = [f"feature.{c}" for c in feature_names]
    absent = [c for c in ["patient_id", *wanted] if c not in table.column_names]
    if absent:
        raise ValueError(f"{part.path}: source lacks columns {absent}")
    X = np.column_stack(
        [table.column(c).to_numpy(zero_copy_only=False).astype(float) for c in wanted]
    )
    ids = np.asarray(table.column("patient_id").to_pylist(), dtype=object)
    bad_id = np.array([i is None or i == "" for i in ids], dtype=bool)
    bad_x = np.isinf(X).any(axis=1)
    bad = bad_id | bad_x
    rejects = []
    for r in np.flatnonzero(bad):
        why = (
            "patient_id: required for batch"
            if bad_id[r]
            else (
                "features: infinite values in "
                + ", ".join(wanted[j] for j in np.flatnonzero(np.isinf(X[r])))
            )
        )
        rejects.append({"row": int(base + r), "error": why})
    if bad.any():
        table = table.filter(pa.array(~bad))
        X, ids = X[~bad], ids[~bad]
    facts = from_arrow(table, need)
    facts.cols["jurisdiction"] = (
        np.asarray(table.column("jurisdiction").to_pylist(), dtype=object)
        if "jurisdiction" in table.column_names
        else np.full(len(ids), None, dtype=object)
    )
    return facts, X, ids, rejects


# ---------------------------------------------------------------------------- score


def score_partition(part: Partition, settings: Settings) -> dict[str, Any]:
    """Score one partition and write it atomically; skip it when its output exists."""
    sink = Path(settings.sink)
    out = sink / f"part-{part.id}.parquet"
    if out.exists():
        return {"id": part.id, "rows": 0, "rejected": 0, "skipped": True}
    scorer, screener, need, policy = _engine(settings)
    names = [str(c) for c in scorer.feature_names_in_]
    facts, X, ids, rejects = _read(part, need, names)
    table = score_frame(facts, X, ids, scorer, screener, policy, settings)
    _write_rejects(sink, part, rejects)
    _atomic_parquet(table, out)
    return {"id": part.id, "rows": table.num_rows, "rejected": len(rejects), "skipped": False}


def score_frame(
    facts: Any, X: Any, ids: Any, scorer: Any, screener: Any, policy: Any, settings: Settings
) -> Any:
    """The output table of one chunk.

    Per arm prediction, interval and screening status; per catalog treatment the decision
    status; first-ranked open option; recommended or abstained with the reason; versions.
    """
    import pyarrow as pa

    from ptsdrx.batch._decide import decide_columns
    from ptsdrx.batch._facts import row_courses, row_preferences
    from ptsdrx.screening import STATUSES

    n = len(ids)
    arms = [str(a) for a in scorer.arms_]
    screening = screener.screen(facts)
    if n:
        plan = scorer.plan(np.ascontiguousarray(X, dtype=float), alpha=settings.alpha, cache=False)
        outcomes, support, lo, hi = plan.outcomes, plan.in_support, plan.lo, plan.hi
    else:
        outcomes = lo = hi = np.zeros((0, len(arms)))
        support = np.zeros(0, dtype=bool)
        plan = None

    def advantage(b: int, r: int, rows: Any) -> tuple[Any, Any]:
        assert plan is not None
        eff = outcomes[rows, r] - outcomes[rows, b]  # points best gains over the runner-up
        return scorer.group_bounds(eff, b, r, settings.alpha)

    hold = _holds(facts, screener.rules, policy, n)
    decisions = decide_columns(
        arms=arms,
        screening=screening,
        rules=screener.rules,
        outcomes=outcomes,
        lo=lo,
        hi=hi,
        in_support=support,
        advantage=advantage,
        jurisdiction=facts.cols["jurisdiction"],
        baseline=facts.cols["baseline_pcl5"],
        hold=hold,
        policy=policy,
        preferences=row_preferences(facts),
        courses=row_courses(facts),
    )
    cols: dict[str, Any] = {
        "patient_id": pa.array(list(ids), type=pa.string()),
        "as_of": pa.array([int(d) for d in facts.today], type=pa.int64()),
    }
    screened = {t: i for i, t in enumerate(screening.treatments)}
    for a, arm in enumerate(arms):
        cols[f"pred.{arm}"] = pa.array(np.clip(outcomes[:, a], 0.0, 80.0))
        if lo is not None and hi is not None:
            cols[f"lo.{arm}"] = pa.array(np.maximum(lo[:, a], 0.0))
            cols[f"hi.{arm}"] = pa.array(np.minimum(hi[:, a], 80.0))
        if arm in screened:
            status = screening.status[screened[arm]]
            cols[f"screen.{arm}"] = pa.array([STATUSES[s] for s in status], type=pa.string())
    cols["in_support"] = pa.array(support)
    cols["first_option"] = pa.array(list(decisions.first), type=pa.string())
    for tid, status in decisions.statuses.items():
        cols[f"status.{tid}"] = pa.array(list(status), type=pa.string())
    cols["recommended"] = pa.array(list(decisions.recommended), type=pa.string())
    cols["abstained"] = pa.array(decisions.abstained)
    cols["reason"] = pa.array(list(decisions.reason), type=pa.string())
    cols["model_version"] = pa.array([settings.model_version] * n, type=pa.string())
    cols["scorer"] = pa.array([settings.scorer] * n, type=pa.string())
    cols["policy_version"] = pa.array([settings.policy_version] * n, type=pa.int64())
    cols["rules_version"] = pa.array([settings.rules_version] * n, type=pa.string())
    return pa.table(cols)


def _holds(facts: Any, rules: Any, policy: Any, n: int) -> Any:
    """The hold reason per row, as ``recommend`` words it.

    From the urgent flags the latest administration of each flag's instrument raised (the
    screening's safety flags).
    """
    order = list(policy.safety_flags)
    out = np.full(n, None, dtype=object)
    raised = [
        (flag, facts.cols[f"{spec.instrument}.flags"])
        for flag, spec in rules.urgent_flags.items()
        if flag in policy.hold_flags
    ]
    for i in range(n):
        found = {flag for flag, col in raised if flag in col[i]}
        if found:
            held = sorted(found, key=lambda f: (order.index(f) if f in order else 99, f))
            out[i] = (
                f"urgent safety flag ({', '.join(held)}): evaluate safety before choosing a "
                "treatment"
            )
    return out


def _atomic_parquet(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq

    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def _write_rejects(sink: Path, part: Partition, rejects: list[dict[str, Any]]) -> None:
    target = sink / REJECTS / f"part-{part.id}.jsonl"
    if not rejects:
        target.unlink(missing_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        for r in rejects:
            fh.write(json.dumps({"partition": part.id, "source": part.path, **r}) + "\n")
    os.replace(tmp, target)


# ------------------------------------------------------------------------------ run


def _settings(model_dir: Path, sink: Path, alpha: float, scorer: str = "exact") -> Settings:
    from ptsdrx.recommend import default_policy
    from ptsdrx.response import read_manifest
    from ptsdrx.screening import load_rules

    outcome = model_dir / OUTCOME_DIR if (model_dir / OUTCOME_DIR).is_dir() else model_dir
    if not (outcome / "model.skops").exists():
        raise FileNotFoundError(
            f"{model_dir}: no model.skops here or in {OUTCOME_DIR}/ (ptsdrx train/demo write it)"
        )
    manifest = read_manifest(outcome)
    version = str(manifest.get("created", ""))
    card = model_dir / "model_card.json"
    if card.exists():
        data = json.loads(card.read_text("utf-8"))
        version = str(data.get("version", version))
    digest = hashlib.sha256((outcome / "model.skops").read_bytes()).hexdigest()
    if scorer not in ("exact", "compact"):
        raise ValueError(f"scorer must be 'exact' or 'compact', got {scorer!r}")
    distilled = ""
    if scorer == "compact":
        from ptsdrx.batch._compact import COMPACT_DIR, load_engine

        load_engine(outcome, "compact")  # refuses a missing, stale or failing scorer now
        compact = (outcome / COMPACT_DIR / "model.skops").read_bytes()
        distilled = f" compact sha256:{hashlib.sha256(compact).hexdigest()[:12]}"
    return Settings(
        model_dir=str(outcome.resolve()),
        sink=str(sink),
        alpha=alpha,
        rules_version=str(load_rules().version),
        policy_version=int(default_policy().version),
        model_version=f"{version.strip()} sha256:{digest[:12]}{distilled}".strip(),
        scorer=scorer,
    )


def _check_manifest(sink: Path, run: dict[str, Any]) -> None:
    """A resumed run must be the same run (source, partitions, model, rules, policy)."""
    path = sink / MANIFEST
    if path.exists():
        before = json.loads(path.read_text("utf-8"))
        if before != run:
            changed = sorted(k for k in run if before.get(k) != run[k])
            raise ValueError(
                f"{sink} holds output of a different run (differs in {', '.join(changed)}); "
                "use a new sink or remove it"
            )
        return
    tmp = sink / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(json.dumps(run, indent=2, sort_keys=True), "utf-8")
    os.replace(tmp, path)


def score_batch(
    source: str | Path,
    sink: str | Path,
    model: str | Path,
    *,
    scheduler: str | None = None,
    client: Any = None,
    chunk: int = 50_000,
    alpha: float = 0.1,
    scorer: str = "exact",
    progress: Callable[[int, int], None] | None = None,
    announce: Callable[[str], None] | None = None,
) -> BatchReport:
    """Screen, score and rank every patient of ``source`` into the Parquet dataset ``sink``.

    Parameters
    ----------
    source : a Parquet file or dataset directory (the layout of ``ptsdrx.batch.write_source``)
        or a JSONL file of ``PatientRecord`` (one per line).
    sink : output directory: ``part-<id>.parquet`` per partition, ``_rejects/``, ``_batch.json``.
    model : a model directory as ``ptsdrx demo``/``train`` write it (``outcome/`` inside).
    scheduler : a Dask scheduler address (``tcp://host:port``); ``client`` an existing
        ``distributed.Client``. Neither: the local backend.
    chunk : rows per partition (bounded memory: one partition at a time per worker).
    scorer : ``exact`` (the model's own boosters, as ``recommend()``) or ``compact`` (the
        distilled scorer ``ptsdrx distill`` saved, refused unless it passes
        ``ptsdrx.batch.GATE``); each output row names it in ``scorer``.
    progress : called with (partitions done, total) as partitions finish.
    announce : called once with the Dask dashboard address when distributed.
    """
    model_dir, out = Path(model), Path(sink)
    parts = plan_partitions(source, chunk)
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob(".*.tmp"), *(out / REJECTS).glob(".*.tmp")]:
        stale.unlink(missing_ok=True)  # left by a killed run: never visible to readers
    settings = _settings(model_dir, out, alpha, scorer)
    run = {
        "source": str(Path(source).resolve()),
        "chunk": chunk,
        "partitions": [asdict(p) for p in parts],
        "model_version": settings.model_version,
        "rules_version": settings.rules_version,
        "policy_version": settings.policy_version,
        "alpha": alpha,
        "scorer": scorer,
    }
    _check_manifest(out, run)
    dashboard = None
    if scheduler is None and client is None:
        stats = list(_local(parts, settings, progress))
    else:
        stats, dashboard = _distributed(parts, settings, scheduler, client, progress, announce)
    return BatchReport(
        partitions=len(parts),
        skipped=sum(s["skipped"] for s in stats),
        rows=sum(s["rows"] for s in stats),
        rejected=sum(s["rejected"] for s in stats),
        sink=str(out),
        dashboard=dashboard,
    )


def _local(
    parts: list[Partition], settings: Settings, progress: Callable[[int, int], None] | None
) -> Iterator[dict[str, Any]]:
    for done, part in enumerate(parts, start=1):
        yield score_partition(part, settings)
        if progress is not None:
            progress(done, len(parts))


def _partition_stats(part: Partition, settings: Settings) -> Any:
    """One Dask partition: score it, return its stats as a one-row frame."""
    import pandas as pd

    return pd.DataFrame([score_partition(part, settings)])


def _distributed(
    parts: list[Partition],
    settings: Settings,
    scheduler: str | None,
    client: Any,
    progress: Callable[[int, int], None] | None,
    announce: Callable[[str], None] | None,
) -> tuple[list[dict[str, Any]], str | None]:
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, as_completed

    own = client is None
    client = client or Client(scheduler, set_as_default=False)
    try:
        dashboard = getattr(client, "dashboard_link", None)
        if announce is not None and dashboard:
            announce(dashboard)
        if not parts:
            return [], dashboard
        meta = pd.DataFrame(
            {
                "id": pd.Series(dtype=str),
                "rows": pd.Series(dtype=int),
                "rejected": pd.Series(dtype=int),
                "skipped": pd.Series(dtype=bool),
            }
        )
        stats: list[dict[str, Any]] = []
        with client.as_current():
            frame = dd.from_map(
                _partition_stats, parts, settings=settings, meta=meta, enforce_metadata=False
            )
            futures = client.compute(frame.to_delayed())
            for done, fut in enumerate(as_completed(futures), start=1):
                stats.extend(fut.result().to_dict("records"))
                if progress is not None:
                    progress(done, len(parts))
        return stats, dashboard
    finally:
        if own:
            client.close()
