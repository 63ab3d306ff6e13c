"""ChurnClassifier: the logistic "churned within k" baseline, naive and IPCW.

References: (1) the truth of a seeded simulation (exponential churn times, P(T <= k | x) =
1 - exp(-rate(x) k), uniform censoring independent of x), where the naive fit is biased and the
IPCW fit is not; (2) direct statsmodels fits on the same rows, with the IPCW weights built from
lifelines' Kaplan–Meier of the censoring times (continuous times, so no tie convention enters).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines import KaplanMeierFitter

import churnsurv as cs

K = 12.0


def _simulate(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n)
    rate = 0.03 * np.exp(0.9 * x)
    t_churn = rng.exponential(1 / rate)
    t_cens = rng.uniform(0, 30, n)  # about 40% censored before k = 12
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "tenure": np.minimum(t_churn, t_cens),
            "churned": (t_churn <= t_cens).astype(int),
            "x": x,
        }
    )
    data = cs.prepare(frame, id="id", duration="tenure", event="churned", covariates=["x"])
    truth = 1 - np.exp(-np.array([0.03, 0.03 * np.exp(0.9)]) * K)  # P(T <= 12 | x = 0, 1)
    return data, truth


@pytest.fixture(scope="module")
def sim():
    return _simulate(20_000, 13)


def test_naive_is_biased_and_ipcw_recovers_the_truth(sim):
    # truth: P(churn <= 12) = 0.3023 (x = 0), 0.5888 (x = 1). The model is saturated in x,
    # so any bias is the labelling's, not the logistic form's.
    data, truth = sim
    frame = pd.DataFrame({"x": [0, 1]})
    ipcw = cs.ChurnClassifier("x", within=K).fit(data).predict_churn_probability(frame)
    naive = cs.ChurnClassifier("x", within=K, method="naive").fit(data)
    p_naive = naive.predict_churn_probability(frame)
    np.testing.assert_allclose(ipcw, truth, atol=0.015)
    assert (p_naive - truth > 0.05).all()  # too high: dropping the censored keeps churners
    assert naive.n_unknown_ > 0.25 * data.n


def test_fits_equal_direct_statsmodels(sim):
    data, _ = sim
    f = data.frame
    t, e, x = f["duration"].to_numpy(), f["event"].to_numpy(bool), f["x"].to_numpy(float)
    y = (e & (t <= K)).astype(float)
    X = np.column_stack([np.ones_like(x), x])
    # naive: statsmodels Logit on the customers with a known label
    known = (t > K) | (y == 1)
    logit = sm.Logit(y[known], X[known]).fit(disp=0)
    naive = cs.ChurnClassifier("x", within=K, method="naive").fit(data)
    np.testing.assert_allclose(naive.params_.to_numpy(), logit.params, rtol=1e-8)
    np.testing.assert_allclose(naive.summary["std_err"].to_numpy(), logit.bse, rtol=1e-6)
    # ipcw: GLM binomial with weights 1 / G(T-) (cases) and 1 / G(12) (stayers), G from
    # lifelines' KM of the censorings, sandwich (HC0) standard errors
    km = KaplanMeierFitter().fit(t, 1 - e)
    g_left = km.survival_function_at_times(t - 1e-9).to_numpy()
    g_k = float(km.survival_function_at_times(K).iloc[0])
    w = np.where(y == 1, 1 / g_left, np.where(t > K, 1 / g_k, 0.0))
    keep = w > 0
    glm = sm.GLM(y[keep], X[keep], family=sm.families.Binomial(), var_weights=w[keep])
    ref = glm.fit(cov_type="HC0")
    ipcw = cs.ChurnClassifier("x", within=K).fit(data)
    np.testing.assert_allclose(ipcw.params_.to_numpy(), ref.params, rtol=1e-8)
    np.testing.assert_allclose(ipcw.summary["std_err"].to_numpy(), ref.bse, rtol=1e-6)
    assert ipcw.n_ == int(keep.sum()) and ipcw.n_events_ == int(y.sum())


def test_predictions_plug_into_evaluate_and_the_metrics(sim):
    data, _ = sim
    train, test = data.take(range(0, data.n, 2)), data.take(range(1, data.n, 2))
    clf = cs.ChurnClassifier("x", within=K).fit(train)
    ev = cs.evaluate(clf, test, times=[K])
    p = clf.predict_churn_probability(test).to_numpy()
    direct = cs.brier_score(test.durations, test.events, p, [K]).summary
    assert ev.summary["brier"].iloc[0] == pytest.approx(direct["brier"].iloc[0], abs=1e-15)
    assert ev.facts["predictions"] == "ChurnClassifier P(churn <= t)"
    cal = cs.calibration(test.durations, test.events, p, K, n_groups=2).summary
    # IPCW predictions are calibrated: predicted vs 1 - KM(12) in the two risk groups (x = 0, 1)
    np.testing.assert_allclose(cal["predicted"], cal["observed"], atol=0.02)
    with pytest.raises(cs.DataValidationError, match="predicts only"):
        cs.evaluate(clf, test, times=[6, K])
    with pytest.raises(cs.DataValidationError, match="predicts only"):
        clf.predict_survival(test, [K], conditional=True)


def test_bad_input_and_rendering(sim, telco):
    data, _ = sim
    with pytest.raises(ValueError, match="method"):
        cs.ChurnClassifier("x", within=K, method="logit").fit(data)
    with pytest.raises(ValueError, match="within"):
        cs.ChurnClassifier("x", within=-1).fit(data)
    with pytest.raises(cs.NotFittedError):
        cs.ChurnClassifier("x", within=K).predict_churn_probability(data)
    with pytest.raises(cs.DataValidationError, match="needs both"):
        cs.ChurnClassifier("x", within=1e-5).fit(data)
    clf = cs.ChurnClassifier("x", within=K).fit(data)
    assert "IPCW" in str(clf) and "odds_ratio" in clf._repr_html_()
    assert repr(cs.ChurnClassifier("x", within=K)).startswith("ChurnClassifier('x'")
    # Telco: no two-year contract churns within 12 months -> perfect separation is flagged
    with pytest.warns(cs.AssumptionWarning, match="perfect separation"):
        cs.ChurnClassifier("Contract", within=12).fit(telco)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cs.ChurnClassifier("MonthlyCharges", within=12).fit(telco)
