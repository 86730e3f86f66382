"""Model directories: round trip, manifest contents, schema mismatch, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ptsdrx.features import SCHEMA, FeatureSchema, FeatureSpec
from ptsdrx.response import (
    ModelLoadError,
    TreatmentResponseModel,
    load_model,
    read_manifest,
    save_model,
    training_hash,
)


@pytest.fixture
def fitted(three_arm) -> tuple[TreatmentResponseModel, object]:
    """The session's 3-arm model and its training data (``conftest.py``)."""
    return three_arm[0], three_arm[1]


def test_round_trip(tmp_path: Path, fitted) -> None:
    m, d = fitted
    h = training_hash(d.Y, d.T, d.X)
    out = save_model(m, tmp_path / "m", data_hash=h, metrics={"note": "unit test"})
    loaded = load_model(out)
    pd.testing.assert_frame_equal(m.predict_outcomes(d.X), loaded.predict_outcomes(d.X))
    manifest = read_manifest(out)
    assert manifest["training_data_hash"] == h
    assert manifest["arms"] == ["arm0", "arm1", "arm2"]
    assert manifest["settings"]["fast"] is True
    assert manifest["validation"]["note"] == "unit test"
    assert "weights" in manifest["validation"]["cross_fitting"]
    assert {"lightgbm", "scikit-learn", "skops"} <= set(manifest["libraries"])
    with pytest.raises(FileExistsError):
        save_model(m, out)


def test_schema_mismatch_fails_clearly(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, len(SCHEMA.names))), columns=SCHEMA.names)
    T = rng.choice(["a", "b"], 200)
    m = TreatmentResponseModel(fast=True, n_folds=2).fit(X["age"] + rng.normal(size=200), T, X=X)
    out = save_model(m, tmp_path / "m", schema=SCHEMA)
    assert load_model(out).feature_schema_ == SCHEMA
    newer = FeatureSchema(version="2", features=(*SCHEMA.features, FeatureSpec("x", "x")))
    with pytest.raises(ModelLoadError, match=r"trained on feature schema 1.*Retrain"):
        load_model(out, schema=newer)


def test_untrusted_or_foreign_directories(tmp_path: Path, fitted) -> None:
    with pytest.raises(ModelLoadError, match="no manifest"):
        load_model(tmp_path)
    out = save_model(fitted[0], tmp_path / "m")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["format_version"] = 99
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="format_version 99"):
        load_model(out)


def test_failed_save_leaves_nothing(tmp_path: Path, fitted, monkeypatch) -> None:
    import skops.io

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(skops.io, "dump", boom)
    with pytest.raises(OSError, match="disk full"):
        save_model(fitted[0], tmp_path / "m")
    assert list(tmp_path.iterdir()) == []
