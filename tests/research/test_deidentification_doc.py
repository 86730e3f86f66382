"""docs/deidentification.md lists the 18 Safe Harbor classes and cites the code's data."""

from __future__ import annotations

import re
from pathlib import Path

from ptsdrx.research import QUASI_IDENTIFIERS, SENSITIVE, restricted_zip3

DOC = Path(__file__).resolve().parents[2] / "docs" / "deidentification.md"
HANDLING = {"dropped", "generalised", "pseudonymised", "not collected"}
ROW = re.compile(r"^\| \(([A-Z])\) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", re.MULTILINE)


def _rows() -> list[tuple[str, str, str, str]]:
    found = ROW.finditer(DOC.read_text(encoding="utf-8"))
    return [(m[1], m[2].strip(), m[3].strip(), m[4].strip()) for m in found]


def test_the_doc_lists_the_eighteen_classes_a_to_r_each_with_a_handling() -> None:
    rows = _rows()
    assert [r[0] for r in rows] == [chr(c) for c in range(ord("A"), ord("R") + 1)]
    for letter, name, handling, how in rows:
        assert handling in HANDLING, f"({letter}) {name}: {handling!r}"
        assert len(how) > 20, f"({letter}) {name}: say how"


def test_the_doc_cites_the_restricted_zip3_data_and_the_quasi_identifiers() -> None:
    text = " ".join(DOC.read_text(encoding="utf-8").split())  # line breaks as spaces
    data = restricted_zip3()
    assert "src/ptsdrx/research/data/restricted_zip3.yaml" in text and data.source in text
    assert all(prefix in text for prefix in data.prefixes)
    assert f"{data.threshold_population:,}" in text
    spoken = {"age_group": "age group", "zip3": "ZIP3", "index_trauma_year": "index trauma"}
    for q in (*QUASI_IDENTIFIERS, SENSITIVE):
        assert spoken.get(q, q.replace("_", " ")) in text, q


def test_the_ten_thousand_patient_figures_are_filled_in() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert not re.search(r"\| (K|L|C|T|E|S)[12] \||NOTE_10K", text)
