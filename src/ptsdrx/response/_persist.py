"""Versioned model directories: skops file plus a JSON manifest.

A model directory holds ``model.skops`` (no pickle: skops refuses types it is not told to
trust, and we trust only ptsdrx, LightGBM, scikit-learn, crepes and NumPy types) and
``manifest.json`` with the feature schema, training-data hash, arms, settings, validation
metrics and library versions. Directories are written to a temporary sibling and renamed,
so a failed save leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ptsdrx.features import SCHEMA, FeatureSchema
from ptsdrx.response._checks import check_fitted
from ptsdrx.response._model import TreatmentResponseModel

FORMAT = "ptsdrx-response-model"
FORMAT_VERSION = 1
_TRUSTED_PREFIXES = (
    "ptsdrx.response.",
    "lightgbm.",
    "sklearn.",
    "crepes.",
    "numpy.",
    "collections.OrderedDict",
    "econml.",
)
_LIBRARIES = ("ptsdrx", "numpy", "pandas", "scikit-learn", "lightgbm", "crepes", "skops", "shap")


class ModelLoadError(RuntimeError):
    """The model directory cannot be loaded safely or does not fit this installation."""


def training_hash(Y: Any, T: Any, X: pd.DataFrame) -> str:
    """SHA-256 of the training outcome, arms and feature matrix (with column names)."""
    h = hashlib.sha256()
    h.update(",".join(map(str, X.columns)).encode())
    h.update(np.ascontiguousarray(X.to_numpy(dtype=float, na_value=np.nan)).tobytes())
    h.update(np.ascontiguousarray(np.asarray(Y, dtype=float)).tobytes())
    h.update("\x1f".join(map(str, np.asarray(T, dtype=object))).encode())
    return h.hexdigest()


def _versions() -> dict[str, str]:
    out = {}
    for lib in _LIBRARIES:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = "not installed"
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def save_model(
    model: TreatmentResponseModel,
    path: str | Path,
    *,
    data_hash: str | None = None,
    metrics: dict[str, Any] | None = None,
    schema: FeatureSchema | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a fitted model to the directory ``path``; returns the path.

    ``schema`` is the feature schema the model was trained with (``None`` for arbitrary
    tabular data); ``data_hash`` comes from :func:`training_hash`; ``metrics`` are extra
    validation metrics to keep next to the cross-fitting summary.
    """
    check_fitted(model, "arms_", "save_model needs a fitted TreatmentResponseModel")
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    if schema is not None and schema.names != list(model.feature_names_in_):
        raise ValueError(
            f"the model's columns do not match feature schema {schema.version}: "
            f"{list(model.feature_names_in_)[:5]}... vs {schema.names[:5]}..."
        )
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "arms": [str(a) for a in model.arms_],
        "arm_types": sorted({type(a).__name__ for a in model.arms_}),
        "reference": str(model.reference_),
        "outcome_type": model.outcome_type_,
        "outcome_direction": model.outcome_direction_,
        "feature_names": [str(c) for c in model.feature_names_in_],
        "feature_schema": None if schema is None else schema.to_dict(),
        "training_data_hash": data_hash,
        "settings": _jsonable(model.get_params()),
        "validation": {
            "cross_fitting": model.fit_summary_.to_dict(),
            **_jsonable(metrics or {}),
        },
        "libraries": _versions(),
    }
    return _write_dir(path, model, manifest)


def _write_dir(path: Path, obj: Any, manifest: dict[str, Any]) -> Path:
    """``model.skops`` and ``manifest.json`` written to a temporary directory, then moved."""
    import skops.io as sio

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        sio.dump(obj, tmp / "model.skops")
        (tmp / "manifest.json").write_text(json.dumps(_jsonable(manifest), indent=2) + "\n")
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _load_trusted(file: Path) -> Any:
    """A skops file loaded only when every type in it is one ptsdrx trusts."""
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=str(file))
    refused = [t for t in untrusted if not t.startswith(_TRUSTED_PREFIXES)]
    if refused:
        raise ModelLoadError(f"{file} contains types ptsdrx does not trust: {refused}")
    return sio.load(str(file), trusted=untrusted)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a model directory (checked for format and version)."""
    path = Path(path)
    mf = path / "manifest.json"
    if not mf.is_file():
        raise ModelLoadError(f"{path} is not a ptsdrx model directory (no manifest.json)")
    manifest: dict[str, Any] = json.loads(mf.read_text())
    if manifest.get("format") != FORMAT:
        raise ModelLoadError(f"{mf}: format is {manifest.get('format')!r}, expected {FORMAT!r}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(
            f"{mf}: format_version {manifest.get('format_version')} is not supported "
            f"(this ptsdrx reads {FORMAT_VERSION})"
        )
    return manifest


def load_model(
    path: str | Path, *, schema: FeatureSchema | None = SCHEMA
) -> TreatmentResponseModel:
    """Load a model directory; refuse a feature-schema mismatch or an untrusted type.

    ``schema`` is the feature schema the caller will build inputs with (the current
    :data:`ptsdrx.features.SCHEMA` by default). It is checked only for models trained on a
    ptsdrx schema; pass ``schema=None`` to skip the check.
    """
    path = Path(path)
    manifest = read_manifest(path)
    saved = manifest.get("feature_schema")
    if saved is not None and schema is not None:
        saved_schema = FeatureSchema.from_dict(saved)
        if saved_schema.fingerprint != schema.fingerprint:
            raise ModelLoadError(
                f"{path} was trained on feature schema {saved_schema.version} "
                f"({saved_schema.fingerprint}) but this ptsdrx builds schema {schema.version} "
                f"({schema.fingerprint}): {schema.diff(saved_schema)}. Retrain the model."
            )
    file = path / "model.skops"
    model = _load_trusted(file)
    if not isinstance(model, TreatmentResponseModel):
        raise ModelLoadError(f"{file} holds a {type(model).__name__}, not a response model")
    if saved is not None:
        model.feature_schema_ = FeatureSchema.from_dict(saved)
    return model


COMPACT_FORMAT = "ptsdrx-compact-scorer"


def model_digest(path: str | Path) -> str:
    """SHA-256 of a model directory's ``model.skops`` (what a distilled scorer came from)."""
    return hashlib.sha256((Path(path) / "model.skops").read_bytes()).hexdigest()


def save_compact(scorer: Any, path: str | Path, *, source: str | Path) -> Path:
    """Write a fitted ``CompactScorer`` distilled from the model directory ``source``.

    The manifest keeps the source model's digest and the scorer's held-out ``fidelity_``,
    so a scorer is never used with a model it did not come from.
    """
    from ptsdrx.response._scorer import CompactScorer

    if not isinstance(scorer, CompactScorer):
        raise TypeError(f"save_compact needs a CompactScorer, got {type(scorer).__name__}")
    check_fitted(scorer, "fidelity_", "save_compact needs a fitted CompactScorer")
    path = Path(path)
    manifest = {
        "format": COMPACT_FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source_model_sha256": model_digest(source),
        "arms": [str(a) for a in scorer.arms_],
        "settings": _jsonable(scorer.get_params()),
        "fidelity": _jsonable(scorer.fidelity_),
        "libraries": _versions(),
    }
    return _write_dir(path, scorer, manifest)


def load_compact(path: str | Path, *, source: str | Path) -> tuple[Any, dict[str, Any]]:
    """Load a distilled scorer and its manifest; refuse one from another model or untrusted.

    ``source`` is the model directory the caller scores with; its ``model.skops`` must be
    the one the scorer was distilled from.
    """
    from ptsdrx.response._scorer import CompactScorer

    path = Path(path)
    mf = path / "manifest.json"
    if not mf.is_file():
        raise ModelLoadError(f"{path} holds no distilled scorer (no manifest.json)")
    manifest: dict[str, Any] = json.loads(mf.read_text())
    if manifest.get("format") != COMPACT_FORMAT:
        raise ModelLoadError(
            f"{mf}: format is {manifest.get('format')!r}, expected {COMPACT_FORMAT!r}"
        )
    if manifest.get("source_model_sha256") != model_digest(source):
        raise ModelLoadError(
            f"{path} was distilled from another model than {source}: distil it again"
        )
    file = path / "model.skops"
    scorer = _load_trusted(file)
    if not isinstance(scorer, CompactScorer):
        raise ModelLoadError(f"{file} holds a {type(scorer).__name__}, not a CompactScorer")
    return scorer, manifest
