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
