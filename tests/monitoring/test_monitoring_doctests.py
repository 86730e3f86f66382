"""The runnable examples in the monitoring docstrings."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["ptsdrx.monitoring._trajectory", "ptsdrx.monitoring._alerts"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
