"""The de-identified research export on 10,000 simulated patients: k-anonymity and time.

A registry of ``--patients`` simulated patients (``ptsdrx.cohort.simulate`` and
``row_to_record``, research consent given) is built in a temporary SQLite file, 1,000
patients per transaction, with identifiers (name, MRN, a ZIP code from a pool of 24 across
the US, two of them in restricted three-digit areas) and one treatment episode each. The
research export (``ptsdrx.research.export_research``) then runs twice: without suppression
(the k-anonymity / l-diversity report only) and with suppression of classes smaller than
``--k``. Quasi-identifiers: age group, sex, ZIP3, year of the index trauma; sensitive
attribute: index trauma type. ``pycanon`` (the library a user would otherwise call) measures
k and l inside the export; ``anonymity`` is timed again alone on the exported table, to show
pycanon's part of the export time, and run once more with each quasi-identifier left out
(which one splits the classes most).

Writes ``docs/benchmarks/research.md``. Usage: ``python benchmarks/bench_research.py
[--patients 10000] [--k 5]``.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "benchmarks" / "research.md"
ZIPS = (
    "97201", "97301", "80302", "80202", "10001", "11201", "60614", "60601", "94110", "90012",
    "02139", "73301", "77002", "98101", "30303", "33101", "48201", "55401", "85004", "19104",
    "37203", "84101", "03601", "69201",
)  # fmt: skip


def build(url: str, n: int, seed: int) -> float:
    """Register ``n`` simulated patients; returns the seconds it took."""
    from ptsdrx.cohort import row_to_record, simulate
    from ptsdrx.records import Consent
    from ptsdrx.registry import Identifiers, Registry
    from ptsdrx.registry._db import utcnow
    from ptsdrx.registry._models import TreatmentEpisodeRow

    t0 = time.perf_counter()
    reg = Registry.connect(url, actor="bench")
    reg.upgrade()
    rng = random.Random(seed)
    rows = simulate(n, random_state=seed, arms=["paroxetine", "pe"]).to_dict("records")
    consent = Consent(research_use=True)
    for first in range(0, n, 1000):
        with reg.transaction() as session:
            for i in range(first, min(n, first + 1000)):
                row = rows[i]
                rec = row_to_record(row).model_copy(update={"consent": consent})
                idents = Identifiers(
                    name=f"Simulated Person {i}", mrn=f"R{i:07d}", postal_code=rng.choice(ZIPS)
                )
                pid = reg.insert_record(session, rec, idents)
                session.add(
                    TreatmentEpisodeRow(
                        patient_id=pid,
                        treatment=str(row["arm"]),
                        started_on=rec.as_of,
                        ended_on=None,
                        status="active",
                        note=None,
                        created_at=utcnow(),
                        created_by="bench",
                    )
                )
        print(f"registered {min(n, first + 1000):,}", flush=True)
    reg.engine.dispose()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()

    from importlib.metadata import version

    import pandas as pd

    from ptsdrx.registry import Registry
    from ptsdrx.research import QUASI_IDENTIFIERS, anonymity, export_research

    tmp = Path(tempfile.mkdtemp(prefix="bench_research_"))
    url = f"sqlite:///{tmp / 'registry.db'}"
    build_s = build(url, args.patients, args.seed)
    reg = Registry.connect(url, actor="bench")
    secret = b"bench-research-secret-0123456789"
    runs = []
    for k in (None, args.k):
        out = tmp / f"export_k{k}"
        t = time.perf_counter()
        result = export_research(reg, out, secret=secret, k=k)
        seconds = time.perf_counter() - t
        qi = pd.read_parquet(out / "patients.parquet").merge(
            pd.read_parquet(out / "trauma.parquet")[
                ["pseudonym", "index_trauma_year", "index_trauma_type"]
            ],
            on="pseudonym",
            how="left",
        )
        t = time.perf_counter()
        again = anonymity(qi)
        canon_s = time.perf_counter() - t
        a = result.after
        assert (again is None) == (a is None)  # None: every patient was suppressed
        if again is not None and a is not None:
            assert (again.k, again.l_diversity) == (a.k, a.l_diversity)
        runs.append((k, result, seconds, canon_s))
        if k is None:
            runs_qi = qi
            without = {
                q: anonymity(qi, quasi=[x for x in QUASI_IDENTIFIERS if x != q])
                for q in QUASI_IDENTIFIERS
            }
        print(
            f"k={k}: exported {result.patients:,}, suppressed {result.suppressed:,}, "
            f"{a and (a.k, a.l_diversity, a.classes)}, {seconds:.1f} s",
            flush=True,
        )
    restricted = sum(z in ("03601", "69201") for z in ZIPS)
    lines = [
        "## De-identified research export: k-anonymity on a simulated registry (issue 15)",
        "",
        f"A SQLite registry of {args.patients:,} simulated patients (`ptsdrx.cohort`, seed "
        f"{args.seed}; research consent; a ZIP code each from a pool of {len(ZIPS)}, "
        f"{restricted} in restricted three-digit areas; one episode each; built in "
        f"{build_s:.0f} s). Quasi-identifiers: {', '.join(QUASI_IDENTIFIERS)}; sensitive "
        f"attribute: index trauma type; k and l by pycanon {version('pycanon')} inside the "
        f"export. Export time is the whole `export_research` call (read, transform, measure, "
        f"suppress, write Parquet, audit). {platform.processor() or platform.machine()}, "
        f"2 cores, Python {platform.python_version()}; {datetime.now(UTC):%Y-%m-%d}. "
        f"`python benchmarks/bench_research.py`.",
        "",
        "| suppression | patients exported | suppressed | k | l | equivalence classes | "
        "export (s) | of which pycanon k, l (s) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for k, result, seconds, canon_s in runs:
        a = result.after
        kl = "- | - | 0" if a is None else f"{a.k} | {a.l_diversity} | {a.classes:,}"
        lines.append(
            f"| {'none' if k is None else f'classes < {k}'} | {result.patients:,} | "
            f"{result.suppressed:,} | {kl} | {seconds:.1f} | {canon_s:.2f} |"
        )
    before = runs[0][1].after
    assert before is not None
    sizes = ", ".join(f"{n:,} of size {s}" for s, n in before.smallest_classes.items())
    lines += [
        "",
        f"Without suppression the smallest classes are: {sizes}. The same registry "
        f"measured with one quasi-identifier left out at a time (no suppression):",
        "",
        f"| left out | k | l | equivalence classes | patients in classes < {args.k} |",
        "| --- | --- | --- | --- | --- |",
    ]
    for q, a in without.items():
        assert a is not None
        rest = [x for x in QUASI_IDENTIFIERS if x != q]
        small = int((runs_qi.groupby(rest, dropna=False)[rest[0]].transform("size") < args.k).sum())
        lines.append(f"| {q} | {a.k} | {a.l_diversity} | {a.classes:,} | {small:,} |")
    lines.append("")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
