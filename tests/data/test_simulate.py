"""Tests of the simulator: reproducibility, calendar bookkeeping and recovery of the truth.

Statistical checks use fixed seeds and a tolerance of 3 standard errors (two-sided ~0.27 % per
check for an unbiased estimator), so they are deterministic and fail only if the simulator or
the expected value is wrong, not by chance on a rerun.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import (
    CoxPHFitter,
    KaplanMeierFitter,
    PiecewiseExponentialFitter,
    WeibullFitter,
)
from scipy.special import hyp2f1

from churnsurv.data.simulate import (
    DAYS_PER_MONTH,
    DEFAULT_EFFECTS,
    SimulatedBase,
    simulate_customers,
    simulate_transactions,
)

NO_EFFECTS = dict.fromkeys(DEFAULT_EFFECTS, 0.0)
FORMULA = "plan + channel + monthly_charges + senior"
COX_COLUMNS = ["tenure", "churned", "plan", "channel", "monthly_charges", "senior"]
MONTH = pd.Timedelta(days=DAYS_PER_MONTH)
# Realistic parameters: the CDNOW estimates of the BG/NBD (Fader, Hardie & Lee 2005a,
# "Counting your customers the easy way", time unit weeks) and of the Gamma-Gamma spend model
# (Fader, Hardie & Lee 2005b, "RFM and CLV").
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_SPEND = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def assert_within_3se(estimate, truth, se, what):
    z = (np.asarray(estimate, dtype=float) - np.asarray(truth, dtype=float)) / np.asarray(se)
    assert np.all(np.abs(z) < 3), f"{what}: z-scores {np.round(z, 2)} (|z| must be < 3)"


@pytest.fixture(scope="module")
def large_base() -> SimulatedBase:
    return simulate_customers(20_000, rng=2024)


# ------------------------------------------------------------------------ reproducibility
def test_same_seed_gives_identical_output_and_different_seeds_differ():
    kwargs = {"observation_start": "2020-01-01", "frailty_variance": 0.5}
    first = simulate_customers(300, rng=11, **kwargs).customers
    pd.testing.assert_frame_equal(first, simulate_customers(300, rng=11, **kwargs).customers)
    gen_based = simulate_customers(300, rng=np.random.default_rng(11), **kwargs).customers
    pd.testing.assert_frame_equal(first, gen_based)
    other = simulate_customers(300, rng=12, **kwargs).customers
    assert not np.array_equal(first["signup_date"], other["signup_date"])

    tx = {"r": 1.0, "alpha": 2.0, "a": 1.0, "b": 3.0, **CDNOW_SPEND}
    log = simulate_transactions(100, rng=5, **tx).transactions
    pd.testing.assert_frame_equal(log, simulate_transactions(100, rng=5, **tx).transactions)
    assert not log.equals(simulate_transactions(100, rng=6, **tx).transactions)


# ------------------------------------------------------------------- table and calendar
def test_table_columns_and_calendar_bookkeeping():
    base = simulate_customers(2000, rng=1)
    df, truth = base.customers, base.truth
    assert df["customer_id"].is_unique and len(df) == 2000 and base.n_removed == 0
    assert "entry" not in df
    assert df["signup_date"].between(truth["signup_start"], truth["signup_end"]).all()
    assert df["signup_date"].is_monotonic_increasing  # ids are given in signup order
    # churned <=> churn date known <=> reason known
    assert (df["churned"] == df["churn_date"].notna()).all()
    assert (df["churned"] == df["reason"].notna()).all()
    churned, censored = df[df["churned"]], df[~df["churned"]]
    assert (churned["churn_date"] <= truth["cutoff"]).all()
    # months <-> days with the average Gregorian month (365.2425 / 12 days)
    assert MONTH == pd.Timedelta(seconds=2_629_746)
    from_dates = (churned["churn_date"] - churned["signup_date"]) / MONTH
    np.testing.assert_allclose(from_dates, churned["tenure"], rtol=1e-12)
    np.testing.assert_allclose(
        censored["tenure"], (truth["cutoff"] - censored["signup_date"]) / MONTH, rtol=1e-12
    )
    assert (df["tenure"] > 0).all() and (df["monthly_margin"] >= 0).all()
    assert list(df["plan"].cat.categories) == ["basic", "standard", "premium"]
    assert "plan[T.premium]" in base._repr_html_() and "SimulatedBase" in repr(base)


def test_margin_has_requested_mean_and_sd():
    margin = simulate_customers(20_000, rng=8, margin_mean=40.0, margin_sd=10.0).customers[
        "monthly_margin"
    ]
    se_mean = 10.0 / np.sqrt(len(margin))  # expected mean/sd: the arguments above
    assert_within_3se(margin.mean(), 40.0, se_mean, "margin mean")
    assert margin.std() == pytest.approx(10.0, rel=0.05)


# --------------------------------------------------------------------- Cox recovery
def test_cox_recovers_true_coefficients(large_base):
    cph = CoxPHFitter().fit(large_base.customers[COX_COLUMNS], "tenure", "churned", formula=FORMULA)
    truth = large_base.truth["coefficients"]  # expected: the simulator's truth
    assert set(cph.params_.index) == set(truth.index)  # term names match lifelines' formula
    assert_within_3se(cph.params_[truth.index], truth, cph.standard_errors_[truth.index], "beta")


def test_cox_with_entry_recovers_coefficients_on_snapshot():
    # n kept moderate: lifelines' Cox fit with entry_col scales roughly quadratically in n.
    base = simulate_customers(8000, rng=7, observation_start="2020-07-01")
    cph = CoxPHFitter().fit(
        base.customers[[*COX_COLUMNS, "entry"]],
        "tenure",
        "churned",
        entry_col="entry",
        formula=FORMULA,
    )
    truth = base.truth["coefficients"]
    assert_within_3se(cph.params_[truth.index], truth, cph.standard_errors_[truth.index], "beta")


# ---------------------------------------------------------------- baseline recovery
@pytest.mark.parametrize("observation_start", [None, "2020-01-01"])
def test_weibull_baseline_recovered(observation_start):
    base = simulate_customers(
        20_000,
        rng=3,
        effects=NO_EFFECTS,
        shape=1.2,
        scale=24.0,
        observation_start=observation_start,
    )
    df = base.customers
    entry = df["entry"] if observation_start else None
    fit = WeibullFitter().fit(df["tenure"], df["churned"], entry=entry)
    se = fit.summary["se(coef)"]
    # expected: scale=24, shape=1.2 passed above (the truth). lifelines' Weibull is
    # S(t) = exp(-(t / lambda_) ** rho_), the simulator's parametrisation.
    assert_within_3se(fit.lambda_, 24.0, se["lambda_"], "scale")
    assert_within_3se(fit.rho_, 1.2, se["rho_"], "shape")


def test_piecewise_baseline_recovered():
    rates, breaks = [0.08, 0.03, 0.015], [3.0, 12.0]
    base = simulate_customers(
        20_000,
        rng=4,
        effects=NO_EFFECTS,
        baseline="piecewise",
        piecewise_rates=rates,
        piecewise_breaks=breaks,
    )
    fit = PiecewiseExponentialFitter(breaks).fit(
        base.customers["tenure"], base.customers["churned"]
    )
    # expected: 1 / rates passed above; lifelines' lambda_k_ is the reciprocal of the
    # hazard in interval k
    summary = fit.summary
    assert_within_3se(summary["coef"], 1 / np.array(rates), summary["se(coef)"], "1 / rate")


def km_with_greenwood_se(durations, events, times):
    """Kaplan-Meier estimate and its Greenwood standard error at ``times``."""
    kmf = KaplanMeierFitter().fit(durations, events)
    table = kmf.event_table.loc[: max(times)]
    at_risk, deaths = table["at_risk"], table["observed"]
    greenwood = (deaths / (at_risk * (at_risk - deaths))).cumsum()
    idx = np.searchsorted(table.index, times, side="right") - 1
    surv = kmf.survival_function_at_times(times).to_numpy()
    return surv, surv * np.sqrt(greenwood.to_numpy()[idx])


def test_gamma_frailty_marginal_survival():
    theta, shape, scale = 1.0, 1.2, 24.0
    base = simulate_customers(
        20_000, rng=5, effects=NO_EFFECTS, frailty_variance=theta, shape=shape, scale=scale
    )
    times = np.array([3.0, 6.0, 12.0, 24.0, 36.0, 48.0])
    km, se = km_with_greenwood_se(base.customers["tenure"], base.customers["churned"], times)
    h0 = (times / scale) ** shape  # Weibull cumulative hazard of the truth
    marginal = (1 + theta * h0) ** (-1 / theta)  # gamma-frailty (Laplace transform) survival
    np.testing.assert_allclose(base.baseline_survival(times, marginal=True), marginal)
    assert_within_3se(km, marginal, se, "KM vs gamma-frailty survival")
    # the check has power: the frailty-free survival exp(-H0) is far off at later times
    assert np.abs(km - np.exp(-h0))[-3:].min() > 10 * se[-3:].max()


# ------------------------------------------------------------------- snapshot / reasons
def test_snapshot_left_truncation():
    start = pd.Timestamp("2020-01-01")
    base = simulate_customers(3000, rng=9, observation_start=start)
    df = base.customers
    # 2 years of signups precede observation_start and the median lifetime is ~17 months,
    # so several hundred churns fall before it.
    assert base.n_removed > 100
    assert len(df) + base.n_removed == 3000 == base.truth["n_simulated"]
    assert (df["churn_date"].dropna() >= start).all()
    assert (df["entry"] <= df["tenure"]).all() and (df["entry"] >= 0).all()
    late = df["signup_date"] >= start
    assert (df.loc[late, "entry"] == 0).all()
    np.testing.assert_allclose(
        df.loc[~late, "entry"], (start - df.loc[~late, "signup_date"]) / MONTH, rtol=1e-12
    )


@pytest.mark.parametrize("reasons", [None, {"price": 0.5, "payment_failure": 0.1, "service": 0.4}])
def test_reason_shares(large_base, reasons):
    base = large_base if reasons is None else simulate_customers(20_000, rng=6, reasons=reasons)
    reason = base.customers.loc[base.customers["churned"], "reason"]
    truth = pd.Series(base.truth["reason_shares"])  # expected: the simulator's truth
    empirical = reason.value_counts(normalize=True)[truth.index]
    se = np.sqrt(truth * (1 - truth) / len(reason))  # binomial SE of a share
    assert_within_3se(empirical, truth, se, "reason shares")


@settings(max_examples=25, deadline=None, derandomize=True)  # deterministic examples
@given(
    n=st.integers(1, 200),
    seed=st.integers(0, 2**32 - 1),
    obs_offset=st.integers(-400, 1800),
    theta=st.sampled_from([0.0, 0.5, 3.0]),
    piecewise=st.booleans(),
)
def test_invariants_hold_for_any_configuration(n, seed, obs_offset, theta, piecewise):
    obs = pd.Timestamp("2018-01-01") + pd.Timedelta(days=obs_offset)
    kwargs = {"baseline": "piecewise", "piecewise_rates": [0.1, 0.0], "piecewise_breaks": [6.0]}
    base = simulate_customers(
        n, rng=seed, observation_start=obs, frailty_variance=theta, **(kwargs if piecewise else {})
    )
    df = base.customers
    assert len(df) + base.n_removed == n
    assert (df["churn_date"].dropna() >= obs).all() and (
        df["churn_date"].dropna() <= "2022-12-31"
    ).all()
    assert ((0 <= df["entry"]) & (df["entry"] <= df["tenure"])).all()
    if piecewise:  # zero hazard after 6 months: nobody churns later
        assert (df.loc[df["churned"], "tenure"] <= 6.0).all()


# ------------------------------------------------------------------------ transactions
def bgnbd_expected_repeats(t, r, alpha, a, b):
    """E[X(t)] of the BG/NBD model, Fader, Hardie & Lee (2005a) equation (9)."""
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def test_transactions_match_bgnbd_expected_repeat_purchases():
    sim = simulate_transactions(20_000, T=39.0, rng=10, **CDNOW, **CDNOW_SPEND)
    log, latent = sim.transactions, sim.truth["latent"]
    elapsed = (log["date"] - sim.truth["start"]) / pd.Timedelta(weeks=1)  # week = 7 days
    assert elapsed.between(0, 39.0).all() and (log["date"] <= sim.truth["end"]).all()
    first = log.groupby("customer_id")["date"].min()
    assert (first == pd.Timestamp("1997-01-01")).all()  # each customer's trial at start
    for t in (13.0, 39.0):
        repeats = (elapsed[elapsed > 0] <= t).groupby(log["customer_id"]).sum()
        repeats = repeats.reindex(latent.index, fill_value=0)
        se = repeats.std() / np.sqrt(len(repeats))
        assert_within_3se(repeats.mean(), bgnbd_expected_repeats(t, **CDNOW), se, f"E[X({t})]")
    assert (repeats == latent["n_repeat"]).all()


def test_transactions_spend_matches_gamma_gamma_mean():
    sim = simulate_transactions(20_000, T=39.0, rng=12, **CDNOW, **CDNOW_SPEND)
    log = sim.transactions
    # Population mean transaction value p * gamma / (q - 1): Fader, Hardie & Lee (2005b),
    # mean of Z = p / nu with nu ~ Gamma(q, gamma).
    p, q, gamma = CDNOW_SPEND.values()
    expected = p * gamma / (q - 1)
    totals = log.groupby("customer_id")["amount"].agg(["sum", "count"])
    mean = totals["sum"].sum() / totals["count"].sum()
    # ratio-estimator SE with customers as clusters (amounts share a customer's nu)
    resid = totals["sum"] - mean * totals["count"]
    se = np.sqrt((resid**2).sum()) / totals["count"].sum()
    assert_within_3se(mean, expected, se, "mean spend per transaction")
    assert (log["amount"] > 0).all()


def test_transactions_without_spend_and_time_units():
    daily = simulate_transactions(
        200, r=2.0, alpha=10.0, a=1.0, b=5.0, T=30.0, time_unit="day", rng=1
    )
    assert list(daily.transactions.columns) == ["customer_id", "date"]
    assert daily.truth["end"] == pd.Timestamp("1997-01-31")  # default start + 30 days
    assert "nu" not in daily.truth["latent"]
    assert "SimulatedTransactions(200 customers" in daily._repr_html_()


def test_baseline_survival_rejects_negative_time():
    base = simulate_customers(5, rng=0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        base.baseline_survival(-1.0)


# -------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "n must be a positive integer"),
        ({"n": 2.5}, "n must be a positive integer"),
        ({"shape": 0.0}, "shape must be a finite number > 0"),
        ({"scale": -1.0}, "scale must be"),
        ({"signup_start": "not a date"}, "signup_start must be a date"),
        ({"signup_end": "2017-01-01"}, "signup_end must not be before signup_start"),
        ({"cutoff": "2021-06-30"}, "cutoff must be after signup_end"),
        ({"observation_start": "2023-01-01"}, "observation_start must be before cutoff"),
        ({"baseline": "lognormal"}, r"baseline must be one of \['piecewise', 'weibull'\]"),
        ({"baseline": "piecewise"}, "piecewise_rates must be"),
        ({"baseline": "piecewise", "piecewise_rates": [0.1, 0.2]}, "piecewise_breaks must have"),
        (
            {"baseline": "piecewise", "piecewise_rates": [0.1, 0.2], "piecewise_breaks": [-1]},
            "strictly increasing",
        ),
        ({"piecewise_rates": [0.1]}, "need baseline='piecewise'"),
        ({"effects": {"plan[T.gold]": 1.0}}, "effects has unknown terms"),
        ({"frailty_variance": -0.1}, "frailty_variance must be a finite number >= 0"),
        ({"reasons": {"price": 0.5, "service": 0.4}}, "reasons shares must sum to 1"),
        ({"reasons": {"price": 1.5, "service": -0.5}}, "reasons must map"),
        ({"reasons": {}}, "reasons must map"),
        ({"effects": {"senior": "high"}}, "effects must be finite"),
        ({"margin_mean": 0.0}, "margin_mean must be"),
    ],
)
def test_invalid_customer_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_customers(**{"n": 10, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"r": 0.0}, "r must be a finite number > 0"),
        ({"T": -1.0}, "T must be"),
        ({"p": 1.0}, "p, q and gamma must be given together"),
        ({"p": 1.0, "q": 2.0, "gamma": 0.0}, "gamma must be"),
        ({"time_unit": "fortnight"}, "time_unit must be one of"),
        ({"n": -5}, "n must be a positive integer"),
    ],
)
def test_invalid_transaction_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_transactions(**{"n": 10, **CDNOW, **kwargs})


# ------------------------------------------------------------- reasons with their own drivers
def test_reason_effects_leave_the_default_draws_alone():
    plain = simulate_customers(300, rng=8).customers
    own = simulate_customers(300, rng=8, reason_effects={"price": {"senior": 0.5}}).customers
    for col in ("signup_date", "plan", "channel", "monthly_charges", "senior", "monthly_margin"):
        pd.testing.assert_series_equal(plain[col], own[col])
    assert not plain["tenure"].equals(own["tenure"])  # churn times come from the reasons now


def test_reason_hazards_truth_and_rules():
    base = simulate_customers(
        50, rng=1, reason_effects={"price": {"senior": 0.5}}, reason_shapes={"service": 0.7}
    )
    spec = base.truth["reason_hazards"]
    assert spec["price"]["coefficients"]["senior"] == pytest.approx(0.3 + 0.5)
    assert spec["service"]["shape"] == 0.7 and spec["price"]["shape"] == 1.2
    # the reasons' incidences and survival of the reference customer add to 1 (numerically)
    inc = base.reason_incidence([0.0, 12.0, 48.0])
    assert inc.loc[0.0].sum() == 0 and inc.loc[48.0].sum() < 1
    assert simulate_customers(5, rng=1).truth["reason_hazards"] is None
    with pytest.raises(ValueError, match="unknown reasons"):
        simulate_customers(5, rng=1, reason_effects={"moved": {"senior": 1.0}})
    with pytest.raises(ValueError, match="unknown terms"):
        simulate_customers(5, rng=1, reason_effects={"price": {"age": 1.0}})
    with pytest.raises(ValueError, match="needs baseline='weibull'"):
        simulate_customers(
            5, rng=1, baseline="piecewise", piecewise_rates=[0.1], reason_shapes={"price": 2.0}
        )


def test_reason_incidence_of_proportional_reasons_is_share_times_churn():
    base = simulate_customers(5, rng=0)
    inc = base.reason_incidence([6.0, 24.0])
    churned = 1 - base.baseline_survival([6.0, 24.0])
    for reason, share in base.truth["reason_shares"].items():
        np.testing.assert_allclose(inc[reason], share * churned, rtol=1e-12)
    # the numerical integral agrees when every reason has the default shape
    same = simulate_customers(5, rng=0, reason_shapes={"price": 1.2}).reason_incidence([24.0])
    np.testing.assert_allclose(same.to_numpy(), inc.loc[[24.0]].to_numpy(), rtol=1e-5)
