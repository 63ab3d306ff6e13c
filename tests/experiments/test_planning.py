"""Tests for churnsurv.experiments.planning.

References: lifelines 0.30 ``sample_size_necessary_under_cph`` / ``power_under_cph``
(Freedman), Schoenfeld's formula with the textbook value 247 events for HR 0.7 at 80% power
(two-sided 5%, 1:1), closed-form expected churn under exponential churn and uniform accrual,
and, for the simulated RMST power, the normal-theory power without censoring before tau
(then the Kaplan–Meier RMST is the mean of min(T, tau), whose variance is exact).
"""

from __future__ import annotations

import numpy as np
import pytest
from lifelines.statistics import power_under_cph, sample_size_necessary_under_cph
from scipy import integrate, stats

import churnsurv as cs
from churnsurv.exceptions import DataValidationError


@pytest.mark.parametrize(
    ("power", "ratio", "p_exp", "p_con", "hr"),
    [(0.8, 1.0, 0.25, 0.35, 0.7), (0.9, 1.5, 0.3, 0.4, 0.6), (0.8, 0.5, 0.5, 0.4, 1.3)],
)
def test_sample_size_and_power_match_lifelines(power, ratio, p_exp, p_con, hr):
    n_exp, n_con = sample_size_necessary_under_cph(power, ratio, p_exp, p_con, hr)
    plan = cs.sample_size(hr, churn_probability=(p_con, p_exp), power=power, ratio=ratio)
    assert (plan["n_treated"], plan["n_reference"]) == (n_exp, n_con)
    got = cs.power_hazard_ratio(
        hr, n_reference=n_con, n_treated=n_exp, churn_probability=(p_con, p_exp)
    )
    assert got == pytest.approx(power_under_cph(n_exp, n_con, p_exp, p_con, hr), rel=1e-12)
    assert got >= power


def test_schoenfeld_events():
    assert cs.events_needed(0.7) == 247  # (1.96 + 0.8416)^2 * 4 / log(0.7)^2 = 246.7
    zz = (stats.norm.ppf(0.975) + stats.norm.ppf(0.9)) ** 2
    assert cs.events_needed(1.5, power=0.9, ratio=2) == int(
        np.ceil(zz / (2 / 9 * np.log(1.5) ** 2))
    )
    # power at exactly the events needed (real-valued) is the power asked
    d = zz / (0.25 * np.log(0.7) ** 2)
    pw = cs.power_hazard_ratio(
        0.7,
        n_reference=1000,
        n_treated=1000,
        churn_probability=(d / 2000, d / 2000),
        significance=0.05,
        method="schoenfeld",
    )
    assert pw == pytest.approx(0.9, rel=1e-10)


def test_churn_within_follow_up_closed_form():
    lam, a, f = 0.05, 12.0, 6.0
    expected = 1 - (np.exp(-lam * f) - np.exp(-lam * (a + f))) / (lam * a)
    assert cs.churn_within_follow_up(lam, accrual=a, follow_up=f) == pytest.approx(expected)
    weib = cs.churn_within_follow_up(lambda t: np.exp(-((t / 20) ** 1.5)), accrual=0, follow_up=10)
    assert weib == pytest.approx(1 - np.exp(-(0.5**1.5)))
    # single churn probability: the treated arm's follows from proportional hazards
    plan = cs.sample_size(0.7, churn_probability=0.4)
    assert plan["p_treated"] == pytest.approx(1 - 0.6**0.7)


def test_rmst_power_matches_normal_theory_without_censoring():
    rates = {"promotion": [0.02, 0.08], "relationship": [0.045, 0.045]}
    tau, n = 12.0, 300

    def moments(r):
        def s(t):
            return np.exp(-(r[0] * min(t, 6) + r[1] * max(t - 6, 0)))

        m1 = integrate.quad(s, 0, tau, points=[6])[0]
        m2 = 2 * integrate.quad(lambda t: t * s(t), 0, tau, points=[6])[0]
        return m1, m2 - m1**2

    (m0, v0), (m1, v1) = moments(rates["promotion"]), moments(rates["relationship"])
    delta, se = m1 - m0, np.sqrt((v0 + v1) / n)
    theory = stats.norm.cdf(abs(delta) / se - 1.96) + stats.norm.cdf(-abs(delta) / se - 1.96)
    res = cs.rmst_power(tau, n, rates=rates, breaks=[6], follow_up=tau, n_sim=600, rng=5)
    row = res.summary.loc[n]
    assert row["true_difference"] == pytest.approx(delta, rel=1e-8)
    assert row["ci_lower"] < theory < row["ci_upper"]
    assert abs(row["mean_difference"] - delta) < 4 * se / np.sqrt(600)


def test_rmst_power_type_one_error_near_significance():
    rates = {"a": [0.05], "b": [0.05]}
    res = cs.rmst_power(12, 200, rates=rates, accrual=12, follow_up=12, n_sim=800, rng=9)
    row = res.summary.iloc[0]
    assert row["ci_lower"] < 0.05 < row["ci_upper"]
    assert row["true_difference"] == 0


def test_refusals():
    with pytest.raises(DataValidationError, match="hazard_ratio=1"):
        cs.events_needed(1.0)
    with pytest.raises(DataValidationError, match="method"):
        cs.events_needed(0.7, method="lachin")
    with pytest.raises(DataValidationError, match="between 0 and 1"):
        cs.sample_size(0.7, churn_probability=1.2)
    with pytest.raises(DataValidationError, match="followed to tau"):
        cs.rmst_power(24, 100, rates={"a": [0.1], "b": [0.2]}, follow_up=12)
    with pytest.raises(DataValidationError, match="positive hazards"):
        cs.rmst_power(6, 100, rates={"a": [0.1], "b": [0.2, 0.1]}, follow_up=12)
