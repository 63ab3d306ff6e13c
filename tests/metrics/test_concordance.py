"""Harrell's concordance (churnsurv.metrics.harrell_c and CoxModel.fit_statistics) against R.

Expected numbers come from R ``survival::concordance`` (3.5.3) in ``tests/reference/``:
``concordance.json`` (``concordance.R``) and ``coxph_panel.json`` (``coxph_panel.R``); and from a
direct O(n^2) count of the pairs written here from R's definitions.
"""

from __future__ import annotations

import numpy as np
import pytest

import churnsurv as cs
from churnsurv.metrics import concordance as conc_mod
from churnsurv.metrics import harrell_c

COUNTS = ["concordant", "discordant", "tied.x", "tied.y", "tied.xy"]


def _check(res, ref, rtol=1e-12):
    got = [res.concordant, res.discordant, res.tied_x, res.tied_y, res.tied_xy]
    np.testing.assert_allclose(got, [ref["count"][k] for k in COUNTS], rtol=rtol, atol=1e-9)
    np.testing.assert_allclose(res.concordance, ref["concordance"], rtol=1e-13)
    assert res.n == ref["n"]


def _lp(frame, coef):
    return sum(frame[k].to_numpy(float) * v for k, v in coef.items())


@pytest.fixture(params=["sweep", "merge"])
def algorithm(request, monkeypatch):
    """Run a test with each of the two ways of counting the pairs."""
    monkeypatch.setattr(conc_mod, "_SWEEP_COST", np.inf if request.param == "sweep" else 0.0)
    return request.param


# ------------------------------------------------------------------ harrell_c against R
def test_lung_plain_and_not_reversed(r_reference, algorithm):
    # R: concordance(Surv(time, status) ~ lp, data = lung, reverse = TRUE): 0.6028530,
    # counts 11910 / 7793 / 311 / 28 / 0; and concordance(Surv(time, status) ~ age, data = lung)
    ref = r_reference("concordance.json")["formula"]
    d = r_reference("concordance_lung_lp.csv")
    _check(harrell_c(d["time"], d["status"] == 2, d["lp"]), ref["timewt=n"])
    # not reversed: a higher age predicts a LONGER time, so the risk score is -age
    _check(harrell_c(d["time"], d["status"] == 2, -d["age"]), ref["age_not_reversed"])


def test_lung_strata(r_reference, algorithm):
    # R: concordance(coxph(Surv(time, status) ~ age + sex + strata(ph.ecog), data = lung)):
    # pairs within a stratum only, 0.5827378 (counts 4096 / 2915 / 126 / 7 / 0)
    ref = r_reference("concordance.json")["cox"]["strata"]
    lung = r_reference("lung.csv").dropna(subset=["ph.ecog"])
    res = harrell_c(
        lung["time"], lung["status"] == 2, _lp(lung, ref["coef"]), strata=lung["ph.ecog"]
    )
    _check(res, ref)


def test_lung_case_weights(r_reference, algorithm):
    # R: concordance(coxph(..., data = lung_weighted, weights = w)): a pair counts w_i * w_j,
    # 0.6111855 (concordant 21216.33)
    ref = r_reference("concordance.json")["cox"]["weighted"]
    lw = r_reference("lung_weighted.csv")
    res = harrell_c(lw["time"], lw["dead"] == 1, _lp(lw, ref["coef"]), weights=lw["w"])
    _check(res, ref, rtol=1e-12)


def test_panel_counting_process(r_reference, algorithm):
    # R: concordance(coxph(Surv(start, stop, churn) ~ promo + x, data = panel)): each churn
    # against the intervals at risk then (start < t <= stop): 0.6138186
    ref = r_reference("coxph_panel.json")
    p = r_reference("coxph_panel.csv")
    lp = _lp(p, ref["fits"]["efron"]["coef"])
    _check(harrell_c(p["stop"], p["churn"] == 1, lp, entry=p["start"]), ref["concordance"])


# ------------------------------------------------------------------ against a direct count
def _direct(time, event, score, w, strata, entry):
    """R's definitions, pair by pair (O(n^2))."""
    out = dict.fromkeys(COUNTS, 0.0)
    n = len(time)
    for i in range(n):
        if not event[i]:
            continue
        for j in range(n):
            if j == i or strata[i] != strata[j] or not entry[j] < time[i] <= time[j]:
                continue
            ww = w[i] * w[j]
            if time[j] == time[i] and event[j]:
                if j > i:  # each pair of tied churns once
                    out["tied.xy" if score[i] == score[j] else "tied.y"] += ww
            elif score[i] > score[j]:
                out["concordant"] += ww
            elif score[i] < score[j]:
                out["discordant"] += ww
            else:
                out["tied.x"] += ww
    c, d, t = out["concordant"], out["discordant"], out["tied.x"]
    return {"count": out, "concordance": (c + t / 2) / (c + d + t), "n": n}


@pytest.mark.parametrize("seed", range(6))
def test_random_tied_data_equals_direct_count(seed, algorithm):
    rng = np.random.default_rng(seed)
    n = 150
    time = rng.integers(1, 12, n).astype(float)
    event = rng.random(n) < 0.6
    score = rng.integers(0, 8, n) / 2.0  # many tied scores
    w = rng.integers(1, 4, n) * 0.5
    strata = rng.integers(0, 3, n)
    entry = np.where(rng.random(n) < 0.5, 0.0, np.floor(rng.random(n) * time))
    ref = _direct(time, event, score, w, strata, entry)
    _check(harrell_c(time, event, score, weights=w, strata=strata, entry=entry), ref)
    ref0 = _direct(time, event, score, np.ones(n), np.zeros(n), np.full(n, -np.inf))
    _check(harrell_c(time, event, score), ref0)


# ------------------------------------------------------------------ CoxModel.fit_statistics
def test_cox_fit_statistics_concordance_follows_r(telco, r_reference):
    # R: concordance(coxph(...)) for Telco (0.7534444), the stratified lung fit (0.5827378),
    # the weighted lung fit (0.6111855) and the panel fit (0.6138186)
    ref = r_reference("concordance.json")
    m = cs.CoxModel("Contract + MonthlyCharges").fit(telco)
    c = m.fit_statistics.loc["concordance", "value"]
    np.testing.assert_allclose(c, ref["telco"]["harrell"]["concordance"], rtol=1e-12)

    lung = r_reference("lung.csv").dropna(subset=["ph.ecog"])[
        ["row", "time", "status", "age", "sex", "ph.ecog"]
    ]
    lung = lung.rename(columns={"ph.ecog": "ecog"})
    data = cs.prepare(lung, id="row", duration="time", event="status", event_value=2)
    m = cs.CoxModel("age + sex", strata="ecog").fit(data)
    c = m.fit_statistics.loc["concordance", "value"]
    np.testing.assert_allclose(c, ref["cox"]["strata"]["concordance"], rtol=1e-12)

    lw = r_reference("lung_weighted.csv")
    data = cs.prepare(lw, id="row", duration="time", event="dead", covariates=["age", "sex", "w"])
    m = cs.CoxModel("age + sex", robust=True).fit(data, weights="w")
    c = m.fit_statistics.loc["concordance", "value"]
    np.testing.assert_allclose(c, ref["cox"]["weighted"]["concordance"], rtol=1e-12)

    panel = cs.prepare_panel(
        r_reference("coxph_panel.csv"), id="id", start="start", stop="stop", event="churn"
    )
    m = cs.CoxModel("promo + x").fit(panel)
    c = m.fit_statistics.loc["concordance", "value"]
    np.testing.assert_allclose(c, r_reference("coxph_panel.json")["concordance"]["concordance"])
