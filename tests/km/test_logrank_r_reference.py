"""Log-rank tests against R ``survival::survdiff`` (3.5.3) outputs in ``tests/reference/``.

Expected numbers are read from ``survdiff.json`` (written by ``tests/reference/survdiff.R``).
"""

from __future__ import annotations

import numpy as np
import pytest

import churnsurv as cs


def _lung(r_reference):
    lung = r_reference("lung.csv")[["row", "time", "status", "sex"]]
    return cs.prepare(lung, id="row", duration="time", event="status", event_value=2)


@pytest.mark.parametrize("rho", [0, 1])
@pytest.mark.parametrize("dataset", ["telco", "lung"])
def test_logrank_table_equals_r_survdiff(telco, r_reference, dataset, rho):
    # R: survdiff(Surv(tenure, churn) ~ Contract, data = telco, rho = rho) and
    # survdiff(Surv(time, status) ~ sex, data = lung, rho = rho) (survdiff.R). For rho = 1 R
    # prints rho-weighted O and E (lung: O 70.378 / 28.729, E 55.571 / 43.535), V = diag(var).
    ref = r_reference("survdiff.json")[dataset][f"rho{rho}"]
    data, by = (telco, "Contract") if dataset == "telco" else (_lung(r_reference), "sex")
    kw = {"weighting": "logrank"} if rho == 0 else {"weighting": "fleming-harrington", "p": 1}
    res = cs.logrank(data, by, **kw)
    t = res.table
    np.testing.assert_array_equal(t["n"], ref["n"])
    np.testing.assert_allclose(t["observed"], ref["obs"], rtol=1e-12)
    np.testing.assert_allclose(t["expected"], ref["exp"], rtol=1e-12)
    o, e, v = np.array(ref["obs"]), np.array(ref["exp"]), np.diag(np.array(ref["var"]))
    np.testing.assert_allclose(t["(O-E)^2/E"], (o - e) ** 2 / e, rtol=1e-10)
    np.testing.assert_allclose(t["(O-E)^2/V"], (o - e) ** 2 / v, rtol=1e-10)
    np.testing.assert_allclose(res.statistic, ref["chisq"], rtol=1e-10)
    assert res.df == ref["df"]


@pytest.mark.parametrize("m", [1, 2, 6, 45])
def test_holm_is_statsmodels_multipletests_bit_for_bit(m):
    """``_holm`` (no ``gc.collect``) against statsmodels ``multipletests(method="holm")``,
    the reference, with ties, zeros and values whose adjustment passes 1."""
    from statsmodels.stats.multitest import multipletests

    from churnsurv.km.logrank import _holm

    rng = np.random.default_rng(m)
    p = rng.choice([0.0, 1e-300, 0.01, 0.2, 0.9, *rng.random(6)], size=m)
    np.testing.assert_array_equal(_holm(p), multipletests(p, method="holm")[1])
