"""Treatment policies side by side: true regret on held-out patients, over seeds (issue 17).

For each data set and seed, the default ``TreatmentResponseModel`` is fitted on a training
sample; on an independent test sample with known noise-free outcomes every policy of
``ptsdrx.response.POLICIES`` chooses among the arms open to each patient, and its true regret
against the oracle (the truly best open arm) is measured, next to the one-size policy (the
open arm with the best average training outcome), a random open arm, and policy learning on
doubly robust scores: EconML's ``DRPolicyTree`` (depth 3) fitted on the same training rows,
choosing the open arm with the best value in the patient's leaf.

Open arms: with more than two arms, each arm is open to a patient with probability 0.7,
independently of everything else, at least one open (an assumption standing in for screening:
the benchmark does not build clinical records); with two arms both are open.

Data: the project's simulator (``ptsdrx.cohort.simulate``, randomised 13 arms and
observational 10 arms, as in ``bench_response.py``), Nie & Wager A-D, and the documented
high-heterogeneity variant (``ptsdrx.response.high_heterogeneity``, 4 arms, randomised and
observational).

Reported per policy and data set: the mean true regret over seeds with a 95% t interval, and
the ratio to the one-size policy's regret (below 1: better than one size fits all; the share
of the oracle's gain over one-size captured is 1 minus it).

Usage: ``python benchmarks/bench_response_policy.py [--n 2000] [--seeds 5] [--fast]``;
writes ``docs/benchmarks/response_policy.md`` and ``docs/images/bench_response_policy.png``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))

from bench_response import (
    PROPENSITY_CLIP,
    Dataset,
    _codes,
    _lgbm,
    _to_arm_order,
    nie_wager_data,
    simulator,
)

ROOT = Path(__file__).resolve().parents[1]
OPEN_SHARE = 0.7
MIN_GAIN = 0.05  # outcome points: below this the oracle gains nothing over one-size


def high_heterogeneity_data(design: str, n: int, *, n_test: int, seed: int) -> Dataset:
    """The high-heterogeneity variant, 4 arms; train and test from independent seeds."""
    from ptsdrx.response import high_heterogeneity

    train = high_heterogeneity(n, design=design, random_state=seed)  # type: ignore[arg-type]
    test = high_heterogeneity(n_test, design=design, random_state=seed + 1_000)  # type: ignore[arg-type]
    return Dataset(
        name=f"high heterogeneity {design[:3]}. n={n:,}",
        X=train.X,
        T=train.T,
        Y=train.Y,
        X_test=test.X,
        mu_test=test.mu,
        lower_is_better=True,
    )


def open_mask(n: int, n_arms: int, seed: int) -> np.ndarray:
    """Which arms are open to each test patient (see the module docstring)."""
    if n_arms == 2:
        return np.ones((n, 2), dtype=bool)
    rng = np.random.default_rng(seed + 77)
    mask = rng.uniform(size=(n, n_arms)) < OPEN_SHARE
    none = ~mask.any(axis=1)
    mask[none, rng.integers(0, n_arms, none.sum())] = True
    return mask


POLICY_TREE_DEPTH = 3  # a policy a clinic can read: at most 8 leaves (EconML's default: unbounded)


def policy_tree_values(data: Dataset, *, seed: int) -> np.ndarray:
    """EconML's ``DRPolicyTree`` (policy learning on doubly robust scores), fitted on the
    training rows: ``[n_test, arms]`` each arm's value in its leaf (higher is better), so
    that it too chooses among the arms open to each patient.

    Same LightGBM nuisances as the other methods, median imputation with missingness
    indicators (EconML rejects NaN), 3-fold cross-fitting, honest splits, depth 3.
    """
    from econml.policy import DRPolicyTree
    from sklearn.impute import SimpleImputer

    codes, order = _codes(data)
    sign = -1.0 if data.lower_is_better else 1.0  # the tree maximises
    imputer = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
    Xi = imputer.fit_transform(data.X.to_numpy(dtype=float))
    tree = DRPolicyTree(
        model_regression=_lgbm("outcome", seed=seed, n_jobs=1),
        model_propensity=_lgbm("propensity", seed=seed, n_jobs=1),
        min_propensity=PROPENSITY_CLIP,
        cv=3,
        max_depth=POLICY_TREE_DEPTH,
        random_state=seed,
    )
    tree.fit(sign * np.asarray(data.Y, dtype=float), codes, X=Xi)
    values = np.asarray(tree.predict_value(imputer.transform(data.X_test.to_numpy(float))))
    return _to_arm_order(values, order, data.arms)


def one_run(data: Dataset, *, seed: int, fast: bool) -> tuple[dict[str, float], float, float]:
    """True regret of every policy on one data set and seed; fit and policy seconds."""
    from ptsdrx.response import POLICIES, TreatmentPolicy, TreatmentResponseModel

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direction = "lower_is_better" if data.lower_is_better else "higher_is_better"
        model = TreatmentResponseModel(
            fast=fast, random_state=seed, outcome_direction=direction
        ).fit(data.Y, data.T, X=data.X)
    fit_s = time.perf_counter() - t0
    arms = list(model.arms_)
    mu = data.mu_test[arms].to_numpy(dtype=float)
    sgn = -1.0 if data.lower_is_better else 1.0
    t0 = time.perf_counter()
    P = model.predict_outcomes(data.X_test).to_numpy()
    mask = open_mask(len(P), len(arms), seed)
    rows = np.arange(len(P))
    oracle = np.where(mask, sgn * mu, -np.inf).max(axis=1) * sgn
    out: dict[str, float] = {}
    for rule in POLICIES:
        codes = TreatmentPolicy(rule).choose_codes(model, P, mask)  # type: ignore[arg-type]
        out[rule] = float(sgn * (oracle - mu[rows, codes]).mean())
    U = policy_tree_values(data, seed=seed)[:, [list(data.arms).index(a) for a in arms]]
    codes = np.where(mask, U, -np.inf).argmax(axis=1)
    out["dr_policy_tree"] = float(sgn * (oracle - mu[rows, codes]).mean())
    random_value = np.where(mask, mu, 0.0).sum(axis=1) / mask.sum(axis=1)
    out["random"] = float(sgn * (oracle - random_value).mean())
    out["personalise"] = float(model.policy_evidence_.personalise)
    return out, fit_s, time.perf_counter() - t0


def datasets(n: int, n_test: int, seed: int) -> list[Dataset]:
    """Every benchmark data set at training size ``n`` for one seed."""
    return [
        simulator("randomized", n, n_test=n_test, seed=seed),
        simulator("observational", n, n_test=n_test, seed=seed),
        *(nie_wager_data(s, n, n_test=n_test, seed=seed) for s in "ABCD"),
        high_heterogeneity_data("randomized", n, n_test=n_test, seed=seed),
        high_heterogeneity_data("observational", n, n_test=n_test, seed=seed),
    ]


def _half(x: np.ndarray) -> float:
    """Half width of a 95% t interval for the mean of ``x``."""
    if len(x) < 2:
        return float("nan")
    return float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))


def summarise(raw: pd.DataFrame) -> pd.DataFrame:
    """Mean regret, 95% t interval over seeds, ratio to one-size, per data set and policy.

    The ratio is per seed (policy regret / one-size regret); it is undefined (NaN) where the
    oracle gains less than ``MIN_GAIN`` over one-size (nothing to capture)."""
    rows = []
    for (name, policy), g in raw.groupby(["data", "policy"], sort=False):
        g = g.sort_values("seed")
        r = g["regret"].to_numpy()
        one = raw[(raw["data"] == name) & (raw["policy"] == "one_size")].sort_values("seed")
        base = one["regret"].to_numpy()
        defined = base.mean() >= MIN_GAIN
        ratio = r / base if defined else np.full(len(r), np.nan)
        rows.append(
            {"data": name, "policy": policy, "regret": r.mean(), "regret_half": _half(r),
             "ratio": ratio.mean(), "ratio_half": _half(ratio), "oracle_gain": base.mean(),
             "seeds": len(r)}
        )  # fmt: skip
    return pd.DataFrame(rows)


def markdown(summary: pd.DataFrame, raw: pd.DataFrame, header: list[str]) -> str:
    """The policies x data sets table (regret, ratio to one-size) and the switch decisions."""
    policies = list(dict.fromkeys(summary["policy"]))
    lines = [*header, "", "| data | oracle gain over one-size | " + " | ".join(policies) + " |"]
    lines.append("|---|---:|" + "---:|" * len(policies))
    for name, g in summary.groupby("data", sort=False):
        cells = []
        for p in policies:
            r = g[g["policy"] == p].iloc[0]
            ratio = "—" if np.isnan(r.ratio) else f"{r.ratio:.2f} ± {r.ratio_half:.2f}"
            cells.append(f"{r.regret:.3f} ± {r.regret_half:.3f} ({ratio})")
        lines.append(f"| {name} | {g['oracle_gain'].iloc[0]:.3f} | " + " | ".join(cells) + " |")
    pers = raw[raw["policy"] == "argmax"].groupby("data", sort=False)["personalise"].mean()
    lines += [
        "",
        "Cells: mean true regret against the oracle over seeds, in outcome points, ± the half"
        " width of a 95% t interval; in brackets the ratio to the one-size policy's regret"
        " (below 1 beats one size fits all; 1 minus it is the share of the oracle's gain"
        " captured); — where the oracle gains under"
        f" {MIN_GAIN} points over one-size (nothing to capture).",
        "",
        "Share of seeds where `switch` personalised (out-of-fold DR gain interval above zero): "
        + ", ".join(f"{k} {v:.0%}" for k, v in pers.items()),
    ]
    return "\n".join(lines) + "\n"


def figure(summary: pd.DataFrame, path: Path) -> None:
    """Ratio of each policy's regret to one-size, with intervals, per data set."""
    from ptsdrx._figures import new_figure, save

    data = [d for d in dict.fromkeys(summary["data"])
            if summary[summary["data"] == d]["oracle_gain"].iloc[0] >= MIN_GAIN]  # fmt: skip
    policies = [p for p in dict.fromkeys(summary["policy"]) if p not in ("one_size", "random")]
    fig = new_figure(8, 0.6 + 0.5 * len(data))
    ax = fig.subplots()
    ys = np.arange(len(data))[::-1]
    width = 0.8 / len(policies)
    for i, p in enumerate(policies):
        g = summary[summary["policy"] == p].set_index("data").loc[data]
        ax.errorbar(g["ratio"], ys + (i - len(policies) / 2) * width, xerr=g["ratio_half"],
                    fmt="o", ms=4, capsize=2, label=p)  # fmt: skip
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(ys, data)
    ax.set_xlabel("true regret / one-size regret (below 1: beats one size fits all)")
    ax.set_title("Treatment policies, held-out patients, open arms only")
    ax.legend(fontsize=7)
    save(fig, path)


def main() -> None:
    """Run every data set and seed; write the markdown table and figure."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--n-test", type=int, default=3000)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--fast", action="store_true", help="the fast preset instead of the default")
    ap.add_argument("--out", type=Path, default=ROOT / "docs/benchmarks/response_policy.md")
    ap.add_argument("--figure", type=Path, default=ROOT / "docs/images/bench_response_policy.png")
    ap.add_argument("--summarise", type=Path, help="rebuild the table from a saved raw CSV")
    ap.add_argument("--only", help="comma-separated data-set name prefixes, e.g. 'simulator'")
    args = ap.parse_args()
    only = tuple(args.only.split(",")) if args.only else None
    records, started = [], time.perf_counter()
    for seed in range(0 if args.summarise else args.seeds):
        for data in datasets(args.n, args.n_test, seed):
            if only is not None and not data.name.startswith(only):
                continue
            regret, fit_s, pol_s = one_run(data, seed=seed, fast=args.fast)
            personalise = regret.pop("personalise")
            for policy, value in regret.items():
                records.append(
                    {"data": data.name, "seed": seed, "policy": policy, "regret": value,
                     "personalise": personalise, "fit_s": fit_s}
                )  # fmt: skip
            print(f"seed {seed} {data.name}: fit {fit_s:.1f}s, policies {pol_s:.2f}s", flush=True)
    raw = pd.read_csv(args.summarise) if args.summarise else pd.DataFrame(records)
    summary = summarise(raw)
    header = [
        "# Treatment policies: true regret on held-out patients",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/bench_response_policy.py"
        f" --n {args.n} --n-test {args.n_test} --seeds {args.seeds}"
        f"{' --fast' if args.fast else ''}{f' --only {args.only}' if args.only else ''}`"
        f" ({platform.python_version()}, "
        f"{time.perf_counter() - started:.0f} s in all on a shared 2-core machine).",
        f"Model: `TreatmentResponseModel({'fast=True' if args.fast else ''})`, seed = run seed. "
        f"Open arms: each arm open with probability {OPEN_SHARE} per patient (2-arm sets:"
        " both open).",
    ]
    if args.summarise and args.out.exists():  # keep the run's own header (time, settings)
        old = args.out.read_text(encoding="utf-8").splitlines()
        header = old[: next(i for i, line in enumerate(old) if line.startswith("| data")) - 1]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(summary, raw, header), encoding="utf-8")
    figure(summary, args.figure)
    if not args.summarise:
        raw.to_csv(args.out.with_suffix(".csv"), index=False)
    print(args.out.read_text())


if __name__ == "__main__":
    main()
