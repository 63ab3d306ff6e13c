"""``CoxModel.remove_data``: the training rows let go, every estimate and prediction unchanged.

The reference is the same fitted model before the call (issue #18: the 10,000,000-customer
report frees about 1.2 GB this way before ranking customers by value at risk).
"""

from __future__ import annotations

import copy
import gc
import weakref

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import churnsurv as cs

FORMULA = "Contract + InternetService + MonthlyCharges"


def value_at_risk(cox, data):
    """Value at risk over 24 months, past the follow-up with a constant 2% monthly churn."""
    tail = pd.Series(0.98 ** np.arange(200.0))
    return cs.value_at_risk(cox, data, within=6, annual_discount_rate=0.1, horizon=24, tail=tail)


@pytest.fixture(scope="module")
def fitted(telco):
    """A fitted model, its numbers before remove_data, and a weak reference to its design."""
    cox = cs.CoxModel(FORMULA).fit(telco)
    frame = telco.frame.head(50)
    before = {
        "summary": cox.summary.copy(),
        "stats": cox.fit_statistics.copy(),
        "survival": cox.predict_survival(frame, times=[1, 12, 24]),
        "lifetime": cox.predict_expected_lifetime(frame, horizon=24),
        "var": value_at_risk(cox, telco).summary.copy(),
    }
    design = weakref.ref(cox.fit_state_.train.risk_sets().X)
    cox.remove_data()
    gc.collect()
    return cox, frame, before, design


def test_estimates_and_predictions_are_unchanged(fitted, telco):
    cox, frame, before, _ = fitted
    pd.testing.assert_frame_equal(cox.summary, before["summary"])
    pd.testing.assert_frame_equal(cox.fit_statistics, before["stats"])
    pd.testing.assert_frame_equal(
        cox.predict_survival(frame, times=[1, 12, 24]), before["survival"]
    )
    pd.testing.assert_series_equal(
        cox.predict_expected_lifetime(frame, horizon=24), before["lifetime"]
    )
    pd.testing.assert_frame_equal(value_at_risk(cox, telco).summary, before["var"])


def test_the_training_rows_are_freed(fitted):
    assert fitted[3]() is None  # the sorted, centred design is gone


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.check_proportional_hazards(),
        lambda m: m.schoenfeld_residuals(),
        lambda m: m.plot_schoenfeld(),
    ],
)
def test_diagnostics_that_need_the_rows_say_so(fitted, call):
    with pytest.raises(ValueError, match=r"training rows were removed .*fit it again"):
        call(fitted[0])
    plt.close("all")


def test_a_copy_fits_again_with_its_diagnostics(fitted, telco):
    """A refit (the bootstrap's copy.copy(model).fit) has rows again, and the same estimates."""
    cox = fitted[0]
    again = copy.copy(cox).fit(telco)
    np.testing.assert_array_equal(again.params_.to_numpy(), cox.params_.to_numpy())
    ph = again.check_proportional_hazards(significance=0.0)
    assert list(ph.index)[-1] == "GLOBAL"
