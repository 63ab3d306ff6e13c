"""Tests for the shifted-beta-geometric model (churnsurv.clv.btyd.sbg).

Published numbers come from Fader, P. S. and Hardie, B. G. S. (2007), "How to Project
Customer Retention", Journal of Interactive Marketing 21(1), 76-90: Table 1 (the data) and the
maximum likelihood estimates of the sBG model fitted on years 0-7: regular
alpha = 0.704, beta = 1.182; high end alpha = 0.668, beta = 3.806.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import special  # noqa: E402

from churnsurv.clv import ShiftedBetaGeometric  # noqa: E402
from churnsurv.exceptions import ConvergenceError, DataValidationError  # noqa: E402


@pytest.fixture(scope="module")
def survivors() -> pd.DataFrame:
    """Fader & Hardie (2007, Table 1): customers alive at the end of years 0-12."""
    from churnsurv.data.datasets import load_fader_hardie_2007

    return load_fader_hardie_2007()


def test_data_is_table_1(survivors):
    # Fader & Hardie (2007), Table 1.
    assert survivors["regular_alive"].tolist()[:8] == [1000, 631, 468, 382, 326, 289, 262, 241]
    assert survivors["highend_alive"].tolist()[-1] == 394


@pytest.mark.parametrize(
    ("column", "alpha", "beta"),
    # Fader & Hardie (2007): MLEs for the two segments fitted on years 0-7.
    [("regular_alive", 0.704, 1.182), ("highend_alive", 0.668, 3.806)],
)
def test_reproduces_published_estimates(survivors, column, alpha, beta):
    model = ShiftedBetaGeometric().fit(survivors[column], n_fit_periods=7)
    assert round(model.alpha_, 3) == alpha
    assert round(model.beta_, 3) == beta
    # Fitting on the first 8 values alone is the same fit.
    alone = ShiftedBetaGeometric().fit(survivors[column].to_numpy()[:8])
    assert alone.log_likelihood_ == pytest.approx(model.log_likelihood_, abs=1e-9)
    assert model.n_fit_periods_ == 7


def test_loglik_matches_direct_formula(survivors):
    # The sBG log-likelihood of Fader & Hardie (2007), evaluated directly at the estimates.
    n = survivors["regular_alive"].to_numpy()[:8].astype(float)
    m = ShiftedBetaGeometric().fit(n)
    a, b = m.alpha_, m.beta_
    t = np.arange(1, 8)
    p = np.exp(special.betaln(a + 1, b + t - 1) - special.betaln(a, b))
    s7 = np.exp(special.betaln(a, b + 7) - special.betaln(a, b))
    assert m.log_likelihood_ == pytest.approx(
        np.sum((n[:-1] - n[1:]) * np.log(p)) + n[-1] * np.log(s7)
    )


def test_individual_fit_equals_aggregate_fit(survivors):
    n = survivors["highend_alive"].to_numpy()[:8]
    lost = n[:-1] - n[1:]
    durations = np.concatenate([np.repeat(np.arange(1, 8), lost), np.full(n[-1], 7)])
    events = np.concatenate([np.ones(lost.sum(), bool), np.zeros(n[-1], bool)])
    agg = ShiftedBetaGeometric().fit(n)
    ind = ShiftedBetaGeometric().fit_individual(durations, events)
    assert ind.alpha_ == pytest.approx(agg.alpha_, rel=1e-5)
    assert ind.beta_ == pytest.approx(agg.beta_, rel=1e-5)
    assert ind.log_likelihood_ == pytest.approx(agg.log_likelihood_, rel=1e-9)
    # Still-active customers at different tenures (a staggered cohort) are allowed.
    mixed = ShiftedBetaGeometric().fit_individual([1, 2, 0, 3, 5], [1, 1, 0, 0, 0])
    assert np.isfinite(mixed.log_likelihood_)


def test_probabilities_are_consistent(survivors):
    m = ShiftedBetaGeometric().fit(survivors["regular_alive"].to_numpy()[:8])
    t = np.arange(1, 30)
    s = m.survival(np.arange(0, 30))
    assert s[0] == 1.0
    # P(T = t) = S(t - 1) - S(t) and r_t = S(t) / S(t - 1) (Fader & Hardie 2007).
    np.testing.assert_allclose(m.churn_probability(t), s[:-1] - s[1:], rtol=1e-10)
    np.testing.assert_allclose(m.retention_rate(t), s[1:] / s[:-1], rtol=1e-10)
    np.testing.assert_allclose(
        m.retention_rate(t), (m.beta_ + t - 1) / (m.alpha_ + m.beta_ + t - 1), rtol=1e-12
    )
    assert np.all(np.diff(m.retention_rate(t)) > 0)  # retention rises through sorting
    np.testing.assert_allclose(m.project([0, 3]), 1000 * m.survival([0, 3]))


def test_holdout_projection_tracks_actual(survivors):
    # Fader & Hardie (2007): the sBG projection for years 8-12 tracks the data
    # closely; we check every holdout year is within 3 percentage points.
    for column in ("regular_alive", "highend_alive"):
        n = survivors[column].to_numpy()
        m = ShiftedBetaGeometric().fit(n, n_fit_periods=7)
        err = (m.project(np.arange(8, 13)) - n[8:]) / n[0]
        assert np.max(np.abs(err)) < 0.03


def test_standard_errors_and_summary(survivors):
    m = ShiftedBetaGeometric(conf_level=0.90).fit(survivors["regular_alive"].to_numpy()[:8])
    s = m.summary
    assert s.columns.tolist() == [
        "parameter",
        "estimate",
        "std_err",
        "ci_lower",
        "ci_upper",
    ]
    assert s["parameter"].tolist() == ["alpha", "beta"]
    assert np.all(s["std_err"] > 0)
    assert np.all(s["ci_lower"] < s["estimate"]) and np.all(s["estimate"] < s["ci_upper"])
    assert s.attrs["conf_level"] == 0.90
    # a 90% Wald interval on the log scale: log(upper / estimate) = z_0.95 * SE / estimate
    np.testing.assert_allclose(
        np.log(s["ci_upper"] / s["estimate"]), 1.6448536269514722 * s["std_err"] / s["estimate"]
    )
    # Analytic check: observed information at the MLE from scipy's exact second derivative
    # would need polygammas; instead compare with a finer finite difference on the natural scale.
    a, b = m.alpha_, m.beta_
    n = survivors["regular_alive"].to_numpy()[:8].astype(float)

    def ll(a_, b_):
        t = np.arange(1, 8)
        lp = special.betaln(a_ + 1, b_ + t - 1) - special.betaln(a_, b_)
        ls = special.betaln(a_, b_ + 7) - special.betaln(a_, b_)
        return np.sum((n[:-1] - n[1:]) * lp) + n[-1] * ls

    h = 1e-4
    haa = (ll(a + h, b) - 2 * ll(a, b) + ll(a - h, b)) / h**2
    hbb = (ll(a, b + h) - 2 * ll(a, b) + ll(a, b - h)) / h**2
    hab = (ll(a + h, b + h) - ll(a + h, b - h) - ll(a - h, b + h) + ll(a - h, b - h)) / (4 * h * h)
    cov = np.linalg.inv(-np.array([[haa, hab], [hab, hbb]]))
    np.testing.assert_allclose(s["std_err"], np.sqrt(np.diag(cov)), rtol=1e-3)
    assert "alpha" in m._repr_html_() and "log-likelihood" in m._repr_html_()
    assert "not fitted" in ShiftedBetaGeometric()._repr_html_().lower()


def brute_force_derl(m, d, n, horizon=20000):
    """sum_{k>=0} S(n+1+k | T > n) / (1+d)^k, summed directly."""
    t = np.arange(n + 1, n + 1 + horizon)
    s = m.survival(t) / m.survival(n)
    return float(np.sum(s * np.exp(-(t - n - 1) * np.log1p(d))))


@pytest.mark.parametrize("renewals", [0, 1, 4, 10])
def test_derl_closed_form_matches_brute_force_sum(survivors, renewals):
    # Fader & Hardie (2010), Marketing Science 29(1): DERL as a Gauss hypergeometric 2F1.
    m = ShiftedBetaGeometric().fit(survivors["highend_alive"].to_numpy()[:8])
    assert m.derl(0.10, renewals=renewals) == pytest.approx(
        brute_force_derl(m, 0.10, renewals), rel=1e-9
    )


def test_del_and_monthly_periods(survivors):
    m = ShiftedBetaGeometric().fit(survivors["regular_alive"].to_numpy()[:8])
    t = np.arange(0, 20000)
    d = 0.10
    # DEL = sum_{t>=0} S(t)/(1+d)^t = 2F1(1, beta; alpha+beta; 1/(1+d)) (Fader & Hardie 2010).
    assert m.discounted_expected_lifetime(d) == pytest.approx(
        np.sum(m.survival(t) * np.exp(-t * np.log1p(d))), rel=1e-9
    )
    # DEL = 1 + DERL(n = 0) / (1 + d): the first payment now, then the renewals.
    assert m.discounted_expected_lifetime(d) == pytest.approx(1 + m.derl(d, renewals=0) / 1.1)
    # Monthly periods: 10% a year is (1.1)^(1/12) - 1 a month, exactly.
    dm = 1.1 ** (1 / 12) - 1
    monthly = ShiftedBetaGeometric().fit(m.survivors_, time_unit="month")
    assert monthly.discounted_expected_lifetime(0.10) == pytest.approx(
        np.sum(m.survival(t) * np.exp(-t * np.log1p(dm))), rel=1e-7
    )
    assert monthly.derl(0.10, renewals=3) == pytest.approx(
        brute_force_derl(m, dm, 3, horizon=60000), rel=1e-7
    )
    assert m.clv(50.0, 0.10) == pytest.approx(50 * m.discounted_expected_lifetime(0.10))
    assert m.clv(50.0, 0.10, timing="end") == pytest.approx(m.clv(50.0, 0.10) / 1.1)


def test_expected_lifetime():
    m = ShiftedBetaGeometric()
    m.alpha_, m.beta_ = 3.0, 4.0
    m.survivors_ = None
    # E[T] = (alpha + beta - 1) / (alpha - 1) when alpha > 1.
    assert m.expected_lifetime() == pytest.approx(3.0)
    assert m.expected_lifetime() == pytest.approx(m.survival(np.arange(0, 100000)).sum(), 1e-4)
    m.alpha_ = 0.7
    assert m.expected_lifetime() == np.inf


def test_parameter_recovery_from_simulated_cohort():
    rng = np.random.default_rng(20070101)
    theta = rng.beta(1.5, 4.0, size=20000)
    churn_period = rng.geometric(theta)  # T >= 1
    counts = [(churn_period > t).sum() for t in range(0, 9)]
    m = ShiftedBetaGeometric().fit(counts)
    s = m.summary.set_index("parameter")
    for name, truth in (("alpha", 1.5), ("beta", 4.0)):
        assert abs(s.loc[name, "estimate"] - truth) < 3 * s.loc[name, "std_err"]


def test_plot_projection_returns_axes(survivors):
    n = survivors["regular_alive"].to_numpy()
    m = ShiftedBetaGeometric().fit(n, n_fit_periods=7)
    fig, ax = plt.subplots()
    out = m.plot_projection(ax=ax)
    assert out is ax
    assert len(ax.lines) == 3  # actual, model, calibration/holdout marker
    assert ax.lines[2].get_xdata()[0] == 7
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 100 * n / 1000)
    plt.close(fig)


@pytest.mark.parametrize(
    ("survivors", "message"),
    [
        ([1000, 631, 700], "cannot increase over time"),
        ([1000, -5, -6], "non-negative"),
        ([1000, 631.5, 400], "whole numbers of customers"),
        ([1000], r"at least one later count \(>= 2 periods\)"),
        ([0, 0, 0], "cohort size and must be positive"),
        ([1000, np.nan, 400], "not finite"),
    ],
)
def test_bad_survivors_raise(survivors, message):
    with pytest.raises(DataValidationError, match=message) as err:
        ShiftedBetaGeometric().fit(survivors)
    assert err.value.column == "survivors"


def test_bad_arguments_raise():
    n = [1000, 631, 468, 382]
    with pytest.raises(DataValidationError, match="n_fit_periods must be a whole number"):
        ShiftedBetaGeometric().fit(n, n_fit_periods=5)
    with pytest.raises(DataValidationError, match="churner's duration"):
        ShiftedBetaGeometric().fit_individual([0, 1], [True, False])
    with pytest.raises(DataValidationError, match="differ in length"):
        ShiftedBetaGeometric().fit_individual([1, 2, 3], [True, False])
    m = ShiftedBetaGeometric().fit(n)
    with pytest.raises(DataValidationError, match="annual_discount_rate must be a positive"):
        m.discounted_expected_lifetime(0.0)
    # the same upper bound as every CLV (cs.clv): 10 means 1000% a year, a unit mistake
    with pytest.raises(DataValidationError, match="absurdly large"):
        m.discounted_expected_lifetime(10)
    with pytest.raises(DataValidationError, match="timing=.middle. is not understood"):
        m.clv(1.0, 0.1, timing="middle")
    with pytest.raises(DataValidationError, match=">= 1"):
        m.churn_probability(0)
    with pytest.raises(AttributeError, match="not fitted"):
        ShiftedBetaGeometric().survival(1)


@pytest.mark.parametrize("counts", [[100, 100, 100], [100, 0, 0]])
def test_unidentifiable_cohort_raises_convergence_error(counts):
    # No churn at all (alpha -> 0) or everyone churns at once (beta -> 0): no finite MLE.
    with pytest.raises(ConvergenceError, match="sBG: the optimiser did not converge"):
        ShiftedBetaGeometric().fit(counts)


# --------------------------------------------------------------------------------------------
# convergence: a test that does not depend on the number of customers, and the boundary cases
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("copies", [1000, 100_000])
def test_the_same_cohort_many_times_over_gives_the_same_estimates(survivors, copies):
    """1,000,000 and 100,000,000 customers: the gradient of a summed log-likelihood grows with
    the sum, so an absolute test failed there from rounding alone (issue #12)."""
    counts = survivors["regular_alive"].to_numpy()[:8] * copies
    model = ShiftedBetaGeometric().fit(counts)
    # Fader & Hardie (2007): alpha = 0.704, beta = 1.182 (the proportions did not change)
    assert (round(model.alpha_, 3), round(model.beta_, 3)) == (0.704, 1.182)
    # standard errors shrink as 1 / sqrt(copies)
    one = ShiftedBetaGeometric().fit(counts // copies).summary["std_err"].to_numpy()
    assert model.summary["std_err"].to_numpy() == pytest.approx(one / np.sqrt(copies), rel=1e-3)


def test_a_million_individual_customers_fit_at_the_true_values():
    """The example of issue #12: theta ~ Beta(1, 3), censored uniformly at 1..72 periods."""
    r = np.random.default_rng(7)
    n = 1_000_000
    churn_period = r.geometric(np.clip(r.beta(1, 3, n), 1e-6, 1))
    censor = r.integers(1, 73, n)
    model = ShiftedBetaGeometric().fit_individual(
        np.minimum(churn_period, censor), churn_period <= censor
    )
    # the truth of the simulation, within a few standard errors (about 0.003 and 0.015)
    assert model.alpha_ == pytest.approx(1.0, abs=0.01)
    assert model.beta_ == pytest.approx(3.0, abs=0.05)


def test_constant_churn_says_the_maximum_is_on_the_boundary():
    """Everyone churned, with one churn probability (0.2) for all: no heterogeneity to fit."""
    durations = np.random.default_rng(7).geometric(0.2, 500)
    with pytest.raises(ConvergenceError) as error:
        ShiftedBetaGeometric().fit_individual(durations, np.ones(500, dtype=bool))
    message = str(error.value)
    assert "no maximum inside the parameter space" in message
    assert "churn does not slow down with tenure" in message
    # the geometric churn probability: churns / periods at risk
    assert f"{500 / durations.sum():.3g} per period" in message


@pytest.mark.parametrize(
    ("counts", "why"),
    [
        ([100, 100, 100], "nobody churned, so the likelihood keeps rising as alpha -> 0"),
        ([100, 0, 0], "every customer churned in the first period"),
    ],
)
def test_no_churn_or_all_churn_at_once_say_which_parameter_runs_off(counts, why):
    with pytest.raises(ConvergenceError, match="no maximum inside the parameter space") as error:
        ShiftedBetaGeometric().fit(counts)
    assert why in str(error.value)


def test_constant_churn_error_carries_the_geometric_churn_probability():
    from churnsurv.clv.btyd.sbg import ConstantChurnError

    durations = np.random.default_rng(7).geometric(0.2, 500)
    with pytest.raises(ConstantChurnError) as error:
        ShiftedBetaGeometric().fit_individual(durations, np.ones(500, dtype=bool))
    assert isinstance(error.value, ConvergenceError)
    assert error.value.churn_probability == pytest.approx(500 / durations.sum(), rel=1e-12)
