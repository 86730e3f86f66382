"""Fast and registry-scale scoring: one pass per patient, bulk screening, Dask backends.

Public API::

    from ptsdrx.batch import FastScorer        # recommend(record, model=FastScorer(m))
    from ptsdrx.batch import score_batch       # a whole registry, locally or on Dask
    from ptsdrx.batch import BulkScreener      # the rules file over columns
    from ptsdrx.batch import distill           # the gated distilled scorer for --scorer compact
    from ptsdrx.batch import publish           # a finished run into the registry's table
"""

from ptsdrx.batch._compact import GATE, CompactEngine, check_fidelity, distill
from ptsdrx.batch._facts import Facts, Needs, facts_from_records, from_arrow, needs, to_arrow
from ptsdrx.batch._fast import TOLERANCE, FastScorer, ScoringPlan
from ptsdrx.batch._publish import PublishReport, batch_run_id, publish
from ptsdrx.batch._run import BatchReport, Partition, plan_partitions, score_batch
from ptsdrx.batch._screen import BulkResult, BulkScreener
from ptsdrx.batch._source import source_table, write_source

__all__ = [
    "GATE",
    "TOLERANCE",
    "BatchReport",
    "BulkResult",
    "BulkScreener",
    "CompactEngine",
    "Facts",
    "FastScorer",
    "Needs",
    "Partition",
    "PublishReport",
    "ScoringPlan",
    "batch_run_id",
    "check_fidelity",
    "distill",
    "facts_from_records",
    "from_arrow",
    "needs",
    "plan_partitions",
    "publish",
    "score_batch",
    "source_table",
    "to_arrow",
    "write_source",
]
