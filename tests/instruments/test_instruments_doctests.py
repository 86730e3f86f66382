"""The runnable examples in the instruments docstrings stay correct."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ptsdrx.instruments",
    "ptsdrx.instruments.pcl5",
    "ptsdrx.instruments.caps5",
    "ptsdrx.instruments.phq9",
    "ptsdrx.instruments.gad7",
    "ptsdrx.instruments.bdi2",
    "ptsdrx.instruments.cssrs",
    "ptsdrx.instruments.cadss",
    "ptsdrx.instruments.change",
    "ptsdrx.instruments.registry",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
