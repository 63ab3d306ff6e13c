"""Tests of churnsurv.parametric.

References: lifelines' fitters called directly on the same data (estimates and
``predict_cumulative_hazard``), and the truth of simulated Weibull data. R ``survreg``, direct
maximum-likelihood fits and the closed-form / GLM piecewise MLE are in test_parametric_mle.py.
"""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.exceptions import DataValidationError
from churnsurv.regression import (
    LogLogisticAFT,
    LogNormalAFT,
    PiecewiseExponential,
    WeibullAFT,
    compare_models,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def weibull_data():
    # T ~ Weibull(shape 1.5, scale 20 * exp(0.5 x)), administrative censoring at 30
    rng = np.random.default_rng(11)
    n = 3000
    x = rng.integers(0, 2, n)
    t = 20.0 * np.exp(0.5 * x) * rng.weibull(1.5, n)
    df = pd.DataFrame(
        {
            "t": np.minimum(t, 30.0),
            "e": t <= 30.0,
            "x": x.astype(float),
            "g": np.where(rng.random(n) < 0.5, "a", "b"),
        }
    )
    return cs.prepare(df, duration="t", event="e")


def test_weibull_recovers_truth(weibull_data):
    m = WeibullAFT("x").fit(weibull_data)
    s = m.summary
    truth = {
        ("lambda_", "Intercept"): np.log(20.0),
        ("lambda_", "x"): 0.5,
        ("rho_", "Intercept"): np.log(1.5),
    }  # simulation truth (log scale, log shape)
    for key, value in truth.items():
        assert abs(s.loc[key, "estimate"] - value) < 3 * s.loc[key, "std_err"], key


@pytest.mark.parametrize(
    "cls,name",
    [
        (WeibullAFT, "WeibullAFTFitter"),
        (LogLogisticAFT, "LogLogisticAFTFitter"),
        (LogNormalAFT, "LogNormalAFTFitter"),
    ],
)
def test_aft_models_match_lifelines(weibull_data, cls, name):
    import lifelines

    m = cls("x + g").fit(weibull_data)
    f = weibull_data.frame
    ref = getattr(lifelines, name)().fit(
        f[["duration", "event", "x", "g"]], "duration", "event", formula="x + g"
    )
    # lifelines stops a little short of the maximum (tests against R survreg and a direct MLE
    # are in test_parametric_mle.py): ours is at least as high and agrees to its tolerance
    assert m.log_likelihood_ >= ref.log_likelihood_ - 1e-9
    np.testing.assert_allclose(m.log_likelihood_, ref.log_likelihood_, rtol=1e-7)
    np.testing.assert_allclose(m.aic_, ref.AIC_, rtol=1e-7)
    times = np.array([1.0, 5.0, 25.0, 80.0])  # includes extrapolation beyond 30
    ours = m.predict_survival(f.head(20), times, conditional=False).to_numpy()
    theirs = ref.predict_survival_function(f.head(20), times=times).T.to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=2e-3)  # lifelines' shortfall, at t = 80


def test_piecewise_matches_lifelines_off_the_breakpoints(weibull_data):
    # continuous times: no churn falls on a breakpoint, where lifelines averages two rates,
    # so there lifelines maximises the same likelihood
    from lifelines import PiecewiseExponentialRegressionFitter
    from lifelines.exceptions import ApproximationWarning

    m = PiecewiseExponential("x", breakpoints=[5, 15]).fit(weibull_data)
    f = weibull_data.frame
    with warnings.catch_warnings():
        # lifelines' fit warns that it approximates its median from the survival curve; the
        # median is not used here
        warnings.simplefilter("ignore", ApproximationWarning)
        ref = PiecewiseExponentialRegressionFitter([5, 15]).fit(
            f[["duration", "event", "x"]], "duration", "event"
        )
    assert m.log_likelihood_ >= ref.log_likelihood_ - 1e-9
    np.testing.assert_allclose(m.log_likelihood_, ref.log_likelihood_, rtol=1e-6)
    times = np.array([2.0, 10.0, 40.0])
    ours = m.predict_survival(f.head(10), times, conditional=False).to_numpy()
    with warnings.catch_warnings():
        # lifelines warns that it interpolates on its timeline; the piecewise cumulative hazard
        # is linear between breakpoints, so its interpolation is exact here
        warnings.simplefilter("ignore", ApproximationWarning)
        theirs = np.exp(-ref.predict_cumulative_hazard(f.head(10), times=times)).T.to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=2e-3)  # lifelines stops a little short


def test_conditional_semantics_and_lifetime(weibull_data):
    m = WeibullAFT("x").fit(weibull_data)
    f = weibull_data.frame.head(30)
    cond = m.predict_survival(f, [0, 10, 100])
    active = ~f["event"].to_numpy()
    assert cond[~active].isna().all().all() and cond[active].notna().all().all()
    for i in np.flatnonzero(active)[:5]:
        ten = f["duration"].iloc[i]
        unc = m.predict_survival(f.iloc[[i]], [ten, ten + 10], conditional=False).to_numpy()[0]
        expect = unc[1] / unc[0]
        np.testing.assert_allclose(cond.iloc[i][10.0], expect, rtol=1e-10)
    p = m.predict_churn_probability(f, within=10)
    np.testing.assert_allclose(p, 1 - cond[10.0])
    life = m.predict_expected_lifetime(f, horizon=50)
    grid = np.linspace(0, 50, 20001)
    fine = m.predict_survival(f[active], grid).to_numpy()
    np.testing.assert_allclose(life[active], np.trapezoid(fine, grid, axis=1), rtol=1e-6)


def test_compare_models_table_and_plot():
    data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn", event_value="Yes")
    cmp = compare_models(data, "Contract")
    t = cmp.table
    assert list(t.columns) == ["n_params", "log_likelihood", "aic", "bic", "delta_aic"]
    assert t["aic"].is_monotonic_increasing and t["delta_aic"].iloc[0] == 0
    np.testing.assert_allclose(t["aic"], -2 * t["log_likelihood"] + 2 * t["n_params"])
    assert "lower AIC" in cmp._repr_html_()
    ax = cmp.plot(horizon=144)
    km_line, *model_lines, follow_up = ax.get_lines()
    # the step curve is the Kaplan-Meier estimate (churnsurv's own, as an independent check)
    km = cs.KaplanMeier().fit(data).curves_
    assert km_line.get_label() == "Kaplan-Meier"
    np.testing.assert_allclose(km_line.get_xdata(), km["time"])
    np.testing.assert_allclose(km_line.get_ydata(), km["survival"], atol=1e-12)
    # one curve per model to the horizon, equal to that model's marginal survival
    assert [line.get_label() for line in model_lines] == list(cmp.models)
    assert set(cmp.models) == set(t.index)
    for line in model_lines:
        grid = line.get_xdata()
        assert grid[0] == 0 and grid[-1] == 144
        expected = cmp.models[line.get_label()].marginal_survival(data, grid)
        np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-12)
    assert list(follow_up.get_xdata()) == [72, 72]  # the longest observed tenure
    w = cmp.models["Weibull AFT"]
    assert w.n_zero_dropped_ == 11  # the 11 Telco customers censored at tenure 0


def test_errors(weibull_data):
    df = weibull_data.frame.copy()
    df.iloc[0, df.columns.get_loc("duration")] = 0.0
    df.iloc[0, df.columns.get_loc("event")] = True
    data = cs.prepare(df.reset_index(), duration="duration", event="event")
    with pytest.raises(DataValidationError, match="churn\\(s\\) at tenure 0"):
        WeibullAFT("x").fit(data)
    with pytest.raises(DataValidationError, match="'z': unknown column"):
        WeibullAFT("z").fit(weibull_data)
    with pytest.raises(ValueError, match="unknown model"):
        compare_models(weibull_data, models=("gompertz",))
    with pytest.raises(ValueError, match="breakpoints must be increasing"):
        PiecewiseExponential(breakpoints=[5, 2]).fit(weibull_data)
    m = WeibullAFT("g").fit(weibull_data)
    new = weibull_data.frame.head(2).copy()
    new["g"] = ["a", "zz"]
    with pytest.raises(ValueError, match=r"column 'g': level\(s\) \['zz'\]"):
        m.predict_survival(new, [1])


@pytest.mark.parametrize("within", [0, -3, np.nan])
def test_churn_probability_needs_a_positive_window(telco, within):
    model = WeibullAFT("Contract").fit(telco)
    with pytest.raises(ValueError, match="within=.* must be a positive number of periods"):
        model.predict_churn_probability(telco, within=within)
