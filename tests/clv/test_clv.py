"""Survival-based CLV, residual CLV and value at risk (churnsurv.clv.survival_clv)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

import churnsurv as cs
from churnsurv import DataValidationError
from churnsurv.clv import clv, discount_factors, value_at_risk
from churnsurv.km import KaplanMeier

matplotlib.use("Agg")


class ExponentialModel:
    """A fitted-model stand-in with constant hazard ``lam`` per period (memoryless).

    Its conditional survival S(τ + t)/S(τ) = exp(-lam t) for every tenure τ, which gives
    closed-form references for residual CLV and churn probabilities.
    """

    def __init__(self, lam: float, t_max: float = np.inf) -> None:
        self.lam = lam
        self.t_max = t_max

    def fit(self, data):
        self.lam = data.n_events / data.durations.sum()
        return self

    def predict_survival(self, data, times, *, conditional=True):
        frame = data.frame
        t = np.asarray(times, dtype=float)[None, :]
        tenure = frame["duration"].to_numpy()[:, None] if conditional else 0.0
        out = np.exp(-self.lam * t) * np.ones((len(frame), 1))
        out = np.where(tenure + t > self.t_max, np.nan, out)
        return pd.DataFrame(out, index=frame.index, columns=np.asarray(times, dtype=float))


# ----------------------------------------------------------------------------- exact arithmetic
def test_discount_factors_are_exact_in_every_unit():
    # One year in each unit discounts by exactly 1/(1 + d).
    for unit, one_year in [("month", 12), ("year", 1), ("day", 365.2425), ("week", 365.2425 / 7)]:
        f = discount_factors([one_year], annual_discount_rate=0.1, time_unit=unit)[0]
        assert f == pytest.approx(1 / 1.1, rel=1e-14)


@pytest.mark.parametrize("timing", ["start", "end"])
def test_constant_retention_matches_the_margin_multiple(timing):
    # Textbook margin multiple (Gupta & Lehmann 2003, "Customers as assets", J. Interactive
    # Marketing 17(1)): with retention r per period and per-period discount rate i, the value of
    # a margin m is m·r/(1+i-r) when booked at period ends, and m·(1+i)/(1+i-r) at starts.
    r, m, annual = 0.9, 25.0, 0.12
    i = 1.12 ** (1 / 12) - 1
    curve = r ** np.arange(3001)
    res = clv(
        curve, margin=m, annual_discount_rate=annual, horizon=3000, timing=timing, time_unit="month"
    )
    expected = m * r / (1 + i - r) if timing == "end" else m * (1 + i) / (1 + i - r)
    assert res.summary["clv"].iloc[0] == pytest.approx(expected, rel=1e-10)
    assert res.assumptions["discount rate per month"] == pytest.approx(i, rel=1e-7)


def test_margin_schedule_and_series_curve():
    curve = pd.Series([1.0, 0.8, 0.5], index=[0.0, 1.0, 2.0])
    res = clv(
        curve, margin=[10.0, 20.0, 30.0], annual_discount_rate=0.0, horizon=3, time_unit="month"
    )
    assert res.summary["clv"].iloc[0] == pytest.approx(10 + 16 + 15)
    assert res.summary["expected_periods"].iloc[0] == pytest.approx(2.3)


# ---------------------------------------------------------------------------------- KM segments
def test_km_segment_clv_equals_an_independent_lifelines_sum(telco):
    km = KaplanMeier().fit(telco, by="Contract")
    res = clv(km, telco, annual_discount_rate=0.1, horizon=60)
    disc = 1.1 ** (-np.arange(60) / 12)
    expected = {}
    for contract, frame in telco.frame.groupby("Contract", observed=True):
        kmf = KaplanMeierFitter().fit(frame["duration"], frame["event"])
        s = kmf.survival_function_at_times(np.arange(60)).to_numpy()
        expected[contract] = frame["MonthlyCharges"].mean() * (s * disc).sum()
        assert res.summary.loc[contract, "clv"] == pytest.approx(expected[contract], rel=1e-10)
    assert res.assumptions["tail"].startswith("none")
    assert "Month-to-month" in res._repr_html_()
    # the plot: one horizontal bar per segment (first on top), as long as the lifelines sum,
    # labelled with the segment
    ax = res.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == list(expected)
    widths = [bar.get_width() for bar in ax.patches]
    np.testing.assert_allclose(widths, list(expected.values()), rtol=1e-10)
    tops = [bar.get_y() for bar in ax.patches]
    assert tops == sorted(tops, reverse=True)
    assert ax.get_xlabel() == "CLV over 60 months"
    assert not ax.lines and not ax.collections  # no interval whiskers without ci=True


def test_km_horizon_beyond_follow_up_needs_an_explicit_tail(telco):
    km = KaplanMeier().fit(telco, by="Contract")
    with pytest.raises(ValueError, match=r"ends at the last observed tenure 72.*tail="):
        clv(km, telco, annual_discount_rate=0.1, horizon=120)
    tail = ExponentialModel(0.01)
    res = clv(km, telco, annual_discount_rate=0.1, horizon=120, tail=tail)
    assert res.assumptions["tail"] == "ExponentialModel"
    within = clv(km, telco, annual_discount_rate=0.1, horizon=73)
    assert (res.summary["clv"] > within.summary["clv"]).all()
    # The spliced curve continues from S_KM(72): the value of months 73..119 is
    # S_KM(72) · Σ exp(-0.01 (t - 72)) · margin · discount.
    s72 = (
        KaplanMeierFitter()
        .fit(
            telco.frame.loc[telco.frame["Contract"] == "Two year", "duration"],
            telco.frame.loc[telco.frame["Contract"] == "Two year", "event"],
        )
        .survival_function_at_times([72.0])
        .iloc[0]
    )
    t = np.arange(73, 120)
    m = telco.frame.loc[telco.frame["Contract"] == "Two year", "MonthlyCharges"].mean()
    extra = m * s72 * (np.exp(-0.01 * (t - 72)) * 1.1 ** (-t / 12)).sum()
    got = res.summary.loc["Two year", "clv"] - within.summary.loc["Two year", "clv"]
    assert got == pytest.approx(extra, rel=1e-10)


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate(telco):
    km = KaplanMeier().fit(telco, by="Contract")
    a = clv(km, telco, annual_discount_rate=0.1, horizon=36, ci=True, n_boot=40, rng=7)
    b = clv(km, telco, annual_discount_rate=0.1, horizon=36, ci=True, n_boot=40, rng=7)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    s = a.summary
    assert (s["clv_lower"] < s["clv"]).all() and (s["clv"] < s["clv_upper"]).all()
    assert "40 resamples" in a.assumptions["bootstrap"]


# ------------------------------------------------------------------------- models and residual
def test_residual_clv_of_a_memoryless_model_is_the_margin_multiple(telco):
    lam = 0.02
    res = clv(ExponentialModel(lam), telco, annual_discount_rate=0.1, horizon=2000, residual=True)
    r, i = np.exp(-lam), 1.1 ** (1 / 12) - 1
    multiple = (1 + i) / (1 + i - r)  # timing="start"; see the margin-multiple test above
    active = telco.frame[~telco.frame["event"]]
    assert len(res.summary) == len(active) == telco.n_censored
    np.testing.assert_allclose(res.summary["clv"], active["MonthlyCharges"] * multiple, rtol=1e-9)
    np.testing.assert_allclose(
        res.summary["realised_value"], active["MonthlyCharges"] * active["duration"]
    )
    assert res.assumptions["kind"] == "residual, per active customer"


def test_model_without_tail_past_follow_up_is_refused(telco):
    short = ExponentialModel(0.02, t_max=72)
    with pytest.raises(ValueError, match="not identified beyond the last follow-up"):
        clv(short, telco, annual_discount_rate=0.1, horizon=24, residual=True)
    res = clv(
        short,
        telco,
        annual_discount_rate=0.1,
        horizon=24,
        residual=True,
        tail=ExponentialModel(0.02),
    )
    full = clv(ExponentialModel(0.02), telco, annual_discount_rate=0.1, horizon=24, residual=True)
    # splicing a curve onto itself changes nothing
    np.testing.assert_allclose(res.summary["clv"], full.summary["clv"], rtol=1e-12)


def test_value_at_risk_in_chunks_is_value_at_risk_at_once(telco, monkeypatch):
    """Customers valued 700 at a time (as 10 million are, 100,000 at a time) get the values
    of one pass over all (the reference: one chunk), Cox curves with an sBG-like tail."""
    from churnsurv.clv import _valuation

    data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
                      event="Churn", event_value="Yes", margin="MonthlyCharges")  # fmt: skip
    cox = cs.CoxModel("Contract + MonthlyCharges").fit(data)
    tail = pd.Series(0.98 ** np.arange(200.0))
    args = dict(within=6, annual_discount_rate=0.1, horizon=60, tail=tail)
    whole = value_at_risk(cox, data, **args).summary
    monkeypatch.setattr(_valuation, "_CUSTOMER_BLOCK", 700)
    chunked = value_at_risk(cox, data, **args).summary
    assert data.n_censored > 7 * 700
    pd.testing.assert_frame_equal(chunked, whole, check_exact=False, rtol=1e-13)


def test_value_at_risk_ranks_active_customers(telco):
    lam = 0.03
    var = value_at_risk(
        ExponentialModel(lam), telco, within=6, annual_discount_rate=0.1, horizon=600
    )
    s = var.summary
    assert len(s) == telco.n_censored
    np.testing.assert_allclose(s["p_churn"], 1 - np.exp(-6 * lam))
    assert s["value_at_risk"].is_monotonic_decreasing and s["rank"].tolist()[:3] == [1, 2, 3]
    shares = s["value_tier"].value_counts(normalize=True)
    assert shares["top 20%"] == pytest.approx(0.2, abs=1e-3)
    assert shares["bottom 50%"] == pytest.approx(0.5, abs=1e-3)
    top = s[s["value_tier"] == "top 20%"]["residual_clv"].min()
    assert top >= s[s["value_tier"] != "top 20%"]["residual_clv"].max()
    assert len(var.top(10)) == 10
    # the plot: the 20 largest values at risk, largest on top, labelled with the customer ids;
    # P(churn) is the same for everyone here, so all 20 are in the top value tier
    ax = var.plot()
    shown = s.head(20)
    widths = [bar.get_width() for bar in ax.patches]
    rows = [round(bar.get_y() + bar.get_height() / 2) for bar in ax.patches]
    np.testing.assert_allclose(widths, shown["value_at_risk"], rtol=1e-12)
    assert rows == list(range(19, -1, -1))
    labels = {round(t.get_position()[1]): t.get_text() for t in ax.get_yticklabels()}
    assert [labels[y] for y in rows] == [str(i) for i in shown.index]
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "value tier"
    assert [t.get_text() for t in legend.get_texts()] == ["top 20%"]
    assert ax.get_xlabel().startswith("value at risk")
    assert "Value at risk" in var._repr_html_()


# ------------------------------------------------------------------------------------ bad input
def test_bad_input_messages(telco):
    curve = [1.0, 0.9, 0.8]
    kw = {"time_unit": "month", "horizon": 2}
    with pytest.raises(DataValidationError, match="negative margin"):
        clv(curve, margin=-1.0, annual_discount_rate=0.1, **kw)
    with pytest.raises(DataValidationError, match="missing or infinite margin"):
        clv(curve, margin=np.nan, annual_discount_rate=0.1, **kw)
    with pytest.raises(DataValidationError, match="greater than -1"):
        clv(curve, margin=1.0, annual_discount_rate=-1.0, **kw)
    with pytest.raises(DataValidationError, match="absurdly large"):
        clv(curve, margin=1.0, annual_discount_rate=10, **kw)
    with pytest.raises(DataValidationError, match="horizon=0 must be a positive whole number"):
        clv(curve, margin=1.0, annual_discount_rate=0.1, time_unit="month", horizon=0)
    with pytest.raises(DataValidationError, match="survival increases at 1 point"):
        clv([1.0, 0.8, 0.9], margin=1.0, annual_discount_rate=0.1, **kw)
    with pytest.raises(DataValidationError, match=r"must lie in \[0, 1\]"):
        clv([1.0, 1.2, 0.9], margin=1.0, annual_discount_rate=0.1, **kw)
    with pytest.raises(ValueError, match="timing='middle'"):
        clv(curve, margin=1.0, annual_discount_rate=0.1, timing="middle", **kw)
    with pytest.raises(ValueError, match="curve has S at t = 0..2"):
        clv(curve, margin=1.0, annual_discount_rate=0.1, time_unit="month", horizon=5)
    with pytest.raises(ValueError, match="per-period schedule of length horizon=2"):
        clv(curve, margin=[1.0, 2, 3], annual_discount_rate=0.1, **kw)
    raw = cs.datasets.load_telco()
    raw.loc[raw.index[:3], "MonthlyCharges"] = -5.0
    neg = cs.prepare(
        raw,
        id="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
        margin="MonthlyCharges",
        allow_negative_margin=True,
    )
    with pytest.raises(DataValidationError, match=r"negative margin.* in 3 row.*7590-VHVEG"):
        clv(ExponentialModel(0.02), neg, annual_discount_rate=0.1, horizon=12)
    ok = clv(
        ExponentialModel(0.02),
        neg,
        annual_discount_rate=0.1,
        horizon=12,
        allow_negative_margin=True,
    )
    assert (ok.summary["clv"] < 0).sum() == 3


def test_bootstrap_refits_a_cox_model_per_customer():
    base = cs.simulate_customers(600, rng=3).customers
    data = cs.prepare(
        base,
        id="customer_id",
        duration="tenure",
        event="churned",
        covariates=["plan", "monthly_charges"],
        margin="monthly_margin",
    )
    cox = cs.CoxModel("plan + monthly_charges").fit(data)
    res = clv(cox, data, annual_discount_rate=0.1, horizon=12, ci=True, n_boot=20, rng=1)
    s = res.summary
    assert len(s) == data.n and (s["clv_lower"] <= s["clv_upper"]).all()
    inside = (s["clv_lower"] <= s["clv"]) & (s["clv"] <= s["clv_upper"])
    assert inside.mean() > 0.9  # the point estimate lies inside nearly every interval
    again = clv(cox, data, annual_discount_rate=0.1, horizon=12, ci=True, n_boot=20, rng=1)
    pd.testing.assert_frame_equal(s, again.summary)


def test_sbg_fit_as_kaplan_meier_tail(telco):
    # An sBG fit (Fader & Hardie 2007) supplies the marginal shape past 72 months.
    fh = cs.datasets.load_fader_hardie_2007()
    sbg = cs.ShiftedBetaGeometric().fit(fh["regular_alive"], n_fit_periods=7)
    km = KaplanMeier().fit(telco)
    res = clv(km, telco, annual_discount_rate=0.1, horizon=100, tail=sbg)
    assert res.assumptions["tail"] == "ShiftedBetaGeometric"
    within = clv(km, telco, annual_discount_rate=0.1, horizon=73)
    s72 = km.survival_at([72.0])["survival"].iloc[0]
    t = np.arange(73, 100)
    extra = (
        telco.frame["MonthlyCharges"].mean()
        * s72
        * (sbg.survival(t) / sbg.survival(72) * 1.1 ** (-t / 12)).sum()
    )
    got = res.summary["clv"].iloc[0] - within.summary["clv"].iloc[0]
    assert got == pytest.approx(extra, rel=1e-10)


def test_bootstrap_keeps_case_weights_of_the_fit(telco):
    """Regression: refits dropped the case weights, so a weighted Kaplan-Meier's interval did
    not even contain its own estimate (952 with a '95% interval' of [1211, 1237])."""
    w = np.where(telco.events, 5.0, 1.0)  # churners up-weighted: weighted curves fall faster
    frame = telco.frame.assign(w=w).reset_index()
    data = cs.prepare(
        frame,
        id="customerID",
        duration="duration",
        event="event",
        margin="MonthlyCharges",
        covariates=["Contract", "w"],
    )
    for weights in ("w", w):  # a carried column, or one value per row (resampled with the rows)
        km = KaplanMeier().fit(data, by="Contract", weights=weights)
        res = clv(km, data, annual_discount_rate=0.1, horizon=36, ci=True, n_boot=30, rng=2)
        s = res.summary
        assert ((s["clv_lower"] < s["clv"]) & (s["clv"] < s["clv_upper"])).all(), s
        plain = clv(
            KaplanMeier().fit(data, by="Contract"), data, annual_discount_rate=0.1, horizon=36
        )
        # the weights matter: the unweighted estimate lies far outside the weighted interval
        m2m = "Month-to-month"
        assert s.loc[m2m, "clv_upper"] < plain.summary.loc[m2m, "clv"]
    cox = cs.CoxModel("Contract").fit(data, weights="w")
    assert cox.fit_params_ == {"weights": "w", "cluster": None}
    res = clv(cox, data, annual_discount_rate=0.1, horizon=12, ci=True, n_boot=8, rng=1)
    s = res.summary
    inside = (s["clv_lower"] <= s["clv"]) & (s["clv"] <= s["clv_upper"])
    assert inside.mean() > 0.9
