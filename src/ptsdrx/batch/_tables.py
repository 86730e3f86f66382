"""Decision-pattern tables: every small LightGBM tree's prediction and TreeSHAP by lookup.

Why: explaining one patient asked LightGBM's TreeSHAP (``pred_contrib``) once per base
learner, about 150 C calls at half a microsecond per tree, so 5-13 ms of the 20-25 ms that
``recommend()`` took. The response model's trees are small (2-7 leaves in the demo).

What: a tree's prediction and its path-dependent SHAP values depend on the row only through
the way the row goes at each internal node. A tree with ``m`` internal nodes has at most
``2**m`` such patterns, so for each pattern the leaf value and the exact Shapley values of
the cover-weighted conditional expectation that TreeSHAP computes (Lundberg et al. 2020,
Nat Mach Intell 2:56, Algorithm 1 with the Shapley formula) are computed once, here. A row
is then scored for every tree of every base learner at once: one comparison per internal
node (LightGBM's own rule for missing values and zeros), a bit pack per tree, a gather and a
sum. Precomputing per tree is the idea of FastTreeSHAP v2 (Yang 2021, arXiv:2109.09847).

Trees larger than :data:`MAX_NODES` internal nodes, categorical splits and averaged (random
forest) boosters are not tabled: the caller keeps LightGBM's C path for those boosters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MAX_NODES = 8
"""Largest tree tabled: ``2**8`` patterns x ``2**8`` feature subsets at build time."""

_K_ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (1e-35f): smaller is read as 0
_PACK = np.uint64(0x0102040810204080)  # 8 bytes of 0/1 -> their bits, in the top byte


class _Tree:
    """One parsed tree: internal nodes in visiting order, and each leaf's path."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.feature: list[int] = []
        self.threshold: list[float] = []
        self.nan_right: list[bool] = []
        self.leaves: list[tuple[float, list[tuple[int, int, float]]]] = []
        self.supported = True
        self._visit(root, [])

    def _visit(self, node: dict[str, Any], path: list[tuple[int, int, float]]) -> None:
        if "split_index" not in node:
            self.leaves.append((float(node["leaf_value"]), path))
            return
        missing = node.get("missing_type")
        if node.get("decision_type") != "<=" or missing not in ("None", "NaN"):
            self.supported = False  # categorical splits, zero-as-missing
            return
        i = len(self.feature)
        threshold = float(node["threshold"])
        self.feature.append(int(node["split_feature"]))
        self.threshold.append(threshold)
        # LightGBM reads a missing value as 0 (type None) or sends it the default way (NaN)
        self.nan_right.append(not node["default_left"] if missing == "NaN" else threshold < 0)
        total = float(node["internal_count"])
        for side, child in ((0, node["left_child"]), (1, node["right_child"])):
            n = float(child["internal_count"] if "split_index" in child else child["leaf_count"])
            if total <= 0:
                self.supported = False
                return
            self._visit(child, [*path, (i, side, n / total)])


@cache
def _shapley_matrix(k: int) -> FloatArray:
    """``M`` with ``phi = v @ M``: Shapley values of the game ``v`` over ``2**k`` subsets."""
    size = 2**k
    M = np.zeros((size, k))
    for s in range(size):
        n = s.bit_count()
        if n == k:
            continue
        w = math.factorial(n) * math.factorial(k - n - 1) / math.factorial(k)
        for j in range(k):
            if not s >> j & 1:
                M[s | 1 << j, j] += w
                M[s, j] -= w
    return M


def _table(tree: _Tree) -> tuple[FloatArray, FloatArray, float, list[int]]:
    """Per pattern the leaf value and SHAP vector, the expected value, the features used.

    ``v[pattern, subset]`` is TreeSHAP's expectation: at a node on a feature in the subset
    follow the row's way (the pattern's bit), otherwise weigh both children by cover.
    """
    m = len(tree.feature)
    feats = sorted(set(tree.feature))
    slot = [feats.index(f) for f in tree.feature]
    k = len(feats)
    pbits = (np.arange(2**m)[:, None] >> np.arange(m)) & 1
    sbits = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(bool)
    v = np.zeros((2**m, 2**k))
    for value, path in tree.leaves:
        weight = np.ones_like(v)
        for node, side, ratio in path:
            follow = (pbits[:, node] == side).astype(float)
            weight *= np.where(sbits[None, :, slot[node]], follow[:, None], ratio)
        v += value * weight
    return v[:, -1].copy(), v @ _shapley_matrix(k), float(v[0, 0]), feats


class TreeTables:
    """Predictions and TreeSHAP of many LightGBM boosters, all trees scored together.

    Parameters
    ----------
    boosters : mapping of integer keys to fitted LightGBM models (with ``booster_``).
    n_features : number of model features.

    ``keys`` are the boosters tabled (every tree small and numerical); the others are left
    to the caller. Outputs are raw scores (before any objective's transform), as LightGBM's
    ``raw_score`` and ``pred_contrib``. Single-split trees (most of a shallow booster) are
    kept apart: their contribution is a constant plus a step, one masked sum for all.
    """

    def __init__(self, boosters: Mapping[int, Any], n_features: int) -> None:
        self.n_features = p = n_features
        self.keys: list[int] = []
        const = []  # per booster: expected value (SHAP base) and the raw score's constant
        stumps: list[tuple[int, _Tree, FloatArray, FloatArray]] = []
        deeper: list[tuple[int, _Tree, FloatArray, FloatArray, list[int]]] = []
        for key, model in boosters.items():
            dump = model.booster_.dump_model()
            if dump.get("num_class", 1) != 1 or dump.get("average_output", False):
                continue
            trees = [_Tree(t["tree_structure"]) for t in dump["tree_info"]]
            if not all(t.supported and len(t.feature) <= MAX_NODES for t in trees):
                continue
            b = len(self.keys)
            self.keys.append(key)
            bias = raw = 0.0
            for tree in trees:
                if not tree.feature:
                    bias += tree.leaves[0][0]
                    raw += tree.leaves[0][0]
                    continue
                pred, phi, expected, feats = _table(tree)
                bias += expected
                if len(tree.feature) == 1:
                    raw += pred[0]
                    stumps.append((b, tree, pred, phi[:, 0]))
                else:
                    deeper.append((b, tree, pred, phi, feats))
            const.append((bias, raw))
        B = len(self.keys)
        self._raw0 = np.array([c[1] for c in const]).reshape(B)
        phi0 = np.zeros((B, p + 1))
        phi0[:, p] = [c[0] for c in const]
        # stumps: left-hand values are the constant, going right adds the step
        s_booster = np.array([s[0] for s in stumps], dtype=np.int64)
        s_feature = np.array([s[1].feature[0] for s in stumps], dtype=np.int64)
        np.add.at(phi0, (s_booster, s_feature), [s[3][0] for s in stumps])
        self._phi0 = phi0.ravel()
        self._s_feature = s_feature
        self._s_threshold = np.array([s[1].threshold[0] for s in stumps], dtype=float)
        self._s_nan_right = np.array([s[1].nan_right[0] for s in stumps], dtype=bool)
        self._s_booster = s_booster
        self._s_target = s_booster * (p + 1) + s_feature
        self._s_raw_step = np.array([s[2][1] - s[2][0] for s in stumps], dtype=float)
        self._s_phi_step = np.array([s[3][1] - s[3][0] for s in stumps], dtype=float)
        # deeper trees: nodes padded to 8 per tree (a pad never goes right), so a tree's
        # 8 way-bytes read as one uint64 and pack into its pattern with one multiply
        T = len(deeper)
        self._d_feature = np.zeros((T, MAX_NODES), dtype=np.int64)
        self._d_threshold = np.full((T, MAX_NODES), np.inf)
        self._d_nan_right = np.zeros((T, MAX_NODES), dtype=bool)
        sizes = [len(d[2]) for d in deeper]
        self._d_offset = np.cumsum([0, *sizes[:-1]]).astype(np.int64)
        self._d_pred = np.concatenate([d[2] for d in deeper]) if deeper else np.zeros(0)
        self._d_booster = np.array([d[0] for d in deeper], dtype=np.int64)
        # one slot per (tree, feature used): phi of entry e, slot s at base + e * k + s
        phi_flat, base, slot_tree, slot_k, slot_target = [], 0, [], [], []
        for t, (b, tree, _, phi, feats) in enumerate(deeper):
            m, k = len(tree.feature), len(feats)
            self._d_feature[t, :m] = tree.feature
            self._d_threshold[t, :m] = tree.threshold
            self._d_nan_right[t, :m] = tree.nan_right
            phi_flat.append(phi.ravel())
            for j, f in enumerate(feats):
                slot_tree.append(t)
                slot_k.append((base - self._d_offset[t] * k + j, k))
                slot_target.append(b * (p + 1) + f)
            base += phi.size
        self._d_phi = np.concatenate(phi_flat) if phi_flat else np.zeros(0)
        self._slot_tree = np.array(slot_tree, dtype=np.int64)
        self._slot_base = np.array([s[0] for s in slot_k], dtype=np.int64)
        self._slot_k = np.array([s[1] for s in slot_k], dtype=np.int64)
        self._slot_target = np.array(slot_target, dtype=np.int64)

    @staticmethod
    def _row(x: FloatArray) -> FloatArray:
        """The row as LightGBM reads it: magnitudes below its zero threshold are 0."""
        return np.where(np.abs(x) <= _K_ZERO, 0.0, x)

    def _right(
        self, x: FloatArray, feature: IntArray, threshold: FloatArray, nan_right: Any
    ) -> Any:
        """Which nodes send the row right (LightGBM's rule: ``x <= threshold`` goes left)."""
        fv = np.take(x, feature)
        return (fv > threshold) | (np.isnan(fv) & nan_right)

    def _deep_entries(self, x: FloatArray) -> IntArray:
        """Each deeper tree's table entry for the row."""
        right = self._right(x, self._d_feature, self._d_threshold, self._d_nan_right)
        bytes8 = np.ascontiguousarray(right).view(np.uint64)[:, 0]
        pattern = ((bytes8 * _PACK) >> np.uint64(56)).astype(np.int64)
        return np.asarray(self._d_offset + pattern)

    def _walk(self, row: FloatArray) -> tuple[Any, IntArray | None, FloatArray]:
        """One row: which stumps go right, the deeper trees' entries, and the raw scores."""
        x = self._row(row)
        go = self._right(x, self._s_feature, self._s_threshold, self._s_nan_right)
        B = len(self.keys)
        raw: FloatArray = self._raw0 + np.bincount(
            self._s_booster[go], weights=self._s_raw_step[go], minlength=B
        )
        if not len(self._d_pred):
            return go, None, raw
        entries = self._deep_entries(x)
        raw += np.bincount(self._d_booster, weights=self._d_pred[entries], minlength=B)
        return go, entries, raw

    def raw(self, Xa: FloatArray) -> FloatArray:
        """``[rows, boosters]`` raw scores."""
        return np.array([self._walk(row)[2] for row in Xa]).reshape(len(Xa), len(self.keys))

    def contrib(self, Xa: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Raw scores ``[rows, boosters]`` and ``pred_contrib`` ``[rows, boosters, p + 1]``.

        The last column is each booster's expected value, as in LightGBM.
        """
        B, p = len(self.keys), self.n_features
        raw = np.empty((len(Xa), B))
        phi = np.empty((len(Xa), B, p + 1))
        size = B * (p + 1)
        for i, row in enumerate(Xa):
            go, entries, raw[i] = self._walk(row)
            flat = self._phi0 + np.bincount(
                self._s_target[go], weights=self._s_phi_step[go], minlength=size
            )
            if entries is not None:
                at = self._slot_base + entries[self._slot_tree] * self._slot_k
                flat += np.bincount(self._slot_target, weights=self._d_phi[at], minlength=size)
            phi[i] = flat.reshape(B, p + 1)
        return raw, phi
