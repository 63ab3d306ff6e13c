"""Per-customer CLV computed a block of customers at a time equals the one-block computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.clv import _valuation


@pytest.fixture(scope="module")
def telco():
    data = cs.prepare(
        cs.datasets.load_telco(),
        id="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
        margin="MonthlyCharges",
    )
    return data, cs.CoxModel("Contract + InternetService + MonthlyCharges").fit(data)


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("parametric_tail", [False, True])
def test_blocks_give_the_values_of_one_block(monkeypatch, telco, residual, parametric_tail):
    data, cox = telco
    tail = (
        cs.WeibullAFT("Contract").fit(data)
        if parametric_tail
        else pd.Series(0.98 ** np.arange(200.0))
    )
    kw = {"annual_discount_rate": 0.1, "horizon": 60, "residual": residual, "tail": tail}
    whole = cs.clv(cox, data, **kw).summary
    monkeypatch.setattr(_valuation, "_CUSTOMER_BLOCK", 1000)  # 8 blocks, the last partial
    blocks = cs.clv(cox, data, **kw).summary
    pd.testing.assert_frame_equal(blocks, whole, check_exact=False, rtol=1e-13)


def test_blocks_count_every_customer_past_follow_up(monkeypatch, telco):
    data, cox = telco
    monkeypatch.setattr(_valuation, "_CUSTOMER_BLOCK", 1000)
    active = int((~data.events).sum())
    # residual values over 60 months run past the 72-month follow-up for customers past 12
    n_past = int(((data.frame["duration"] + 59 > 72) & ~data.frame["event"]).sum())
    assert 0 < n_past < active
    with pytest.raises(ValueError, match=f"for {n_past} customer"):
        cs.clv(cox, data, annual_discount_rate=0.1, horizon=60, residual=True)


@pytest.fixture(scope="module")
def stratified(telco):
    data, _ = telco
    return cs.CoxModel("InternetService + MonthlyCharges", strata=["Contract"]).fit(data)


def _tails(data):
    durations, events = data.durations, data.events
    periods = np.maximum(np.ceil(durations), 1).astype(int)
    sbg = cs.ShiftedBetaGeometric().fit_individual(periods, events, time_unit="month")
    return {"series": pd.Series(0.98 ** np.arange(200.0)), "sbg": sbg}


@pytest.mark.parametrize("tail", ["series", "sbg"])
@pytest.mark.parametrize("timing", ["start", "end"])
def test_value_at_risk_fast_path_equals_the_general_path(
    monkeypatch, telco, stratified, tail, timing
):
    """The Cox fast path (linear predictor once, baseline increments per (stratum, tenure),
    the tail per distinct tenure) against the general path every model takes (the reference:
    ``predict_survival`` block by block, the tail evaluated cell by cell and spliced)."""
    from churnsurv.clv import customer_blocks

    data, _ = telco
    kw = {"within": 6, "annual_discount_rate": 0.1, "horizon": 60, "timing": timing}
    kw["tail"] = _tails(data)[tail]
    monkeypatch.setattr(_valuation, "_CUSTOMER_BLOCK", 1500)
    fast = cs.value_at_risk(stratified, data, **kw).summary
    monkeypatch.setattr(customer_blocks, "_is_cox", lambda model: False)
    general = cs.value_at_risk(stratified, data, **kw).summary
    assert fast["residual_clv"].notna().all() and (fast["tenure"] + 60 > 72).any()
    pd.testing.assert_frame_equal(fast, general, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("residual", [False, True])
def test_clv_fast_path_equals_the_general_path(monkeypatch, telco, stratified, residual):
    from churnsurv.clv import customer_blocks

    data, _ = telco
    kw = {"annual_discount_rate": 0.1, "horizon": 80, "residual": residual}
    kw["tail"] = _tails(data)["sbg"]
    fast = cs.clv(stratified, data, **kw).summary
    monkeypatch.setattr(customer_blocks, "_is_cox", lambda model: False)
    general = cs.clv(stratified, data, **kw).summary
    pd.testing.assert_frame_equal(fast, general, check_exact=False, rtol=1e-12)


def test_value_at_risk_without_tail_counts_every_customer_past_follow_up(monkeypatch, telco):
    data, cox = telco
    monkeypatch.setattr(_valuation, "_CUSTOMER_BLOCK", 1000)
    n_past = int(((data.frame["duration"] + 59 > 72) & ~data.frame["event"]).sum())
    with pytest.raises(ValueError, match=f"for {n_past} customer"):
        cs.value_at_risk(cox, data, within=6, annual_discount_rate=0.1, horizon=60)


def _previous_summary(data, var) -> pd.DataFrame:
    """The summary as value_at_risk built it before (pandas rank, np.select on Series,
    sort_values), from the same per-customer values put back in data order."""
    back = np.argsort(var.positions, kind="stable")
    s = var.summary.iloc[back]
    out = pd.DataFrame(
        {c: s[c].to_numpy() for c in ("tenure", "p_churn", "residual_clv", "value_at_risk")},
        index=data.frame.index[np.sort(var.positions)],
    )
    q = out["residual_clv"].rank(ascending=False, pct=True, method="first")
    tier = np.select([q <= 0.2, q <= 0.5], ["top 20%", "next 30%"], "bottom 50%")
    out["value_tier"] = pd.Categorical(tier, ["top 20%", "next 30%", "bottom 50%"], ordered=True)
    out = out.sort_values("value_at_risk", ascending=False, kind="mergesort")
    out["rank"] = np.arange(1, len(out) + 1)
    return out


@pytest.mark.parametrize("ties", [False, True])
def test_value_at_risk_summary_equals_the_previous_frame_path(telco, ties):
    """The summary built once in rank order from numpy arrays (stable sorts) is the frame the
    previous path built (pandas rank "first", sort_values mergesort): exactly, ties included
    (Telco has many equal values; with ``ties`` the margin is rounded to make more), and
    ``positions`` picks the same customers from the data."""
    data, cox = telco
    if ties:
        frame = data.frame.copy()
        frame[data.margin] = frame[data.margin].round(-1)
        data = type(data)(
            frame,
            time_unit=data.time_unit,
            excluded=data.excluded,
            n_input=data.n_input,
            id_col=data.id_col,
            covariates=data.covariates,
            segments=data.segments,
            margin=data.margin,
        )
    var = cs.value_at_risk(
        cox, data, within=6, annual_discount_rate=0.1, horizon=60,
        tail=pd.Series(0.98 ** np.arange(200.0)),
    )  # fmt: skip
    assert var.summary["value_at_risk"].duplicated().sum() > 100  # ties to break
    pd.testing.assert_frame_equal(var.summary, _previous_summary(data, var), check_exact=True)
    assert (data.frame.index[var.positions] == var.summary.index).all()
    assert not data.events[var.positions].any() and len(var.positions) == data.n_censored
    np.testing.assert_array_equal(
        data.frame["duration"].to_numpy()[var.positions], var.summary["tenure"].to_numpy()
    )


@pytest.mark.parametrize("conditional", [True, False])
def test_cox_blocks_with_the_splice_folded_in_equal_splicing_each_row(
    telco, stratified, conditional
):
    """survival_blocks' Cox path (the splice folded into per-group tables) against the previous
    way: each block's curves from CoxCurves, then splice_rows on the rows with NaN cells, the
    tail from each customer's tenure; churned customers (no curve of their own) included."""
    from churnsurv.clv._valuation import _tail_survival
    from churnsurv.clv.customer_blocks import splice_rows, survival_blocks
    from churnsurv.regression.cox.predict import CoxCurves

    data, _ = telco
    tail = _tails(data)["sbg"]
    times = np.arange(0.0, 101.0)  # past the 72-month follow-up from every tenure
    new = np.vstack(
        [
            s.copy()
            for _, s in survival_blocks(
                stratified, data, times, conditional=conditional, tail=tail, size=2000
            )
        ]
    )
    curves = CoxCurves(stratified.fit_state_, data.frame, times, conditional=conditional)
    old = np.empty((curves.n, times.size))
    curves.fill(old, slice(0, curves.n))
    missing = np.isnan(old)
    assert missing.any(axis=1).sum() > 1000 and (data.events.any() or not conditional)
    ext = _tail_survival(tail, (curves.tenure[:, None] + times).ravel(), None)
    splice_rows(old, missing, ext.reshape(old.shape))
    np.testing.assert_allclose(new, old, rtol=1e-13, atol=0)
    np.testing.assert_array_equal(new[~missing], old[~missing])  # inside the follow-up: exact


def test_value_tiers_without_sorting_equal_pandas_rank_first():
    """The tiers from a partition and the ties at each cut in data order equal those of
    pandas' rank(ascending=False, pct=True, method="first") (the previous code), with ties,
    negative values, tiny tables and shares that are not multiples of 1 / n."""
    from churnsurv.clv.value_at_risk import _tier_codes

    gen = np.random.default_rng(0)
    for n in (1, 2, 3, 7, 10, 11, 100, 1001):
        for x in (gen.random(n), gen.integers(0, 5, n) * 1.0, np.zeros(n), gen.integers(-1, 2, n)):
            x = np.asarray(x, dtype=float)
            for lo, hi in ((0.2, 0.5), (0.1, 0.3), (1 / 3, 2 / 3), (0.01, 0.99)):
                q = pd.Series(x).rank(ascending=False, pct=True, method="first")
                previous = np.select([q <= lo, q <= hi], [0, 1], 2)
                np.testing.assert_array_equal(_tier_codes(x, lo, hi), previous)


@pytest.mark.parametrize("threads", [2, 3])
def test_cox_blocks_filled_by_threads_equal_one_thread(monkeypatch, telco, stratified, threads):
    """The Cox path's blocks filled in parts by several threads (issue 18, H15) are the numbers
    of one thread, bit for bit: each row's cells are computed alone. Small chunks and blocks
    make parts of unequal size and a last block shorter than the others."""
    from churnsurv.clv import customer_blocks

    data, _ = telco
    tail = _tails(data)["sbg"]
    times = np.arange(0.0, 101.0)
    monkeypatch.setattr(customer_blocks, "_CHUNK_CELLS", 7 * times.size)

    def run() -> np.ndarray:
        blocks = customer_blocks.survival_blocks(
            stratified, data, times, conditional=True, tail=tail, size=1000
        )
        return np.vstack([s.copy() for _, s in blocks])

    monkeypatch.setattr(customer_blocks, "THREADS", 1)
    one = run()
    monkeypatch.setattr(customer_blocks, "THREADS", threads)
    np.testing.assert_array_equal(run(), one)


@pytest.mark.parametrize("halves_from", [1_000_000, 1])
def test_descending_order_is_the_stable_sort_of_the_negated_values(halves_from, monkeypatch):
    """value_at_risk's order (quicksort, then each run of ties put back in data order; from
    ``_HALVES_FROM`` values two halves sorted on two threads and merged) equals
    np.argsort(-value, kind="stable"): many ties, signed zeros, NaN, one value, all equal."""
    import sys

    from churnsurv.clv.value_at_risk import _descending_order

    module = sys.modules["churnsurv.clv.value_at_risk"]  # the package names the function so
    monkeypatch.setattr(module, "_HALVES_FROM", halves_from)

    gen = np.random.default_rng(15)
    cases = [
        gen.random(5000),
        gen.integers(0, 50, 5000) * 1.5,
        np.array([0.0, -0.0, 1.0, -0.0, 0.0, 1.0]),
        np.array([2.0, np.nan, 1.0, np.nan, 2.0]),
        np.array([3.0]),
        np.ones(100),
        gen.integers(0, 7, 5001) * 1.0,  # an odd size: halves of 2,500 and 2,501
        np.r_[np.ones(50), np.zeros(51)],  # each half all ties
    ]
    for value in cases:
        np.testing.assert_array_equal(_descending_order(value), np.argsort(-value, kind="stable"))
