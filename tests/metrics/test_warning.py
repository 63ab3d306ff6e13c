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
    assert ew.summary["rank"].tolist() == list(range(1, len(ew.summary) + 1))
    assert ew.summary["value_at_risk"].is_monotonic_decreasing


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
    row = s.iloc[0]
    same = telco.frame["Contract"] == telco.frame.loc[row.name, "Contract"]
    n = int((telco.frame.loc[same, "duration"] >= row["tenure"] + 6).sum())
    assert row["at_risk_after"] == n
    # the complaint: tenure 65-71 customers top the list; they are flagged now
    late = s.head(20)
    assert (late["tenure"] >= 60).all() and late["beyond_support"].all()


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
    s = ew.summary.dropna(subset=["p_churn", "residual_clv"])
    var = np.sort((s["p_churn"] * s["residual_clv"]).to_numpy())[::-1]
    net = np.cumsum(0.25 * var - 40)
    assert pt.best["n_contacted"] == np.argmax(net) + 1
    assert pt.best["expected_net_value"] == pytest.approx(net.max())
    assert (pt.summary["expected_net_value"] <= pt.best["expected_net_value"] + 1e-9).all()
    assert pt.summary["recall"].iloc[-1] == pytest.approx(1.0)
    with pytest.raises(cs.DataValidationError, match="success_rate"):
        cs.profit_threshold(ew, offer_cost=40, success_rate=1.5)
