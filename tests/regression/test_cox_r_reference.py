"""CoxModel against R ``survival`` (3.5.3) outputs committed in ``tests/reference/``.

Every expected number here is read from the JSON written by the R script named in the test
(``tests/reference/README.md`` lists the calls); nothing is computed by the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

import churnsurv as cs
from churnsurv.regression import CoxModel


def _values(d: dict) -> np.ndarray:
    return np.array(list(d.values()), float)


# ------------------------------------------------------------------ Efron ties, collapsed rows
@pytest.mark.parametrize("formula", ["Contract", "Contract + InternetService"])
def test_default_collapsed_efron_equals_r_on_telco(telco, r_reference, formula):
    # R: coxph(Surv(tenure, churn) ~ <formula>, data = telco, ties = "efron")
    # (coxph_efron_ties.R -> coxph_efron_ties.json); coef -2.191097 / -4.225386 for ~ Contract
    ref = r_reference("coxph_efron_ties.json")["telco"][formula.replace(" ", "") + "__efron"]
    m = CoxModel(formula).fit(telco)  # all-categorical: collapse="auto" merges identical rows
    assert "collapsed" in m.engine_
    np.testing.assert_allclose(m.params_, _values(ref["coef"]), rtol=0, atol=1e-7)
    np.testing.assert_allclose(m.standard_errors_, _values(ref["se"]), rtol=1e-6)
    st = m.fit_statistics
    np.testing.assert_allclose(st.loc["log-likelihood", "value"], ref["loglik"], rtol=1e-10)
    np.testing.assert_allclose(st.loc["score test", "value"], ref["score_test"], rtol=1e-8)


def test_default_collapsed_efron_equals_r_on_toy(r_reference):
    # 40 rows, x in {a, b}, times 1, 2, 3, all events: R coxph(..., ties = "efron") gives
    # coef -0.0675322, se 0.3164109 (coxph_efron_ties.json, toys/toy__efron)
    ref = r_reference("coxph_efron_ties.json")["toys"]["toy__efron"]
    toy = r_reference("coxph_efron_ties_toy.csv")
    data = cs.prepare(toy, duration="time", event="status", covariates=["x"])
    m = CoxModel("x").fit(data)
    assert m.engine_ == "churnsurv Newton-Raphson on 6 collapsed rows"
    np.testing.assert_allclose(m.params_, _values(ref["coef"]), rtol=0, atol=1e-9)
    np.testing.assert_allclose(m.standard_errors_, _values(ref["se"]), rtol=1e-8)
    ll = m.fit_statistics.loc["log-likelihood", "value"]
    np.testing.assert_allclose(ll, ref["loglik"], rtol=1e-12)


# ------------------------------------------------------------------ robust (sandwich) SEs
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_clustered_robust_se_equals_r_diabetic(r_reference, ties):
    # R: coxph(Surv(time, status) ~ trt + adult, data = diabetic, cluster = id, ties = <ties>)
    # (coxph_robust.R); Efron robust SEs 0.1485074 / 0.1786400, which survival's own saved
    # example output prints as 0.14851 / 0.17864 (tests/Examples/survival-Ex.Rout.save)
    ref = r_reference("coxph_robust.json")["diabetic"][ties]
    dia = r_reference("diabetic.csv")
    data = cs.prepare(dia, duration="time", event="status", covariates=["trt", "adult", "id"])
    m = CoxModel("trt + adult", ties=ties).fit(data, cluster="id")
    assert m.engine_ == "churnsurv Newton-Raphson" and m.robust_
    np.testing.assert_allclose(m.params_, _values(ref["coef"]), rtol=0, atol=1e-6)
    np.testing.assert_allclose(m.standard_errors_, _values(ref["robust_se"]), rtol=0, atol=1e-7)
    np.testing.assert_allclose(m.variance_matrix_, ref["vcov"], rtol=1e-5, atol=1e-9)
    st = m.fit_statistics  # the Wald test uses the robust covariance, as R's
    np.testing.assert_allclose(st.loc["Wald test", "value"], ref["wald_test"], rtol=1e-5)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_robust_se_equals_r_telco(telco, r_reference, ties):
    # R: coxph(Surv(tenure, churn) ~ Contract + MonthlyCharges, data = telco, robust = TRUE,
    # ties = <ties>) (coxph_robust.R): Efron robust SEs 0.0785621 / 0.1503064 / 0.000859459
    ref = r_reference("coxph_robust.json")["telco"][ties]
    m = CoxModel("Contract + MonthlyCharges", ties=ties, robust=True).fit(telco)
    np.testing.assert_allclose(m.params_, _values(ref["coef"]), rtol=1e-6)
    np.testing.assert_allclose(m.standard_errors_, _values(ref["robust_se"]), rtol=1e-5)


# ------------------------------------------------------------------ case weights
@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("robust", [False, True])
def test_weighted_fit_equals_r_lung(r_reference, ties, robust):
    # R: coxph(Surv(time, status == 2) ~ age + sex, data = lung_weighted, weights = w,
    # ties = <ties>[, robust = TRUE]) with w = (row %% 7 + 1) / 3 (coxph_weighted.R); Efron:
    # coef 0.0178849 / -0.5319292, model-based se 0.0084732 / 0.1451248, loglik -1043.42950
    key = ties + ("__robust" if robust else "")
    ref = r_reference("coxph_weighted.json")["fits"][key]
    lw = r_reference("lung_weighted.csv")
    data = cs.prepare(lw, id="row", duration="time", event="dead", covariates=["age", "sex", "w"])
    model = CoxModel("age + sex", ties=ties, robust=robust)
    if robust:
        m = model.fit(data, weights="w")
    else:  # fractional weights: the model-based SEs are R's, with a warning about them
        with pytest.warns(cs.AssumptionWarning, match="not whole numbers.*robust=True"):
            m = model.fit(data, weights="w")
    assert m.engine_ == "churnsurv Newton-Raphson"
    np.testing.assert_allclose(m.params_, _values(ref["coef"]), rtol=0, atol=1e-8)
    np.testing.assert_allclose(m.standard_errors_, _values(ref["se"]), rtol=1e-7)
    ll = m.fit_statistics.loc["log-likelihood", "value"]
    np.testing.assert_allclose(ll, ref["loglik"], rtol=1e-12)


def test_weighted_efron_does_not_depend_on_the_scale_of_the_weights(r_reference):
    # Multiplying every case weight by c multiplies the weighted partial log-likelihood by c, so
    # the estimate is R's for any c (coxph_weighted.json, efron: 0.0178849 / -0.5319292). With
    # w * 1e-4 lifelines stopped at age 0.0159 (its tolerance is on the log-likelihood change).
    ref = r_reference("coxph_weighted.json")["fits"]["efron__robust"]
    lw = r_reference("lung_weighted.csv")
    for scale in (1e-4, 1e4):
        data = cs.prepare(
            lw.assign(w=lw["w"] * scale),
            id="row",
            duration="time",
            event="dead",
            covariates=["age", "sex", "w"],
        )
        m = CoxModel("age + sex", robust=True).fit(data, weights="w")
        np.testing.assert_allclose(m.params_, _values(ref["coef"]), rtol=0, atol=1e-8)
        np.testing.assert_allclose(m.standard_errors_, _values(ref["robust_se"]), rtol=1e-7)


# ------------------------------------------------------------------ panels
def _panel(r_reference):
    df = r_reference("coxph_panel.csv")
    return cs.prepare_panel(df, id="id", start="start", stop="stop", event="churn")


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("robust", [False, True])
def test_panel_fit_and_clustered_se_equal_r(r_reference, ties, robust):
    # R: coxph(Surv(start, stop, churn) ~ promo + x, data = panel, ties = <ties>[, cluster = id])
    # (coxph_panel.R, 300 customers, 1259 intervals, 20 distinct whole-month event times).
    # robust=True on a panel clusters on the customer, as R's cluster = id.
    ref = r_reference("coxph_panel.json")["fits"][ties + ("__cluster" if robust else "")]
    m = CoxModel("promo + x", ties=ties, robust=robust).fit(_panel(r_reference))
    np.testing.assert_allclose(m.params_, _values(ref["coef"]), rtol=0, atol=1e-7)
    np.testing.assert_allclose(m.standard_errors_, _values(ref["se"]), rtol=1e-6)
    ll = m.fit_statistics.loc["log-likelihood", "value"]
    np.testing.assert_allclose(ll, ref["loglik"], rtol=1e-10)


# ------------------------------------------------------------------ cox.zph
def _zph_check(m, tests, transform, rtol):
    ph = m.check_proportional_hazards(transform=transform, significance=0.0)
    assert ph.index.tolist()[-1] == "GLOBAL" and len(ph) == len(tests["rows"])
    np.testing.assert_allclose(ph["chisq"], tests["chisq"], rtol=rtol)
    np.testing.assert_allclose(ph["df"], tests["df"])


@pytest.mark.parametrize("transform", ["km", "rank", "identity", "log"])
def test_zph_equals_r_lung(r_reference, transform):
    # R: cox.zph(coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung_cc), transform)
    # (coxzph.R; 227 complete rows); rank: GLOBAL chisq 4.71068 (rank of ALL rows' times)
    ref = r_reference("coxzph.json")["lung"]
    lung = r_reference("lung.csv").dropna(subset=["time", "status", "age", "sex", "ph.ecog"])
    assert lung["row"].tolist() == ref["rows_used"]
    lung = lung.rename(columns={"ph.ecog": "ph_ecog"})[
        ["row", "time", "status", "age", "sex", "ph_ecog"]
    ]
    data = cs.prepare(lung, id="row", duration="time", event="status", event_value=2)
    m = CoxModel("age + sex + ph_ecog").fit(data)
    tests = ref["tests"][transform]
    _zph_check(m, tests, transform, rtol=1e-6)
    res = m.schoenfeld_residuals(transform=transform)  # zph$x: the transformed event times
    np.testing.assert_allclose(np.sort(res["g"]), np.sort(tests["x"]), rtol=1e-10)


@pytest.mark.parametrize("transform", ["km", "rank"])
def test_zph_equals_r_telco_terms(telco, r_reference, transform):
    # R: cox.zph(coxph(Surv(tenure, churn) ~ Contract + MonthlyCharges, data = telco),
    # transform) (coxzph.R, terms = TRUE); rank: Contract chisq 116.821 on 2 df
    tests = r_reference("coxzph.json")["telco"]["tests_terms"][transform]
    m = CoxModel("Contract + MonthlyCharges").fit(telco)
    _zph_check(m, tests, transform, rtol=1e-5)


@pytest.mark.parametrize("transform", ["km", "rank", "identity"])
def test_zph_equals_r_weighted_fit(r_reference, transform):
    # R: cox.zph(coxph(Surv(time, status == 2) ~ age + sex, data = lung_weighted, weights = w),
    # transform) (coxzph.R): the km transform is the UNWEIGHTED Kaplan-Meier (R's own check:
    # max |x - (1 - KM_unweighted(t-))| = 0, against the weighted KM 0.054)
    ref = r_reference("coxzph.json")["lung_weighted"]["tests"][transform]
    lw = r_reference("lung_weighted.csv")
    data = cs.prepare(lw, id="row", duration="time", event="dead", covariates=["age", "sex", "w"])
    m = CoxModel("age + sex", robust=True).fit(data, weights="w")
    _zph_check(m, ref, transform, rtol=1e-6)
    g = m.schoenfeld_residuals(transform=transform)["g"]
    np.testing.assert_allclose(np.sort(g), np.sort(ref["x"]), rtol=1e-10)


def test_lifelines_km_transform_is_not_rs(r_reference):
    # What check_proportional_hazards' docstring says of lifelines: its "km" time scale is the
    # case-weighted, right-continuous KM (1 - S(t)), while R's zph$x (coxzph.json, weighted lung
    # fit) is 1 - S(t-) of the unweighted KM, which ours reproduces (test above)
    import warnings

    from lifelines.statistics import TimeTransformers

    ref = r_reference("coxzph.json")["lung_weighted"]["tests"]["km"]
    lw = r_reference("lung_weighted.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines: non-integer weights
        g = TimeTransformers().get("km")(lw["time"], lw["dead"], lw["w"])
    theirs = np.sort(np.asarray(g)[lw["dead"].to_numpy() == 1])
    assert np.max(np.abs(theirs - np.sort(ref["x"]))) > 0.01
