"""Tests for churnsurv.km.estimator (Kaplan–Meier, RMST, log-rank tests, churn tables, plots).

References, each cited where it is used:

* R ``survival`` printed output for its ``aml`` and ``lung`` data sets (``lung`` as shipped by
  lifelines, ``lifelines.datasets.load_lung``, status recoded 0/1; ``aml`` typed in from R's
  ``survival::aml``).
* R / SAS / Stata numbers held in statsmodels' own test suite,
  ``statsmodels/duration/tests/test_survfunc.py`` and ``results/bmt.csv``,
  ``results/bmt_results.csv`` (installed with statsmodels in the venv).
* lifelines ``KaplanMeierFitter`` / ``multivariate_logrank_test`` fitted on the raw rows.
* A seeded simulation (the variance formula of the RMST is checked against the spread of the
  estimates, a reference that can fail).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import statsmodels  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.statistics import multivariate_logrank_test  # noqa: E402
from statsmodels.duration.survfunc import survdiff  # noqa: E402
from statsmodels.stats.multitest import multipletests  # noqa: E402

import churnsurv as cs  # noqa: E402
from churnsurv.exceptions import DataValidationError  # noqa: E402
from churnsurv.km import (  # noqa: E402
    KaplanMeier,
    churn_rates,
    cohort_table,
    life_table,
    logrank,
    pairwise_logrank,
)
from churnsurv.km.counts import count_tables, product_limit, restricted_mean  # noqa: E402

SM_RESULTS = Path(statsmodels.__file__).parent / "duration" / "tests" / "results"


@pytest.fixture(scope="module")
def aml():
    # R survival::aml (Embury et al.), typed in from R's `aml` data set.
    raw = pd.DataFrame(
        {
            "time": [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161,
                     5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45],
            "status": [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0,
                       1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
            "x": ["Maintained"] * 11 + ["Nonmaintained"] * 12,
        }
    )  # fmt: skip
    return cs.prepare(raw, duration="time", event="status", time_unit="week")


@pytest.fixture(scope="module")
def lung():
    from lifelines.datasets import load_lung

    raw = load_lung()[["time", "status", "sex"]]
    return cs.prepare(raw, duration="time", event="status", time_unit="day")


def _prep(t, e, on_invalid="raise", **extra):
    raw = pd.DataFrame({"t": np.asarray(t, float), "e": np.asarray(e, int), **extra})
    kw = {"entry": "a"} if "a" in extra else {}
    return cs.prepare(raw, duration="t", event="e", time_unit="day", on_invalid=on_invalid, **kw)


# --------------------------------------------------------------------------------------------
# R references
# --------------------------------------------------------------------------------------------
def _r_survmean(time, surv, n_risk, n_event, end_time, start_time=0.0):
    """RMST and its SE exactly as R computes them for print(survfit(...), rmean=end_time).

    Line-by-line transliteration of the inner ``pfun`` of ``survival:::survmean`` (R package
    survival, file R/print.survfit.R, used by print.survfit and summary.survfit$table):

        hh <- ifelse((n.risk - n.event) == 0, 0, n.event/(n.risk * (n.risk - n.event)))
        keep <- which(time <= end.time)
        temptime <- c(time[keep], end.time); tempsurv <- c(surv[keep], surv[max(keep)])
        hh <- c(hh[keep], 0)
        delta <- diff(c(start.time, temptime))
        rectangles <- delta * c(1, tempsurv[-n])
        varmean <- sum(cumsum(rev(rectangles[-1]))^2 * rev(hh)[-1])
        mean <- sum(rectangles) + start.time
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n_risk - n_event == 0, 0.0, n_event / (n_risk * (n_risk - n_event)))
    keep = time <= end_time
    temptime = np.r_[time[keep], end_time]
    tempsurv = np.r_[surv[keep], surv[keep][-1]]
    hh = np.r_[hh[keep], 0.0]
    n = temptime.size
    delta = np.diff(np.r_[start_time, temptime])
    rectangles = delta * np.r_[1.0, tempsurv[: n - 1]]
    varmean = np.sum(np.cumsum(rectangles[1:][::-1]) ** 2 * hh[::-1][1:])
    return rectangles.sum() + start_time, np.sqrt(varmean)


@pytest.mark.parametrize("tau", [20.0, 45.0, 100.0, 161.0])
def test_rmst_equals_r_survmean_transliteration_on_aml(aml, tau):
    km = KaplanMeier().fit(aml, by="x")
    got = km.rmst(tau)
    for label, c in km.curves_.groupby("segment"):
        args = [c[k].to_numpy(float) for k in ("time", "survival", "at_risk", "events")]
        mean, se = _r_survmean(*args, end_time=tau)
        assert got.loc[label, "rmst"] == pytest.approx(mean, rel=1e-12)
        assert got.loc[label, "std_err"] == pytest.approx(se, rel=1e-12)


def test_rmst_equals_r_survmean_transliteration_on_random_data():
    rng = np.random.default_rng(11)
    t = np.round(rng.exponential(10, 400), 1)
    e = rng.random(400) < 0.7
    data = _prep(t, e)
    km = KaplanMeier().fit(data)
    c = km.curves_
    args = [c[k].to_numpy(float) for k in ("time", "survival", "at_risk", "events")]
    for tau in (5.0, 12.3, 25.0):
        mean, se = _r_survmean(*args, end_time=tau)
        got = km.rmst(tau).iloc[0]
        assert got["rmst"] == pytest.approx(mean, rel=1e-12)
        assert got["std_err"] == pytest.approx(se, rel=1e-12)


def test_aml_matches_r_print_with_rmean(aml):
    # R: print(survfit(Surv(time, status) ~ x, data = aml), rmean = "common") — the output
    # printed in R survival's documentation of print.survfit / survfit for the aml data:
    #                  n events *rmean *se(rmean) median 0.95LCL 0.95UCL
    # x=Maintained    11      7   52.6      19.83     31      18      NA
    # x=Nonmaintained 12     11   22.7       4.18     23       8      NA
    #     * restricted mean with upper limit =  161
    km = KaplanMeier().fit(aml, by="x")
    s = km.summarize(horizons=[12], rmst_horizon=161)
    assert s["n"].tolist() == [11, 12]
    assert s["events"].tolist() == [7, 11]
    assert s["median"].tolist() == [31, 23]
    assert s["median_lower"].tolist() == [18, 8]
    assert s["median_upper"].isna().all()
    assert s["rmst_161"].round(1).tolist() == [52.6, 22.7]
    assert s["rmst_161_std_err"].round(2).tolist() == [19.83, 4.18]
    r = km.rmst(161)  # the same R output, through the rmst() method
    assert r["rmst"].round(1).tolist() == [52.6, 22.7]
    assert r["std_err"].round(2).tolist() == [19.83, 4.18]
    # Greenwood-type formula by hand for the Nonmaintained arm (curve reaches 0 at 45):
    # R: sum over event times of A_i^2 d_i / (n_i (n_i - d_i)).
    ct = count_tables(aml.durations[11:], aml.events[11:])[0]
    pl = product_limit(ct)
    t, s_, n, d = pl["time"], pl["survival"], pl["at_risk"], pl["events"]
    area_after = [np.sum(np.diff(np.append(t[t >= ti], 161)) * s_[t >= ti]) for ti in t]
    ok = (d > 0) & (n > d)
    with np.errstate(divide="ignore", invalid="ignore"):  # n = d at the last time: term unused
        by_hand = np.sqrt(np.sum((np.array(area_after) ** 2 * d / (n * (n - d)))[ok]))
    assert r.loc["Nonmaintained", "std_err"] == pytest.approx(by_hand, rel=1e-12)


def test_lung_matches_r(lung):
    # R: survfit(Surv(time, status) ~ 1, data = lung) prints
    #   n events median 0.95LCL 0.95UCL
    # 228    165    310     285     363
    km = KaplanMeier().fit(lung)
    s = km.summarize(horizons=[365.25], rmst_horizon=365)
    assert (s.loc["all", "n"], s.loc["all", "events"]) == (228, 165)
    assert s.loc["all", ["median", "median_lower", "median_upper"]].tolist() == [310, 285, 363]
    # R: summary(survfit(Surv(time, status) ~ 1, data = lung), times = 365.25) prints
    #   time n.risk n.event survival std.err lower 95% CI upper 95% CI
    #    365     65     121    0.409  0.0358        0.345        0.486
    # (E. C. Zabor, "Survival Analysis in R" tutorial, section "x-year survival").
    v = km.survival_at([365.25]).iloc[0]
    assert round(v.survival, 3) == 0.409
    assert round(v.std_err, 4) == 0.0358
    assert (round(v.ci_lower, 3), round(v.ci_upper, 3)) == (0.345, 0.486)
    a = km.at_risk([365.25]).iloc[0]
    assert (a.at_risk, a.events) == (65, 121)
    # R: survfit(Surv(time, status) ~ sex, data = lung)
    #         n events median 0.95LCL 0.95UCL
    # sex=1 138    112    270     212     310
    # sex=2  90     53    426     348     550
    by = KaplanMeier().fit(lung, by="sex").median_
    assert by.to_numpy().tolist() == [[270, 212, 310], [426, 348, 550]]


def test_lung_logrank_matches_r_survdiff(lung):
    # R: survdiff(Surv(time, status) ~ sex, data = lung) prints
    #         N Observed Expected (O-E)^2/E (O-E)^2/V
    # sex=1 138      112     91.6      4.55      10.3
    # sex=2  90       53     73.4      5.68      10.3
    #  Chisq= 10.3  on 1 degrees of freedom, p= 0.001
    res = logrank(lung, "sex")
    t = res.table
    assert t["n"].tolist() == [138, 90]
    assert t["observed"].tolist() == [112, 53]
    assert t["expected"].round(1).tolist() == [91.6, 73.4]
    assert t["(O-E)^2/E"].round(2).tolist() == [4.55, 5.68]
    assert t["(O-E)^2/V"].round(1).tolist() == [10.3, 10.3]
    assert round(res.statistic, 1) == 10.3 and res.df == 1 and round(res.p_value, 3) == 0.001


def test_survfit_values_from_statsmodels_r_tests():
    # statsmodels/duration/tests/test_survfunc.py, R code in its header (survfit on ti1/st1,
    # ti2/st2): times, survival and Greenwood standard errors of S.
    km = KaplanMeier().fit(_prep([3, 1, 2, 3, 2, 1, 5, 3], [0, 1, 1, 1, 0, 0, 1, 0]))
    c = km.curves_[km.curves_["events"] > 0]
    assert c["time"].tolist() == [1, 2, 3, 5]
    np.testing.assert_allclose(c["survival"], [0.8750000, 0.7291667, 0.5468750, 0.0], atol=1e-6)
    np.testing.assert_allclose(c["std_err"][:3], [0.1169268, 0.1649762, 0.2005800], atol=1e-6)
    assert c["at_risk"].tolist() == [8, 6, 4, 1]
    km = KaplanMeier().fit(_prep([1, 1, 2, 3, 7, 1, 5, 3, 9], [0, 1, 0, 0, 1, 0, 1, 0, 1]))
    c = km.curves_[km.curves_["events"] > 0]
    np.testing.assert_allclose(c["survival"], [0.8888889, 0.5925926, 0.2962963, 0], atol=1e-6)
    np.testing.assert_allclose(c["std_err"][:3], [0.1047566, 0.2518034, 0.2444320], atol=1e-6)


def test_left_truncation_matches_r():
    # statsmodels test_survfunc.py::test_survfunc_entry_1, R:
    # survfit(coxph(Surv(entry, times, status) ~ 1), type = "kaplan-meier"). Entry times tie
    # with event times here, so the (entry, exit] risk-set convention is exercised.
    t = [1, 3, 3, 5, 5, 7, 7, 8, 8, 9, 10, 10]
    e = [1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 1]
    a = [0, 1, 1, 2, 2, 2, 3, 4, 4, 4, 4, 0]
    km = KaplanMeier().fit(_prep(t, e, a=np.array(a, float)))
    c = km.curves_[km.curves_["events"] > 0]
    assert c["at_risk"].tolist() == [2, 6, 9, 7, 5, 3, 2]
    np.testing.assert_allclose(
        c["survival"], [0.5000, 0.4167, 0.3241, 0.2778, 0.2222, 0.1481, 0.0741], atol=1e-4
    )
    np.testing.assert_allclose(
        c["std_err"], [0.3536, 0.3043, 0.2436, 0.2132, 0.1776, 0.1330, 0.0846], atol=1e-4
    )
    # What KaplanMeier.fit's docstring says of lifelines: its curve uses the same risk sets
    # (R's numbers above), although its event_table counts the 2 customers entering at t = 1
    # as at risk then (4, not R's 2)
    kmf = KaplanMeierFitter().fit(t, e, entry=a)
    assert kmf.event_table.loc[1, "at_risk"] == 4
    lifelines_s = kmf.survival_function_["KM_estimate"].loc[c["time"].to_numpy()]
    np.testing.assert_allclose(lifelines_s, c["survival"], rtol=1e-12)


def test_case_weights_match_r_and_replication():
    # statsmodels test_survfunc.py::test_weights1, R: survfit(Surv(tm, st) ~ 1, weights = wt)
    tm = [1, 3, 5, 6, 7, 8, 8, 9, 3, 4, 1, 3, 2]
    st_ = [1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0]
    wt = np.array([1, 2, 3, 2, 3, 1, 2, 1, 1, 2, 2, 3, 1], float)
    km = KaplanMeier().fit(_prep(tm, st_), weights=wt)
    c = km.curves_[km.curves_["events"] > 0]
    np.testing.assert_allclose(c["survival"], [0.875, 0.65625, 0.51041667, 0.29166667, 0.0])
    # Integer case weights are the same as replicated rows: identical curves and CIs.
    rep = KaplanMeier().fit(_prep(np.repeat(tm, wt.astype(int)), np.repeat(st_, wt.astype(int))))
    pd.testing.assert_frame_equal(km.curves_, rep.curves_, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# lifelines on the raw rows
# --------------------------------------------------------------------------------------------
def _lifelines_km(t, e, **kw):
    kmf = KaplanMeierFitter()
    with warnings.catch_warnings():
        # lifelines warns (StatisticalWarning) that non-integer case weights make its
        # variance estimates approximate; the point estimate we compare is exact.
        warnings.simplefilter("ignore")
        kmf.fit(t, e, **kw)
    return kmf


@pytest.mark.parametrize("kind", ["plain", "continuous", "entry", "weights"])
def test_equals_lifelines_on_raw_rows(kind):
    rng = np.random.default_rng(7)
    n = 3000
    t = np.round(rng.exponential(20, n)) + 1.0
    if kind == "continuous":  # exercises the hashing path of the counting (non-integer times)
        t = np.round(rng.exponential(20, n), 2) + 0.01
    e = rng.random(n) < 0.6
    kw, fit_kw, extra = {}, {}, {}
    if kind == "entry":  # continuous entries never tie with integer exit times
        a = np.round(t * rng.random(n) * (rng.random(n) < 0.5), 0) - 0.5
        a = np.clip(a, 0, None)
        kw["entry"], extra["a"] = a, a
    if kind == "weights":
        w = rng.integers(1, 4, n).astype(float)
        kw["weights"], fit_kw["weights"] = w, w
    kmf = _lifelines_km(t, e, **kw)
    km = KaplanMeier(conf_type="log-log").fit(_prep(t, e, **extra), **fit_kw)
    c = km.curves_.set_index("time")
    ref = kmf.survival_function_.iloc[:, 0].reindex(c.index)
    np.testing.assert_allclose(c["survival"], ref, rtol=0, atol=1e-10)
    ci = kmf.confidence_interval_.reindex(c.index)
    ok = (c["survival"] < 1) & (c["survival"] > 0)
    np.testing.assert_allclose(c.loc[ok, "ci_lower"], ci.iloc[:, 0][ok], atol=1e-10)
    np.testing.assert_allclose(c.loc[ok, "ci_upper"], ci.iloc[:, 1][ok], atol=1e-10)
    table = kmf.event_table.reindex(c.index)
    np.testing.assert_allclose(c["at_risk"], table["at_risk"], atol=1e-9)
    np.testing.assert_allclose(c["events"], table["observed"], atol=1e-9)
    assert km.median_.loc["all", "median"] == kmf.median_survival_time_


def test_telco_equals_lifelines_and_log_ci_by_formula(telco):
    km = KaplanMeier().fit(telco, by="Contract")
    for segment, rows in telco.frame.groupby("Contract", observed=True):
        kmf = _lifelines_km(rows["duration"], rows["event"])
        c = km.curves_[km.curves_["segment"] == segment].set_index("time")
        ref = kmf.survival_function_.iloc[:, 0].reindex(c.index)
        np.testing.assert_allclose(c["survival"], ref, atol=1e-12)
    # "log" band = S exp(±1.96 σ) with σ² = Greenwood's sum (R survfit conf.type = "log").
    c = km.curves_
    sigma = c["std_err"] / c["survival"]
    np.testing.assert_allclose(c["ci_lower"], c["survival"] * np.exp(-1.959964 * sigma), rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.booleans(), st.integers(1, 3)), min_size=1, max_size=40
    )
)
def test_counts_fit_equals_lifelines_property(rows):
    t = np.array([r[0] for r in rows], float)
    e = np.array([r[1] for r in rows])
    w = np.array([r[2] for r in rows], float)
    ct = count_tables(t, e, weights=w)[0]
    pl = product_limit(ct)
    kmf = _lifelines_km(t, e, weights=w)
    ref = kmf.survival_function_.iloc[:, 0].reindex(pl["time"])
    np.testing.assert_allclose(pl["survival"], ref, atol=1e-12)


# --------------------------------------------------------------------------------------------
# RMST: the variance formula against simulation
# --------------------------------------------------------------------------------------------
def test_rmst_standard_error_matches_simulation():
    # The SD of RMST estimates over seeded samples must agree with the mean estimated SE
    # (Greenwood-type), and 95% intervals must cover the true RMST about 95% of the time.
    # Truth: exponential(rate 0.1) churn, tau = 10 → RMST = (1 - exp(-1)) / 0.1.
    rng = np.random.default_rng(2024)
    tau, rate, n, reps = 10.0, 0.1, 150, 800
    truth = (1 - np.exp(-rate * tau)) / rate
    est, se = np.empty(reps), np.empty(reps)
    for i in range(reps):
        life = rng.exponential(1 / rate, n)
        cens = rng.uniform(5, 30, n)
        ct = count_tables(np.minimum(life, cens), life <= cens)[0]
        est[i], se[i] = restricted_mean(product_limit(ct), tau)
    assert se.mean() == pytest.approx(est.std(ddof=1), rel=0.08)
    cover = np.mean(np.abs(est - truth) <= 1.96 * se)
    assert 0.93 <= cover <= 0.97
    # lifelines' return_variance is Var[min(T, tau)], about n times larger: not our number.
    assert se.mean() ** 2 < 0.1 * np.var(np.minimum(life, tau))


def test_rmst_difference(telco):
    km = KaplanMeier().fit(telco, by="Contract")
    r = km.rmst(24)
    d = km.rmst_difference(24, reference="Month-to-month")
    row = d.loc["Two year"]
    assert row["difference"] == pytest.approx(r.loc["Two year", "rmst"] - r.iloc[0]["rmst"])
    se = np.hypot(r.loc["Two year", "std_err"], r.iloc[0]["std_err"])
    assert row["std_err"] == pytest.approx(se)
    assert row["ci_lower"] == pytest.approx(row["difference"] - 1.959964 * se, rel=1e-6)
    with pytest.raises(ValueError, match="reference='nope' is not a segment"):
        km.rmst_difference(24, reference="nope")


# --------------------------------------------------------------------------------------------
# log-rank tests
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bmt():
    # SAS BMT data shipped with statsmodels (results/bmt.csv).
    raw = pd.read_csv(SM_RESULTS / "bmt.csv")
    raw["row"] = np.arange(len(raw))
    return raw


def _bmt_data(frame):
    return cs.prepare(frame, duration="T", event="Status", time_unit="day")


@pytest.mark.parametrize(
    ("weights", "kw", "expected"),
    # statsmodels test_survfunc.py::test_survdiff, two groups (Group != "ALL"); numbers from
    # R survival / survMisc as stated there.
    [
        ("logrank", {}, 13.44556),
        ("wilcoxon", {}, 15.38787),
        ("tarone-ware", {}, 14.98382),
        ("fleming-harrington", {"p": 0.5}, 14.46866),
        ("fleming-harrington", {"p": 1.0}, 14.84500),
    ],
)
def test_logrank_weights_match_r(bmt, weights, kw, expected):
    data = _bmt_data(bmt[bmt.Group != "ALL"])
    res = logrank(data, "Group", weighting=weights, **kw)
    assert res.statistic == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    ("n_strata", "weights", "kw", "expected"),
    # statsmodels test_survfunc.py::test_survdiff, strata = row index % n (R survival).
    [
        (5, "logrank", {}, 11.97799),
        (5, "fleming-harrington", {"p": 0.5}, 12.6257),
        (5, "fleming-harrington", {"p": 1.0}, 12.73565),
        (8, "logrank", {}, 12.12631),
        (8, "fleming-harrington", {"p": 1.0}, 13.35259),
    ],
)
def test_stratified_logrank_matches_r(bmt, n_strata, weights, kw, expected):
    two = bmt[bmt.Group != "ALL"].copy()
    two["stratum"] = np.arange(len(two)) % n_strata
    res = logrank(_bmt_data(two), "Group", strata="stratum", weighting=weights, **kw)
    assert res.statistic == pytest.approx(expected, rel=1e-5)
    assert res.summary["n_strata"].iloc[0] == n_strata


def test_three_group_logrank_matches_r_and_statsmodels(bmt):
    # statsmodels test_survfunc.py::test_survdiff: all 3 groups, FH p=1 → 15.67247 (R).
    data = _bmt_data(bmt)
    res = logrank(data, "Group", weighting="fleming-harrington", p=1.0)
    assert res.statistic == pytest.approx(15.67247, rel=1e-5)
    assert res.df == 2
    stat, p = survdiff(bmt["T"], bmt["Status"], bmt["Group"])
    plain = logrank(data, "Group")
    assert plain.statistic == pytest.approx(stat, rel=1e-10)
    assert plain.p_value == pytest.approx(p, rel=1e-8)


def test_logrank_with_entry_matches_stata():
    # statsmodels test_survfunc.py::test_survdiff_entry_2 and _3 (Stata `sts test, logrank`).
    # Stata's stset drops the record with entry = exit (case 2, row 2); so does on_invalid="drop".
    cases = [
        ([5, 3, 4, 2, 5, 4, 6, 7, 5, 9], [1, 1, 0, 1, 1, 0, 1, 1, 0, 0],
         [1, 2, 2, 1, 3, 3, 5, 4, 2, 5], 3.0),
        ([2, 1, 5, 8, 7, 8, 8, 9, 4, 9], [1, 1, 1, 1, 1, 0, 1, 0, 0, 0],
         [1, 1, 2, 2, 3, 3, 2, 1, 2, 0], 6.75082959),
    ]  # fmt: skip
    for t, e, a, expected in cases:
        data = _prep(t, e, on_invalid="drop", a=np.array(a, float), g=[0] * 5 + [1] * 5)
        assert logrank(data, "g").statistic == pytest.approx(expected, rel=1e-7)


def test_logrank_fh_q_and_case_weights_match_lifelines(telco):
    # lifelines' Fleming-Harrington weights assume no exit at time 0 (it drops the last KM
    # value to shift the curve), so compare on customers with tenure > 0.
    telco = telco.take(np.flatnonzero(telco.durations > 0))
    f = telco.frame
    for kw in ({"p": 0.0, "q": 1.0}, {"p": 1.0, "q": 1.0}):
        ours = logrank(telco, "InternetService", weighting="fleming-harrington", **kw)
        ref = multivariate_logrank_test(
            f["duration"], f["InternetService"], f["event"], weightings="fleming-harrington", **kw
        )
        assert ours.statistic == pytest.approx(ref.test_statistic, rel=1e-8)
    w = np.where(f["SeniorCitizen"] == 1, 2.0, 1.0)
    ours = logrank(telco, "Contract", weights=w)
    ref = multivariate_logrank_test(f["duration"], f["Contract"], f["event"], weights=w)
    assert ours.statistic == pytest.approx(ref.test_statistic, rel=1e-8)


def test_pairwise_with_holm(telco):
    res = pairwise_logrank(telco, "PaymentMethod", adjust="holm")
    t = res.table
    assert len(t) == 6
    np.testing.assert_allclose(t["p_adjusted"], multipletests(t["p_value"], method="holm")[1])
    # each pair is a two-group test on those customers only
    a, b = t.iloc[0][["group_a", "group_b"]]
    sub = telco.take(np.flatnonzero(telco.frame["PaymentMethod"].isin([a, b])))
    assert t.iloc[0]["statistic"] == pytest.approx(logrank(sub, "PaymentMethod").statistic)
    bh = pairwise_logrank(telco, "PaymentMethod", adjust="bh").table["p_adjusted"]
    np.testing.assert_allclose(bh, multipletests(t["p_value"], method="fdr_bh")[1])
    none = pairwise_logrank(telco, "PaymentMethod", adjust=None).table
    np.testing.assert_array_equal(none["p_adjusted"], none["p_value"])
    km = KaplanMeier().fit(telco, by="PaymentMethod")
    pd.testing.assert_frame_equal(km.pairwise(adjust="holm").table, t)
    assert "Pairwise log-rank" in res._repr_html_()
    assert "Log-rank" in km.logrank()._repr_html_()


# --------------------------------------------------------------------------------------------
# summary, at-risk table, bad input
# --------------------------------------------------------------------------------------------
def test_summary_defaults_and_ci_type_stated(telco):
    km = KaplanMeier().fit(telco, by="Contract")
    s = km.summary
    assert {"retention_12", "retention_24_upper", "rmst_24", "rmst_24_std_err"} <= set(s.columns)
    assert (s["ci"] == "95% log").all()
    assert s["n"].sum() == 7043 and s["events"].sum() == 1869
    assert KaplanMeier(conf_level=0.9, conf_type="log-log").fit(telco).summary["ci"].iloc[0] == (
        "90% log-log"
    )
    assert "median not reached" in s.loc["Two year", "note"]
    assert "Kaplan–Meier" in km._repr_html_()


def test_segment_without_events_gives_nan_median_with_note():
    data = _prep([1, 2, 3, 4, 2, 5], [1, 1, 0, 1, 0, 0], g=list("aaaabb"))
    s = KaplanMeier().fit(data, by="g").summarize(horizons=[2], rmst_horizon=2)
    assert np.isnan(s.loc["b", "median"])
    assert "no churn events" in s.loc["b", "note"]
    assert s.loc["b", "retention_2"] == 1.0


def test_empty_category_is_reported_not_dropped():
    raw = pd.DataFrame({"t": [1.0, 2, 3], "e": [1, 0, 1]})
    raw["g"] = pd.Categorical(["a", "a", "a"], categories=["a", "b"])
    km = KaplanMeier().fit(cs.prepare(raw, duration="t", event="e"), by="g")
    assert km.empty_segments_ == ["b"]
    s = km.summarize(horizons=[1], rmst_horizon=1)
    assert s.loc["b", "n"] == 0 and np.isnan(s.loc["b", "median"])
    assert s.loc["b", "note"] == "empty segment: no customers"


def test_horizon_beyond_follow_up_is_refused(telco):
    km = KaplanMeier().fit(telco, by="Contract")
    with pytest.raises(ValueError, match=r"times=80 months is beyond the follow-up .*72"):
        km.survival_at([80])
    with pytest.raises(ValueError, match="tau=100"):
        km.rmst(100)
    with pytest.raises(ValueError, match="horizons=80"):
        km.summarize(horizons=[80])
    s = KaplanMeier().fit(_prep([1, 2, 8], [1, 0, 0], g=list("aab")), by="g").summary
    assert np.isnan(s.loc["a", "retention_365"]) and "beyond follow-up" in s.loc["a", "note"]
    # once the curve has reached 0 the value beyond follow-up is known: S = 0
    assert KaplanMeier().fit(_prep([1, 2], [1, 1])).survival_at([9])["survival"].iloc[0] == 0


def test_argument_and_data_errors(telco):
    with pytest.raises(ValueError, match="conf_type='plain' is not understood"):
        KaplanMeier(conf_type="plain")
    with pytest.raises(ValueError, match="conf_level"):
        KaplanMeier(conf_level=95)
    with pytest.raises(DataValidationError, match="'Contrat': unknown column.*Did you mean"):
        KaplanMeier().fit(telco, by="Contrat")
    with pytest.raises(ValueError, match="period='fortnight' is not understood"):
        churn_rates(telco, "fortnight")
    with pytest.raises(ValueError, match="weighting='gehan' is not understood"):
        logrank(telco, "Contract", weighting="gehan")
    # the test weighting passed as case weights: the message says which argument is which
    with pytest.raises(ValueError, match="weights= are case weights.*weighting='wilcoxon'"):
        logrank(telco, "Contract", weights="wilcoxon")
    with pytest.raises(ValueError, match="adjust='fdr' is not understood"):
        pairwise_logrank(telco, "Contract", adjust="fdr")
    with pytest.raises(DataValidationError, match="negative or non-finite weight in 7043 row"):
        KaplanMeier().fit(telco, weights=-np.ones(telco.n))
    with pytest.raises(DataValidationError, match="needs signup and churn dates"):
        cohort_table(telco)
    with pytest.raises(ValueError, match="not fitted"):
        KaplanMeier().survival_at([1])


def test_at_risk_table(telco):
    km = KaplanMeier().fit(telco)
    t = km.at_risk([0, 12, 24])
    d = telco.durations
    assert t["at_risk"].tolist() == [telco.n, (d >= 12).sum(), (d >= 24).sum()]
    e = telco.events
    assert t["events"].tolist() == [
        (e & (d <= 0)).sum(),
        (e & (d > 0) & (d <= 12)).sum(),
        (e & (d > 12) & (d <= 24)).sum(),
    ]
    assert t["cum_censored"].iloc[-1] == (~e & (d <= 24)).sum()


# --------------------------------------------------------------------------------------------
# churn tables
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dated():
    rng = np.random.default_rng(11)
    n = 400
    start = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 540, n), unit="D")
    life = pd.to_timedelta(np.round(rng.exponential(300, n)), unit="D")
    end = (start + life).where(start + life <= pd.Timestamp("2022-12-31"))
    raw = pd.DataFrame(
        {"id": np.arange(n), "start": start, "end": end, "plan": rng.integers(0, 2, n)}
    )
    return cs.prepare(raw, id="id", start_date="start", end_date="end", cutoff="2022-12-31")


def test_calendar_churn_rates_by_definition(dated):
    t = churn_rates(dated, "quarter")
    f = dated.frame
    q = pd.Period("2022Q1")
    row = t.set_index("period").loc["2022Q1"]
    at_start = ((f.start_date < q.start_time) & ~(f.end_date < q.start_time)).sum()
    lost = ((f.end_date >= q.start_time) & (f.end_date <= q.end_time)).sum()
    assert row["customers_start"] == at_start
    assert row["churned"] == lost
    assert row["churn_rate_pct"] == pytest.approx(100 * lost / at_start)
    assert row["retention_rate_pct"] == pytest.approx(100 - 100 * lost / at_start)
    # stock-flow identity and the partial last period
    assert (t["customers_end"].iloc[:-1].to_numpy() == t["customers_start"].iloc[1:]).all()
    assert not t["partial"].any()
    assert churn_rates(dated, "month", by="plan")["segment"].nunique() == 2


def test_tenure_churn_rate_equals_km_hazard_for_whole_periods(telco):
    # Integer monthly tenures and monthly periods: churned ÷ at start is the KM hazard exactly.
    t = churn_rates(telco, "month")
    assert t.attrs["basis"] == "tenure"
    np.testing.assert_allclose(t["churn_rate_pct"], t["km_churn_pct"], atol=1e-10)
    km = KaplanMeier().fit(telco).curves_.set_index("time")
    hazard = 100 * km["events"] / km["at_risk"]
    np.testing.assert_allclose(t.set_index("tenure_start")["churn_rate_pct"].loc[1:70],
                               hazard.loc[1:70], atol=1e-10)  # fmt: skip
    # Coarser periods: censored customers stay in the denominator → managers' rate is lower.
    quarterly = churn_rates(telco, "quarter")
    assert (quarterly["churn_rate_pct"] <= quarterly["km_churn_pct"] + 1e-9).all()


def test_life_table_by_hand():
    # Actuarial estimate (Lee & Wang, ch. 4): effective n = n - c/2.
    data = _prep([0.5, 1.5, 1.2, 2.5, 3.0, 3.5], [1, 0, 1, 1, 0, 1])
    lt = life_table(data, width=1.0)
    assert lt["at_start"].tolist() == [6, 5, 3, 2]
    assert lt["effective_at_risk"].tolist() == [6, 4.5, 3, 1.5]
    np.testing.assert_allclose(lt["churn_prob"], [1 / 6, 1 / 4.5, 1 / 3, 1 / 1.5])
    s = np.cumprod([1, 5 / 6, 3.5 / 4.5, 2 / 3])
    np.testing.assert_allclose(lt["survival"], s)
    np.testing.assert_allclose(lt["hazard"], [1 / 5.5, 1 / 4.0, 1 / 2.5, 1 / 1.0])
    assert life_table(data, width=2.0, by=None)["at_start"].tolist() == [6, 3]


def test_cohort_table_triangle_is_empty_not_zero(dated):
    ct = cohort_table(dated, "quarter")
    tab = ct.table
    assert tab.iloc[-1].isna().sum() > tab.iloc[0].isna().sum()  # later cohorts: fewer cells
    assert np.nanmin(tab.to_numpy()) > 0  # no fake zeros
    f = dated.frame
    first = tab.index[0]
    members = f[f["start_date"].dt.to_period("Q").astype(str) == first]
    assert ct.sizes.iloc[0] == len(members)
    k = 2  # share not churned by 2 quarters (6 months) after signup
    expected = 1 - (members["event"] & (members["duration"] <= 6)).mean()
    assert tab.iloc[0, k] == pytest.approx(expected)
    assert "not yet observed" in ct._repr_html_()
    ax = ct.plot()
    assert ax.get_xlabel() == "Quarters since signup"
    # the heatmap shows the table: unobserved cells masked (blank), never drawn as 0
    shown = ax.get_images()[0].get_array()
    observed = tab.notna().to_numpy()
    np.testing.assert_array_equal(np.ma.getmaskarray(shown), ~observed)
    np.testing.assert_allclose(shown.compressed(), tab.to_numpy()[observed])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == f"{first} (n={len(members)})" and len(labels) == len(tab)
    assert len(ax.texts) == observed.sum()  # one percentage per observed cell


# --------------------------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------------------------
def test_plot_risk_table_is_at_risk_at_ticks(telco):
    km = KaplanMeier().fit(telco, by="Contract")
    ax = km.plot()
    ticks = ax.get_xticks()
    expected = km.at_risk(ticks)
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == "Number at risk"
    for segment in ["Month-to-month", "One year", "Two year"]:
        i = texts.index(segment)
        shown = [int(x) for x in texts[i + 1 : i + 1 + len(ticks)]]
        assert shown == expected.loc[expected["segment"] == segment, "at_risk"].tolist()
    assert len(ax.get_lines()) == 6  # 3 curves + 3 censor-mark series
    assert len(ax.collections) == 3  # CI bands
    bare = KaplanMeier().fit(telco).plot(at_risk=False, ci=False, censor_marks=False)
    assert len(bare.texts) == 0 and len(bare.collections) == 0


@pytest.mark.parametrize("first", [3875.0, 1234567.0])
def test_risk_table_labels_clear_of_numbers(first):
    # the row label ends left of the first count, which is centred on the axes' left edge
    import matplotlib.pyplot as plt

    from churnsurv.plotting.km import draw_risk_table

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 10], [1, 0.5], label="segment")
    ax.set_xlim(0, 10)
    table = pd.DataFrame({"segment": "segment", "time": [0.0, 10.0], "at_risk": [first, 12.0]})
    draw_risk_table(ax, table)
    renderer = fig.canvas.get_renderer()
    label, number = ax.texts[1], ax.texts[2]
    assert label.get_text() == "segment" and number.get_text() == f"{first:.0f}"
    gap = number.get_window_extent(renderer).x0 - label.get_window_extent(renderer).x1
    assert gap > 2  # pixels


def test_pairwise_table_names_the_test_weighting(telco):
    """Regression: the ``test`` column was built from the case weights (so it showed None)."""
    assert set(pairwise_logrank(telco, "Contract").table["test"]) == {"logrank"}
    wil = pairwise_logrank(telco, "Contract", weighting="wilcoxon")
    assert set(wil.table["test"]) == {"wilcoxon"}
    fh = pairwise_logrank(telco, "Contract", weighting="fleming-harrington", p=0, q=1)
    assert set(fh.table["test"]) == {"fleming-harrington(p=0, q=1)"}
    # each row's test equals the two-group log-rank test of the same weighting
    a, b = wil.table.iloc[0][["group_a", "group_b"]]
    sub = telco.take(np.flatnonzero(telco.frame["Contract"].isin([a, b])))
    one = logrank(sub, "Contract", weighting="wilcoxon")
    assert wil.table.iloc[0]["test"] == one.summary["test"].iloc[0]
    assert wil.table.iloc[0]["statistic"] == pytest.approx(one.statistic, rel=1e-12)
