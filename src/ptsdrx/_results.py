"""The results layer: every result is typed, so its JSON and JSON Schema come from one place.

A result is an immutable pydantic model or a frozen dataclass that mixes in :class:`Result`.
``to_dict()`` and ``to_json()`` serialise through pydantic (dates as ISO strings, enums as
values), ``json_schema()`` documents the shape for the API, and ``summary()`` returns a
DataFrame as lifelines, statsmodels and EconML do; ``to_text()`` and ``to_html()`` render that
frame. A result says what its summary rows are by overriding :meth:`Result.summary_rows`.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Score(Result):
...     instrument: str
...     total: int
>>> Score("PCL-5", 42).to_dict()
{'instrument': 'PCL-5', 'total': 42}
>>> print(Score("PCL-5", 42).to_text())
instrument  total
     PCL-5     42
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Result", "fixed", "json_schema", "to_jsonable"]


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(cls: type) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON types: results, pydantic models, dataclasses, dates, lists."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return _adapter(type(value)).dump_python(value, mode="json")


def fixed(value: float, digits: int = 3, *, sign: bool = False) -> str:
    """``value`` with ``digits`` decimals, never ``-0``; ``sign`` writes ``+`` before a gain.

    >>> fixed(-0.0001, sign=True), fixed(-0.0, 2), fixed(0.25, 2, sign=True)
    ('+0.000', '0.00', '+0.25')
    """
    text = f"{value:{'+' if sign else ''}.{digits}f}"
    if float(text) == 0:
        text = ("+" if sign else "") + text.lstrip("+-")
    return text


def json_schema(cls: type) -> dict[str, Any]:
    """The JSON Schema of a result type as it serialises (what the API returns)."""
    if issubclass(cls, BaseModel):
        return cls.model_json_schema(mode="serialization")
    return _adapter(cls).json_schema(mode="serialization")


class Result:
    """Mixin giving a typed result its dict, JSON, JSON Schema, summary frame and renderers."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict (dates as ISO strings), from the type's own schema."""
        out = to_jsonable(self)
        assert isinstance(out, dict)
        return out

    def to_json(self, *, indent: int | None = None) -> str:
        """The result as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of this result type."""
        return json_schema(cls)

    def summary_rows(self) -> list[dict[str, Any]]:
        """The rows of :meth:`summary`; by default one row of the scalar fields."""
        return [{k: v for k, v in self.to_dict().items() if not isinstance(v, dict | list)}]

    def summary(self) -> pd.DataFrame:
        """The result as a DataFrame (one row per item the result is about)."""
        import pandas as pd

        return pd.DataFrame(self.summary_rows())

    def _shown(self) -> pd.DataFrame:
        """:meth:`summary` with missing values written ``unknown`` (never ``None`` or ``NaN``)."""
        frame = self.summary()
        for column in frame.columns[frame.isna().any()]:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "unknown")
        return frame

    def to_text(self) -> str:
        """Plain-text rendering of :meth:`summary` (what the CLI prints)."""
        return self._shown().to_string(index=False)

    def to_html(self) -> str:
        """HTML table rendering of :meth:`summary` (what reports and pages embed)."""
        return self._shown().to_html(index=False, border=0)
