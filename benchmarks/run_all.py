"""Run every benchmark and assemble ``docs/benchmarks.md`` from the per-area fragments.

Each ``benchmarks/bench_<area>.py`` writes ``docs/benchmarks/<area>.md`` with its figures,
measured side by side with the library a user would otherwise use. This script runs them in
turn (each in its own process, so memory peaks are its own) and then concatenates the
fragments under one header, so ``docs/benchmarks.md`` always shows the latest figures.

Usage: ``python benchmarks/run_all.py [--only cohort,response] [--collect-only]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAGMENTS = ROOT / "docs" / "benchmarks"
OUT = ROOT / "docs" / "benchmarks.md"

HEADER = """# Benchmarks

Figures from `benchmarks/` (run `make bench`), on the project's reference machine: 2 cores,
24 GiB. Each section is written by its script; comparisons are side by side in one run and
given as ratios. Speed is never asserted in unit tests.
"""


def scripts(only: set[str] | None) -> list[Path]:
    """The benchmark scripts to run, by area name (``bench_<area>.py``)."""
    found = sorted(Path(__file__).parent.glob("bench_*.py"))
    return [p for p in found if only is None or p.stem.removeprefix("bench_") in only]


def _demote(markdown: str) -> str:
    """Push every heading one level down so fragments nest under this file's title."""
    return "\n".join("#" + line if line.startswith("#") else line for line in markdown.split("\n"))


def collect() -> str:
    """``docs/benchmarks.md``: the header, then every fragment in name order."""
    parts = [HEADER]
    for fragment in sorted(FRAGMENTS.glob("*.md")):
        body = _demote(fragment.read_text(encoding="utf-8").strip())
        body = body.replace("](../images/", "](images/")  # fragments live one level deeper
        parts.append(f"<!-- from docs/benchmarks/{fragment.name} -->\n{body}\n")
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated areas, e.g. cohort,response")
    parser.add_argument("--collect-only", action="store_true", help="only assemble the file")
    args = parser.parse_args()
    failed: list[str] = []
    if not args.collect_only:
        only = set(args.only.split(",")) if args.only else None
        for script in scripts(only):
            print(f"== {script.name}", flush=True)
            if subprocess.run([sys.executable, str(script)], cwd=ROOT).returncode != 0:
                failed.append(script.name)
    OUT.write_text(collect(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
