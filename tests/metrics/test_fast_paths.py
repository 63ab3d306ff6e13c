"""The fast paths of the metrics (issue 13's speed target) against their reference paths.

* AUC and Brier score with standard errors: the table-based influence functions of
  churnsurv/metrics/influence.py against the per-customer O(n^2) reference of
  tests/metrics/_slow_reference.py (the implementation checked against riskRegression::Score
  before the speed work), on random data with and without tied scores and times, with ``G``
  estimated or fixed;
* the sort of the scores reused across horizons (same ranking, ties of one column broken in the
  next, unrelated columns) against one call per horizon;
* ``distinct_times`` (hashing) against ``np.unique``; its whole-number (counting) and
  sorted-then-hashed paths (``few_distinct``) on whole numbers, negative, huge, wide, NaN, inf,
  ``-0.0`` and integer inputs;
* Harrell's C from the (block, rank) count table against the block sweep (unit weights).
"""

from __future__ import annotations

import numpy as np
import pytest

from churnsurv.metrics import brier_score, censoring_survival, ipcw, time_dependent_auc
from churnsurv.metrics import concordance as conc_mod
from churnsurv.metrics.ipcw import distinct_times, few_distinct
from tests.metrics import _slow_reference as ref


def _data(seed, n=400, tied_times=True, tied_scores=True):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = rng.exponential(10 * np.exp(-0.5 * x))
    c = rng.uniform(0, 25, n)
    time = np.minimum(t, c)
    if tied_times:
        time = np.floor(time)
    event = t <= c
    event[np.argmax(time)] = False  # largest time censored (administrative end)
    score = np.round(x, 1) if tied_scores else x
    return time, event, score


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("fixed", [False, True])
def test_auc_and_se_match_the_per_customer_reference(seed, tied, fixed):
    time, event, score = _data(seed, tied_times=tied, tied_scores=tied)
    times = np.array([3.0, 6.0, 9.0])
    if fixed:  # G from other customers: its estimation is left out of the SE
        t2, e2, _ = _data(seed + 10, tied_times=tied)
        g = censoring_survival(t2, e2, source="training data")
        g_times, g_surv = ref.reverse_km(t2, e2)
    else:
        g = None
        g_times, g_surv = ref.reverse_km(time, event)
    res = time_dependent_auc(time, event, score, times, censoring=g).summary
    for k, t in enumerate(times):
        auc, se = ref.auc_and_se(time, event, score, t, g_times, g_surv, censoring_fixed=fixed)
        assert res["auc"].iloc[k] == pytest.approx(auc, rel=1e-14)
        assert res["std_err"].iloc[k] == pytest.approx(se, rel=1e-11)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("fixed", [False, True])
def test_brier_and_null_model_se_match_the_per_customer_reference(seed, fixed):
    time, event, score = _data(seed)
    times = np.array([3.0, 6.0, 9.0])
    prob = 1 / (1 + np.exp(-score[:, None] - np.log(times / 6)[None, :]))
    if fixed:
        t2, e2, _ = _data(seed + 10)
        g = censoring_survival(t2, e2, source="training data")
        g_times, g_surv = ref.reverse_km(t2, e2)
    else:
        g = None
        g_times, g_surv = ref.reverse_km(time, event)
    res = brier_score(time, event, prob, times, censoring=g).summary
    for k, t in enumerate(times):
        b, se = ref.brier_and_se(time, event, prob[:, k], t, g_times, g_surv, fixed)
        assert res["brier"].iloc[k] == pytest.approx(b, rel=1e-14)
        assert res["std_err"].iloc[k] == pytest.approx(se, rel=1e-12)
        null_p = np.full(time.size, 1 - _km(time, event, t))
        nb, nse = ref.brier_and_se(time, event, null_p, t, g_times, g_surv, fixed)
        assert res["null_brier"].iloc[k] == pytest.approx(nb, rel=1e-13)
        assert res["null_brier_std_err"].iloc[k] == pytest.approx(nse, rel=1e-12)


def _km(time, event, t):
    s = 1.0
    for u in np.unique(time[event & (time <= t)]):
        s *= 1 - np.sum(event & (time == u)) / np.sum(time >= u)
    return s


@pytest.mark.parametrize(
    "columns",
    [
        "same ranking",  # one sort serves every horizon
        "ties broken later",  # the previous order nearly sorts the next column
        "unrelated",  # a fresh sort per horizon
    ],
)
def test_sort_reused_across_horizons_equals_one_call_per_horizon(columns):
    time, event, _ = _data(5, n=3000)
    rng = np.random.default_rng(6)
    x = rng.normal(size=time.size)
    if columns == "same ranking":
        risk = np.column_stack([x, 2 * x + 1, np.exp(x)])
    elif columns == "ties broken later":
        few_tied = np.where(np.arange(time.size) < 10, 0.0, x)  # 10 tied, untied next
        risk = np.column_stack([few_tied, x, np.round(x, 1)])
    else:
        risk = rng.normal(size=(time.size, 3))
    times = np.array([3.0, 6.0, 9.0])
    together = time_dependent_auc(time, event, risk, times).summary
    for k, t in enumerate(times):
        alone = time_dependent_auc(time, event, risk[:, k], [t]).summary
        for col in ("auc", "std_err", "n_cases", "n_controls"):
            assert together[col].iloc[k] == pytest.approx(alone[col].iloc[0], rel=1e-13)


@pytest.mark.parametrize("values", ["whole months", "continuous", "zeros"])
def test_distinct_times_equal_np_unique(values):
    rng = np.random.default_rng(3)
    n = 50_000  # above the size where hashing is tried
    if values == "whole months":
        time = np.floor(rng.uniform(0, 72, n))
    elif values == "continuous":
        time = rng.exponential(10, n)
    else:
        time = np.where(rng.uniform(size=n) < 0.5, 0.0, -0.0) + np.floor(rng.uniform(0, 3, n))
    ut, inv = distinct_times(time)
    u_ref, inv_ref = np.unique(time, return_inverse=True)
    np.testing.assert_array_equal(ut, u_ref)
    np.testing.assert_array_equal(inv, inv_ref.ravel())


def _values(kind, rng, n):
    months = np.floor(rng.uniform(0, 72, n))
    return {
        "whole months": months,
        "negative whole": months - 30,
        "negative zeros": np.where(
            months == 0, np.where(rng.uniform(size=n) < 0.5, 0.0, -0.0), months
        ),
        "only -0.0 and 1": np.where(rng.uniform(size=n) < 0.5, -0.0, 1.0),
        "NaN": np.where(rng.uniform(size=n) < 0.1, np.nan, months),
        "inf": np.where(rng.uniform(size=n) < 0.1, np.inf, months),
        "huge": months + 1e15,
        "wide whole": np.floor(rng.uniform(0, 1e9, n)),
        "halves": months / 2,
        "repeating floats": rng.choice(rng.normal(size=300), n),
        "repeating with -0.0": rng.choice(np.r_[rng.normal(size=30), -0.0], n),
        "continuous": rng.exponential(10, n),
        "int64": rng.integers(-5, 100, n),
        "int64 wide": rng.integers(-(10**12), 10**12, 300)[rng.integers(0, 300, n)],
        "int32": rng.integers(0, 100, n).astype(np.int32),
        "uint8": rng.integers(0, 100, n).astype(np.uint8),
        "uint64 near 2**64": np.uint64(2**64 - 1) - rng.integers(0, 100, n).astype(np.uint64),
        "float32": months.astype(np.float32),
    }[kind]


@pytest.mark.parametrize(
    "kind",
    ["whole months", "negative whole", "negative zeros", "only -0.0 and 1", "NaN", "inf", "huge",
     "wide whole", "halves", "repeating floats", "repeating with -0.0", "continuous", "int64",
     "int64 wide", "int32", "uint8", "uint64 near 2**64", "float32"],
)  # fmt: skip
def test_few_distinct_equals_np_unique(kind):
    x = _values(kind, np.random.default_rng(4), 20_000)  # above the size where it is tried
    u_ref, inv_ref = np.unique(x, return_inverse=True)
    found = few_distinct(x)
    if kind in ("continuous", "wide whole", "NaN", "negative zeros", "only -0.0 and 1",
                "repeating with -0.0", "uint64 near 2**64"):  # fmt: skip
        assert found is None  # mostly distinct, or NaN / -0.0: np.unique's own answer
    else:
        assert found is not None
    ut, inv = distinct_times(x)
    assert ut.dtype == u_ref.dtype and inv.dtype == np.intp
    np.testing.assert_array_equal(ut, u_ref)
    np.testing.assert_array_equal(np.signbit(ut), np.signbit(u_ref))  # the same zero
    np.testing.assert_array_equal(inv, inv_ref.ravel())


@pytest.mark.parametrize("kind", ["repeating floats", "int64 wide", "halves"])
@pytest.mark.parametrize("size", [20_001, 20_000])
def test_few_distinct_on_two_threads_equals_np_unique(kind, size, monkeypatch):
    monkeypatch.setattr(ipcw, "_THREADED_FROM", 1)  # the halves looked up on two threads
    x = _values(kind, np.random.default_rng(5), size)
    u_ref, inv_ref = np.unique(x, return_inverse=True)
    found = few_distinct(x)
    assert found is not None
    np.testing.assert_array_equal(found[0], u_ref)
    np.testing.assert_array_equal(found[1], inv_ref.ravel())
    assert found[1].dtype == np.intp


@pytest.mark.parametrize("seed", range(4))
def test_count_table_equals_block_sweep(seed):
    rng = np.random.default_rng(seed)
    K, R = int(rng.integers(1, 30)), int(rng.integers(1, 60))
    q_block, q_rank = rng.integers(0, K, 500), rng.integers(0, R, 500)
    q_block[0] = K - 1
    d_block, d_rank = rng.integers(-1, K, 3000), rng.integers(0, R, 3000)  # -1 pairs with none
    q_tab, d_tab = conc_mod._at_or_after_table(q_block, q_rank, d_block, d_rank, K, R)
    keep = d_block >= 0
    q_sw, d_kept = conc_mod._at_or_after_sweep(
        q_block, q_rank, np.ones(500), d_block[keep], d_rank[keep], np.ones(keep.sum()), K, R
    )
    np.testing.assert_array_equal(q_tab, q_sw)
    np.testing.assert_array_equal(d_tab[:, keep], d_kept)
    assert not d_tab[:, ~keep].any()
    # the sweep given the rows of block -1 too (they pair with none): the same numbers
    q_all, d_all = conc_mod._at_or_after_sweep(
        q_block, q_rank, np.ones(500), d_block, d_rank, np.ones(3000), K, R
    )
    np.testing.assert_array_equal(q_all, q_sw)
    np.testing.assert_array_equal(d_all, d_tab)


@pytest.mark.parametrize("entry", [False, True])
def test_harrell_c_on_the_count_table_equals_the_sweep(entry, monkeypatch):
    # n above 10,000: whole-month times by counting, the scores sorted then hashed
    rng = np.random.default_rng(7)
    n = 30_000
    x = rng.choice(rng.normal(size=2_000), n)
    time = np.minimum(np.floor(rng.exponential(20 * np.exp(-x))), 72.0)
    event = (rng.uniform(size=n) < 0.3) & (time < 72)
    start = np.floor(rng.uniform(0, 1, n) * time) if entry else None
    fast = conc_mod.harrell_c(time, event, x, entry=start)
    monkeypatch.setattr(conc_mod, "_TABLE_CELLS_PER_ROW", 0.0)
    monkeypatch.setattr(conc_mod, "_SWEEP_COST", np.inf)
    assert conc_mod.harrell_c(time, event, x, entry=start) == fast  # every field, exactly


@pytest.mark.parametrize("tied", [True, False])
def test_gains_top_group_km_and_ranking_match_the_direct_computation(tied):
    # the reference path: a stable sort of -score, kaplan_meier_at on each top group
    from churnsurv.metrics import gains
    from churnsurv.metrics.ipcw import ipcw_weights, kaplan_meier_at

    time, event, score = _data(7, n=2000, tied_scores=tied)
    fr = [0.01, 0.1, 0.25, 0.5, 1.0]
    res = gains(time, event, score, 6.0, fractions=fr).summary
    order = np.argsort(-score, kind="stable")
    w, case, _ = ipcw_weights(time, event, 6.0, censoring_survival(time, event))
    caught = np.cumsum((w * case)[order])
    for row, frac in zip(res.itertuples(), fr, strict=True):
        k = int(np.ceil(frac * time.size))
        top = order[:k]
        assert row.churn_rate_km == 1 - kaplan_meier_at(time[top], event[top], [6.0])[0]
        assert row.captured == caught[k - 1] / caught[-1]


@pytest.mark.parametrize("tied", [True, False])
def test_calibration_groups_match_the_direct_computation(tied):
    # the reference path: groups by a stable sort, then kaplan_meier_at on each group's rows
    from churnsurv.metrics import calibration
    from churnsurv.metrics.ipcw import kaplan_meier_at

    time, event, score = _data(8, n=3001, tied_scores=tied)
    p = 1 / (1 + np.exp(-score))
    res = calibration(time, event, p, 6.0, n_groups=7).summary
    group = np.empty(time.size, dtype=int)
    group[np.argsort(p, kind="stable")] = np.arange(time.size) * 7 // time.size
    for g, row in enumerate(res.itertuples()):
        m = group == g
        assert (row.n, row.events) == (m.sum(), event[m].sum())
        assert row.predicted == pytest.approx(p[m].mean(), rel=1e-14)
        assert row.observed == 1 - kaplan_meier_at(time[m], event[m], [6.0])[0]


@pytest.mark.parametrize("path", ["sweep", "merge"])
def test_harrell_c_unit_weight_counts_equal_the_weighted_path(monkeypatch, path):
    # unit weights are counted in int32 by the block sweep; weights of 2 take the float path
    # and must give 4x the pair counts, the same C and the same standard error
    import churnsurv.metrics.concordance as conc_mod
    from churnsurv.metrics import harrell_c

    monkeypatch.setattr(conc_mod, "_SWEEP_COST", np.inf if path == "sweep" else 0.0)
    time, event, score = _data(9, n=3000)
    for s in (score, score + np.random.default_rng(1).normal(0, 1e-3, score.size)):
        unit = harrell_c(time, event, s)
        double = harrell_c(time, event, s, weights=np.full(time.size, 2.0))
        for name in ("concordant", "discordant", "tied_x", "tied_y", "tied_xy"):
            assert getattr(double, name) == 4 * getattr(unit, name)
        assert double.concordance == pytest.approx(unit.concordance, rel=1e-15)
        assert double.std_err == pytest.approx(unit.std_err, rel=1e-12)


@pytest.mark.parametrize("n_distinct", [3, 500, 10**9])
def test_stable_argsort_equals_numpy_stable(n_distinct):
    from churnsurv.metrics.ipcw import stable_argsort

    x = np.random.default_rng(4).integers(0, n_distinct, 20_000).astype(float)
    np.testing.assert_array_equal(stable_argsort(x), np.argsort(x, kind="stable"))
