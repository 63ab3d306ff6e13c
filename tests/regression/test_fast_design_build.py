"""The design matrix built from integer codes (``fast_design.build``) against formulaic's.

Reference: the formulaic path of :class:`~churnsurv.regression.design.Design` (formulaic's own
``model_matrix`` of the whole frame, the path every formula took before), with ``build``
switched off. Both must give the same matrix, column names, term groups, reference levels and
levels, and the same Cox fit, to the last bit; formulas the fast path does not cover
(interactions, transforms, contrasts) and columns it leaves alone (missing values, nullable
dtypes) must take the formulaic path; an unused category gets no column on either path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.regression import fast_design
from churnsurv.regression.design import Design


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    """Telco with columns of every kind the report and users give: categorical, text,
    bool, int, float."""
    raw = cs.datasets.load_telco()
    data = cs.prepare(raw, id="customerID", duration="tenure", event="Churn", event_value="Yes")
    frame = data.frame.copy()
    frame["PaymentCat"] = frame["PaymentMethod"].astype("category")
    frame["Partner_b"] = frame["Partner"] == "Yes"
    frame["lines"] = frame["MultipleLines"].map({"No phone service": 0, "No": 1, "Yes": 2})
    return frame


def _formulaic(formula, frame, monkeypatch):
    """The formulaic path: ``build`` switched off."""
    with monkeypatch.context() as m:
        m.setattr(fast_design, "build", lambda design, frame: None)
        design = Design(formula)
        X = design.fit_transform(frame, purpose="a test")
    return design, X


FAST = [
    "Contract + InternetService + PaymentMethod + SeniorCitizen + MonthlyCharges",
    "PaymentCat + Partner_b + lines + gender + tenure_months",
    "`Contract` + PaymentCat + SeniorCitizen",
]


@pytest.mark.parametrize("formula", FAST)
def test_the_design_from_codes_is_formulaics(telco, formula, monkeypatch):
    frame = telco.assign(tenure_months=telco["duration"].astype(np.int64))
    calls = []
    real = fast_design.build
    monkeypatch.setattr(fast_design, "build", lambda d, f: calls.append(real(d, f)) or calls[-1])
    design = Design(formula)
    X = design.fit_transform(frame, purpose="a test")
    assert calls[0] is not None  # the fast path was taken
    monkeypatch.undo()
    ref_design, ref = _formulaic(formula, frame, monkeypatch)
    pd.testing.assert_frame_equal(X, ref)
    assert X.to_numpy().flags.f_contiguous  # one column-major block, as before
    assert design.columns == ref_design.columns
    assert design.terms == ref_design.terms
    assert design.reference_levels == ref_design.reference_levels
    assert design.levels == ref_design.levels
    assert design.fast_plan == ref_design.fast_plan
    new = frame.iloc[::7]  # predictions use the same spec
    pd.testing.assert_frame_equal(
        design.transform(new, purpose="a test"), ref_design.transform(new, purpose="a test")
    )


def test_the_report_cox_fit_is_unchanged_and_rs(telco, r_reference, monkeypatch):
    """The report's Cox model on Telco: every number equal with and without the fast path,
    and R's (``coxph_report_formula.R`` -> ``coxph_report_formula.json``: coef of
    ``ContractOne year`` -1.778411, log-likelihood -14104.71)."""
    data = cs.prepare(
        cs.datasets.load_telco(),
        id="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
    )
    formula = FAST[0]
    fast = cs.CoxModel(formula).fit(data)
    with monkeypatch.context() as m:
        m.setattr(fast_design, "build", lambda design, frame: None)
        ref = cs.CoxModel(formula).fit(data)
    pd.testing.assert_frame_equal(fast.summary, ref.summary, check_exact=True)
    pd.testing.assert_frame_equal(fast.variance_matrix_, ref.variance_matrix_, check_exact=True)
    pd.testing.assert_frame_equal(fast.fit_statistics, ref.fit_statistics, check_exact=True)
    r = r_reference("coxph_report_formula.json")
    np.testing.assert_allclose(fast.params_, list(r["coef"].values()), rtol=0, atol=1e-7)
    np.testing.assert_allclose(fast.standard_errors_, list(r["se"].values()), rtol=1e-6)
    st = fast.fit_statistics["value"]
    np.testing.assert_allclose(st["log-likelihood"], r["loglik"], rtol=1e-10)
    np.testing.assert_allclose(st["score test"], r["score_test"], rtol=1e-8)
    # equal covariates give equal predictors (term-by-term sums): R's value to the last digit
    # (a BLAS product rounded some equal rows apart: 0.84334309 before, 5.6e-8 off)
    np.testing.assert_allclose(st["concordance"], r["concordance"], rtol=1e-14)


def test_a_level_first_seen_late_is_in_the_probe(monkeypatch):
    """A level that appears only in the last row (past the first rows checked) still gets its
    column, in formulaic's order."""
    rng = np.random.default_rng(5)
    n = 3000
    frame = pd.DataFrame(
        {
            "plan": rng.choice(["b", "c"], n).astype(object),
            "tier": pd.Categorical(rng.choice(["x", "y"], n), categories=["y", "x", "z"]),
            "fee": rng.normal(size=n),
        }
    )
    frame.loc[n - 1, "plan"] = "a"  # the reference level, seen last
    frame.loc[n - 2, "tier"] = "z"
    design = Design("plan + tier + fee")
    X = design.fit_transform(frame, purpose="a test")
    ref_design, ref = _formulaic("plan + tier + fee", frame, monkeypatch)
    pd.testing.assert_frame_equal(X, ref)
    assert design.reference_levels == ref_design.reference_levels == {"plan": "a", "tier": "y"}


@pytest.mark.parametrize(
    "formula",
    [
        "Contract * MonthlyCharges",
        "Contract:PaymentMethod + SeniorCitizen",
        "np.log(MonthlyCharges) + Contract",
        "C(Contract, contr.treatment('Two year')) + MonthlyCharges",
        "C(SeniorCitizen) + MonthlyCharges",
    ],
)
def test_other_formulas_keep_the_formulaic_path(telco, formula, monkeypatch):
    design = Design(formula)
    assert fast_design.build(design, telco) is None
    X = Design(formula).fit_transform(telco, purpose="a test")
    _, ref = _formulaic(formula, telco, monkeypatch)
    pd.testing.assert_frame_equal(X, ref)


def test_columns_the_fast_path_leaves_alone(monkeypatch):
    """Missing values (formulaic drops the row), nullable and text dtypes are left to
    formulaic; an unused category gets no column on either path, as for a text column (the
    reference: formulaic on the same labels as text)."""
    base = pd.DataFrame({"plan": ["a", "b", "a", "b"], "fee": [1.0, 2.0, 3.0, 5.0]})
    cases = {
        "missing float": base.assign(fee=[1.0, np.nan, 3.0, 5.0]),
        "missing label": base.assign(plan=["a", None, "a", "b"]),
        "missing category": base.assign(plan=pd.Categorical(["a", None, "a", "b"])),
        "nullable int": base.assign(fee=pd.array([1, 2, 3, 5], dtype="Int64")),
        "string dtype": base.assign(plan=pd.array(["a", "b", "a", "b"], dtype="string")),
    }
    for name, frame in cases.items():
        assert fast_design.build(Design("plan + fee"), frame) is None, name
    unused = base.assign(plan=pd.Categorical(base["plan"], ["a", "b", "c"]))
    assert fast_design.build(Design("plan + fee"), unused) is not None
    _, ref = _formulaic("plan + fee", base, monkeypatch)  # the labels as text
    for formula in ("plan + fee", "C(plan) + fee"):  # the fast path, then formulaic's
        X = Design(formula).fit_transform(unused, purpose="a test")
        np.testing.assert_array_equal(X.to_numpy(), ref.to_numpy())
        assert len(X.columns) == 2 and not any("T.c" in c for c in X.columns)


def test_the_fitted_model_keeps_one_copy_of_the_design():
    """After the fit only the risk sets' sorted, centred rows are kept: the design in the data's
    order and the linear predictor are read from them, with the same numbers, and the fit
    statistics build no centred copy."""
    data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn", event_value="Yes")
    cox = cs.CoxModel(FAST[0]).fit(data)
    train = cox.fit_state_.train
    assert train.design is None
    stats = cox.fit_statistics
    assert train._X is None and stats.loc["n", "value"] == 7043
    beta = cox.fit_state_.beta
    lp = train.linear_predictor(beta)
    X = Design(FAST[0]).fit_transform(data.frame, purpose="a test").to_numpy()
    np.testing.assert_array_equal(train.X, X - cox.center_)  # the same numbers, in order
    expected = np.zeros(len(X))
    for j, b in enumerate(beta):  # term by term, in column order
        expected += (X[:, j] - cox.center_[j]) * b
    np.testing.assert_array_equal(lp, expected)
    np.testing.assert_array_equal(train.linear_predictor(beta), lp)  # from X now: the same
    _, first = np.unique(X, axis=0, return_inverse=True)  # rows with equal covariates ...
    spread = pd.Series(lp).groupby(first.ravel()).agg(lambda v: v.max() - v.min())
    assert (spread == 0).all()  # ... have equal predictors


def test_a_stratum_without_events_keeps_the_design():
    """Rows of a stratum with no churn are not in the risk sets: the design stays."""
    raw = cs.datasets.load_telco()
    raw["group"] = np.where(raw["tenure"] > 70, "long", "short")
    raw.loc[raw["group"] == "long", "Churn"] = "No"
    data = cs.prepare(raw, duration="tenure", event="Churn", event_value="Yes")
    cox = cs.CoxModel("MonthlyCharges + SeniorCitizen", strata="group").fit(data)
    train = cox.fit_state_.train
    assert train.design is not None
    lp = train.linear_predictor(cox.fit_state_.beta)
    np.testing.assert_allclose(lp, train.X @ cox.fit_state_.beta, rtol=0, atol=1e-12)
    assert np.isfinite(cox.fit_statistics.loc["concordance", "value"])


def test_the_sorted_rows_are_the_row_gather():
    """The risk sets' sorted, centred copy gathered column by column from a column-major
    design equals the row gather ``X[order] - center`` of the same design, to the bit."""
    from churnsurv.regression.cox.risksets import _sorted_rows

    rng = np.random.default_rng(3)
    X = np.asfortranarray(rng.normal(size=(70_000, 5)) * [1, 10, 1e3, 1e-3, 1e6])
    order = np.argsort(rng.integers(0, 40, len(X)), kind="stable")
    center = X.mean(axis=0)
    expected = X[order] - center
    np.testing.assert_array_equal(_sorted_rows(X, order, center), expected)
    np.testing.assert_array_equal(_sorted_rows(np.ascontiguousarray(X), order, center), expected)
    np.testing.assert_array_equal(_sorted_rows(X, order, None), X[order])


def test_the_fit_statistics_reuse_the_newton_evaluations(monkeypatch):
    """The null model's and the fitted model's likelihood come from the fit's own first and
    last Newton evaluations: no further pass over the data, the same numbers."""
    from churnsurv.regression.cox.risksets import RiskSets

    data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn", event_value="Yes")
    cox = cs.CoxModel(FAST[0]).fit(data)
    risk = cox.fit_state_.train.risk_sets()
    passes = []
    real = RiskSets._evaluate
    monkeypatch.setattr(RiskSets, "_evaluate", lambda self, b: passes.append(b) or real(self, b))
    stats = cox.fit_statistics
    assert passes == []
    beta = cox.fit_state_.beta
    fresh = RiskSets.__new__(RiskSets)
    fresh.__dict__.update(risk.__dict__, _evaluated={})
    ll, _, _ = fresh.evaluate(beta)
    ll0, u0, h0 = fresh.evaluate(np.zeros(len(beta)))
    assert stats.loc["log-likelihood", "value"] == ll
    assert stats.loc["score test", "value"] == float(u0 @ np.linalg.solve(-h0, u0))
