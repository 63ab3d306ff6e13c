"""cs.evaluate: one call gives Score's numbers for any predictions, and says where G came from.

Expected numbers: tests/reference/riskregression_score.json (riskRegression::Score, R 4.2.2) on
the committed Telco test-half predictions of riskregression_score.R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from tests.metrics._reference import REF, score_json, scored, telco_test


@pytest.fixture(scope="module")
def telco_halves(telco):
    pred = pd.read_csv(REF / "riskregression_telco_pred.csv")
    test = telco.take(pred["row"].to_numpy() - 1)  # data row r (1-based) is position r - 1
    train = telco.take(np.arange(0, telco.n, 2))
    return train, test, pred.drop(columns="row").to_numpy()


def test_evaluate_predictions_reproduce_score(telco_halves):
    _, test, risk = telco_halves
    time, status, _, times = telco_test()
    np.testing.assert_array_equal(test.durations, time)  # same customers, same order
    ev = cs.evaluate(risk, test, times=times)
    s = ev.summary
    np.testing.assert_allclose(s["auc"], scored("telco", "auc", "cox", "AUC"), atol=1e-13)
    np.testing.assert_allclose(s["brier"], scored("telco", "brier", "cox", "Brier"), atol=1e-14)
    np.testing.assert_allclose(
        s["null_brier"], scored("telco", "brier", "Null model", "Brier"), atol=1e-14
    )
    # Uno's C at tau = 48 of the 48-month risks: concordance$uno in riskregression_score.json
    uno = score_json()["telco"]["concordance"]["uno"]["concordance"]
    assert s["uno_c"].iloc[-1] == pytest.approx(uno, abs=1e-13)
    # standard errors: Score's se.fit = TRUE (riskregression_score.json)
    np.testing.assert_allclose(s["auc_std_err"], scored("telco", "auc", "cox", "se"), rtol=1e-10)
    np.testing.assert_allclose(s["auc_ci_lower"], scored("telco", "auc", "cox", "lower"))
    np.testing.assert_allclose(
        s["brier_std_err"], scored("telco", "brier", "cox", "se"), rtol=1e-10
    )
    np.testing.assert_allclose(s["brier_ci_upper"], scored("telco", "brier", "cox", "upper"))
    np.testing.assert_allclose(
        s["null_brier_std_err"], scored("telco", "brier", "Null model", "se"), rtol=1e-10
    )
    # Harrell's C of the (monotone in lp) risks with R's infinitesimal-jackknife SE:
    # concordance(Surv(time, status) ~ lp, data = test, reverse = TRUE)
    harrell = score_json()["telco"]["concordance"]["harrell"]
    assert s["harrell_c"].iloc[-1] == pytest.approx(harrell["concordance"], abs=1e-12)
    assert s["harrell_c_std_err"].iloc[-1] == pytest.approx(harrell["std_err"], rel=1e-10)
    half = s["harrell_c_ci_upper"] - s["harrell_c"]
    np.testing.assert_allclose(half, 1.959963984540054 * s["harrell_c_std_err"])
    assert ev.censoring_source == "test data"
    assert "reverse Kaplan–Meier of the test data" in str(ev)
    assert s["ici"].notna().all()
    # Top-decile lift falls below 1 at 48 months: Telco's censoring depends on the score
    # (high-charge customers are recent), which a marginal G cannot weight away; the
    # within-group KM (churn_rate_km) shows the top decile does churn more.
    assert s["top_decile_lift"].iloc[:3].gt(1).all() and s["top_decile_lift"].iloc[3] < 1
    g48 = ev.gains[48.0].summary.set_index("fraction")
    assert g48.loc[0.1, "churn_rate_km"] > g48.loc[1.0, "churn_rate_km"]


def test_survival_probabilities_and_scores(telco_halves):
    _, test, risk = telco_halves
    times = [6, 12, 24, 48]
    a = cs.evaluate(risk, test, times=times).summary
    b = cs.evaluate(1 - risk, test, times=times, kind="survival").summary
    pd.testing.assert_frame_equal(a, b)
    # a plain score (e.g. from a classifier): AUC and gains, no Brier (not a probability)
    lp_like = np.log(-np.log1p(-risk[:, 3]))
    c = cs.evaluate(lp_like, test, times=times).summary
    np.testing.assert_allclose(c["auc"], a["auc"], atol=1e-12)  # same ranking at every t
    assert c["brier"].isna().all()
    with pytest.raises(cs.DataValidationError, match="outside"):
        cs.evaluate(risk * 3, test, times=times, kind="churn_probability")


def test_censoring_from_training_data_is_used_and_reported(telco_halves):
    train, test, risk = telco_halves
    ev = cs.evaluate(risk[:, :2], test, times=[6, 12], train_data=train)
    assert ev.censoring_source == "training data"
    assert ev.facts["censoring distribution"].endswith(f"(n = {train.n})")
    g = cs.censoring_survival(train.durations, train.events, source="training data")
    time, status, _, _ = telco_test()
    direct = cs.time_dependent_auc(time, status, risk[:, :2], [6, 12], censoring=g)
    np.testing.assert_allclose(ev.summary["auc"], direct.summary["auc"], atol=0)


def test_fitted_model_is_evaluated_through_predict_survival(telco_halves):
    train, test, _ = telco_halves
    cox = cs.CoxModel("Contract + MonthlyCharges").fit(train)
    ev = cs.evaluate(cox, test, times=[12, 24])
    p = 1 - cox.predict_survival(test.frame, times=[12, 24], conditional=False).to_numpy()
    direct = cs.brier_score(test.durations, test.events, p, [12, 24])
    np.testing.assert_allclose(ev.summary["brier"], direct.summary["brier"], atol=0)
    assert ev.facts["predictions"] == "CoxModel P(churn <= t)"
    assert ev.summary["ipa"].gt(0).all()  # beats the KM null model


def test_horizon_past_follow_up_is_refused(telco_halves):
    _, test, risk = telco_halves
    with pytest.raises(cs.DataValidationError, match="beyond the end of follow-up"):
        cs.evaluate(risk[:, 0], test, times=[72])
