"""Write the Parquet source layout of ``score-batch`` from patient records.

The layout is the columnar facts (:mod:`ptsdrx.batch._facts`) plus ``patient_id``,
``jurisdiction`` and the model features as ``feature.<name>`` (``ptsdrx.features`` schema).
Row groups are the unit of a partition, so ``row_group_size`` sets the finest ``--chunk``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ptsdrx.batch._facts import facts_from_records, iter_chunks, needs, to_arrow
from ptsdrx.records import PatientRecord


def source_table(records: list[PatientRecord], rules: Any = None) -> Any:
    """One ``pyarrow.Table`` in the source layout for ``records``."""
    import pyarrow as pa

    from ptsdrx.features import from_records
    from ptsdrx.screening import load_rules

    need = needs(rules or load_rules())
    facts = facts_from_records(records, need)
    X = from_records(records)
    extra: dict[str, Any] = {
        "patient_id": pa.array([r.patient_id for r in records], type=pa.string()),
        "jurisdiction": pa.array(
            [r.demographics.jurisdiction if r.demographics else None for r in records],
            type=pa.string(),
        ),
    }
    for c in X.columns:
        extra[f"feature.{c}"] = pa.array(X[c].to_numpy(dtype=float))
    return to_arrow(facts, extra)


def write_source(
    records: Iterable[PatientRecord],
    path: str | Path,
    *,
    row_group_size: int = 10_000,
    file_rows: int = 1_000_000,
) -> list[Path]:
    """Write ``records`` as a Parquet dataset directory (one file per ``file_rows``)."""
    import pyarrow.parquet as pq

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for f, chunk in enumerate(iter_chunks(records, file_rows)):
        target = out / f"source-{f:05d}.parquet"
        schema = source_table(chunk[:1]).schema
        with pq.ParquetWriter(target, schema) as writer:
            for group in iter_chunks(chunk, row_group_size):
                writer.write_table(source_table(group).cast(schema))
        written.append(target)
    return written
