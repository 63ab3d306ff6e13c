"""Parametric models against independent maximum-likelihood references.

* R ``survreg`` (survival 3.5.3) on Telco and lung: ``tests/reference/survreg.json``
  (``survreg.R``); R's ``loglik`` is that of T, like ours.
* Entry times (R ``survreg`` has none): a direct maximisation written here with
  ``scipy.stats`` densities and ``scipy.optimize``.
* Piecewise exponential: events / exposure per interval computed here with plain loops, and a
  statsmodels Poisson GLM fitted here on the episode-split data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

import churnsurv as cs
from churnsurv.exceptions import ConvergenceError
from churnsurv.regression import (
    LogLogisticAFT,
    LogNormalAFT,
    PiecewiseExponential,
    WeibullAFT,
    compare_models,
)

AFT = {"weibull": WeibullAFT, "loglogistic": LogLogisticAFT, "lognormal": LogNormalAFT}


def _survreg_view(m, dist):
    """(coefficients with the intercept first, log(scale)) in R survreg's terms."""
    loc = {"weibull": "lambda_", "loglogistic": "alpha_", "lognormal": "mu_"}[dist]
    anc = {"weibull": "rho_", "loglogistic": "beta_", "lognormal": "sigma_"}[dist]
    b = m.params_[loc]
    coef = np.r_[b["Intercept"], b.drop("Intercept").to_numpy()]
    se_b = m.standard_errors_[loc]
    se = np.r_[se_b["Intercept"], se_b.drop("Intercept").to_numpy()]
    c = float(m.params_[(anc, "Intercept")])
    log_scale = c if dist == "lognormal" else -c  # rho = beta = 1 / scale, sigma = scale
    return coef, se, log_scale, float(m.standard_errors_[(anc, "Intercept")])


# ------------------------------------------------------------------ R survreg
@pytest.mark.parametrize("dist", list(AFT))
@pytest.mark.parametrize("dataset", ["telco", "lung"])
def test_aft_equals_r_survreg(telco, r_reference, dist, dataset):
    # R: survreg(Surv(tenure, churn) ~ Contract, data = telco[telco$tenure > 0, ], dist) and
    # survreg(Surv(time, status) ~ age + sex, data = lung, dist) (survreg.R). Log-logistic on
    # Telco: loglik -9332.660889 (lifelines stopped at -9332.662941)
    ref = r_reference("survreg.json")[dataset][dist]
    if dataset == "telco":
        data, formula = telco, "Contract"
    else:
        lung = r_reference("lung.csv")[["row", "time", "status", "age", "sex"]]
        data = cs.prepare(lung, id="row", duration="time", event="status", event_value=2)
        formula = "age + sex"
    m = AFT[dist](formula).fit(data)
    assert m.n_ == ref["n"]
    np.testing.assert_allclose(m.log_likelihood_, ref["loglik"], rtol=0, atol=1e-6)
    coef, se, log_scale, se_log_scale = _survreg_view(m, dist)
    r_coef = np.array(list(ref["coef"].values()))
    np.testing.assert_allclose(coef, r_coef, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(log_scale, np.log(ref["scale"]), rtol=0, atol=1e-6)
    r_se = np.array(list(ref["se"].values()))
    np.testing.assert_allclose(np.r_[se, se_log_scale], r_se, rtol=1e-5)


# ------------------------------------------------------------------ entry times
_SCIPY = {
    # scipy's distribution of T given (location b, ancillary c) in lifelines' parametrisation
    "weibull": lambda mu, c: stats.weibull_min(np.exp(c), scale=np.exp(mu)),
    "loglogistic": lambda mu, c: stats.fisk(np.exp(c), scale=np.exp(mu)),
    "lognormal": lambda mu, c: stats.lognorm(np.exp(c), scale=np.exp(mu)),
}


def _direct_mle(dist, X, t, event, entry):
    """Maximise sum(e log f(t) + (1 - e) log S(t) - log S(entry)) with scipy (no derivatives
    of ours): BFGS from the exponential fit, then Nelder-Mead to polish."""
    trunc = entry > 0

    def negll(theta):
        d = _SCIPY[dist](X @ theta[:-1], theta[-1])
        ll = np.where(event, d.logpdf(t), d.logsf(t)).sum()
        dt = _SCIPY[dist]((X @ theta[:-1])[trunc], theta[-1])
        ll -= dt.logsf(entry[trunc]).sum()
        return -ll if np.isfinite(ll) else np.inf

    theta = np.zeros(X.shape[1] + 1)
    theta[0] = np.log((t - entry).sum() / event.sum())
    res = optimize.minimize(negll, theta, method="BFGS", options={"gtol": 1e-7})
    res = optimize.minimize(
        negll, res.x, method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 4e4}
    )
    return res.x, -res.fun


@pytest.mark.parametrize("dist", list(AFT))
def test_aft_with_entry_times_equals_direct_mle(dist):
    # Telco seen through a window: 90% of the customers entered one month before their exit
    # (a snapshot taken a month earlier). lifelines' log-logistic fit stopped 0.012 below the
    # maximum here.
    raw = cs.datasets.load_telco()
    raw = raw[raw["tenure"] > 0].reset_index(drop=True)
    rng = np.random.default_rng(1)
    raw["entry"] = np.where(rng.random(len(raw)) < 0.9, raw["tenure"] - 1.0, 0.0)
    data = cs.prepare(
        raw, duration="tenure", event="Churn", event_value="Yes", entry="entry", time_unit="month"
    )
    m = AFT[dist]("Contract").fit(data)
    f = data.frame
    X = np.column_stack([np.ones(len(f)), m._design_matrix(f, fit=False).to_numpy(float)])
    theta, ll = _direct_mle(
        dist, X, f["duration"].to_numpy(float), f["event"].to_numpy(bool), f["entry"].to_numpy()
    )
    assert m.log_likelihood_ >= ll - 1e-8  # ours is the maximum ...
    np.testing.assert_allclose(m.log_likelihood_, ll, rtol=0, atol=1e-6)  # ... and the same one
    loc = m.params_.index.get_level_values(0)[0]
    ours = np.r_[
        m.params_[(loc, "Intercept")], m.params_[loc].drop("Intercept"), m.params_.iloc[-1]
    ]
    np.testing.assert_allclose(ours, theta, rtol=0, atol=2e-4)


def test_aft_without_a_maximum_raises():
    # a level with no churn at all: its AFT coefficient runs off to +infinity
    rng = np.random.default_rng(3)
    n = 400
    g = np.where(np.arange(n) < 40, "never", "usual")
    t = rng.weibull(1.3, n) * 10
    df = pd.DataFrame({"t": np.minimum(t, 12.0), "e": (t <= 12.0) & (g == "usual"), "g": g})
    data = cs.prepare(df, duration="t", event="e")
    with pytest.raises(ConvergenceError, match="no usable maximum-likelihood fit"):
        WeibullAFT("g").fit(data)


# ------------------------------------------------------------------ piecewise exponential
def _events_exposure(t, event, entry, a, b):
    """Churns in (a, b] and time at risk in it, row by row."""
    d = e = 0.0
    for ti, ei, si in zip(t, event, entry, strict=True):
        lo, hi = max(si, a), min(ti, b)
        if hi > lo:
            e += hi - lo
        d += bool(ei) and a < ti <= b
    return d, e


def test_piecewise_without_covariates_is_events_over_exposure(telco):
    # whole-month tenure with breakpoints 1, 12, 24: every churn in (0, 1] is AT the
    # breakpoint 1. The MLE is events / exposure: first-month hazard 0.0540 (lifelines: 0.0422)
    m = PiecewiseExponential(breakpoints=(1, 12, 24)).fit(telco)
    f = telco.frame[telco.frame["duration"] > 0]
    t, ev = f["duration"].to_numpy(float), f["event"].to_numpy(bool)
    edges = [0, 1, 12, 24, np.inf]
    ll = 0.0
    for j in range(4):
        d, e = _events_exposure(t, ev, np.zeros_like(t), edges[j], edges[j + 1])
        rate = np.exp(-m.params_[(f"lambda_{j}_", "Intercept")])
        np.testing.assert_allclose(rate, d / e, rtol=1e-12)
        np.testing.assert_allclose(m.standard_errors_[(f"lambda_{j}_", "Intercept")], d**-0.5)
        ll += d * np.log(d / e) - d
    assert round(float(np.exp(-m.params_[("lambda_0_", "Intercept")])), 4) == 0.0540
    np.testing.assert_allclose(m.log_likelihood_, ll, rtol=1e-12)


def test_piecewise_with_covariates_and_entry_is_a_poisson_glm():
    # the same data split into (customer, interval) episodes and fitted as a statsmodels
    # Poisson GLM with interval-specific coefficients and offset log(exposure)
    raw = cs.datasets.load_telco()
    raw = raw[raw["tenure"] > 0].reset_index(drop=True)
    rng = np.random.default_rng(2)
    raw["entry"] = np.where(rng.random(len(raw)) < 0.3, np.floor(raw["tenure"] / 2), 0.0)
    data = cs.prepare(
        raw, duration="tenure", event="Churn", event_value="Yes", entry="entry", time_unit="month"
    )
    bp = (3, 12, 30)
    m = PiecewiseExponential("InternetService", breakpoints=bp).fit(data)
    f = data.frame
    t, ev, en = (f[c].to_numpy() for c in ("duration", "event", "entry"))
    x = pd.get_dummies(f["InternetService"], drop_first=True).to_numpy(float)
    edges = [0, *bp, np.inf]
    ll = 0.0
    for j in range(len(edges) - 1):
        a, b = edges[j], edges[j + 1]
        exposure = np.clip(np.minimum(t, b) - np.maximum(en, a), 0, None)
        d = (ev & (t > a) & (t <= b)).astype(float)
        keep = exposure > 0
        Z = np.column_stack([np.ones(keep.sum()), x[keep]])
        glm = sm.GLM(d[keep], Z, family=sm.families.Poisson(), offset=np.log(exposure[keep]))
        res = glm.fit(tol=1e-12)
        ours = m.params_[f"lambda_{j}_"]
        np.testing.assert_allclose(-ours["Intercept"], res.params[0], rtol=1e-8)
        np.testing.assert_allclose(-ours.drop("Intercept").to_numpy(), res.params[1:], rtol=1e-7)
        se = m.standard_errors_[f"lambda_{j}_"]
        np.testing.assert_allclose(se.drop("Intercept").to_numpy(), res.bse[1:], rtol=1e-6)
        ll += res.llf - d[keep] @ np.log(exposure[keep])  # Poisson -> survival log-likelihood
    np.testing.assert_allclose(m.log_likelihood_, ll, rtol=1e-10)


def test_piecewise_interval_without_exposure_or_churn_raises(telco):
    with pytest.raises(ConvergenceError, match=r"interval \(80, inf\] has no exposure"):
        PiecewiseExponential(breakpoints=(12, 80)).fit(telco)
    # Two-year contracts: no churn in the first month
    two = cs.prepare(
        telco.frame[telco.frame["Contract"] == "Two year"].reset_index(),
        duration="duration",
        event="event",
    )
    with pytest.raises(ConvergenceError, match=r"interval \(0, 1\] has .* but no churn"):
        PiecewiseExponential(breakpoints=(1, 12)).fit(two)


# ------------------------------------------------------------------ compare_models
def test_compare_models_does_not_rank_a_degenerate_fit(telco):
    # follow-up ends at 20 months, before the last breakpoint 24: the interval (24, inf] has no
    # exposure. lifelines' fit reported a "log-likelihood" of +5072.7 there and won by
    # delta AIC 15,620; now it is not ranked, with the reason, and the others are compared.
    f = telco.frame
    cut = cs.prepare(
        f.assign(
            event=f["event"] & (f["duration"] <= 20), duration=f["duration"].clip(upper=20)
        ).reset_index(),
        duration="duration",
        event="event",
    )
    cmp = compare_models(cut, breakpoints=(1, 12, 24))
    assert "piecewise exponential" not in cmp.table.index
    assert set(cmp.table.index) == {"Weibull AFT", "log-logistic AFT", "log-normal AFT"}
    reason = cmp.not_ranked.loc["piecewise exponential", "reason"]
    assert "interval (24, inf] has no exposure (follow-up ends at 20)" in reason
    assert (cmp.table["log_likelihood"] < 0).all() and cmp.table["delta_aic"].iloc[0] == 0
    assert "Not ranked" in cmp._repr_html_() and "Not ranked" in repr(cmp)
    assert "piecewise exponential" in repr(cmp).split("Not ranked")[1]
    # with breakpoints inside the follow-up the piecewise model is ranked again: its maximum
    # is the closed form, far below the +5072.7 of the degenerate fit
    ok = compare_models(cut, models=("piecewise",), breakpoints=(1, 12))
    assert len(ok.not_ranked) == 0 and ok.table["log_likelihood"].iloc[0] < -2000
