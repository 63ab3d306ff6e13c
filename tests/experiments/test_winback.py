"""Tests for churnsurv.win_back and the Andersen–Gill use of repeated episodes.

References: R ``survival`` 3.5.3 on churnsurv.simulate_hotel(n=1500, rng=15)'s win-back tables
(``tests/reference/winback_data.py`` writes them, ``winback.R`` → ``winback.json``):
``summary(survfit(...), times=)`` for the return probability and its band, ``coxph(~ tier)``
for the time to return, and ``coxph(Surv(start, stop, churned) ~ tier + strategy,
cluster = guest_id)`` for repeated churn episodes; and the simulator's true return shares.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.exceptions import DataValidationError

REF = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="module")
def r_ref():
    return json.loads((REF / "winback.json").read_text())


@pytest.fixture(scope="module")
def returns():
    df = pd.read_csv(REF / "winback_returns.csv")
    return cs.prepare(
        df,
        id="guest_id",
        duration="months_since_churn",
        event="returned",
        covariates=["tier", "margin"],
    )


def test_return_probability_matches_survfit(returns, r_ref):
    wb = cs.win_back(returns, by="tier", horizons=[3, 6, 12], value=100.0, cost=10.0)
    s = wb.summary
    km = r_ref["km"]
    np.testing.assert_allclose(s["p_return"], 1 - np.array(km["surv"]), rtol=1e-12)
    np.testing.assert_allclose(s["ci_lower"], 1 - np.array(km["upper"]), rtol=1e-10)
    np.testing.assert_allclose(s["ci_upper"], 1 - np.array(km["lower"]), rtol=1e-10)
    np.testing.assert_allclose(s["expected_value"], s["p_return"] * 100 - 10, rtol=1e-12)
    assert s["segment"].tolist() == [x.split("=")[1] for x in km["strata"]]


def test_cox_of_time_to_return_matches_coxph(returns, r_ref):
    wb = cs.win_back(returns, by="tier", horizons=[6], formula="tier")
    coef = wb.cox.summary["log_hr"].iloc[0]
    assert coef == pytest.approx(r_ref["return_cox"]["coef"]["tierstandard"], abs=1e-7)
    se = wb.cox.summary["std_err"].iloc[0]
    assert se == pytest.approx(r_ref["return_cox"]["se"]["tierstandard"], rel=1e-7)


def _episodes():
    ep = pd.read_csv(REF / "winback_episodes.csv")
    data = cs.prepare(
        ep,
        id="episode_id",
        duration="stop",
        event="churned",
        entry="start",
        covariates=["guest_id", "tier", "strategy"],
    )
    return data


def test_andersen_gill_coefficients_and_naive_se_match_coxph(r_ref):
    data = _episodes()
    ref = r_ref["ag"]
    ag = cs.CoxModel("tier + strategy", robust=True).fit(data, cluster="guest_id")
    np.testing.assert_allclose(ag.summary["log_hr"], list(ref["coef"].values()), atol=1e-7)
    naive = cs.CoxModel("tier + strategy").fit(data)
    np.testing.assert_allclose(naive.summary["std_err"], list(ref["naive_se"].values()), rtol=1e-6)


def test_andersen_gill_cluster_robust_se_matches_coxph(r_ref):
    """Clustered sandwich SEs with entry times as R coxph(..., cluster=) (winback.R)."""
    ag = cs.CoxModel("tier + strategy", robust=True).fit(_episodes(), cluster="guest_id")
    np.testing.assert_allclose(ag.summary["std_err"], list(r_ref["ag"]["se"].values()), rtol=1e-5)


def test_value_per_tier_from_a_column_and_truth():
    sim = cs.simulate_hotel(n=6000, rng=4)
    data = cs.prepare(
        sim.returns,
        duration="months_since_churn",
        event="returned",
        covariates=["tier", "margin"],
    )
    wb = cs.win_back(
        data, by="tier", horizons=[18], value="margin", cost={"high": 5, "standard": 5}
    )
    s = wb.summary.set_index("segment")
    means = sim.returns.groupby("tier")["margin"].mean()
    np.testing.assert_allclose(s.loc[["high", "standard"], "value"], means[["high", "standard"]])
    # the truth: share ever returning x P(return within 18 months | returner)
    share = sim.params["return_share"]
    for tier in ("high", "standard"):
        true = share[tier] * (1 - np.exp(-18 / sim.params["return_mean"]))
        assert s.loc[tier, "ci_lower"] - 0.02 < true < s.loc[tier, "ci_upper"] + 0.02
    cond = wb.conditional([0, 3, 9], within=3)
    # returns happen early (exponential wait of mean 3): the chance falls with time lapsed
    for _, g in cond.groupby("segment"):
        assert g["p_return"].is_monotonic_decreasing


def test_refusals(returns):
    with pytest.raises(DataValidationError, match="no value for segment"):
        cs.win_back(returns, by="tier", horizons=[6], value={"high": 1.0})
    with pytest.raises(DataValidationError, match="horizons"):
        cs.win_back(returns, by="tier", horizons=[-1])
