"""Tests for the BG/NBD and Gamma-Gamma models (churnsurv.clv.btyd.bgnbd, churnsurv.plotting.btyd).

Published numbers (CDNOW 1/10 sample, 2,357 customers, calibration 1997-01-01 to 1997-09-30,
holdout to 1998-06-30, same-day purchases merged):

* Fader, Hardie & Lee (2005a), "Counting Your Customers the Easy Way", Marketing Science 24(2),
  section 5, and Hardie's companion note "Implementing the BG/NBD Model for Customer Base
  Analysis in Excel" (brucehardie.com/notes/004): r = 0.243, alpha = 4.414, a = 0.793,
  b = 2.426, LL = -9582.4; a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make
  1.226 transactions in the next 39 weeks.
* Fader, Hardie & Lee (2005a), cumulative tracking plot: 2,457 repeat transactions in
  calibration and 4,339 cumulative by week 78.
* Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (brucehardie.com/notes/025)
  and Fader, Hardie & Lee (2005b), JMR 42(4): p = 6.25, q = 3.74, gamma = 15.44 on the 946
  repeat buyers.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import integrate, special  # noqa: E402

from churnsurv.clv import BetaGeoNBD, GammaGamma, customer_lifetime_value  # noqa: E402
from churnsurv.data import rfm_summary  # noqa: E402
from churnsurv.data.datasets import load_cdnow  # noqa: E402
from churnsurv.exceptions import ConvergenceError, DataValidationError  # noqa: E402
from churnsurv.plotting.btyd import (  # noqa: E402
    plot_calibration_purchases,
    plot_cumulative_tracking,
)

CAL_END, OBS_END = "1997-09-30", "1998-06-30"
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return load_cdnow(sample=True)


@pytest.fixture(scope="module")
def rfm(transactions) -> pd.DataFrame:
    return rfm_summary(transactions, calibration_end=CAL_END, observation_end=OBS_END)


@pytest.fixture(scope="module")
def bgnbd(rfm) -> BetaGeoNBD:
    return BetaGeoNBD().fit(rfm)


@pytest.fixture(scope="module")
def gg(rfm) -> GammaGamma:
    return GammaGamma().fit(rfm["frequency"], rfm["monetary_value"])


@pytest.fixture()
def published() -> BetaGeoNBD:
    m = BetaGeoNBD()
    m.params_ = pd.Series(PUBLISHED)
    return m


def test_cdnow_summary_matches_published_counts(rfm):
    # Fader, Hardie & Lee (2005a), section 5 and the cumulative tracking plot.
    assert len(rfm) == 2357
    assert rfm["frequency"].sum() == 2457
    assert (rfm["frequency"] > 0).sum() == 946


def test_bgnbd_reproduces_published_estimates(bgnbd, rfm):
    # Fader, Hardie & Lee (2005a), section 5; Hardie note 004.
    assert bgnbd.params_.round(3).to_dict() == PUBLISHED
    assert round(bgnbd.log_likelihood_, 1) == -9582.4
    assert bgnbd.n_customers_ == 2357
    arrays = BetaGeoNBD().fit(
        frequency=rfm["frequency"].to_numpy(), recency=rfm["recency"].to_numpy(), T=rfm["T"]
    )
    np.testing.assert_allclose(arrays.params_, bgnbd.params_, rtol=1e-6)


def test_bgnbd_loglik_matches_eq6_per_customer(bgnbd, rfm):
    # FHL (2005a), eq. 6, evaluated term by term without logaddexp or grouping.
    r, alpha, a, b = bgnbd.params_
    x, tx, T = rfm["frequency"].to_numpy(), rfm["recency"].to_numpy(), rfm["T"].to_numpy()
    nbd = np.exp(special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha))
    lik = nbd * np.exp(special.betaln(a, b + x) - special.betaln(a, b)) / (alpha + T) ** (r + x)
    drop = np.exp(special.betaln(a + 1, b + np.maximum(x, 1) - 1) - special.betaln(a, b))
    lik = lik + np.where(x > 0, nbd * drop / (alpha + tx) ** (r + x), 0.0)
    assert bgnbd.log_likelihood_ == pytest.approx(np.log(lik).sum(), rel=1e-10)


def test_gamma_gamma_reproduces_published_estimates(gg):
    # Fader & Hardie (2013), note 025; Fader, Hardie & Lee (2005b).
    assert gg.params_.round(2).to_dict() == {"p": 6.25, "q": 3.74, "gamma": 15.44}
    assert gg.n_customers_ == 946 and gg.n_excluded_ == 1411
    s = gg.summary
    assert np.all(s["std_err"] > 0)
    assert gg.mean_spend() == pytest.approx(gg.params_["p"] * gg.params_["gamma"] / 2.744, 1e-3)


def test_conditional_expectation_published_example(published):
    # Hardie note 004 / FHL (2005a) section 5: E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226.
    got = published.conditional_expected_transactions(39, 2, 30.43, 38.86)
    assert round(float(got[0]), 3) == 1.226


def test_conditional_expectation_by_integration(published):
    # Independent check of FHL (2005a) eq. 10: integrate lambda out analytically and p
    # numerically (substituting p = u**(1/a) to remove the p**(a-1) singularity).
    r, alpha, a, b = PUBLISHED.values()
    t = 39.0
    for x, tx, T in [(2, 30.43, 38.86), (0, 0.0, 38.86), (7, 12.0, 35.0)]:
        norm = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        norm -= special.betaln(a, b)

        def alive_part(u, x=x, T=T, norm=norm):
            p = u ** (1 / a)
            g = np.exp(norm) * (1 - p) ** (x + b - 1) / a
            return g * ((alpha + T) ** -(r + x) - (alpha + T + p * t) ** -(r + x)) / p

        num, _ = integrate.quad(alive_part, 0, 1, epsabs=1e-12, limit=200)
        alive = np.exp(norm + special.betaln(a, b + x) - (r + x) * np.log(alpha + T))
        dead = 0.0
        if x > 0:
            dead = np.exp(norm + special.betaln(a + 1, b + x - 1) - (r + x) * np.log(alpha + tx))
        expected = published.conditional_expected_transactions(t, x, tx, T)[0]
        assert expected == pytest.approx(num / (alive + dead), rel=1e-7)


def test_population_quantities_are_consistent(published):
    # FHL (2005a): E[X(t)] (eq. 9) is the mean of P(X(t) = x) (eq. 8).
    x = np.arange(0, 2000)
    for t in (1.0, 39.0, 78.0):
        probs = published.probability_of_purchases(x, t)
        assert probs.sum() == pytest.approx(1.0, abs=1e-9)
        assert published.expected_transactions(t) == pytest.approx((x * probs).sum(), rel=1e-8)
    # A brand-new customer (x = 0, T = 0) is the population: eq. 10 reduces to eq. 9.
    np.testing.assert_allclose(
        published.conditional_expected_transactions([5.0, 39.0], 0, 0, 0),
        published.expected_transactions([5.0, 39.0]),
        rtol=1e-12,
    )
    # Pfaff-transformed 2F1 agrees with the textbook form where the latter is well behaved.
    r, alpha, a, b = PUBLISHED.values()
    t, x, T = 39.0, 5, 30.0
    direct = ((alpha + T) / (alpha + T + t)) ** (r + x) * special.hyp2f1(
        r + x, b + x, a + b + x - 1, t / (alpha + T + t)
    )
    pa = published.probability_alive(x, 20.0, T)
    ours = published.conditional_expected_transactions(t, x, 20.0, T) / pa
    assert ours == pytest.approx((a + b + x - 1) / (a - 1) * (1 - direct), rel=1e-10)
    # Very frequent buyers do not overflow.
    big = published.conditional_expected_transactions(39.0, 5000, 38.0, 38.86)
    assert np.isfinite(big).all() and big[0] > 0


def test_probability_alive(published):
    r, alpha, a, b = PUBLISHED.values()
    pa = published.probability_alive([0, 2, 2], [0.0, 30.43, 5.0], [38.86, 38.86, 38.86])
    assert pa[0] == 1.0  # no repeat purchase: cannot have dropped out (Hardie note 021)
    direct = 1 / (1 + a / (b + 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2))
    assert pa[1] == pytest.approx(direct, rel=1e-12)
    assert pa[2] < pa[1]  # an older last purchase is worse news
    # Scalars broadcast against arrays.
    np.testing.assert_allclose(
        published.probability_alive(2, [30.43, 5.0], 38.86), pa[1:], rtol=1e-15
    )


def test_holdout_by_frequency_table(bgnbd, rfm):
    table = bgnbd.expected_repeat_by_frequency(rfm)
    assert table.index.tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["n_customers"].sum() == 2357 and table.loc["0", "n_customers"] == 1411
    # 4,339 - 2,457 = 1,882 repeat transactions in the 39-week holdout (FHL 2005a).
    assert (table["n_customers"] * table["actual"]).sum() == pytest.approx(1882)
    # FHL (2005a), conditional-expectations plot: the model tracks the holdout means.
    assert np.all(np.abs(table["expected"] - table["actual"]) < 0.5)
    counts = bgnbd.expected_customers_by_frequency(rfm)
    assert counts["actual"].sum() == 2357 and counts.loc["0", "actual"] == 1411
    assert counts["expected"].sum() == pytest.approx(2357)
    assert np.all(
        np.abs(counts["expected"] - counts["actual"]) < 25
    )  # FHL (2005a), calibration histogram


def test_cumulative_tracking(bgnbd, transactions):
    tr = bgnbd.cumulative_repeat_transactions(
        transactions, calibration_end=CAL_END, observation_end=OBS_END
    )
    assert tr.index.tolist() == list(range(1, 79))
    # FHL (2005a), cumulative tracking plot: 2,457 repeat transactions by the end of
    # calibration (week 38.86), 4,339 by week 78.
    assert tr.loc[39, "actual"] == 2457
    assert tr.loc[78, "actual"] == 4339
    assert tr.attrs["calibration_end"] == pytest.approx(272 / 7)
    assert np.all(np.diff(tr["expected"]) > 0)
    assert abs(tr.loc[78, "expected"] / 4339 - 1) < 0.05  # tracks within 5%


def test_clv_discounting_and_units(bgnbd, gg, rfm):
    weeks_per_year = 365.2425 / 7
    one_step = customer_lifetime_value(
        bgnbd, gg, rfm, horizon=weeks_per_year, step=weeks_per_year, annual_discount_rate=0.1
    )
    # One step of exactly one year: E[Y(1 year)] * E(Z) / 1.1.
    x, tx, T = rfm["frequency"], rfm["recency"], rfm["T"]
    ey = bgnbd.conditional_expected_transactions(weeks_per_year, x, tx, T)
    ez = gg.conditional_expected_spend(x, rfm["monetary_value"])
    np.testing.assert_allclose(one_step, ey * ez / 1.1, rtol=1e-12)
    weekly = customer_lifetime_value(
        bgnbd, gg, rfm, horizon=weeks_per_year, annual_discount_rate=0.1, margin_fraction=0.3
    )
    assert weekly.name == "clv" and weekly.index.equals(rfm.index)
    # Weekly discounting values earlier purchases more than discounting all at year end,
    # and never more than undiscounted revenue.
    assert np.all(weekly / 0.3 >= one_step * (1 - 1e-12))
    assert np.all(weekly / 0.3 <= ey * ez * (1 + 1e-12))
    with pytest.raises(DataValidationError, match="rfm is in weeks but time_unit='month'"):
        customer_lifetime_value(
            bgnbd, gg, rfm, horizon=12, annual_discount_rate=0.1, time_unit="month"
        )
    with pytest.raises(DataValidationError, match="time_unit='fortnight' is not understood"):
        customer_lifetime_value(
            bgnbd, gg, rfm, horizon=12, annual_discount_rate=0.1, time_unit="fortnight"
        )
    with pytest.raises(DataValidationError, match="absurdly large"):
        customer_lifetime_value(bgnbd, gg, rfm, horizon=12, annual_discount_rate=10)


def test_parameter_recovery_from_simulation():
    from churnsurv.data.simulate import simulate_transactions

    truth = {"r": 0.4, "alpha": 5.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "gamma": 15.0}
    sim = simulate_transactions(4000, **truth, T=52.0, rng=20050101)
    rfm = rfm_summary(sim.transactions, calibration_end=sim.truth["end"])
    m = BetaGeoNBD().fit(rfm)
    g = GammaGamma().fit(rfm["frequency"], rfm["monetary_value"])
    for model in (m, g):
        s = model.summary.set_index("parameter")
        for name in s.index:
            z = (s.loc[name, "estimate"] - truth[name]) / s.loc[name, "std_err"]
            assert abs(z) < 3, (name, s.loc[name, "estimate"], truth[name])


def test_plots_return_axes(bgnbd, rfm, transactions):
    fig, axes = plt.subplots(1, 2)
    ax = plot_calibration_purchases(bgnbd, rfm, ax=axes[0])
    assert ax is axes[0]
    table = bgnbd.expected_repeat_by_frequency(rfm)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), table["actual"])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), table["expected"])
    ax2 = plot_cumulative_tracking(
        bgnbd, transactions, calibration_end=CAL_END, observation_end=OBS_END, ax=axes[1]
    )
    assert ax2 is axes[1]
    assert ax2.lines[0].get_ydata()[-1] == 4339
    assert ax2.lines[2].get_xdata()[0] == pytest.approx(272 / 7)  # calibration end marker
    plt.close(fig)


def test_reprs(bgnbd, gg):
    assert "BG/NBD" in bgnbd._repr_html_() and "alpha" in bgnbd._repr_html_()
    assert "946" in gg._repr_html_()
    assert "not fitted" in BetaGeoNBD()._repr_html_().lower()
    assert repr(BetaGeoNBD()) == "BetaGeoNBD(conf_level=0.95)"


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([-1, 0], [1.0, 0.0], [5.0, 5.0], "frequency: must be >= 0"),
        ([1.5, 0], [1.0, 0.0], [5.0, 5.0], "must be a whole number"),
        ([1, 0], [-1.0, 0.0], [5.0, 5.0], "recency: must be >= 0"),
        ([1, 0], [6.0, 0.0], [5.0, 5.0], r"recency > T"),
        ([1, 0], [0.0, 0.0], [5.0, 5.0], "frequency > 0 but recency == 0"),
        ([0, 0], [2.0, 0.0], [5.0, 5.0], "frequency == 0 but recency > 0"),
        ([1, 0], [np.nan, 0.0], [5.0, 5.0], "not finite"),
        ([1, 0], [1.0, 0.0], [5.0, np.inf], "not finite"),
    ],
)
def test_bad_rfm_raises(frequency, recency, T, message):
    with pytest.raises(DataValidationError, match=message):
        BetaGeoNBD().fit(frequency=frequency, recency=recency, T=T)


def test_bad_inputs_name_customers():
    rfm = pd.DataFrame(
        {"frequency": [2, 1], "recency": [9.0, 3.0], "T": [8.0, 5.0]}, index=["c1", "c2"]
    )
    with pytest.raises(DataValidationError, match=r"1 customer\(s\), e.g. \['c1'\]") as err:
        BetaGeoNBD().fit(rfm)
    assert err.value.column == "recency" and err.value.examples == ["c1"]
    with pytest.raises(DataValidationError, match="missing column"):
        BetaGeoNBD().fit(rfm.drop(columns="T"))
    with pytest.raises(DataValidationError, match="must be > 0 for customers with repeat"):
        GammaGamma().fit(pd.Series([2, 1, 0], index=["a", "b", "c"]), [10.0, 0.0, 0.0])
    with pytest.raises(DataValidationError, match="at least 2 customers with a repeat"):
        GammaGamma().fit([1, 0, 0], [10.0, 0.0, 0.0])
    with pytest.raises(AttributeError, match="not fitted"):
        BetaGeoNBD().expected_transactions(1.0)


def test_spend_without_heterogeneity_raises_convergence_error():
    # Five customers cannot identify the spread of nu: q and gamma run off to infinity.
    with pytest.raises(ConvergenceError, match="Gamma-Gamma: the optimiser did not converge"):
        GammaGamma().fit([1, 2, 3, 4, 2], [20.0, 35.5, 18.2, 50.1, 12.0])
