"""Split by customer, k-fold cross-validation and the out-of-time backtest.

Expected numbers: the truth of seeded simulations (churnsurv.simulate_customers) and identities
(no information after a cutoff may reach the model fitted at it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs


@pytest.fixture(scope="module")
def dated():
    base = cs.simulate_customers(6000, rng=11, effects={"plan[T.premium]": -1.2, "senior": 0.8})
    data = cs.prepare(
        base.customers,
        id="customer_id",
        start_date="signup_date",
        end_date="churn_date",
        cutoff=base.truth["cutoff"],
    )
    return base, data


def test_split_is_a_stratified_partition(telco):
    train, test = cs.split_customers(telco, test_size=0.3, rng=5)
    assert train.n + test.n == telco.n
    assert set(train.frame.index).isdisjoint(test.frame.index)
    assert abs(test.n_events - round(0.3 * telco.n_events)) <= 1
    again = cs.split_customers(telco, test_size=0.3, rng=5)[1]
    assert list(again.frame.index) == list(test.frame.index)
    with pytest.raises(cs.DataValidationError, match="between 0 and 1"):
        cs.split_customers(telco, test_size=1.0)


def test_cross_validation_folds_and_summary(telco):
    cv = cs.cross_validate(cs.CoxModel("Contract + MonthlyCharges"), telco, [6, 24], k=4, rng=2)
    assert sorted(cv.folds["fold"].unique()) == [1, 2, 3, 4]
    mean = cv.folds.groupby("time")["auc"].mean().to_numpy()
    np.testing.assert_allclose(cv.summary["auc"], mean)
    assert (cv.summary["ipa"] > 0).all() and (cv.summary["auc_std_err"] > 0).all()
    model = cs.CoxModel("Contract")
    cs.cross_validate(model, telco, [12], k=2, rng=1)
    assert not hasattr(model, "params_") or getattr(model, "params_", None) is None


def test_backtest_uses_nothing_after_the_cutoff(dated):
    base, data = dated
    cut = pd.Timestamp("2021-06-30")
    bt = cs.backtest(cs.CoxModel("plan + senior"), data, cutoffs=[cut], within=6)
    # Move every churn after the cutoff one year later: what was known at the cutoff is the
    # same, so the model and the scores must be identical; only the outcomes change.
    raw = base.customers.copy()
    later = raw["churn_date"] > cut
    raw.loc[later, "churn_date"] = raw.loc[later, "churn_date"] + pd.Timedelta(days=365)
    raw.loc[later & (raw["churn_date"] > base.truth["cutoff"]), "churn_date"] = pd.NaT
    other = cs.prepare(
        raw,
        id="customer_id",
        start_date="signup_date",
        end_date="churn_date",
        cutoff=base.truth["cutoff"],
    )
    bt2 = cs.backtest(cs.CoxModel("plan + senior"), other, cutoffs=[cut], within=6)
    np.testing.assert_array_equal(bt.scores["p_churn_within"], bt2.scores["p_churn_within"])
    assert bt.summary["n_train"].iloc[0] == (data.frame["start_date"] <= cut).sum()
    assert bt.summary["auc"].iloc[0] != bt2.summary["auc"].iloc[0]


def test_backtest_is_calibrated_on_a_correct_model(dated):
    # The simulation is a proportional-hazards model in plan and senior (plus weak terms):
    # a Cox fit at each cutoff predicts the next 6 months' churn rate of the active base.
    _, data = dated
    bt = cs.backtest(
        cs.CoxModel("plan + senior + channel + monthly_charges"),
        data,
        cutoffs=["2020-12-31", "2021-06-30", "2021-12-31"],
        within=6,
    )
    s = bt.summary
    assert len(s) == 3 and (s["n_scored"] <= s["n_active"]).all()
    np.testing.assert_allclose(s["predicted_rate"], s["observed_rate"], atol=0.03)
    assert (s["auc"] > 0.6).all() and (s["ipa"] > 0).all()
    assert "Out-of-time backtest" in str(bt)


def test_backtest_refuses_undated_data_and_late_cutoffs(telco, dated):
    _, data = dated
    with pytest.raises(cs.DataValidationError, match="dated data"):
        cs.backtest(cs.CoxModel("Contract"), telco, cutoffs="2020-01-01", within=6)
    with pytest.raises(cs.DataValidationError, match="not before the end"):
        cs.backtest(cs.CoxModel("plan"), data, cutoffs="2023-06-30", within=6)
    with pytest.raises(cs.DataValidationError, match="followed more than"):
        cs.backtest(cs.CoxModel("plan"), data, cutoffs="2022-10-31", within=6)
