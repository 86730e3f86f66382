"""The simulator's arm order holds exactly the catalog's ids (the catalog owns them)."""

from __future__ import annotations

import pytest

from ptsdrx.cohort import ARMS, CONTROLS, TREATMENTS
from ptsdrx.cohort._arms import draw_order
from ptsdrx.treatments import CONTROL_ARMS, TREATMENT_IDS


def test_cohort_arms_are_the_catalog_ids() -> None:
    assert sorted(TREATMENTS) == sorted(TREATMENT_IDS)
    assert sorted(CONTROLS) == sorted(CONTROL_ARMS)
    assert ARMS == TREATMENTS + CONTROLS


def test_cohort_draw_order_is_kept_not_the_catalog_order() -> None:
    """The seeded per-arm draws follow this order; it must not silently become the catalog's."""
    assert TREATMENTS[:3] == ("ketamine_iv", "mdma_at", "psilocybin_at")
    assert TREATMENTS[-3:] == ("esketamine", "ibogaine", "five_meo_dmt")


@pytest.mark.parametrize(
    ("order", "phrase"),
    [
        (("a", "b"), "missing ['c']"),
        (("a", "b", "c", "d"), "unknown ['d']"),
        (("a", "b", "c", "c"), "each catalog id once"),
    ],
)
def test_cohort_draw_order_refuses_a_mismatch(order: tuple[str, ...], phrase: str) -> None:
    with pytest.raises(ValueError, match="cohort treatment order") as err:
        draw_order(order, ("a", "b", "c"), "treatment")
    assert phrase in str(err.value)


def test_cohort_draw_order_keeps_the_given_order() -> None:
    assert draw_order(["c", "a", "b"], ("a", "b", "c"), "control") == ("c", "a", "b")
