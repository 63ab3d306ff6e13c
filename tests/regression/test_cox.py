"""Tests of CoxModel: agreement with statsmodels PHReg / R survival, errors, PH test, predictions,
time-varying covariates and plots.

References
----------
* statsmodels ``PHReg`` (same ties) computed in the test on the same data.
* R ``survival::coxph`` results shipped with statsmodels
  (``statsmodels/duration/tests/results/survival_r_results.py``, produced by ``survival.R`` in
  the same folder on ``survival_data_100_5.csv`` and ``survival_data_50_1.csv``).
* lifelines ``CoxPHFitter`` / ``CoxTimeVaryingFitter`` / ``concordance_index`` called directly.
* The truth of :func:`churnsurv.simulate.simulate_customers`.
"""

from __future__ import annotations

import pathlib
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels
from lifelines import KaplanMeierFitter
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.tests.results import survival_r_results as R

import churnsurv as cs
from churnsurv.data.simulate import simulate_customers
from churnsurv.exceptions import AssumptionWarning, ConvergenceError, DataValidationError
from churnsurv.regression import CoxModel
from churnsurv.regression.cox import likelihood as core

matplotlib.use("Agg")

RESULTS = pathlib.Path(statsmodels.__file__).parent / "duration" / "tests" / "results"
TELCO_FORMULA = "Contract + InternetService + PaymentMethod + MonthlyCharges + SeniorCitizen"


@pytest.fixture(scope="module")
def sim():
    base = simulate_customers(4000, rng=20240611)
    data = cs.prepare(
        base.customers,
        id="customer_id",
        duration="tenure",
        event="churned",
        time_unit="month",
        covariates=["plan", "channel", "monthly_charges", "senior"],
    )
    return base, data


def _phreg(model: CoxModel, data, ties, **kw):
    """statsmodels PHReg on the same design matrix as the fitted model."""
    X = model.design_matrix(data.frame).to_numpy()
    return PHReg(data.durations, X, status=data.events.astype(float), ties=ties, **kw).fit()


def _r_data(name):
    d = np.loadtxt(RESULTS / name)
    p = d.shape[1] - 3
    df = pd.DataFrame(d[:, 3:], columns=[f"x{i}" for i in range(1, p + 1)])
    df["time"], df["status"], df["t0"] = d[:, 0], d[:, 1].astype(int), d[:, 2]
    df["stratum"] = np.kron(np.arange(5), np.ones(len(df) // 5)).astype(int)  # as survival.R
    return df, " + ".join(df.columns[:p])


# ------------------------------------------------------------------------ agreement
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_telco_agrees_with_statsmodels_phreg(telco, ties):
    m = CoxModel(TELCO_FORMULA, ties=ties).fit(telco)
    ref = _phreg(m, telco, ties)
    np.testing.assert_allclose(m.params_, ref.params, atol=1e-6)
    np.testing.assert_allclose(m.standard_errors_, ref.bse, atol=1e-6)
    # model tests against the same quantities from PHReg's likelihood
    st = m.fit_statistics
    model = ref.model
    ll0 = model.loglike(np.zeros(len(ref.params)))
    np.testing.assert_allclose(st.loc["log-likelihood", "value"], ref.llf, rtol=1e-9)
    np.testing.assert_allclose(
        st.loc["likelihood-ratio test", "value"], 2 * (ref.llf - ll0), rtol=1e-6
    )
    u0, h0 = model.score(np.zeros(9)), model.hessian(np.zeros(9))
    np.testing.assert_allclose(
        st.loc["score test", "value"], u0 @ np.linalg.solve(-h0, u0), rtol=1e-8
    )
    assert st.loc["n", "value"] == 7043 and st.loc["events", "value"] == 1869


def test_telco_matches_lifelines_directly(telco):
    from lifelines import CoxPHFitter
    from lifelines.utils import concordance_index

    m = CoxModel(TELCO_FORMULA).fit(telco)
    X = m.design_matrix(telco.frame)
    ref = CoxPHFitter().fit(X.assign(T=telco.durations, E=telco.events), "T", "E")
    np.testing.assert_allclose(m.params_, ref.params_, atol=1e-9)
    np.testing.assert_allclose(
        m.fit_statistics.loc["log-likelihood", "value"], ref.log_likelihood_, rtol=1e-10
    )
    # Harrell's C from lifelines on churnsurv's own risk scores (the coefficients agree to 1e-9,
    # which can flip near-tied pairs, so both C's are computed from the same scores)
    lp = (X.to_numpy() - m.center_) @ m.params_.to_numpy()
    c = concordance_index(telco.durations, -lp, telco.events)
    np.testing.assert_allclose(m.fit_statistics.loc["concordance", "value"], c, rtol=1e-12)
    # churnsurv's own Efron engine (used for unweighted, non-robust fits) gives lifelines' SEs
    assert m.engine_ == "churnsurv Newton-Raphson"
    np.testing.assert_allclose(m.standard_errors_, ref.standard_errors_, rtol=1e-8)


@pytest.mark.parametrize("penalizer", [0.0, 0.01])
def test_efron_engine_matches_lifelines_with_strata_and_penalizer(telco, penalizer):
    from lifelines import CoxPHFitter

    formula = "InternetService + MonthlyCharges + SeniorCitizen"
    m = CoxModel(formula, strata="Contract", penalizer=penalizer).fit(telco)
    assert m.engine_ == "churnsurv Newton-Raphson"
    X = m.design_matrix(telco.frame)
    df = X.assign(T=telco.durations, E=telco.events, S=telco.frame["Contract"].to_numpy())
    ref = CoxPHFitter(penalizer=penalizer).fit(
        df, "T", "E", strata=["S"], fit_options={"precision": 1e-10, "r_precision": 1e-14}
    )
    np.testing.assert_allclose(m.params_, ref.params_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(m.standard_errors_, ref.standard_errors_, rtol=1e-7)


def test_breslow_penalizer_matches_statsmodels_ridge(telco):
    # statsmodels PHReg.fit_regularized minimises -loglik / n + alpha * |beta|^2 / 2 (L1_wt=0):
    # the same objective as lifelines' convention with alpha = penalizer * sd^2
    m = CoxModel("Contract + MonthlyCharges + SeniorCitizen", ties="breslow", penalizer=0.01)
    m.fit(telco)
    X = m.design_matrix(telco.frame).to_numpy()
    ref = PHReg(telco.durations, X, status=telco.events.astype(float), ties="breslow")
    ref = ref.fit_regularized(alpha=0.01 * m.sd_**2, L1_wt=0.0)
    np.testing.assert_allclose(m.params_, ref.params, rtol=1e-6)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_simulated_base_agrees_with_phreg_and_recovers_truth(sim, ties):
    base, data = sim
    m = CoxModel("plan + channel + monthly_charges + senior", ties=ties).fit(data)
    ref = _phreg(m, data, ties)
    np.testing.assert_allclose(m.params_, ref.params, atol=1e-6)
    np.testing.assert_allclose(m.standard_errors_, ref.bse, atol=1e-6)
    truth = base.truth["coefficients"].reindex(m.params_.index)  # simulation truth
    assert truth.notna().all()
    assert (np.abs(m.params_ - truth) < 3 * m.standard_errors_).all()


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("entry", [False, True])
@pytest.mark.parametrize("strata", [False, True])
def test_r_survival_reference_values(ties, entry, strata):
    # R survival coxph on survival_data_100_5.csv (statsmodels' survival.R, tags _et/_st)
    df, formula = _r_data("survival_data_100_5.csv")
    data = cs.prepare(df, duration="time", event="status", entry="t0" if entry else None)
    m = CoxModel(formula, ties=ties, strata="stratum" if strata else None).fit(data)
    tag = "100_5" + ("_et" if entry else "") + ("_st" if strata else "") + "_" + ties[:3]
    np.testing.assert_allclose(m.params_, getattr(R, f"coef_{tag}"), atol=2e-6)
    np.testing.assert_allclose(m.standard_errors_, getattr(R, f"se_{tag}"), atol=2e-6)


def test_breslow_baseline_hazard_matches_r():
    # R: survfit(coxph(Surv(time, status) ~ exog, ties="breslow"), type="aalen"), cumulative
    # hazard at the covariate means (R's default curve), hazard_50_1_bre
    df, formula = _r_data("survival_data_50_1.csv")
    data = cs.prepare(df, duration="time", event="status")
    m = CoxModel(formula, ties="breslow").fit(data)
    np.testing.assert_allclose(m.params_, R.coef_50_1_bre, atol=2e-7)
    at_mean = pd.DataFrame({"x1": [df["x1"].mean()]})
    surv = m.predict_survival(at_mean, R.time_50_1_bre, conditional=False)
    np.testing.assert_allclose(-np.log(surv.to_numpy()[0]), R.hazard_50_1_bre, atol=2e-6)


def test_collapsing_is_exact_and_automatic(sim):
    _, data = sim
    for ties in ("breslow", "efron"):
        full = CoxModel("plan + channel + senior", ties=ties, collapse=False).fit(data)
        short = CoxModel("plan + channel + senior", ties=ties, collapse=True).fit(data)
        assert "collapsed" in short.engine_ and "collapsed" not in full.engine_
        np.testing.assert_allclose(short.params_, full.params_, atol=1e-8)
        np.testing.assert_allclose(short.standard_errors_, full.standard_errors_, atol=1e-8)
    monthly = data.frame.assign(duration=np.ceil(data.frame["duration"]))
    whole = cs.prepare(monthly, duration="duration", event="event")
    assert "collapsed" in CoxModel("plan + senior", ties="breslow").fit(whole).engine_
    # with tied times too (whole months): Efron's steps count the merged customers
    for ties in ("breslow", "efron"):
        full = CoxModel("plan + senior", ties=ties, collapse=False).fit(whole)
        short = CoxModel("plan + senior", ties=ties).fit(whole)
        assert "collapsed" in short.engine_
        np.testing.assert_allclose(short.params_, full.params_, rtol=0, atol=1e-9)
        np.testing.assert_allclose(short.standard_errors_, full.standard_errors_, rtol=1e-9)
    assert "collapsed" not in CoxModel("plan + monthly_charges").fit(whole).engine_


def test_case_weights_equal_replicated_rows(sim):
    _, data = sim
    rng = np.random.default_rng(3)
    frame = data.frame.iloc[:600].copy()
    frame["w"] = rng.integers(1, 4, len(frame))
    weighted = cs.prepare(frame.reset_index(), duration="duration", event="event")
    m = CoxModel("plan + monthly_charges", ties="breslow").fit(weighted, weights="w")
    assert m.engine_ == "churnsurv Newton-Raphson"
    rep = frame.loc[frame.index.repeat(frame["w"])].reset_index(drop=True)
    ref_data = cs.prepare(rep, duration="duration", event="event")
    ref = _phreg(m, ref_data, "breslow")  # R-style frequency weights = replicated rows
    np.testing.assert_allclose(m.params_, ref.params, atol=1e-7)
    np.testing.assert_allclose(m.standard_errors_, ref.bse, atol=1e-7)


def test_robust_and_cluster_standard_errors(telco):
    # Breslow: our sandwich against statsmodels PHReg(...).fit(groups=...) (clusters of 3 rows)
    df, formula = _r_data("survival_data_100_5.csv")
    df["cl"] = np.arange(len(df)) // 3
    data = cs.prepare(df, duration="time", event="status")
    m = CoxModel(formula, ties="breslow").fit(data, cluster="cl")
    X = df[[c for c in df if c.startswith("x")]].to_numpy()
    rob = PHReg(df["time"], X, status=df["status"].astype(float), ties="breslow").fit(
        groups=df["cl"].to_numpy()
    )
    np.testing.assert_allclose(m.params_, rob.params, atol=1e-8)
    np.testing.assert_allclose(m.standard_errors_, rob.bse, atol=1e-8)
    # Efron: R's sandwich (Efron-weighted score residuals) is tested against R outputs in
    # test_cox_r_reference.py; lifelines' robust SEs differ from R's there (3-10% on ties)
    e = CoxModel("Contract + MonthlyCharges", robust=True).fit(telco)
    naive = CoxModel("Contract + MonthlyCharges").fit(telco).standard_errors_
    assert e.robust_ and (e.standard_errors_ != naive).all()
    np.testing.assert_allclose(e.params_, CoxModel("Contract + MonthlyCharges").fit(telco).params_)


def test_weighted_robust_equals_replicated_rows_clustered(sim):
    _, data = sim
    rng = np.random.default_rng(5)
    frame = data.frame.iloc[:500].copy()
    frame["w"] = rng.integers(1, 4, len(frame)).astype(float)
    frame["cid"] = np.arange(len(frame))
    weighted = cs.prepare(frame.reset_index(), duration="duration", event="event")
    m = CoxModel("plan + monthly_charges", ties="breslow", robust=True).fit(weighted, weights="w")
    rep = frame.loc[frame.index.repeat(frame["w"].astype(int))].reset_index(drop=True)
    ref = CoxModel("plan + monthly_charges", ties="breslow").fit(
        cs.prepare(rep, duration="duration", event="event"), cluster="cid"
    )
    np.testing.assert_allclose(m.params_, ref.params_, atol=1e-8)
    np.testing.assert_allclose(m.standard_errors_, ref.standard_errors_, atol=1e-8)


def test_summary_repr_and_latex(telco):
    m = CoxModel("Contract + C(InternetService, contr.treatment('No'))").fit(telco)
    assert m.reference_levels_ == {
        "Contract": "Month-to-month",
        "C(InternetService, contr.treatment('No'))": "No",
    }
    s = m.summary
    assert list(s.columns) == [
        "label",
        "log_hr",
        "std_err",
        "hr",
        "hr_lower",
        "hr_upper",
        "z",
        "p_value",
    ]
    np.testing.assert_allclose(s["hr"], np.exp(s["log_hr"]))
    np.testing.assert_allclose(np.log(s["hr_upper"]) - s["log_hr"], 1.959963985 * s["std_err"])
    assert s.loc["C(InternetService, contr.treatment('No'))[T.DSL]", "label"] == (
        "InternetService: DSL (vs No)"
    )
    html = m._repr_html_()
    assert "reference levels" in html and "Month-to-month" in html and "concordance" in html
    tex = m.to_latex()
    assert tex.startswith("\\begin{tabular}") and "Fiber optic (vs No)" in tex


# ------------------------------------------------------------------------ bad input
def _small(**cols):
    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame(
        {
            "t": rng.integers(1, 30, n).astype(float),
            "e": rng.random(n) < 0.6,
            "x": rng.normal(size=n),
            **cols,
        }
    )
    return cs.prepare(df, duration="t", event="e")


def test_error_unknown_column(telco):
    with pytest.raises(DataValidationError, match="'Contrat': unknown column.*Did you mean"):
        CoxModel("Contrat + MonthlyCharges").fit(telco)


def test_error_all_missing_and_constant_covariate():
    data = _small(z=np.nan)
    with pytest.raises(DataValidationError, match="column 'z': missing values in 60 row"):
        CoxModel("x + z").fit(data)
    constant = _small(c=2.0)
    with pytest.raises(ValueError, match="term 'c' is constant"):
        CoxModel("x + c").fit(constant)


def test_error_collinear_terms():
    data = _small()
    data.frame["x2"] = 2 * data.frame["x"] + 1
    with pytest.raises(ValueError, match=r"terms \['x', 'x2'\] are perfectly collinear"):
        CoxModel("x + x2").fit(data)


def test_error_level_without_events():
    data = _small(plan=np.where(np.arange(60) < 10, "gold", "basic"))
    data.frame.loc[data.frame["plan"] == "gold", "event"] = False
    with pytest.raises(ValueError, match=r"plan: gold \(vs basic\): no churn events among its 10"):
        CoxModel("x + plan").fit(data)
    # the penalizer the message suggests makes the fit possible: a finite, strongly negative
    # coefficient for the level without events
    for ties in ("efron", "breslow"):
        m = CoxModel("x + plan", penalizer=0.01, ties=ties).fit(data)
        assert np.isfinite(m.params_).all() and m.params_["plan[T.gold]"] < -1


def test_error_convergence_names_term():
    # monotone likelihood: x orders the churn times perfectly, so beta(x) -> infinity
    t = np.arange(1.0, 41.0)
    df = pd.DataFrame({"t": t, "e": np.ones(40, bool), "x": -t, "y": np.sin(t)})
    data = cs.prepare(df, duration="t", event="e")
    for ties in ("efron", "breslow"):
        with pytest.raises(ConvergenceError, match="term 'x' diverged.*penalizer"):
            CoxModel("x + y", ties=ties).fit(data)


def test_error_unseen_category_in_prediction(telco):
    m = CoxModel("Contract + MonthlyCharges").fit(telco)
    new = telco.frame.head(3).copy()
    new["Contract"] = new["Contract"].astype(object)
    new.iloc[0, new.columns.get_loc("Contract")] = "Weekly"
    with pytest.raises(ValueError, match=r"column 'Contract': level\(s\) \['Weekly'\] were not"):
        m.predict_survival(new, [1])


def test_error_no_events_and_bad_options():
    data = cs.prepare(
        pd.DataFrame({"t": [1.0, 2, 3], "e": [0, 0, 0], "x": [1.0, 2, 3]}), duration="t", event="e"
    )
    with pytest.raises(DataValidationError, match="zero events"):
        CoxModel("x").fit(data)
    with pytest.raises(ValueError, match="ties='exact'"):
        CoxModel("x", ties="exact")


# ------------------------------------------------------------------------ PH test
def _split_reference(X, time, event, beta, g, ties):
    """cox.zph score statistic computed independently: split every row at the event times,
    add the covariates x * g(t) and take PHReg's score and Hessian at (beta, 0)."""
    times = np.unique(time[event])
    rows = []
    for i in range(len(time)):
        cuts = np.r_[0.0, times[times < time[i]], time[i]]
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            rows.append((i, a, b, event[i] and b == time[i]))
    idx, start, stop, ev = map(np.array, zip(*rows, strict=True))
    Z = np.c_[X[idx], X[idx] * g(stop)[:, None]]
    # PHReg counts a row entering at an event time as at risk then; R (and churnsurv) use
    # start < t <= stop, so the start times are nudged up by 1e-9 (no event time is that close)
    model = PHReg(stop, Z, status=ev.astype(float), entry=start + 1e-9, ties=ties)
    theta = np.r_[beta, np.zeros(X.shape[1])]
    u, h = model.score(theta), model.hessian(theta)
    return u @ np.linalg.solve(-h, u)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_ph_test_equals_split_data_score_test(ties):
    df, formula = _r_data("survival_data_50_2.csv")
    data = cs.prepare(df, duration="time", event="status")
    m = CoxModel(formula, ties=ties).fit(data)
    ph = m.check_proportional_hazards(transform="identity", significance=1e-12)
    tr = m.fit_state_.train
    ref = _split_reference(tr.X, tr.time, tr.event, m.params_.to_numpy(), lambda t: t, ties)
    np.testing.assert_allclose(ph.loc["GLOBAL", "chisq"], ref, rtol=1e-6)
    ph_km = m.check_proportional_hazards(significance=1e-12)  # transform="km" (R's default)
    assert ph_km.attrs["transform"] == "km" and list(ph_km.index) == ["x1", "x2", "GLOBAL"]
    # R cox.zph, transform="km": g(t) = 1 - S(t-), the left-continuous Kaplan-Meier of all rows;
    # built here from lifelines' KM, not from the model's own transform
    sf = KaplanMeierFitter().fit(data.durations, data.events).survival_function_.iloc[:, 0]
    knots, surv = sf.index.to_numpy(), sf.to_numpy()  # S at 0 and at every observed time

    def g(t):
        return 1 - surv[np.searchsorted(knots, t, side="left") - 1]  # last knot before t

    ref_km = _split_reference(tr.X, tr.time, tr.event, m.params_.to_numpy(), g, ties)
    np.testing.assert_allclose(ph_km.loc["GLOBAL", "chisq"], ref_km, rtol=1e-6)


def test_ph_violation_warns_once_naming_terms(telco):
    m = CoxModel("gender + Contract").fit(telco)
    with pytest.warns(AssumptionWarning, match=r"for: Contract\. Consider stratifying") as rec:
        ph = m.check_proportional_hazards()
    assert len(rec) == 1 and "gender" not in str(rec[0].message)
    assert ph.loc["Contract", "df"] == 2 and ph.loc["Contract", "p_value"] < 1e-10
    axes = m.plot_schoenfeld("Contract[T.One year]")
    assert len(axes) == 1 and axes[0].get_title().startswith("Contract: One year")
    # stratifying on the offender: the remaining term passes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CoxModel("gender", strata="Contract").fit(telco).check_proportional_hazards()


# ------------------------------------------------------------------------ prediction
def test_prediction_matches_lifelines_at_event_times(telco):
    from lifelines import CoxPHFitter

    m = CoxModel("Contract + MonthlyCharges").fit(telco)
    X = m.design_matrix(telco.frame)
    ref = CoxPHFitter().fit(
        X.assign(T=telco.durations, E=telco.events),
        "T",
        "E",
        fit_options={"precision": 1e-10, "r_precision": 1e-14},
    )
    times = np.array([1.0, 6.0, 24.0, 71.0])  # event times: lifelines is exact there
    ours = m.predict_survival(telco.frame.head(50), times, conditional=False)
    theirs = ref.predict_survival_function(X.head(50), times=times).T
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-8)


def test_conditional_prediction_semantics(telco):
    m = CoxModel("Contract + MonthlyCharges").fit(telco)
    f = telco.frame.head(40)
    cond = m.predict_survival(f, [0, 3, 12])
    unc = m.predict_survival(f, np.arange(0, 73), conditional=False)
    active = ~f["event"].to_numpy()
    assert cond.columns.name == "time_from_now" and unc.columns.name == "tenure"
    assert cond[~active].isna().all().all()
    for cid in f.index[active][:10]:
        ten = f.loc[cid, "duration"]
        for t in (3, 12):
            if ten + t <= 72:
                expect = unc.loc[cid, ten + t] / unc.loc[cid, ten]
                np.testing.assert_allclose(cond.loc[cid, float(t)], expect, rtol=1e-12)
            else:
                assert np.isnan(cond.loc[cid, float(t)])  # beyond follow-up: not identified
    np.testing.assert_allclose(cond[0.0][active], 1.0)
    p = m.predict_churn_probability(f, within=12)
    np.testing.assert_allclose(p, 1 - cond[12.0])
    life = m.predict_expected_lifetime(f, horizon=12)
    grid = np.linspace(0, 12, 24001)
    fine = m.predict_survival(f[active], grid).to_numpy()
    np.testing.assert_allclose(life[active], np.trapezoid(fine, grid, axis=1), atol=2e-3)


def test_prediction_with_strata_and_unknown_stratum(telco):
    m = CoxModel("MonthlyCharges", strata="Contract").fit(telco)
    s = m.predict_survival(telco.frame.head(20), [1, 6], conditional=False)
    assert s.notna().all().all()
    new = telco.frame.head(2).copy()
    new["Contract"] = new["Contract"].astype(object)
    new.iloc[0, new.columns.get_loc("Contract")] = "Ten year"
    with pytest.raises(ValueError, match="strata.*Ten year"):
        m.predict_survival(new, [1], conditional=False)


# ------------------------------------------------------------------------ time-varying
def _panel():
    rng = np.random.default_rng(7)
    rows = []
    for cid in range(300):
        promo = 0
        start = 0
        x = rng.normal()
        for _ in range(6):
            stop = start + rng.integers(1, 5)
            hazard = 0.05 * np.exp(0.8 * promo + 0.3 * x)
            churn = rng.random() < 1 - np.exp(-hazard * (stop - start))
            rows.append((cid, start, stop, int(churn), promo, x))
            if churn:
                break
            start, promo = stop, int(rng.random() < 0.4)
    df = pd.DataFrame(rows, columns=["id", "start", "stop", "churn", "promo", "x"])
    return cs.prepare_panel(df, id="id", start="start", stop="stop", event="churn")


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_time_varying_panel_agrees_with_phreg(ties):
    data = _panel()
    m = CoxModel("promo + x", ties=ties).fit(data)
    f = data.frame
    # (start, stop] as in R: PHReg needs the start nudged up (see _split_reference)
    ref = PHReg(
        f["duration"].to_numpy(),
        f[["promo", "x"]].to_numpy(),
        status=f["event"].to_numpy(float),
        entry=f["start"].to_numpy() + 1e-9,
        ties=ties,
    ).fit()
    assert m.engine_ == "churnsurv Newton-Raphson"
    np.testing.assert_allclose(m.params_, ref.params, atol=1e-6)
    np.testing.assert_allclose(m.standard_errors_, ref.bse, atol=1e-6)
    pred = m.predict_survival(data, [1, 2])
    assert len(pred) == f.index.nunique()  # one row per customer (its last interval)


# ------------------------------------------------------------------------ plots
def test_plots_draw_the_model_numbers(telco):
    m = CoxModel("Contract + SeniorCitizen").fit(telco)
    s = m.summary
    ax = m.plot()
    assert ax.get_xscale() == "log"
    # forest plot: one row per term, top first; the point is the HR, the bar its interval
    assert [t.get_text() for t in ax.get_yticklabels()] == s["label"].tolist()
    np.testing.assert_allclose(ax.lines[0].get_xdata(), s["hr"], rtol=1e-12)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [2, 1, 0])
    bars = np.array([seg[:, 0] for seg in ax.collections[0].get_segments()])
    np.testing.assert_allclose(bars, s[["hr_lower", "hr_upper"]].to_numpy(float), rtol=1e-12)
    levels = ["Month-to-month", "One year", "Two year"]
    ax2 = m.plot_partial_effects("Contract", levels, data=telco)
    lines = ax2.get_lines()
    assert [line.get_label() for line in lines] == [f"Contract = {v}" for v in levels]
    # each curve is the survival from signup of that contract, SeniorCitizen at its median (0)
    for level, line in zip(levels, lines, strict=True):
        who = pd.DataFrame({"Contract": [level], "SeniorCitizen": [0]})
        curve = m.predict_survival(who, line.get_xdata(), conditional=False).to_numpy()[0]
        np.testing.assert_allclose(line.get_ydata(), curve, rtol=1e-12)


def test_core_matches_phreg_likelihood_derivatives():
    # the private engine against statsmodels' own likelihood, score and Hessian
    df, formula = _r_data("survival_data_100_5.csv")
    X = df[[c for c in df if c.startswith("x")]].to_numpy()
    beta = np.linspace(-0.3, 0.3, X.shape[1])
    for ties in ("breslow", "efron"):
        model = PHReg(
            df["time"],
            X,
            status=df["status"].astype(float),
            entry=df["t0"],
            strata=df["stratum"],
            ties=ties,
        )
        ll, g, h = core.partial_likelihood(
            X,
            df["time"].to_numpy(),
            df["status"].to_numpy(bool),
            np.ones(len(df)),
            beta,
            entry=df["t0"].to_numpy(),
            strata=df["stratum"].to_numpy(),
            ties=ties,
        )
        np.testing.assert_allclose(ll, model.loglike(beta), rtol=1e-12)
        np.testing.assert_allclose(g, model.score(beta), atol=1e-10)
        np.testing.assert_allclose(h, model.hessian(beta), atol=1e-10)


def test_packed_binary_patterns_form_the_same_groups_as_the_columns():
    # the collapsing of all-categorical designs groups rows on one packed integer per row;
    # it must find exactly the groups of the design's columns (same order, same members)
    from churnsurv.regression.cox.engines import _pattern_keys

    rng = np.random.default_rng(18)
    xv = (rng.random((5000, 12)) < 0.3).astype(float)
    t = rng.integers(1, 30, 5000).astype(float)
    packed = _pattern_keys(xv, True).assign(_t=t)
    columns = _pattern_keys(xv, False).assign(_t=t)
    assert list(_pattern_keys(xv, True).columns) == ["_p"]
    g1 = packed.groupby(list(packed.columns), sort=False).ngroup().to_numpy()
    g2 = columns.groupby(list(columns.columns), sort=False).ngroup().to_numpy()
    np.testing.assert_array_equal(g1, g2)


def test_schoenfeld_residuals_keep_arrow_ids_in_arrow():
    # issue 18: the residuals' index is taken from the ids' own index: text ids held by Arrow
    # are not first turned into a Python string per customer (0.7 GB at 10M); same ids
    raw = cs.datasets.load_telco()
    by_dtype = {}
    for dtype in ("object", "string[pyarrow]"):
        frame = raw.assign(customerID=raw["customerID"].astype(dtype))
        data = cs.prepare(
            frame, id="customerID", duration="tenure", event="Churn", event_value="Yes"
        )
        by_dtype[dtype] = cs.CoxModel("Contract + MonthlyCharges").fit(data).schoenfeld_residuals()
    plain, arrow = by_dtype["object"], by_dtype["string[pyarrow]"]
    assert arrow.index.dtype == "string[pyarrow]" and plain.index.dtype == object
    assert arrow.index.name == plain.index.name == "id"
    assert arrow.index.tolist() == plain.index.tolist()
    pd.testing.assert_frame_equal(arrow.reset_index(drop=True), plain.reset_index(drop=True))
