"""Early-warning call list, its guard rails, and the profit-based list size.

Expected numbers: identities with the public model API (the list's p_churn is the model's
predict_churn_probability), a brute-force maximum of expected net value, and the PH test of
Telco's Contract (cox.zph p < 0.05, tests/reference/coxzph.json).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs

TAIL = pd.Series(0.98 ** np.arange(200.0))


@pytest.fixture(scope="module")
def cox(telco):
    return cs.CoxModel("Contract + MonthlyCharges").fit(telco)


def test_ph_violation_on_a_categorical_term_refits_stratified(telco, cox):
    ew = cs.early_warning(cox, telco, within=6, tail=TAIL)
    assert "Contract" in ew.guard["proportional hazards"]
    assert ew.model.strata == ["Contract"] and ew.model is not cox
    active = telco.frame.loc[ew.summary.index]
    expected = ew.model.predict_churn_probability(active, within=6).to_numpy()
    ok = np.isfinite(expected)  # NaN past the Cox baseline: there the tail takes over
    np.testing.assert_allclose(ew.summary["p_churn"].to_numpy()[ok], expected[ok], rtol=1e-12)
    assert ew.summary["beyond_support"].to_numpy()[~ok].all()
    assert "snapshot" in ew.guard  # Telco has neither entry times nor dates
    ranked = ew.call_list
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    assert ranked["value_at_risk"].is_monotonic_decreasing
    assert ew.flagged["value_at_risk"].is_monotonic_decreasing


def test_without_guard_the_given_model_is_used_and_support_is_flagged(telco, cox):
    ew = cs.early_warning(cox, telco, within=6, tail=TAIL, guard=False)
    assert ew.model is cox and ew.guard.get("proportional hazards") is None
    p = cox.predict_churn_probability(telco.frame.loc[ew.summary.index], within=6).to_numpy()
    ok = np.isfinite(p)
    np.testing.assert_allclose(ew.summary["p_churn"].to_numpy()[ok], p[ok], rtol=1e-12)
    s = ew.summary
    # no strata: at_risk_after counts every customer observed to tenure + 6
    d = np.sort(telco.durations)
    expected = d.size - np.searchsorted(d, s["tenure"].to_numpy() + 6, side="left")
    np.testing.assert_array_equal(s["at_risk_after"], expected)
    assert s["beyond_support"].equals(s["at_risk_after"] < 50)


def test_support_is_counted_within_the_stratum(telco, cox):
    ew = cs.early_warning(cox, telco, within=6, tail=TAIL)  # stratified on Contract
    s = ew.summary
    for row in (s.iloc[0], ew.flagged.iloc[0]):
        same = telco.frame["Contract"] == telco.frame.loc[row.name, "Contract"]
        n = int((telco.frame.loc[same, "duration"] >= row["tenure"] + 6).sum())
        assert row["at_risk_after"] == n


def test_flagged_predictions_never_rank_above_supported_ones(telco, cox):
    """The issue's complaint: Telco customers with tenure 65-71 topped the list although their
    stratum's late risk sets are tiny. They used to be flagged but still ranked first."""
    ew = cs.early_warning(cox, telco, within=6, tail=TAIL)
    s = ew.summary
    assert not ew.top(20)["beyond_support"].any()
    assert s["rank"].isna().equals(s["beyond_support"])  # flagged: not ranked
    assert s["beyond_support"].is_monotonic_increasing  # supported first, then flagged
    assert len(ew.call_list) + len(ew.flagged) == len(s) == telco.n_censored
    assert ew.flagged["reason"].str.contains("observed to tenure \\+ 6").all()
    assert ew.guard["ranking"].startswith(f"{len(ew.flagged)} flagged customer(s) not ranked")
    # a flagged prediction would top a ranking by value at risk (what flagged="rank" does)
    assert ew.flagged["value_at_risk"].max() > ew.call_list["value_at_risk"].max()
    old = cs.early_warning(cox, telco, within=6, tail=TAIL, flagged="rank")
    assert old.top(20)["beyond_support"].all() and (old.top(20)["tenure"] >= 60).all()
    assert old.summary["rank"].tolist() == list(range(1, len(s) + 1))
    with pytest.raises(cs.DataValidationError, match="flagged"):
        cs.early_warning(cox, telco, within=6, tail=TAIL, flagged="drop")


def test_ph_guard_stratifies_only_while_every_stratum_keeps_churns(telco):
    """The report's Telco model fails cox.zph on three categorical terms; stratifying on all
    three left strata without churns and the stratified refit could not predict them."""
    model = cs.CoxModel(
        "Contract + InternetService + PaymentMethod + SeniorCitizen + MonthlyCharges"
    ).fit(telco)
    with pytest.warns(cs.AssumptionWarning):
        ph = model.check_proportional_hazards()["p_value"].drop(["GLOBAL", "MonthlyCharges"])
    assert ph.idxmin() == "Contract"  # the most violating categorical term is tried first
    ew = cs.early_warning(model, telco, within=6, tail=TAIL)
    assert ew.model.strata == ["Contract"]
    assert "InternetService" in ew.guard["unresolved"]
    assert "PaymentMethod" in ew.guard["unresolved"]
    churns = telco.frame.groupby(["Contract", "InternetService"], observed=True)["event"].sum()
    assert churns.min() < 10  # why InternetService was refused
    assert np.isfinite(ew.call_list["p_churn"]).all()


def test_bootstrap_interval_brackets_the_estimate(telco):
    small = telco.take(np.arange(0, telco.n, 5))
    model = cs.CoxModel("MonthlyCharges + SeniorCitizen").fit(small)
    a = cs.early_warning(model, small, within=6, tail=TAIL, n_boot=30, rng=4, guard=False)
    b = cs.early_warning(model, small, within=6, tail=TAIL, n_boot=30, rng=4, guard=False)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    s = a.summary.dropna(subset=["ci_lower"])
    inside = (s["ci_lower"] <= s["p_churn"]) & (s["p_churn"] <= s["ci_upper"])
    assert inside.mean() > 0.95 and (s["ci_upper"] > s["ci_lower"]).all()


def test_profit_threshold_maximises_expected_net_value(telco, cox):
    ew = cs.early_warning(cox, telco, within=6, tail=TAIL)
    pt = cs.profit_threshold(ew, offer_cost=40, success_rate=0.25)
    s = ew.call_list.dropna(subset=["p_churn", "residual_clv"])  # flagged ones are not called
    var = np.sort((s["p_churn"] * s["residual_clv"]).to_numpy())[::-1]
    net = np.cumsum(0.25 * var - 40)
    assert pt.best["n_contacted"] == np.argmax(net) + 1
    assert pt.best["expected_net_value"] == pytest.approx(net.max())
    assert (pt.summary["expected_net_value"] <= pt.best["expected_net_value"] + 1e-9).all()
    assert pt.summary["recall"].iloc[-1] == pytest.approx(1.0)
    with pytest.raises(cs.DataValidationError, match="success_rate"):
        cs.profit_threshold(ew, offer_cost=40, success_rate=1.5)


def test_profit_threshold_of_an_empty_list_says_so():
    empty = pd.DataFrame({"p_churn": [], "residual_clv": []})
    with pytest.raises(cs.DataValidationError, match="no customer to call"):
        cs.profit_threshold(empty, offer_cost=40, success_rate=0.25)
    with pytest.raises(cs.DataValidationError, match="offer_cost=-1 must be a finite amount"):
        cs.profit_threshold(empty, offer_cost=-1, success_rate=0.25)


@pytest.mark.parametrize("strata", [None, ["Contract"]])
def test_bootstrap_interval_is_the_refit_on_resamples_of_the_ids(telco, strata):
    """The bootstrap refits on resamples indexed by row position (no id lookups) and the
    vectorised percentile interval give the previous path's numbers: refits on ``data.take``
    of the id-indexed data, ``np.nanquantile`` per customer."""
    import warnings

    from churnsurv.clv.survival_clv import _refit
    from churnsurv.metrics.warning import _bootstrap_p

    small = telco.take(np.arange(0, telco.n, 5))
    model = cs.CoxModel("MonthlyCharges + SeniorCitizen", strata=strata).fit(small)
    active = np.flatnonzero(~small.events)
    lo, hi = _bootstrap_p(model, small, active, 6, 12, 0.9, 4)
    gen, act, draws = np.random.default_rng(4), small.frame.iloc[active], []
    for _ in range(12):
        idx = gen.integers(0, small.n, small.n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = _refit(model, small.take(idx), idx)
            draws.append(fit.predict_churn_probability(act, within=6).to_numpy(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref_lo = np.nanquantile(np.vstack(draws), (1 - 0.9) / 2, axis=0)
        ref_hi = np.nanquantile(np.vstack(draws), (1 + 0.9) / 2, axis=0)
    np.testing.assert_array_equal(lo.to_numpy(), ref_lo)
    np.testing.assert_array_equal(hi.to_numpy(), ref_hi)
    assert lo.index.equals(act.index)
    assert 0.5 < np.isfinite(lo.to_numpy()).mean() < 1  # some NaN columns: both branches
