"""PHQ-9 diagnostic algorithm and item 10, BDI-II item 9: published rules, just inside/outside.

PHQ-9 (Kroenke, Spitzer & Williams 2001, Methods): major depression when 5 or more of the
9 symptoms are present at least "more than half the days" (response >= 2), one of them item 1
(anhedonia) or item 2 (depressed mood); other depression when 2, 3 or 4 are; item 9 counts
"if present at all" (>= 1). Item 10 (difficulty) is not scored. BDI-II item 9 >= 1 flags
(Green et al. 2015, J Clin Psychiatry 76:1683: the optimal cut-off for death by suicide).
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ptsdrx.cli import app
from ptsdrx.instruments import BDI2, PHQ9, InstrumentError

MAJOR = "major_depressive_syndrome"
OTHER = "other_depressive_syndrome"


def _syndrome(responses: list[int | None]) -> str | None:
    value = PHQ9().score(responses).details["depressive_syndrome"]
    assert value is None or isinstance(value, str)
    return value


@pytest.mark.parametrize(
    ("responses", "expected"),
    [
        # five symptoms at "more than half the days", item 2 among them: major
        ([0, 2, 2, 2, 2, 2, 0, 0, 0], MAJOR),
        # just outside: four present -> other depressive syndrome
        ([0, 2, 2, 2, 2, 1, 0, 0, 0], OTHER),
        # five present but neither item 1 nor item 2: no syndrome
        ([1, 1, 2, 2, 2, 2, 2, 0, 0], "none"),
        # item 9 counts at "several days": four at >= 2 plus item 9 at 1 -> major
        ([2, 0, 2, 2, 2, 0, 0, 0, 1], MAJOR),
        # ...but other items at 1 do not count
        ([2, 0, 2, 2, 1, 1, 1, 1, 0], OTHER),
        # other depressive syndrome needs two: item 1 alone is not enough
        ([3, 0, 1, 1, 1, 1, 1, 1, 0], "none"),
        ([3, 0, 0, 0, 0, 0, 0, 0, 1], OTHER),
        # all "nearly every day": major, the highest total
        ([3] * 9, MAJOR),
        ([0] * 9, "none"),
    ],
)
def test_phq9_diagnostic_algorithm(responses: list[int | None], expected: str) -> None:
    assert _syndrome(responses) == expected


def test_phq9_algorithm_with_missing_items_only_when_decided() -> None:
    # five present already: a missing item cannot change "major"
    assert _syndrome([2, 2, 2, 2, 2, None, 0, 0, 0]) == MAJOR
    # four present, one missing: major or other -> unknown, never a guess
    assert _syndrome([2, None, 2, 2, 2, 0, 0, 0, 0]) is None
    # one cardinal present, one more present, the missing item decides nothing
    assert _syndrome([2, 0, 2, 0, 0, 0, 0, 0, None]) == OTHER
    # both cardinal items missing, three others present: none, other or major -> unknown
    assert _syndrome([None, None, 2, 2, 2, 0, 0, 0, 0]) is None


def test_phq9_algorithm_is_reported_beside_the_total_and_is_provisional() -> None:
    r = PHQ9().score([0, 2, 2, 2, 2, 2, 0, 0, 0])
    assert r.total == 10 and r.band == "moderate"
    assert "Provisional" in r.details["depressive_syndrome_note"]
    assert "Kroenke" in r.details["sources"]["depressive_syndrome"]
    assert "depressive_syndrome: major_depressive_syndrome" in r.to_text()
    assert r.to_dict()["depressive_syndrome"] == MAJOR
    assert PHQ9().score_total(20).details["depressive_syndrome"] is None  # items unknown


@pytest.mark.parametrize(
    ("item10", "label"),
    [
        (0, "not_difficult_at_all"),
        (1, "somewhat_difficult"),
        (2, "very_difficult"),
        (3, "extremely_difficult"),
    ],
)
def test_phq9_item10_recorded_not_totalled(item10: int, label: str) -> None:
    nine = [1, 1, 1, 1, 1, 1, 1, 1, 0]
    with_10 = PHQ9().score([*nine, item10])
    assert with_10.total == PHQ9().score(nine).total == 8
    assert with_10.details["functional_difficulty"] == label
    assert PHQ9().score(nine).details["functional_difficulty"] is None


def test_phq9_item10_range_and_count_checked() -> None:
    with pytest.raises(InstrumentError, match=r"item 10 \(functional_difficulty\).*0–3"):
        PHQ9().score([0] * 9 + [4])
    with pytest.raises(
        InstrumentError,
        match=r"expected 9 item responses \(10 with item 10, functional difficulty\), got 11",
    ):
        PHQ9().score([0] * 11)


@pytest.mark.parametrize(
    ("item9", "flagged"),
    [(0, False), (1, True), (2, True), (3, True)],
)
def test_bdi2_item9_flag(item9: int, flagged: bool) -> None:
    responses = [0] * 21
    responses[8] = item9
    r = BDI2().score(responses)
    assert ("bdi2_item9_positive" in r.flags) is flagged
    assert r.total == item9
    if flagged:
        assert "suicide risk" in r.safety_messages["bdi2_item9_positive"]
    assert "Green" in r.details["sources"]["bdi2_item9_positive"]


def test_bdi2_item9_missing_is_reported_never_silent() -> None:
    responses: list[int | None] = [1] * 21
    responses[8] = None
    r = BDI2(max_missing=1).score(responses)
    assert r.flags == ()
    assert r.details["safety_items_unanswered"] == (9,)


def test_bdi2_flag_prompts_a_safety_review() -> None:
    from datetime import date

    from ptsdrx.monitoring import suggest
    from ptsdrx.records import Administration, PatientRecord

    responses = [0] * 21
    responses[8] = 1
    record = PatientRecord(
        assessments=[Administration(instrument="bdi2", date=date(2026, 1, 5), responses=responses)]
    )
    kinds = [s.kind for s in suggest(record, as_of=date(2026, 1, 5))]
    assert kinds[0] == "safety_review"


def test_cli_score_reports_syndrome_and_flags() -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["score", "phq9", "-r", "2,2,2,2,2,0,0,0,1,2", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["total"] == 11 and data["depressive_syndrome"] == MAJOR
    assert data["functional_difficulty"] == "very_difficult"
    assert data["flags"] == ["phq9_item9_positive"]
    bdi = runner.invoke(app, ["score", "bdi2", "-r", ",".join(["0"] * 8 + ["2"] + ["0"] * 12)])
    assert bdi.exit_code == 0 and "SAFETY bdi2_item9_positive" in bdi.stdout
