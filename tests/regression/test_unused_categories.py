"""A categorical covariate with a category no row has is coded as the text column would be.

Reading a segment as a categorical, sampling customers (the report's early-warning sample) or
excluding rows can leave a category unused; formulaic would give it an all-zero design column
and the fit would stop on a constant term. The reference is the same data with the column as
text (object), whose levels are the values it holds: the fits and predictions must be equal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs

ARGS = dict(duration="tenure", event="Churn", event_value="Yes")
COLUMNS = ["PaymentMethod", "MonthlyCharges"]


@pytest.fixture(scope="module")
def frames():
    raw = cs.datasets.load_telco()
    text = raw[raw["PaymentMethod"] != "Mailed check"].reset_index(drop=True)
    levels = sorted(raw["PaymentMethod"].unique())
    codes = text.assign(PaymentMethod=pd.Categorical(text["PaymentMethod"], categories=levels))
    assert "Mailed check" in codes["PaymentMethod"].cat.categories  # unused
    return (
        cs.prepare(text, covariates=COLUMNS, **ARGS),
        cs.prepare(codes, covariates=COLUMNS, **ARGS),
        raw,
    )


@pytest.mark.parametrize(
    "formula",
    [
        "PaymentMethod + MonthlyCharges",  # built from the category codes
        "C(PaymentMethod) + np.log(MonthlyCharges)",  # built by formulaic
        "PaymentMethod + PaymentMethod:MonthlyCharges",
    ],
)
def test_fit_and_predictions_equal_the_text_column(frames, formula):
    text, codes, _ = frames
    a, b = cs.CoxModel(formula).fit(text), cs.CoxModel(formula).fit(codes)
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    assert not any("Mailed check" in str(term) for term in b.summary.index)
    for data in (text, codes):
        pa = a.predict_survival(data.frame.head(300), times=[3, 12], conditional=False)
        pb = b.predict_survival(data.frame.head(300), times=[3, 12], conditional=False)
        np.testing.assert_array_equal(pa.to_numpy(), pb.to_numpy())


def test_a_level_unseen_in_the_fit_is_refused_at_prediction(frames):
    """The dropped category is a level the model never saw: predicting a customer who has it
    is refused, as for the text column."""
    _, codes, raw = frames
    model = cs.CoxModel("PaymentMethod + MonthlyCharges").fit(codes)
    mailed = raw[raw["PaymentMethod"] == "Mailed check"].head(3)
    with pytest.raises(ValueError, match=r"\[.Mailed check.\] were not seen"):
        model.predict_survival(mailed, times=[3], conditional=False)


def test_a_sample_without_a_level_fits(frames):
    """The report's case: a sample of customers in which one category has no row."""
    _, codes, _ = frames
    keep = np.flatnonzero(codes.frame["PaymentMethod"].to_numpy() != "Electronic check")
    sample = codes.take(keep[::2])
    fit = cs.CoxModel("PaymentMethod + MonthlyCharges").fit(sample)
    assert len(fit.summary) == 2  # one level left against the reference, and MonthlyCharges
