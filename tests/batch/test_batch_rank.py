"""The columnar ranking (``batch._rank``) decides exactly as ``recommend.decide`` row by row.

``decide_columns`` ranks groups of at least ``vector_min`` rows at once and smaller groups
row by row; forcing each path on the same inputs must give identical first options,
statuses, recommendations, abstentions and reasons. Inputs: the simulated test registry
(examples, simulated patients, hand-built history and preferences) with its screening, and
predictions drawn by hypothesis: ties (values on a coarse grid), missing estimates and
intervals, patients outside the support, and advantage intervals that are sometimes
non-finite, wide or clearly positive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptsdrx.batch import plan_partitions, write_source


@pytest.fixture(scope="module")
def chunk(cohort: Any, model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Screened facts of 300 patients, and what ``decide_columns`` needs besides predictions."""
    from ptsdrx.batch._facts import row_courses, row_preferences
    from ptsdrx.batch._run import _engine, _holds, _read, _settings
    from ptsdrx.cohort._record import row_to_record
    from ptsdrx.records import Preferences, PriorTreatment, load_record

    records = [load_record(p) for p in sorted(Path("examples/patients").glob("*.json"))]
    for i, row in enumerate(cohort.head(260).to_dict("records")):
        rec = row_to_record(row).model_copy(update={"patient_id": f"sim-{i:05d}"})
        if i % 7 == 0:  # failed courses and preferences that demote options
            failed = PriorTreatment(treatment="sertraline", adequate=True, response="none")
            rec = rec.model_copy(update={"prior_treatments": [failed]})
        if i % 11 == 0:
            rec = rec.model_copy(update={"preferences": Preferences(refused_treatments=["cpt"])})
        records.append(rec)
    out = tmp_path_factory.mktemp("rank-src")
    write_source(records, out, row_group_size=400, file_rows=400)
    s = _settings(model_dir, tmp_path_factory.mktemp("rank-sink"), 0.1)
    engine, screener, need, policy = _engine(s)
    facts, X, ids, rejects = _read(
        plan_partitions(out, 400)[0], need, list(engine.feature_names_in_)
    )
    assert not rejects
    n = len(ids)
    return {
        "arms": [str(a) for a in engine.arms_],
        "screening": screener.screen(facts),
        "rules": screener.rules,
        "jurisdiction": facts.cols["jurisdiction"],
        "baseline": facts.cols["baseline_pcl5"],
        "hold": _holds(facts, screener.rules, policy, n),
        "policy": policy,
        "preferences": row_preferences(facts),
        "courses": row_courses(facts),
        "plan": engine.plan(np.ascontiguousarray(X, dtype=float), alpha=0.1, cache=False),
        "engine": engine,
    }


def _both(chunk: dict[str, Any], **numbers: Any) -> tuple[Any, Any]:
    from ptsdrx.batch._decide import decide_columns

    args = {k: v for k, v in chunk.items() if k not in ("plan", "engine")} | numbers
    return decide_columns(**args, vector_min=1), decide_columns(**args, vector_min=10**9)


def _same(a: Any, b: Any) -> None:
    for field in ("first", "recommended", "abstained", "reason"):
        x, y = getattr(a, field), getattr(b, field)
        bad = [i for i in range(len(x)) if x[i] != y[i]]
        assert not bad, (field, bad[:3], [x[i] for i in bad[:3]], [y[i] for i in bad[:3]])
    for tid in a.statuses:
        assert list(a.statuses[tid]) == list(b.statuses[tid]), tid


def _model_numbers(chunk: dict[str, Any]) -> dict[str, Any]:
    plan, engine = chunk["plan"], chunk["engine"]

    def advantage(b: int, r: int, rows: Any) -> tuple[Any, Any]:
        eff = plan.outcomes[rows, r] - plan.outcomes[rows, b]
        return engine.group_bounds(eff, b, r, 0.1)

    return {
        "outcomes": plan.outcomes,
        "lo": plan.lo,
        "hi": plan.hi,
        "in_support": plan.in_support,
        "advantage": advantage,
    }


def test_columnar_ranking_equals_decide_on_the_model_predictions(chunk: dict[str, Any]) -> None:
    vec, rows = _both(chunk, **_model_numbers(chunk))
    _same(vec, rows)
    assert len(set(vec.reason)) > 5  # many different decisions were compared
    assert vec.abstained.any()


def test_the_comparison_can_fail(chunk: dict[str, Any]) -> None:
    """A changed prediction changes decisions: ``_same`` sees the difference."""
    numbers = _model_numbers(chunk)
    vec, _ = _both(chunk, **numbers)
    shifted = numbers | {"outcomes": numbers["outcomes"][:, ::-1].copy()}
    _, other = _both(chunk, **shifted)
    with pytest.raises(AssertionError):
        _same(vec, other)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    grid=st.sampled_from([0.5, 2.0, 8.0]),
    missing=st.sampled_from([0.0, 0.05, 0.3]),
    clear=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_columnar_ranking_equals_decide_on_drawn_predictions(
    chunk: dict[str, Any], seed: int, grid: float, missing: float, clear: float
) -> None:
    rng = np.random.default_rng(seed)
    n, a = chunk["plan"].outcomes.shape
    outcomes = np.round(rng.uniform(10, 60, (n, a)) / grid) * grid  # ties on a grid
    outcomes[rng.random((n, a)) < missing] = np.nan
    # missing estimates apply to whole columns too, so groups without them form
    outcomes[:, rng.random(a) < missing] = np.nan
    width = rng.uniform(1, 20, (n, a))
    lo, hi = outcomes - width, outcomes + width
    lo[rng.random((n, a)) < missing] = np.nan
    support = rng.random(n) > 0.1

    def advantage(b: int, r: int, rows: Any) -> tuple[Any, Any]:
        eff = outcomes[rows, r] - outcomes[rows, b]
        shift = np.where(rng.random(len(rows)) < clear, 0.0, 6.0)
        low, high = eff - shift, eff + shift
        low[rng.random(len(rows)) < missing] = np.nan
        return low, high

    # both paths must see the same draw: drawn once per pair of arms, for every row
    seen: dict[tuple[int, int], tuple[Any, Any]] = {}

    def fixed(b: int, r: int, rows: Any) -> tuple[Any, Any]:
        if (b, r) not in seen:
            seen[(b, r)] = advantage(b, r, np.arange(n))
        low, high = seen[(b, r)]
        return low[rows], high[rows]

    vec, rows = _both(chunk, outcomes=outcomes, lo=lo, hi=hi, in_support=support, advantage=fixed)
    _same(vec, rows)


@st.composite
def _group(draw: Any) -> tuple[list[Any], Any, list[bool]]:
    """Static facts of every catalog option (shared by a group's rows), drawn."""
    from ptsdrx.batch._decide import _availability, _catalog
    from ptsdrx.recommend import Candidate

    place = draw(st.sampled_from([None, "US", "AU"]))
    share = st.sampled_from([0.0, 0.1, 0.5, 0.95])
    p_open, p_major, p_minor, p_none, p_uncontrolled = (draw(share) for _ in range(5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    solo = draw(st.sampled_from([None, None, None, "prazosin", "cpt", "ketamine_iv"]))
    cands, has, modelled = [], [], []
    for o in _catalog():
        is_open = o.id == solo if solo else rng.random() < p_open
        status = str(rng.choice(["eligible", "caution"])) if is_open else "excluded"
        cands.append(
            Candidate(
                treatment=o.id,
                screening_status=status,
                availability=_availability(o.id, place),
                investigational=o.investigational,
                evidence_grade=o.grade,
                major_cautions=("rule_major",) if rng.random() < p_major else (),
                minor_cautions=("rule_minor",) if rng.random() < p_minor else (),
                controlled=not rng.random() < p_uncontrolled,
            )
        )
        has.append(not rng.random() < p_none)
        modelled.append(has[-1] and bool(rng.random() < 0.7))
    return cands, has, modelled


@settings(max_examples=150, deadline=None)
@given(
    group=_group(),
    seed=st.integers(0, 2**32 - 1),
    support=st.booleans(),
    unestimated=st.sampled_from(["note", "abstain"]),
)
def test_rank_equals_decide_on_drawn_candidates(
    group: Any, seed: int, support: bool, unestimated: str
) -> None:
    """``rank`` over 40 rows sharing drawn static facts (uncontrolled estimates, major and
    minor cautions, restricted access, options without an estimate) equals ``decide`` per
    row, with advantage intervals for modelled pairs and outcome intervals otherwise."""
    from dataclasses import replace

    from ptsdrx.batch._rank import rank
    from ptsdrx.recommend import decide, default_policy, gate_options

    cands, has, modelled = group
    policy = replace(default_policy(), unestimated=unestimated)
    gates = gate_options(cands, policy=policy)
    rng = np.random.default_rng(seed)
    m, c = 40, len(cands)
    E = np.round(rng.uniform(10, 60, (m, c)) / 4) * 4
    E[:, ~np.array(has)] = np.nan
    width = rng.choice([1.0, 5.0, 30.0], (m, c))
    LO, HI = E - width, E + width
    LO[:, rng.random(c) < 0.2] = np.nan
    HI[np.isnan(LO)] = np.nan
    adv_lo = rng.choice([-3.0, 2.0, 6.0, np.nan], (c, c, m))
    in_support = rng.random(m) > 0.2 if support else None
    names = {x.treatment: x.treatment.upper() for x in cands}

    def advantage(k: int, j: int, rows: Any) -> tuple[Any, Any]:
        return adv_lo[k, j][rows], adv_lo[k, j][rows] + 4.0

    got = rank(
        cands, gates, E=E, LO=LO, HI=HI, modelled=modelled, advantage=advantage,
        in_support=in_support, policy=policy, names=names,
    )  # fmt: skip
    code = {x.treatment: k for k, x in enumerate(cands)}
    for i in range(m):
        row = [
            replace(
                x,
                expected_pcl5=None if np.isnan(E[i, k]) else float(E[i, k]),
                interval=None if np.isnan(LO[i, k]) else (float(LO[i, k]), float(HI[i, k])),
            )
            for k, x in enumerate(cands)
        ]

        def interval(best: str, other: str, i: int = i) -> Any:
            k, j = code[best], code[other]
            if not (modelled[k] and modelled[j]):
                return None
            a = adv_lo[k, j, i]
            return None if np.isnan(a) else (float(a), float(a) + 4.0)

        d = decide(
            row,
            policy=policy,
            advantage_interval=interval,
            in_support=None if in_support is None else bool(in_support[i]),
            names=names,
        )
        top = next((t for t, s in d.statuses.items() if s == "recommended"), None)
        want = d.abstention_reason if top is None else d.reasons[top][-1].text
        assert got.reason[i] == want, (i, got.reason[i], want)
        assert got.first[i] == d.first, i
        k = int(got.recommended[i])
        assert (cands[k].treatment if k >= 0 else None) == top, i
        expected = dict(got.statuses) | ({top: "recommended"} if top else {})
        assert expected == d.statuses, i
