"""Time-dependent AUC and Brier score against riskRegression::Score.

Expected numbers: tests/reference/riskregression_score.json (Score(..., metrics = c("auc",
"brier"), cens.model = "km", null.model = TRUE, summary = "ipa", se.fit = TRUE), R 4.2.2,
riskRegression 2022.11.28), on the committed predictions of a Cox model fitted on the training
half: estimates, standard errors (``se``) and intervals (``lower``, ``upper``).
"""

from __future__ import annotations

import numpy as np
import pytest

import churnsurv as cs
from churnsurv.metrics import brier_score, censoring_survival, time_dependent_auc
from tests.metrics._reference import scored, sim_test, telco_test

DATA = {"sim": sim_test, "telco": telco_test}


@pytest.mark.parametrize("which", ["sim", "telco"])
def test_auc_matches_riskregression_score(which):
    # sim: continuous times, largest test time censored (23.74); telco: whole months, heavy
    # ties, horizons 6/12/24/48 equal to observed tenures, 194 censored + 3 churns at 72.
    time, status, risk, times = DATA[which]()
    res = time_dependent_auc(time, status, risk, times)
    expected = scored(which, "auc", "cox", "AUC")
    np.testing.assert_allclose(res.summary["auc"], expected, rtol=0, atol=1e-13)


@pytest.mark.parametrize("which", ["sim", "telco"])
def test_brier_and_null_model_match_riskregression_score(which):
    time, status, risk, times = DATA[which]()
    res = brier_score(time, status, risk, times)
    np.testing.assert_allclose(
        res.summary["brier"], scored(which, "brier", "cox", "Brier"), rtol=0, atol=1e-14
    )
    np.testing.assert_allclose(
        res.summary["null_brier"], scored(which, "brier", "Null model", "Brier"), rtol=0, atol=1e-14
    )
    np.testing.assert_allclose(
        res.summary["ipa"], scored(which, "brier", "cox", "IPA"), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("which", ["sim", "telco"])
def test_standard_errors_match_riskregression_score(which):
    # Score(..., se.fit = TRUE, cens.model = "km"): sd(influence function) / sqrt(n), with the
    # Kaplan-Meier censoring term; intervals estimate -/+ 1.96 se clipped to [0, 1].
    # e.g. sim AUC(2) se 0.035940794447253226, telco Brier(12) se 0.003139161713919985
    time, status, risk, times = DATA[which]()
    auc = time_dependent_auc(time, status, risk, times).summary
    for col, ref in (("std_err", "se"), ("ci_lower", "lower"), ("ci_upper", "upper")):
        np.testing.assert_allclose(auc[col], scored(which, "auc", "cox", ref), rtol=1e-10)
    bri = brier_score(time, status, risk, times).summary
    for col, ref in (("std_err", "se"), ("ci_lower", "lower"), ("ci_upper", "upper")):
        np.testing.assert_allclose(bri[col], scored(which, "brier", "cox", ref), rtol=1e-10)
    np.testing.assert_allclose(
        bri["null_brier_std_err"], scored(which, "brier", "Null model", "se"), rtol=1e-10
    )
    assert auc.attrs["conf_level"] == bri.attrs["conf_level"] == 0.95


def test_censoring_from_elsewhere_is_taken_as_fixed():
    # A censoring distribution passed in (e.g. from training data) is not re-estimated from
    # these customers: the Brier influence function is then the weighted squared residual
    # minus its mean (Score's conservative = TRUE), so se = sd(residuals) / sqrt(n).
    time, status, risk, times = sim_test()
    g = censoring_survival(time, status)
    fixed = brier_score(time, status, risk, times, censoring=g).summary
    full = brier_score(time, status, risk, times).summary
    np.testing.assert_allclose(fixed["brier"], full["brier"], atol=0)
    for k, t in enumerate(times):
        case = (time <= t) & (status == 1)
        w = np.where(case, 1 / g.left(time), np.where(time > t, 1 / g.at(t), 0.0))
        res = w * ((time <= t) - risk[:, k]) ** 2
        expected = np.std(res, ddof=1) / np.sqrt(time.size)
        assert fixed["std_err"].iloc[k] == pytest.approx(expected, rel=1e-12)
    assert not np.allclose(fixed["std_err"], full["std_err"])
    # a 90% interval is narrower, same estimate
    narrow = time_dependent_auc(time, status, risk, times, conf_level=0.9).summary
    wide = time_dependent_auc(time, status, risk, times).summary
    assert (narrow["ci_upper"] - narrow["ci_lower"] < wide["ci_upper"] - wide["ci_lower"]).all()


def test_sim_reference_numbers_cited():
    # riskregression_score.json, sim: AUC(2) = 0.7795856783032484, Brier(10) = 0.1432998159729168
    time, status, risk, times = sim_test()
    assert time_dependent_auc(time, status, risk, times).summary["auc"].iloc[0] == pytest.approx(
        0.7795856783032484, abs=1e-14
    )
    assert brier_score(time, status, risk, times).summary["brier"].iloc[2] == pytest.approx(
        0.1432998159729168, abs=1e-14
    )


def test_tied_censoring_convention_matters_on_telco():
    # With survfit's reverse KM (1 - c/n) instead of prodlim's (1 - c/(n - d)) the Telco AUC
    # moves in the 4th decimal (reference README): the convention is what makes 1e-13 possible.
    time, status, risk, times = telco_test()
    ut = np.unique(time)
    n = np.array([(time >= s).sum() for s in ut])
    c = np.array([((time == s) & (status == 0)).sum() for s in ut])
    survfit_g = cs.metrics.CensoringSurvival(ut, np.cumprod(1 - c / n), "survfit", time.size)
    other = time_dependent_auc(time, status, risk, times, censoring=survfit_g).summary["auc"]
    diff = np.abs(other.to_numpy() - scored("telco", "auc", "cox", "AUC"))
    assert diff.max() > 1e-5


def test_largest_time_censored_is_fine_but_horizon_beyond_follow_up_is_refused():
    time, status, risk, times = sim_test()
    last = time.max()
    assert status[np.argmax(time)] == 0  # the administrative-end case scikit-survival refuses
    with pytest.raises(cs.DataValidationError, match="beyond the end of follow-up"):
        time_dependent_auc(time, status, risk[:, 0], [5, last])
    with pytest.raises(cs.DataValidationError, match="beyond the end of follow-up"):
        brier_score(time, status, risk[:, :1], [last + 1])


def test_censoring_model_from_training_data_that_ends_early_is_refused():
    time, status, risk, _ = sim_test()
    g = censoring_survival([1, 2, 3], [1, 0, 0], source="training data")
    with pytest.raises(cs.DataValidationError, match="training data"):
        time_dependent_auc(time, status, risk[:, 1], [5], censoring=g)


def test_no_churn_before_horizon():
    # Nobody churns by t = 1: AUC is undefined (NaN, documented), Brier is defined (all
    # controls, weight 1 / G(1) = 1): mean of p^2.
    time = np.array([2.0, 3, 4, 5, 6])
    status = np.array([1, 0, 1, 1, 0])
    p = np.array([0.1, 0.2, 0.3, 0.2, 0.1])
    auc = time_dependent_auc(time, status, p, [1, 3.5])
    assert np.isnan(auc.summary["auc"].iloc[0]) and auc.summary["n_cases"].iloc[0] == 0
    assert np.isfinite(auc.summary["auc"].iloc[1])
    b = brier_score(time, status, p, [1])
    assert b.summary["brier"].iloc[0] == pytest.approx(np.mean(p**2), abs=1e-15)
    assert b.summary["null_brier"].iloc[0] == 0.0


def test_score_ties_count_half_and_constant_score_gives_half():
    time, status, risk, times = telco_test()
    res = time_dependent_auc(time, status, np.zeros(time.size), times)
    np.testing.assert_allclose(res.summary["auc"], 0.5, atol=1e-15)


def test_one_score_column_equals_same_score_repeated():
    time, status, risk, times = sim_test()
    a = time_dependent_auc(time, status, risk[:, 1], times).summary["auc"]
    b = time_dependent_auc(time, status, np.repeat(risk[:, 1:2], 3, axis=1), times).summary["auc"]
    np.testing.assert_array_equal(a, b)


def test_bad_inputs_are_refused():
    with pytest.raises(cs.DataValidationError, match="outside"):
        brier_score([1, 2, 3], [1, 0, 1], [1.5, 0.2, 0.1], [2])
    with pytest.raises(cs.DataValidationError, match="strictly increasing"):
        time_dependent_auc([1, 2, 3], [1, 0, 1], [1, 2, 3], [2, 1])
    with pytest.raises(cs.DataValidationError, match="shape"):
        time_dependent_auc([1, 2, 3], [1, 0, 1], [[1, 2]] * 3, [1, 1.5, 2])
    with pytest.raises(cs.DataValidationError, match="non-finite"):
        time_dependent_auc([1, 2, 3], [1, 0, 1], [1, np.nan, 3], [2])
    with pytest.raises(cs.DataValidationError, match="0/1"):
        time_dependent_auc([1, 2, 3], [1, 2, 1], [1, 2, 3], [2])
