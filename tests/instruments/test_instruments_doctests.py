"""The runnable examples in the instruments docstrings stay correct."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ptsdrx.instruments",
    "ptsdrx.instruments._pcl5",
    "ptsdrx.instruments._caps5",
    "ptsdrx.instruments._phq9",
    "ptsdrx.instruments._gad7",
    "ptsdrx.instruments._bdi2",
    "ptsdrx.instruments._cssrs",
    "ptsdrx.instruments._cadss",
    "ptsdrx.instruments._change",
    "ptsdrx.instruments._lookup",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
