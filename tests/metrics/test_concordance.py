"""Harrell's concordance (churnsurv.metrics.harrell_c and CoxModel.fit_statistics) against R.

Expected numbers come from R ``survival::concordance`` (3.5.3) in ``tests/reference/``:
``concordance.json`` (``concordance.R``), ``concordance_se.json`` (``concordance_se.R``: ties,
strata, weights and entry together) and ``coxph_panel.json`` (``coxph_panel.R``); and from a
direct O(n^2) count of the pairs (and of R's infinitesimal-jackknife variance) written here from
R's definitions. Standard errors are R's ``sqrt(fit$var)``.
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
    if "std_err" in ref:  # R's sqrt(fit$var), the infinitesimal jackknife
        np.testing.assert_allclose(res.std_err, ref["std_err"], rtol=1e-12)


def _lp(frame, coef):
    return sum(frame[k].to_numpy(float) * v for k, v in coef.items())


@pytest.fixture(params=["table", "sweep", "merge"])
def algorithm(request, monkeypatch):
    """Run a test with each of the three ways of counting the pairs (the count table serves
    unit weights only; the other two every case)."""
    table = request.param == "table"
    monkeypatch.setattr(conc_mod, "_TABLE_CELLS_PER_ROW", np.inf if table else 0.0)
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
    # the same strata as text labels (a Cox model's "ph.ecog=1"): hashed, not sorted (issue 18)
    labels = ("ph.ecog=" + lung["ph.ecog"].astype(int).astype(str)).to_numpy(dtype=object)
    _check(harrell_c(lung["time"], lung["status"] == 2, _lp(lung, ref["coef"]), strata=labels), ref)


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


@pytest.mark.parametrize(
    "case", ["plain", "strata", "weighted", "strata_weighted", "entry_strata_weighted"]
)
def test_standard_error_ties_strata_weights_entry(r_reference, algorithm, case):
    # R: concordance(Surv([entry,] time, status) ~ x [+ strata(s)], data = d, [weights = w,]
    # reverse = TRUE) on 400 rows with whole-month times and x rounded to 0.1; e.g. plain
    # 0.6150151, se 0.0200871 (tests/reference/concordance_se.json)
    ref = r_reference("concordance_se.json")["fits"][case]
    d = r_reference("concordance_se_data.csv")
    kw = {}
    if "strata" in case:
        kw["strata"] = d["s"]
    if "weighted" in case:
        kw["weights"] = d["w"]
    if "entry" in case:
        kw["entry"] = d["entry"]
    _check(harrell_c(d["time"], d["status"] == 1, d["x"], **kw), ref)


def test_telco_standard_error(telco, r_reference):
    # R: concordance(coxph(Surv(tenure, churn) ~ Contract + MonthlyCharges, data = telco)):
    # 0.7534444 with se sqrt(var) (tests/reference/concordance.json), heavy ties in months
    ref = r_reference("concordance.json")["telco"]
    m = cs.CoxModel("Contract + MonthlyCharges").fit(telco)
    lp = m.fit_state_.train.X @ m.fit_state_.beta
    res = harrell_c(telco.durations, telco.events, lp)
    np.testing.assert_allclose(res.concordance, ref["harrell"]["concordance"], rtol=1e-12)
    np.testing.assert_allclose(res.std_err, ref["harrell"]["std_err"], rtol=1e-10)
    lo, hi = res.confidence_interval(0.95)
    np.testing.assert_allclose(
        [lo, hi], res.concordance + np.array([-1, 1]) * 1.959963984540054 * res.std_err
    )


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
    # R concordancefit: influence = each row's partner-weighted (concordant, discordant, tied.x)
    infl = np.zeros((n, 3))
    for i in range(n):
        for j in range(n):
            if j == i or not event[i] or strata[i] != strata[j]:
                continue
            if not entry[j] < time[i] <= time[j] or (time[j] == time[i] and event[j]):
                continue
            k = 0 if score[i] > score[j] else (1 if score[i] < score[j] else 2)
            infl[i, k] += w[j]
            infl[j, k] += w[i]
    npair = c + d + t
    dfbeta = w * ((infl[:, 0] - infl[:, 1]) / npair - (c - d) / npair**2 * infl.sum(axis=1))
    return {
        "count": out,
        "concordance": (c + t / 2) / npair,
        "n": n,
        "std_err": np.sqrt(np.sum(dfbeta**2) / 4),
    }


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


def test_no_comparable_pair_gives_nan_with_nan_interval():
    # all censored: no pair is comparable -> C, its SE and its interval are NaN (not 0 or 1)
    res = harrell_c([1.0, 2.0, 3.0], [False, False, False], [0.1, 0.2, 0.3])
    assert np.isnan(res.concordance) and np.isnan(res.std_err)
    assert all(np.isnan(res.confidence_interval()))
    # a perfect score: C = 1 with SE 0, the interval clipped at 1
    res = harrell_c([1.0, 2.0, 3.0, 4.0], [True, True, True, False], [4.0, 3.0, 2.0, 1.0])
    assert res.concordance == 1.0 and res.std_err == pytest.approx(0.0, abs=1e-15)
    assert res.confidence_interval() == (1.0, 1.0)
