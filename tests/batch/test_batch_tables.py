"""Decision-pattern tables give LightGBM's own raw scores and TreeSHAP values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lightgbm import LGBMRegressor

from ptsdrx.batch import TOLERANCE, FastScorer
from ptsdrx.batch._tables import MAX_NODES, TreeTables

P = 5


def _boosters() -> dict[int, Any]:
    """Boosters of 2 to 9 leaves, trained with and without missing values (both NaN rules)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, P))
    y = X[:, 0] - 2 * X[:, 1] * (X[:, 2] > 0) + rng.normal(scale=0.3, size=600)
    holed = X.copy()
    holed[rng.random(holed.shape) < 0.15] = np.nan  # NaN-type splits with a default way
    out = {}
    for i, (leaves, data) in enumerate(
        [(2, X), (3, holed), (5, X), (7, holed), (9, holed), (31, X)]
    ):
        model = LGBMRegressor(
            n_estimators=25, num_leaves=leaves, min_child_samples=5, verbose=-1, random_state=i
        )
        out[i] = model.fit(data, y)
    return out


BOOSTERS = _boosters()
TABLES = TreeTables(BOOSTERS, P)


def _thresholds() -> list[float]:
    found = []
    for model in BOOSTERS.values():
        for tree in model.booster_.dump_model()["tree_info"]:
            stack = [tree["tree_structure"]]
            while stack:
                node = stack.pop()
                if "split_index" in node:
                    found.append(float(node["threshold"]))
                    stack += [node["left_child"], node["right_child"]]
    return found


# values on a threshold (ties go left), just either side, missing, zero and below LightGBM's
# zero threshold, and ordinary ones
_VALUE = st.one_of(
    st.sampled_from(_thresholds()),
    st.sampled_from(_thresholds()).map(lambda t: float(np.nextafter(t, np.inf))),
    st.sampled_from([np.nan, 0.0, -0.0, 1e-40, -1e-40]),
    st.floats(-4, 4, allow_nan=False),
)


def test_large_trees_are_left_to_lightgbm() -> None:
    assert TABLES.keys == [0, 1, 2, 3, 4]  # 31 leaves: more than MAX_NODES internal nodes
    assert MAX_NODES == 8


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_VALUE, min_size=P, max_size=P), min_size=1, max_size=4))
def test_raw_scores_and_contributions_are_lightgbms(rows: list[list[float]]) -> None:
    Xa = np.array(rows, dtype=float)
    raw, contrib = TABLES.contrib(Xa)
    np.testing.assert_allclose(TABLES.raw(Xa), raw, atol=1e-12)
    for b, key in enumerate(TABLES.keys):
        booster = BOOSTERS[key].booster_
        np.testing.assert_allclose(raw[:, b], booster.predict(Xa, raw_score=True), atol=1e-9)
        np.testing.assert_allclose(contrib[:, b], booster.predict(Xa, pred_contrib=True), atol=1e-9)


def test_a_wrong_table_entry_is_seen() -> None:
    """The comparison above is not vacuous: one corrupted pattern changes the answer."""
    tables = TreeTables(BOOSTERS, P)
    Xa = np.zeros((1, P))
    before = tables.raw(Xa)
    tables._d_pred[tables._deep_entries(tables._row(Xa[0]))[0]] += 0.5
    assert np.abs(tables.raw(Xa) - before).max() == pytest.approx(0.5)


@pytest.mark.parametrize("rows", [1, 7])
def test_binary_model_explanations_match_through_the_tables(
    remission_model: Any, cohort: Any, rows: int
) -> None:
    from ptsdrx.features import from_cohort

    X = from_cohort(cohort.head(rows))
    fast = FastScorer(remission_model, threads=1)
    assert fast.tables().tables.keys  # the remission boosters are tabled
    want, got = remission_model.explain(X, top=5), fast.explain(X, top=5)
    for w, g in zip(want, got, strict=True):
        for wa, ga in zip(w.arms, g.arms, strict=True):
            assert abs(wa.prediction - ga.prediction) < TOLERANCE
            for wc, gc in zip(wa.top, ga.top, strict=True):
                assert wc.feature == gc.feature
                assert abs(wc.contribution - gc.contribution) < TOLERANCE
    np.testing.assert_allclose(
        fast.predict_outcomes(X).to_numpy(),
        remission_model.predict_outcomes(X).to_numpy(),
        atol=TOLERANCE,
    )


def test_record_matrix_is_from_records_without_the_table() -> None:
    from pathlib import Path

    from ptsdrx.features import from_records, record_matrix
    from ptsdrx.records import load_record

    records = [load_record(p) for p in sorted(Path("examples/patients").glob("*.json"))]
    np.testing.assert_array_equal(
        record_matrix(records), from_records(records).to_numpy(dtype=float)
    )


def test_a_scorer_refuses_an_infinite_bare_row(fitted: Any) -> None:
    row = np.zeros((1, fitted.n_features_in_))
    row[0, 2] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        FastScorer(fitted).predict_outcomes(row)


def test_a_fast_scorer_with_a_plain_remission_model_gives_the_same_answer(
    fitted: Any, remission_model: Any
) -> None:
    """The bare row goes to the scorer; a plain remission model still gets its table."""
    from pathlib import Path

    from ptsdrx.recommend import recommend
    from ptsdrx.records import load_record

    record = load_record(Path("examples/patients/veteran_hypertension.json"))
    mixed = recommend(record, model=FastScorer(fitted), remission_model=remission_model)
    plain = recommend(record, model=fitted, remission_model=remission_model)
    got = {o.treatment: o.prediction for o in mixed.options}
    for o in plain.options:
        g = got[o.treatment]
        if o.prediction is None:
            assert g is None
            continue
        assert g is not None
        assert abs(g.expected_pcl5 - o.prediction.expected_pcl5) < TOLERANCE
        assert g.remission_probability == pytest.approx(o.prediction.remission_probability)
