"""Suite-wide fixtures.

``global_random_seed`` follows scikit-learn's fixture of that name: one fixed seed by
default, so the suite is deterministic; ``PTSDRX_TEST_SEEDS=all`` runs every test that uses
it under each of 0..9 (``PTSDRX_TEST_SEEDS=3`` or ``=1-4`` picks seeds), to find tests that
pass only by luck of the seed.
"""

from __future__ import annotations

import os

import pytest

DEFAULT_SEED = 42
_ALL = range(10)


def _seeds(spec: str | None) -> list[int]:
    if not spec:
        return [DEFAULT_SEED]
    if spec == "all":
        return list(_ALL)
    if "-" in spec:
        lo, hi = spec.split("-", 1)
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in spec.split(",")]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``global_random_seed`` by ``PTSDRX_TEST_SEEDS``."""
    if "global_random_seed" in metafunc.fixturenames:
        metafunc.parametrize("global_random_seed", _seeds(os.environ.get("PTSDRX_TEST_SEEDS")))
