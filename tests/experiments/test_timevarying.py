"""Tests for churnsurv.time_varying_hazard_ratio (R's ``coxph(... + tt(arm))``).

References:

* R ``survival`` 3.5.3 (``tests/reference/coxph_tt.R`` → ``coxph_tt.json``) on the seeded
  two-arm data of ``experiment_arms.R``: ``coxph(Surv(time, status) ~ promo + tt(promo),
  tt = function(x, t, ...) x * log(t))`` (and ``x * t``), Efron and Breslow ties, and with entry
  times (``Surv(1, time, status)`` on ``time > 1``).
* The truth of :func:`churnsurv.simulate_hotel` (promotion's hazard is lower before its break
  and higher after, so the hazard ratio crosses 1).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.exceptions import DataValidationError

matplotlib.use("Agg")

REF = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="module")
def r_ref():
    return json.loads((REF / "coxph_tt.json").read_text())


@pytest.fixture(scope="module")
def arms():
    return pd.read_csv(REF / "experiment_arms_data.csv")


def _prepare(df, **kw):
    return cs.prepare(df, id="id", duration="time", event="status", covariates=["strategy"], **kw)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("transform", ["log", "linear"])
def test_matches_r_coxph_tt(arms, r_ref, ties, transform):
    res = cs.time_varying_hazard_ratio(
        _prepare(arms), "strategy", transform=transform, reference="relationship", ties=ties
    )
    ref = r_ref[ties][transform]
    np.testing.assert_allclose(res.model.params_.to_numpy(), ref["coef"], rtol=1e-7)
    vcov = np.asarray(ref["vcov"]).reshape(2, 2, order="F")
    np.testing.assert_allclose(res.model.variance_matrix_.to_numpy(), vcov, rtol=1e-6)
    loglik = res.model.fit_statistics.loc["log-likelihood", "value"]
    assert loglik == pytest.approx(ref["loglik"], rel=1e-10)


def test_matches_r_with_entry_times(arms, r_ref):
    late = arms[arms["time"] > 1].assign(entry=1.0)
    res = cs.time_varying_hazard_ratio(
        _prepare(late, entry="entry"), "strategy", reference="relationship"
    )
    assert len(late) == r_ref["entry"]["n"]
    np.testing.assert_allclose(res.model.params_.to_numpy(), r_ref["entry"]["coef"], rtol=1e-7)
    vcov = np.asarray(r_ref["entry"]["vcov"]).reshape(2, 2, order="F")
    np.testing.assert_allclose(res.model.variance_matrix_.to_numpy(), vcov, rtol=1e-6)


def test_hazard_ratio_curve_uses_the_covariance(arms, r_ref):
    res = cs.time_varying_hazard_ratio(_prepare(arms), "strategy", reference="relationship")
    b = np.asarray(r_ref["efron"]["log"]["coef"])
    v = np.asarray(r_ref["efron"]["log"]["vcov"]).reshape(2, 2)
    curve = res.hazard_ratio([1.0, 10.0])
    g = np.log([1.0, 10.0])
    se = np.sqrt(v[0, 0] + g**2 * v[1, 1] + 2 * g * v[0, 1])
    np.testing.assert_allclose(curve["log_hr"], b[0] + b[1] * g, rtol=1e-7)
    np.testing.assert_allclose(curve["std_err"], se, rtol=1e-6)
    upper = np.exp(b[0] + b[1] * g + 1.959964 * se)
    np.testing.assert_allclose(curve["hr_upper"], upper, rtol=1e-6)
    # crossing of HR = 1: b0 + b1 log t = 0
    assert res.crossing_time() == pytest.approx(np.exp(-b[0] / b[1]), rel=1e-7)


def test_recovers_crossing_hazards_of_the_hotel_simulation():
    # promotion: lower hazard before promo_break, higher after -> HR(promotion) < 1 early, > 1 late
    sim = cs.simulate_hotel(n=3000, rng=11)
    res = cs.time_varying_hazard_ratio(sim.data, reference="relationship")
    assert res.treated == "promotion"
    assert res.summary.loc["arm x log(t)", "p_value"] < 1e-6
    hr = res.hazard_ratio([1.0, 36.0])
    assert hr["hr_upper"].iloc[0] < 1 < hr["hr_lower"].iloc[1]


def test_refusals(arms):
    data = _prepare(arms)
    with pytest.raises(DataValidationError, match="transform"):
        cs.time_varying_hazard_ratio(data, "strategy", transform="sqrt")
    zero = arms.copy()
    zero.loc[0, ["time", "status"]] = [0.0, 1]
    with pytest.raises(DataValidationError, match="tenure 0"):
        cs.time_varying_hazard_ratio(_prepare(zero), "strategy")
    none = arms.assign(status=0)
    with pytest.raises(DataValidationError, match="no churn events"):
        cs.time_varying_hazard_ratio(_prepare(none), "strategy")
    res = cs.time_varying_hazard_ratio(data, "strategy")
    with pytest.raises(DataValidationError, match="> 0"):
        res.hazard_ratio([0.0])


def test_renders_and_plots(arms):
    res = cs.time_varying_hazard_ratio(_prepare(arms), "strategy", reference="relationship")
    assert "arm x log(t)" in str(res)
    assert "<table" in res._repr_html_()
    curve = res.hazard_ratio(np.linspace(1, 30, 5))
    ax = cs.plot_hazard_ratio_curve(curve)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), curve["hr"])
    assert ax.get_yscale() == "log"
