"""A formula is data, not code (issue #12, item 3).

Before, ``CoxModel('plan + np.log(__import__("os").system("touch ...").real(1))')`` ran the
shell command while formulaic evaluated the term, and the CLI's ``--formula`` did the same.
"""

import numpy as np
import pytest

import churnsurv as cs
from churnsurv.regression.design import check_formula
from churnsurv.report.io import formula_columns


@pytest.fixture(scope="module")
def data():
    base = cs.simulate_customers(400, rng=5).customers
    return cs.prepare(base, id="customer_id", duration="tenure", event="churned")


HOSTILE = [
    'plan + np.log(__import__("os").system("touch {marker}").real(1))',
    'plan + C(__import__("os").system("touch {marker}"))',
    'plan + I(open("{marker}", "w").write("x"))',
    "plan + np.log(monthly_charges).__class__.__bases__[0].__subclasses__()",
    "plan + np.random.seed(1)",
    'plan + C(plan, levels=__import__("os").system("touch {marker}"))',
    "plan + getattr(np, 'log')(monthly_charges)",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_formula_is_refused_before_anything_runs(tmp_path, data, template):
    marker = tmp_path / "pwned"
    formula = template.format(marker=marker)
    with pytest.raises(cs.DataValidationError) as err:
        cs.CoxModel(formula).fit(data)
    assert err.value.rule in ("disallowed expression", "bad formula")
    with pytest.raises(cs.DataValidationError):
        formula_columns(formula)
    with pytest.raises(cs.DataValidationError):
        cs.WeibullAFT(formula).fit(data)
    assert not marker.exists()


@pytest.mark.parametrize(
    "formula",
    [
        "plan + channel + monthly_charges",
        "C(plan, contr.treatment('premium')) + np.log(monthly_charges)",
        "plan:channel + I(monthly_charges ** 2 / 100) + np.sqrt(monthly_charges)",
        "plan * senior + np.log1p(monthly_charges)",
        "C(plan, levels=['basic', 'standard', 'premium'])",
    ],
)
def test_ordinary_formulas_still_work(data, formula):
    check_formula(formula)
    cox = cs.CoxModel(formula).fit(data)
    assert len(cox.params_) >= 1 and cox.params_.notna().all()


def test_backquoted_names_are_columns():
    check_formula("`monthly fee`")
    assert formula_columns("`monthly fee` + plan") == ["monthly fee", "plan"]


# ----------------------------------------------------- degenerate covariates (issue 12, item 11)
@pytest.fixture(scope="module")
def scaled():
    base = cs.simulate_customers(800, rng=3).customers
    rng = np.random.default_rng(1)
    base = base.assign(
        tiny=base["monthly_charges"] * 1e-12,
        big=1e12 + rng.normal(0, 1e3, len(base)),
        mc=base["monthly_charges"],
    )
    return base


def test_a_covariate_with_a_tiny_spread_is_not_constant(scaled):
    """Before: refused as 'constant' by an absolute threshold (tiny) or by cancellation (big)."""
    data = cs.prepare(scaled, id="customer_id", duration="tenure", event="churned")
    ref = cs.CoxModel("mc").fit(data)
    tiny = cs.CoxModel("tiny").fit(data)
    # the same model in other units: coefficient and SE scale by 1e12, z and p do not
    assert tiny.params_.iloc[0] == pytest.approx(ref.params_.iloc[0] * 1e12, rel=1e-6)
    assert tiny.summary["z"].iloc[0] == pytest.approx(ref.summary["z"].iloc[0], rel=1e-6)
    big = cs.CoxModel("big").fit(data)
    assert np.isfinite(big.params_.iloc[0]) and np.isfinite(big.standard_errors_.iloc[0])


def test_an_infinite_covariate_is_named(scaled):
    """Before: 'term diverged (coefficient 0)'."""
    frame = scaled.assign(mc=scaled["mc"].where(scaled.index != 0, np.inf))
    data = cs.prepare(frame, id="customer_id", duration="tenure", event="churned")
    with pytest.raises(cs.DataValidationError, match="infinite or not a number") as err:
        cs.CoxModel("mc").fit(data)
    assert err.value.column == "mc" and err.value.n_rows == 1


def test_parametric_prediction_at_a_negative_time_is_refused(scaled):
    """Before: WeibullAFT.predict_survival(times=[-1]) returned 1.045."""
    data = cs.prepare(scaled, id="customer_id", duration="tenure", event="churned")
    model = cs.WeibullAFT().fit(data)
    with pytest.raises(ValueError, match="times must be finite and >= 0"):
        model.predict_survival(data, times=[-1], conditional=False)
