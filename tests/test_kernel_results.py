"""The results layer: dict, JSON, JSON Schema and summary frame from one place."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from pydantic import BaseModel, ConfigDict

from ptsdrx._results import Result, json_schema, to_jsonable


@dataclass(frozen=True)
class Score(Result):
    instrument: str
    total: float | None
    on: date
    flags: tuple[str, ...] = ()
    subscales: dict[str, float] = field(default_factory=dict)


class Trend(Result, BaseModel):
    model_config = ConfigDict(frozen=True)

    patient_id: str
    change: float
    seen: tuple[date, ...] = ()

    def summary_rows(self) -> list[dict[str, object]]:
        return [{"patient_id": self.patient_id, "seen": d.isoformat()} for d in self.seen]


S = Score("pcl5", 42.0, date(2026, 1, 5), ("x",), {"B": 10.0})


def test_dataclass_to_dict_is_json_types() -> None:
    assert S.to_dict() == {
        "instrument": "pcl5",
        "total": 42.0,
        "on": "2026-01-05",
        "flags": ["x"],
        "subscales": {"B": 10.0},
    }
    assert json.loads(S.to_json()) == S.to_dict()
    assert S.to_json(indent=2).count("\n") > 3


def test_pydantic_result_to_dict_and_json() -> None:
    t = Trend(patient_id="p1", change=-12.5, seen=(date(2026, 1, 1),))
    assert t.to_dict() == {"patient_id": "p1", "change": -12.5, "seen": ["2026-01-01"]}
    assert json.loads(t.to_json()) == t.to_dict()


def test_json_schema_of_a_dataclass() -> None:
    schema = Score.json_schema()
    assert schema == json_schema(Score)
    props = schema["properties"]
    assert set(props) == {"instrument", "total", "on", "flags", "subscales"}
    assert props["on"]["format"] == "date"
    assert set(schema["required"]) == {"instrument", "total", "on"}


def test_json_schema_of_a_pydantic_result() -> None:
    schema = Trend.json_schema()
    assert schema["title"] == "Trend"
    assert schema["properties"]["change"]["type"] == "number"
    assert schema["required"] == ["patient_id", "change"]


def test_summary_is_a_dataframe_of_the_scalar_fields() -> None:
    frame = S.summary()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["instrument", "total", "on"]
    assert frame.iloc[0].tolist() == ["pcl5", 42.0, "2026-01-05"]


def test_summary_rows_override_gives_one_row_per_item() -> None:
    t = Trend(patient_id="p1", change=0.0, seen=(date(2026, 1, 1), date(2026, 2, 1)))
    frame = t.summary()
    assert isinstance(frame, pd.DataFrame)
    assert frame.shape == (2, 2)
    assert frame["seen"].tolist() == ["2026-01-01", "2026-02-01"]


def test_text_and_html_render_the_summary() -> None:
    text = S.to_text()
    assert text.splitlines()[0].split() == ["instrument", "total", "on"]
    assert "pcl5" in text and "2026-01-05" in text
    html = Score("pcl5", None, date(2026, 1, 5)).to_html()
    assert html.startswith("<table") and "<td>unknown</td>" in html  # missing says so
    assert "None" not in html
    assert "unknown" in Score("pcl5", float("nan"), date(2026, 1, 5)).to_text()


def test_to_jsonable_handles_plain_values() -> None:
    assert to_jsonable([date(2026, 1, 1), S]) == ["2026-01-01", S.to_dict()]
    assert to_jsonable(Trend(patient_id="p", change=1)) == {
        "patient_id": "p",
        "change": 1.0,
        "seen": [],
    }
