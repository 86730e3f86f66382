"""Assessment-entry forms: every item of an instrument, its prompt and answer anchors.

Scoring numbers come from :mod:`ptsdrx.instruments`; this module only joins them to the
prompts in ``data/forms.yaml`` and turns a posted form back into item responses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ptsdrx.instruments import InstrumentResult, get

#: Instruments with an entry form, in menu order.
FORM_INSTRUMENTS = ("pcl5", "phq9", "gad7", "cssrs", "cadss")


@dataclass(frozen=True)
class Item:
    """One question: its 1-based number, short label, prompt and the allowed answers."""

    number: int
    label: str
    prompt: str
    choices: tuple[tuple[int, str], ...]

    @property
    def field(self) -> str:
        """The form field name (``item_1`` ...)."""
        return f"item_{self.number}"


@dataclass(frozen=True)
class Form:
    """An instrument's entry form."""

    instrument: str
    name: str
    stem: str
    source: str
    items: tuple[Item, ...]
    clusters: tuple[str, ...]


@cache
def _prompts() -> dict[str, Any]:
    text = resources.files("ptsdrx.web").joinpath("data", "forms.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    forms: dict[str, Any] = data["forms"]
    return forms


@cache
def form(instrument: str) -> Form:
    """The form of ``instrument`` (one of :data:`FORM_INSTRUMENTS`); ``KeyError`` otherwise."""
    if instrument not in FORM_INSTRUMENTS:
        raise KeyError(instrument)
    spec = get(instrument).spec
    entry = _prompts()[instrument]
    prompts, anchors = entry["prompts"], entry["anchors"]
    values = range(spec.item_min, spec.item_max + 1)
    if len(prompts) != spec.items or len(anchors) != len(values):
        raise ValueError(
            f"web/data/forms.yaml {instrument}: needs {spec.items} prompts and "
            f"{len(values)} anchors, has {len(prompts)} and {len(anchors)}"
        )
    labels = spec.item_labels or tuple(str(i) for i in range(1, spec.items + 1))
    items = tuple(
        Item(i + 1, labels[i], prompts[i], tuple(zip(values, anchors, strict=True)))
        for i in range(spec.items)
    )
    return Form(instrument, spec.name, entry["stem"], entry["source"], items, tuple(spec.clusters))


def responses(instrument: str, data: Mapping[str, Any]) -> tuple[list[int | None], list[str]]:
    """Item responses from posted form fields, and a message per field that is not allowed.

    A blank or absent field is a missing item (``None``); anything else must be one of the
    item's allowed values.
    """
    f = form(instrument)
    out: list[int | None] = []
    errors: list[str] = []
    for item in f.items:
        raw = str(data.get(item.field, "") or "").strip()
        if not raw:
            out.append(None)
            continue
        allowed = [v for v, _ in item.choices]
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value not in allowed:
            errors.append(
                f"item {item.number} ({item.label}): {raw[:20]!r} is not one of "
                f"{', '.join(map(str, allowed))}"
            )
            out.append(None)
        else:
            out.append(value)
    return out, errors


def score(instrument: str, items: list[int | None]) -> InstrumentResult:
    """Score the items answered so far (no total while a required item is missing)."""
    return get(instrument).score(items)
