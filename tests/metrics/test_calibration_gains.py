"""Integrated Brier score, calibration (ICI) and gains against R and hand computation.

Expected numbers: tests/reference/riskregression_ibs_calibration.json (riskRegression::Score
summary = "ibs"; Austin et al. 2020's calibration Cox model with Hmisc::rcspline.eval and
survival::coxph, R 4.2.2), on the committed predictions of riskregression_score.R.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.metrics import brier_score, calibration, gains, time_dependent_auc
from churnsurv.metrics.calibration import rcs_basis
from tests.metrics._reference import REF, score_json, sim_test, telco_test

IBS = json.loads((REF / "riskregression_ibs_calibration.json").read_text())
DATA = {"sim": sim_test, "telco": telco_test}


def _sim_grid():
    time, status, _, _ = sim_test()
    pred = pd.read_csv(REF / "riskregression_sim_pred_grid.csv")
    return time, status, pred.drop(columns="id").to_numpy(), IBS["sim"]["times"]


@pytest.mark.parametrize("which", ["sim_grid", "telco"])
def test_integrated_brier_matches_score_ibs(which):
    time, status, risk, times = _sim_grid() if which == "sim_grid" else telco_test()
    ref = IBS["sim" if which == "sim_grid" else "telco"]
    s = brier_score(time, status, risk, times).summary
    np.testing.assert_allclose(s["brier"], ref["brier_cox"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(s["ibs"], ref["ibs_cox"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(s["null_ibs"], ref["ibs_null"], rtol=0, atol=1e-14)


def test_before_first_event_agrees_with_score():
    # Score at t = 0.005 < first test churn (0.0078): AUC NA, as ours (NaN, documented).
    time, status, risk, _ = sim_test()
    edge = IBS["edge_cases_sim"]["before_first_event"]
    assert edge["auc"][0] is None or np.isnan(edge["auc"][0])
    res = time_dependent_auc(time, status, risk[:, 1], edge["times"]).summary
    assert np.isnan(res["auc"].iloc[0])
    assert res["auc"].iloc[1] == pytest.approx(edge["auc"][1], abs=1e-14)


@pytest.mark.parametrize("which", ["sim", "telco"])
def test_ici_matches_austin_et_al_in_r(which):
    time, status, risk, times = DATA[which]()
    for k, ref in enumerate(IBS["calibration"][which]):
        p = risk[:, k]
        _, knots = rcs_basis(np.log(-np.log1p(-p)))
        np.testing.assert_allclose(knots, ref["knots"], rtol=1e-13)
        cal = calibration(time, status, p, times[k])
        for name in ("ICI", "E50", "E90", "Emax"):
            assert cal.indices[name] == pytest.approx(ref[name], rel=1e-8), name  # agree to ~1e-10


def test_calibration_groups_are_deciles_with_km_observed():
    time, status, risk, times = telco_test()
    cal = calibration(time, status, risk[:, 1], times[1])
    s = cal.summary
    assert s["n"].sum() == time.size and s["n"].max() - s["n"].min() <= 1
    assert (np.diff(s["predicted"]) >= 0).all()
    top = np.argsort(risk[:, 1], kind="stable")[-s["n"].iloc[-1] :]
    km = cs.metrics.ipcw.kaplan_meier_at(time[top], status[top].astype(bool), [12])
    assert s["observed"].iloc[-1] == pytest.approx(1 - km[0], abs=1e-15)
    assert "ICI" in str(cal) and "<table" in cal._repr_html_()


def test_calibration_plot_draws_groups_and_curve():
    time, status, risk, times = sim_test()
    cal = calibration(time, status, risk[:, 2], times[2])
    ax = cal.plot()
    xs, ys = ax.lines[1].get_data()
    np.testing.assert_allclose(xs, cal.summary["predicted"])
    np.testing.assert_allclose(ys, cal.summary["observed"])


def test_gains_without_censoring_are_plain_proportions():
    rng = np.random.default_rng(3)
    time = rng.exponential(10, 1000)
    status = np.ones(1000, dtype=int)
    score = -time + rng.normal(0, 5, 1000)
    g = gains(time, status, score, 8.0, fractions=[0.1, 0.3])
    order = np.argsort(-score, kind="stable")
    churned = time[order] <= 8.0
    for row, k in zip(g.summary.itertuples(), (100, 300), strict=True):
        assert row.n_contacted == k
        assert row.captured == pytest.approx(churned[:k].sum() / churned.sum(), abs=1e-15)
        assert row.lift == pytest.approx(churned[:k].mean() / churned.mean(), abs=1e-12)


def test_gains_overall_rate_is_one_minus_km_under_censoring():
    # IPCW with prodlim's G reproduces 1 - KM(t): the null-model risk in Score's output.
    time, status, risk, times = sim_test()
    g = gains(time, status, risk[:, 1], times[1], fractions=[1.0])
    rate = g.summary["churn_rate"].iloc[0]
    assert rate == pytest.approx(score_json()["sim"]["null_model_risk"][1], abs=1e-14)
    assert g.summary["captured"].iloc[0] == pytest.approx(1.0)
    assert g.top_decile_lift > 1.5
    assert g.plot().lines[1].get_data()[1][-1] == pytest.approx(1.0)


def test_gains_refuses_when_nobody_churned_by_t():
    with pytest.raises(cs.DataValidationError, match="no churn"):
        gains([2, 3, 4], [1, 0, 1], [1, 2, 3], 1)


def test_calibration_cox_fit_is_coxmodels_efron_estimator():
    # The fast Efron fit of the calibration model (churnsurv.metrics._efron) is the same
    # estimator as CoxModel(ties="efron"): equal coefficients on tied monthly Telco tenures,
    # and the same Efron baseline hazard as R survfit (0.8333 = 1/3 + 1/2 on a toy).
    from churnsurv.metrics._efron import efron_baseline_hazard, efron_fit

    time, status, risk, _ = telco_test()
    basis, _ = rcs_basis(np.log(-np.log1p(-risk[:, 1])))
    frame = pd.DataFrame(basis, columns=["b0", "b1"])
    frame["time"], frame["status"], frame["id"] = time, status, np.arange(time.size)
    data = cs.prepare(frame, id="id", duration="time", event="status", time_unit="month")
    ref = cs.CoxModel("b0 + b1", ties="efron").fit(data).params_.to_numpy()
    np.testing.assert_allclose(efron_fit(time, status.astype(bool), basis), ref, rtol=1e-7)
    toy = efron_baseline_hazard(np.array([1.0, 1, 2]), np.array([1, 1, 0], bool), np.zeros(3), 1)
    assert toy == pytest.approx(1 / 3 + 1 / 2, abs=1e-15)


def test_efron_closed_form_for_large_tied_groups(monkeypatch):
    # Tied groups larger than _EXPAND_MAX are summed with digamma / trigamma / log-gamma: the
    # same numbers as summing the d terms one by one (checked here with thousands of churns per
    # month), and the same coefficients as CoxModel(ties="efron").
    from churnsurv.metrics import _efron

    rng = np.random.default_rng(5)
    n = 40_000
    x = rng.normal(size=(n, 2))
    time = np.ceil(rng.exponential(8 * np.exp(-0.5 * x[:, 0]), n))
    event = rng.random(n) < 0.8
    closed = _efron.efron_fit(time, event, x)
    h_closed = _efron.efron_baseline_hazard(time, event, x @ closed, 6.0)
    monkeypatch.setattr(_efron, "_EXPAND_MAX", 10**9)
    np.testing.assert_allclose(_efron.efron_fit(time, event, x), closed, rtol=1e-10)
    assert _efron.efron_baseline_hazard(time, event, x @ closed, 6.0) == pytest.approx(
        h_closed, rel=1e-11
    )
    frame = pd.DataFrame({"id": np.arange(n), "t": time, "e": event, "x0": x[:, 0], "x1": x[:, 1]})
    data = cs.prepare(frame, id="id", duration="t", event="e", time_unit="month")
    ref = cs.CoxModel("x0 + x1", ties="efron").fit(data).params_.to_numpy()
    np.testing.assert_allclose(closed, ref, rtol=1e-7)
