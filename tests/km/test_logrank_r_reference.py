"""Log-rank tests against R ``survival::survdiff`` (3.5.3) outputs in ``tests/reference/``.

Expected numbers are read from ``survdiff.json`` (written by ``tests/reference/survdiff.R``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
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


def _with_entry_and_weights(telco):
    frame = telco.frame.reset_index()
    frame = frame[frame["duration"] > 0]  # entry before exit
    rng = np.random.default_rng(11)
    frame["entry"] = np.floor(frame["duration"] * rng.uniform(0, 0.5, len(frame)))
    frame["w"] = rng.integers(1, 4, len(frame)).astype(float)
    return cs.prepare(frame, id="customerID", duration="duration", entry="entry", event="event")


@pytest.mark.parametrize(
    "case", ["plain", "two columns", "weights and entries", "strata", "aggregated counts"]
)
def test_a_fitted_estimators_tests_equal_the_functions(telco, case, monkeypatch):
    # KaplanMeier.logrank() / .pairwise() take the fit's own count tables (no strata); the
    # functions count the rows: the same tables, so the same numbers, bit for bit
    import sys

    logrank_module = sys.modules["churnsurv.km.logrank"]  # churnsurv.km.logrank: the function

    data, by, fit_kw, test_kw = telco, "Contract", {}, {}
    if case == "two columns":
        by = ["Contract", "InternetService"]
    elif case == "weights and entries":
        data, fit_kw = _with_entry_and_weights(telco), {"weights": "w"}
    elif case == "strata":
        test_kw = {"strata": "InternetService"}
    elif case == "aggregated counts":  # an EventChurn-like table: rows standing for customers
        frame = telco.frame.groupby(["duration", "event", "Contract"], observed=True).size()
        frame = frame.rename("n").reset_index()
        data, fit_kw = cs.prepare(frame, duration="duration", event="event"), {"weights": "n"}
    km = cs.KaplanMeier().fit(data, by=by, **fit_kw)
    counted = []
    real = logrank_module.count_tables
    monkeypatch.setattr(
        logrank_module, "count_tables", lambda *a, **k: counted.append(1) or real(*a, **k)
    )
    weights = fit_kw.get("weights")
    for method, function in ((km.logrank, cs.logrank), (km.pairwise, cs.pairwise_logrank)):
        counted.clear()
        got = method(**test_kw)
        assert len(counted) == (case == "strata")  # counted again only with strata
        want = function(data, by, weights=weights, **test_kw)
        for a, b in ((got.summary, want.summary), (got.table, want.table)):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
