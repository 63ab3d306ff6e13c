"""Cox predictions filled in blocks: the same numbers as the textbook formula, whole or chunked.

The reference is written out here from the fitted model's public parts (Breslow baseline
cumulative hazard per stratum, hazard ratios, design matrix):
``S(tenure + t | tenure) = exp(-(H0(tenure + t) - H0(tenure)) exp((x - mean) beta))``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.regression.cox.fitted import stratum_labels


@pytest.fixture(scope="module")
def telco():
    return cs.prepare(
        cs.datasets.load_telco(), id="customerID", duration="tenure", event="Churn",
        event_value="Yes", margin="MonthlyCharges",
    )  # fmt: skip


def _reference(model, frame, times, conditional):
    fit = model.fit_state_
    lp = (model.design_matrix(frame).to_numpy(float) - fit.center) @ fit.beta
    labels = (
        frame[fit.strata_columns].astype(str).agg(" / ".join, axis=1).to_numpy()
        if fit.strata_columns
        else [None] * len(frame)
    )
    tenure = frame["duration"].to_numpy(float) if conditional else np.zeros(len(frame))
    out = np.empty((len(frame), len(times)))
    for i, label in enumerate(labels):
        event_times, cum = fit.baseline[label]

        def h0(t, event_times=event_times, cum=cum, label=label):
            at = np.r_[0.0, cum][np.searchsorted(event_times, t, side="right")]
            return np.where(t > fit.max_time[label] + 1e-9, np.nan, at)

        out[i] = np.exp(-(h0(tenure[i] + times) - h0(tenure[i])) * np.exp(lp[i]))
    if conditional:
        out[frame["event"].to_numpy(bool)] = np.nan
    return out


@pytest.mark.parametrize("strata", [None, ["Contract"], ["Contract", "SeniorCitizen"]])
@pytest.mark.parametrize("conditional", [True, False])
def test_prediction_is_the_formula_whole_and_chunked(telco, strata, conditional):
    formula = "InternetService + MonthlyCharges" + ("" if strata else " + Contract")
    model = cs.CoxModel(formula, strata=strata).fit(telco)
    frame = telco.frame.sample(600, random_state=3)  # rows of every stratum, shuffled
    times = np.arange(0.0, 80.0, 2.5)
    whole = model.predict_survival(frame, times, conditional=conditional)
    expected = _reference(model, frame, times, conditional)
    np.testing.assert_allclose(whole.to_numpy(), expected, rtol=1e-12)
    if conditional:  # churned rows and cells past a stratum's follow-up
        assert np.isnan(expected).any()
    chunks = list(model.predict_survival(frame, times, conditional=conditional, chunksize=250))
    assert [len(c) for c in chunks] == [250, 250, 100]
    pd.testing.assert_frame_equal(pd.concat(chunks), whole)
    assert chunks[0].attrs == whole.attrs


def test_chunksize_must_be_a_positive_whole_number(telco):
    model = cs.CoxModel("Contract").fit(telco)
    with pytest.raises(cs.DataValidationError, match="chunksize=0"):
        model.predict_survival(telco, [1], chunksize=0)


def test_stratum_labels_are_the_joined_texts_of_the_columns():
    """One join per distinct combination gives the row-by-row ``astype(str)`` join, also for
    values that are equal but print differently (1, 1.0, True; 0.0 and -0.0) and missing ones."""
    frame = pd.DataFrame(
        {
            "mixed": pd.Series([1, 1.0, True, np.nan, None, "a", "a", 2], dtype=object),
            "cat": pd.Categorical(["x", "nan", None, "x", "y", "x", "y", "x"]),
            "num": [0.0, -0.0, 1.5, np.nan, 2.0, 2.0, 0.0, 1.5],
            "flag": [True, False, True, True, False, True, True, False],
            "count": [1, 2, 3, 1, 2, 3, 1, 2],
            "text": ["u", "v", "u", "w", "v", "u", "v", "w"],
        }
    )
    for columns in (["mixed"], ["cat"], ["num"], ["text", "flag"], list(frame.columns)):
        expected = frame[columns].astype(str).agg(" / ".join, axis=1).to_numpy()
        np.testing.assert_array_equal(stratum_labels(frame, columns), expected)
