"""A formula is data, not code (issue #12, item 3).

Before, ``CoxModel('plan + np.log(__import__("os").system("touch ...").real(1))')`` ran the
shell command while formulaic evaluated the term, and the CLI's ``--formula`` did the same.
"""

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
