"""``ptsdrx instruments`` and ``ptsdrx score`` through Typer's CliRunner."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from ptsdrx.commands import instruments as commands

# The verbs on their own app: importing ptsdrx.cli pulls in every other engineer's module.
app = typer.Typer()
commands.register(app)
runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_instruments_lists_all() -> None:
    out = _ok("instruments")
    for name in ("pcl5", "caps5", "phq9", "gad7", "cssrs", "cadss", "bdi2"):
        assert name in out
    rows = json.loads(_ok("instruments", "--json"))
    assert {r["id"] for r in rows} >= {"pcl5", "cssrs"}


def test_score_pcl5_json_keys() -> None:
    out = json.loads(_ok("score", "pcl5", "--responses", ",".join(["2"] * 20), "--json"))
    assert out["instrument"] == "pcl5" and out["total"] == 40
    assert out["subscales"] == {"B": 10, "C": 4, "D": 14, "E": 12}
    assert out["band"] is None and out["flags"] == []
    assert out["provisional_diagnosis"] is True and out["above_cutoff"] is True


def test_score_cutoff_option_and_text_output() -> None:
    responses = ",".join(["2"] * 16 + ["0"] * 4)  # total 32
    assert json.loads(_ok("score", "pcl5", "-r", responses, "--json"))["above_cutoff"] is False
    out = _ok("score", "pcl5", "-r", responses, "--cutoff", "31", "--json")
    assert json.loads(out)["above_cutoff"] is True
    assert "pcl5: total 32" in _ok("score", "pcl5", "-r", responses)


def test_score_phq9_flag_and_crisis_message() -> None:
    out = _ok("score", "phq9", "-r", "0,0,0,0,0,0,0,0,1", "--json", "--crisis-message", "Call X")
    data = json.loads(out)
    assert data["flags"] == ["phq9_item9_positive"] and data["band"] == "none_minimal"
    assert data["safety_messages"] == {"phq9_item9_positive": "Call X"}


def test_score_cssrs_and_total_and_missing() -> None:
    data = json.loads(_ok("score", "cssrs", "-r", "1,1,0,1,0,0,", "--json"))
    assert data["risk_level"] == "high" and data["flags"] == ["cssrs_high_risk"]
    assert json.loads(_ok("score", "bdi2", "--total", "22", "--json"))["band"] == "moderate"
    withheld = json.loads(_ok("score", "gad7", "-r", "1,1,1,,1,1,1", "--json"))
    assert withheld["total"] is None and withheld["missing_items"] == [4]
    prorated = json.loads(_ok("score", "gad7", "-r", "1,1,1,na,1,1,1", "--max-missing", "1",
                              "--json"))  # fmt: skip
    assert prorated["total"] == 7 and prorated["prorated_items"] == [4]


def test_score_caps5_ratings_criteria_and_instrument_options() -> None:
    freq, inten = ",".join(["1"] * 20), ",".join(["3"] * 20)  # severity 2 each (F + 1)
    args = ["score", "caps5", "--frequency", freq, "--intensity", inten, "--json"]
    data = json.loads(_ok(*args, "--criterion-a", "--duration-over-1-month",
                          "--distress-or-impairment"))  # fmt: skip
    assert data["total"] == 40 and data["diagnosis"] is True
    assert data["severity_from_ratings"] is True
    assert json.loads(_ok(*args, "--no-criterion-a"))["diagnosis"] is False
    assert json.loads(_ok(*args))["diagnosis"] is None
    cadss = json.loads(_ok("score", "cadss", "-r", ",".join(["3"] * 23), "--max-item-score", "3",
                           "--json"))  # fmt: skip
    assert cadss["total"] == 69 and cadss["item_range"] == [0, 3]
    cssrs = _ok("score", "cssrs", "-r", "1,1,0,0,0,0,", "--moderate", "q2,q3", "--low", "q1")
    assert "risk level moderate" in cssrs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "pcl5", "-r", "1,2,3"], "expected 20 item responses, got 3"),
        (["score", "phq9", "-r", "0,0,0,0,0,0,0,0,4"], "item 9: is 4; allowed integers 0–3"),
        (["score", "gad7", "-r", "0,0,0,0,0,0,1.5"], "must be a whole number"),
        (["score", "gad7", "-r", "0,0,0,0,0,0,x"], "must be an integer 0–3, got 'x'"),
        (["score", "nope", "-r", "0"], "unknown instrument 'nope'"),
        (["score", "pcl5"], "give exactly one of --responses, --total or --frequency"),
        (["score", "phq9", "-r", "0,0,0,0,0,0,0,0,0", "--criterion-a"], "CAPS-5 only"),
        (["score", "caps5", "--frequency", "1,1"], "give both --frequency and --intensity"),
        (["score", "cssrs", "-r", "0,0,,,,0,", "--low", "q9"], "low: must list answers"),
        (["score", "phq9", "-r", "0,0,0,0,0,0,0,0,0", "--cutoff", "10"], "unknown option"),
        (["score", "pcl5", "--total", "99"], "total: is 99.0; allowed 0–80"),
    ],
)
def test_invalid_input_exits_nonzero_with_message(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in result.stderr


def test_registered_on_the_ptsdrx_app() -> None:
    from ptsdrx.cli import app as ptsdrx_app

    result = runner.invoke(ptsdrx_app, ["score", "gad7", "-r", "1,1,1,1,1,1,1", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["band"] == "mild"
