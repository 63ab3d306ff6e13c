"""Newton steps on many rows start from a fit on a seeded random sample of them.

The sample only moves where the steps start: the same convergence test ends them, at the full
data's optimum. Reference: the same fit started from zero (as below ``WARM_START_MIN`` rows),
on the Telco data with the thresholds lowered so that the warm start runs -- plain, with
strata and a ridge penalty, with Breslow ties and case weights, and with robust standard
errors. Coefficients agree to 1e-9 relative and standard errors to 1e-9 (the two optima
differ by the convergence tolerance only), with fewer Newton steps on all rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.regression import CoxModel
from churnsurv.regression.cox import engines
from churnsurv.regression.cox.risksets import RiskSets


@pytest.fixture(scope="module")
def telco():
    raw = cs.datasets.load_telco()
    raw["w"] = np.random.default_rng(4).integers(1, 4, len(raw))
    return cs.prepare(raw, id="customerID", duration="tenure", event="Churn", event_value="Yes")


CASES = {
    "plain": (dict(formula="Contract + InternetService + MonthlyCharges + SeniorCitizen"), {}),
    "strata, penalty": (
        dict(formula="InternetService + MonthlyCharges", strata="Contract", penalizer=0.01),
        {},
    ),
    "breslow, weights": (
        dict(formula="Contract + MonthlyCharges", ties="breslow"),
        {"weights": "w"},
    ),
    "robust": (dict(formula="Contract + PaymentMethod + MonthlyCharges", robust=True), {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_warm_start_reaches_the_same_optimum(telco, case, monkeypatch):
    options, fit_args = CASES[case]
    full_steps = []
    evaluate = RiskSets.evaluate

    def counted(self, beta):
        if self.n_sorted == telco.n:  # the steps on all rows (not the sample's)
            full_steps.append(1)
        return evaluate(self, beta)

    monkeypatch.setattr(RiskSets, "evaluate", counted)
    cold = CoxModel(**options).fit(telco, **fit_args)
    cold_steps = len(full_steps)
    monkeypatch.setattr(engines, "WARM_START_MIN", 1000)
    monkeypatch.setattr(engines, "WARM_START_ROWS", 2000)
    full_steps.clear()
    warm = CoxModel(**options).fit(telco, **fit_args)
    assert warm.engine_ == cold.engine_ == "churnsurv Newton-Raphson"
    assert len(full_steps) < cold_steps
    np.testing.assert_allclose(warm.params_, cold.params_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(warm.standard_errors_, cold.standard_errors_, rtol=1e-9)
    a, b = warm.fit_statistics["value"], cold.fit_statistics["value"]
    pd.testing.assert_series_equal(a, b, rtol=1e-9)


def test_a_sample_without_churn_starts_from_zero(monkeypatch):
    from churnsurv.regression.cox.fitted import CoxTraining

    monkeypatch.setattr(engines, "WARM_START_ROWS", 2000)
    n = 5000
    x = np.random.default_rng(1).normal(size=(n, 2))
    rows = np.random.default_rng(0).choice(n, 2000, replace=False)  # the seeded sample
    event = np.zeros(n, dtype=bool)
    event[np.setdiff1d(np.arange(n), rows)[:3]] = True  # three churns, none in the sample
    train = CoxTraining(
        x, x.mean(axis=0), np.arange(1.0, n + 1), event, np.ones(n), None, None,
        pd.RangeIndex(n), "efron",
    )  # fmt: skip
    assert engines._warm_start(train, None) is None
