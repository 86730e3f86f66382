"""Copy a finished batch run into the registry's recommendations table (``--to-registry``).

The Parquet sink stays the record of the run; the registry gets one recommendation per
registered patient, so a clinician opening the patient sees the nightly result beside the
ones issued in clinic. Each stored result names the run (``batch_run``, a digest of the
run's manifest), and a patient who already holds that run's recommendation is skipped, so
publishing twice, or after a resumed run, writes nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ptsdrx.batch._run import MANIFEST

BATCH_SIZE = 500
"""Patients per registry transaction (and per ``IN`` list)."""


@dataclass(frozen=True)
class PublishReport:
    """What publishing a run wrote."""

    batch_run: str
    written: int
    already: int
    unknown: int
    """Scored patients that are not in the registry (not written)."""


def _manifest(sink: Path) -> dict[str, Any]:
    path = sink / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"{sink} holds no finished batch run ({MANIFEST} missing)")
    found: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return found


def _run_id(manifest: dict[str, Any]) -> str:
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    return "batch:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def batch_run_id(sink: str | Path) -> str:
    """The run's id: a digest of its manifest (source, partitions, model, rules, policy)."""
    return _run_id(_manifest(Path(sink)))


def _parts(sink: Path, manifest: dict[str, Any]) -> list[Path]:
    """The run's partition files, after checking that every planned one is written."""
    planned = [f"part-{p['id']}.parquet" for p in manifest["partitions"]]
    missing = [name for name in planned if not (sink / name).exists()]
    if missing:
        raise ValueError(
            f"{sink}: the run is not finished ({len(missing)} of {len(planned)} partitions "
            "missing); run score-batch again to finish it first"
        )
    return [sink / name for name in planned]


def _number(x: Any) -> float | None:
    """A float for JSON (PostgreSQL's ``jsonb`` refuses NaN): ``None`` when not finite."""
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class _Layout:
    """Which arms and options a partition's columns hold (read once per file, not per row)."""

    arms: tuple[str, ...]
    intervals: bool
    options: tuple[str, ...]

    @classmethod
    def of(cls, names: list[str]) -> _Layout:
        arms = tuple(sorted(n.removeprefix("pred.") for n in names if n.startswith("pred.")))
        return cls(
            arms=arms,
            intervals=all(f"lo.{a}" in names for a in arms),
            options=tuple(n.removeprefix("status.") for n in names if n.startswith("status.")),
        )


def result_of(row: dict[str, Any], layout: _Layout) -> dict[str, Any]:
    """The stored result of one output row: the decision, then every arm and status."""
    return {
        "kind": "batch",
        "prediction_source": "batch",
        "as_of": date.fromordinal(int(row["as_of"])).isoformat(),
        "recommended": row["recommended"],
        "abstained": bool(row["abstained"]),
        "reason": row["reason"],
        "first_option": row["first_option"],
        "in_support": bool(row["in_support"]),
        "arms": {
            a: {
                "expected_pcl5": _number(row[f"pred.{a}"]),
                "interval": [_number(row[f"lo.{a}"]), _number(row[f"hi.{a}"])]
                if layout.intervals
                else None,
                "screening": row.get(f"screen.{a}"),
            }
            for a in layout.arms
        },
        "statuses": {t: row[f"status.{t}"] for t in layout.options},
        "scorer": row["scorer"],
        "policy_version": int(row["policy_version"]),
        "rules_version": row["rules_version"],
    }


def _batches(path: Path) -> Iterator[tuple[_Layout, list[dict[str, Any]]]]:
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    layout = _Layout.of(list(file.schema_arrow.names))
    for batch in file.iter_batches(batch_size=BATCH_SIZE):
        yield layout, batch.to_pylist()


def publish(
    sink: str | Path, registry: Any, *, progress: Callable[[int, int], None] | None = None
) -> PublishReport:
    """Store every scored patient of the finished run in ``sink`` in ``registry``.

    ``registry`` is a :class:`ptsdrx.registry.Registry`; its actor issues the
    recommendations and is written to the audit log, one entry per patient written.
    """
    out = Path(sink)
    manifest = _manifest(out)
    run, parts = _run_id(manifest), _parts(out, manifest)
    written = already = unknown = 0
    for done, path in enumerate(parts, start=1):
        for layout, rows in _batches(path):
            by_version: dict[str, list[tuple[str, dict[str, Any]]]] = {}
            for row in rows:
                by_version.setdefault(row["model_version"], []).append(
                    (row["patient_id"], result_of(row, layout))
                )
            for version, results in by_version.items():
                w, a, u = registry.issue_batch_recommendations(
                    results, model_version=version, batch_run=run
                )
                written, already, unknown = written + w, already + a, unknown + len(u)
        if progress is not None:
            progress(done, len(parts))
    return PublishReport(batch_run=run, written=written, already=already, unknown=unknown)
