"""Rows per second of the batch decisions on 20,000 simulated rows (a timing script, not a test).

Run: ``.venv/bin/python benchmarks/time_batch_decide.py [rows]``. Fits a small model on a
simulated cohort, lays out ``rows`` records (1,000 simulated patients repeated) and times
``score_frame`` (bulk screening, one-pass scores, decisions) and ``decide_columns`` within it;
then ``facts_from_records`` on the same records. Not part of ``run_all.py``.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

ARMS = ["cpt", "pe", "sertraline", "prazosin", "mdma_at"]


def main(rows: int) -> None:
    """Print the three rates."""
    from ptsdrx.batch import _decide, _run
    from ptsdrx.batch._facts import facts_from_records, needs
    from ptsdrx.batch._fast import FastScorer
    from ptsdrx.batch._screen import BulkScreener
    from ptsdrx.cohort import simulate
    from ptsdrx.cohort._record import row_to_record
    from ptsdrx.features import from_cohort, from_records
    from ptsdrx.recommend import default_policy
    from ptsdrx.response import TreatmentResponseModel
    from ptsdrx.screening import load_rules

    df = simulate(1500, design="randomized", arms=ARMS, random_state=11)
    df = df[df["pcl5_w12"].notna()].reset_index(drop=True)
    model = TreatmentResponseModel(fast=True, random_state=0).fit(
        df["pcl5_w12"], df["arm"], X=from_cohort(df)
    )
    base = [row_to_record(r) for r in df.head(1000).to_dict("records")]
    records = [base[i % len(base)].model_copy(update={"patient_id": f"p{i}"}) for i in range(rows)]
    rules = load_rules()
    need = needs(rules)
    scorer, screener, policy = FastScorer(model), BulkScreener(rules), default_policy()
    t = time.perf_counter()
    facts = facts_from_records(records, need)
    laid_out = time.perf_counter() - t
    facts.cols["jurisdiction"] = np.array(
        [r.demographics.jurisdiction if r.demographics else None for r in records], dtype=object
    )
    names = [str(c) for c in scorer.feature_names_in_]
    X = from_records(records).reindex(columns=names).to_numpy(dtype=float)
    ids = np.array([r.patient_id for r in records], dtype=object)
    settings = _run.Settings("", "", 0.1, "rules", 1, "model")
    spent = [0.0]
    decide_columns = _decide.decide_columns

    def timed(**kw: Any) -> Any:
        t = time.perf_counter()
        out = decide_columns(**kw)
        spent[0] += time.perf_counter() - t
        return out

    _decide.decide_columns = timed  # type: ignore[assignment]
    t = time.perf_counter()
    _run.score_frame(facts, X, ids, scorer, screener, policy, settings)
    total = time.perf_counter() - t
    print(f"rows={rows}")
    print(f"score_frame        {rows / total:8,.0f} rows/s ({total:.1f} s)")
    print(f"decide_columns     {rows / spent[0]:8,.0f} rows/s ({spent[0]:.1f} s)")
    print(f"facts_from_records {rows / laid_out:8,.0f} rows/s ({laid_out:.1f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
