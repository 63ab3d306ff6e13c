"""``ChurnData.with_covariates`` against ``prepare(df, covariates=...)``, its definition.

Reference: :func:`churnsurv.prepare` called with the covariates (the report's second prepare
before issue 18). The result must be equal in every part (frame, exclusions, attributes), and
share section 1's columns when no row misses a covariate value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs

ARGS = dict(
    id="customerID",
    duration="tenure",
    event="Churn",
    event_value="Yes",
    segments=["InternetService"],
    margin="MonthlyCharges",
    on_invalid="drop",
)
ATTRIBUTES = ("n_input", "id_col", "covariates", "segments", "margin", "time_unit", "cutoff")


def _raw() -> pd.DataFrame:
    raw = cs.datasets.load_telco()
    raw.loc[3, "tenure"] = -1  # excluded by both calls
    raw["Contract"] = raw["Contract"].astype("category")  # as the report reads segments
    return raw


def _buffer(values: pd.Series) -> np.ndarray:
    """The array holding a column's values (a categorical's codes)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy()
    return values.to_numpy()


def _assert_same(got: cs.ChurnData, expected: cs.ChurnData) -> None:
    pd.testing.assert_frame_equal(got.frame, expected.frame, check_exact=True)
    pd.testing.assert_frame_equal(got.excluded, expected.excluded, check_exact=True)
    for name in ATTRIBUTES:
        assert getattr(got, name) == getattr(expected, name), name
    assert got.n_input == got.n + len(got.excluded)  # rows in = rows used + rows excluded


@pytest.mark.parametrize(
    "covariates",
    [
        ["Contract", "PaymentMethod", "SeniorCitizen", "MonthlyCharges", "InternetService"],
        ["PaymentMethod", "SeniorCitizen"],
    ],
)
def test_no_missing_covariate_shares_the_columns(covariates):
    raw = _raw()
    data = cs.prepare(raw, **ARGS)
    got = data.with_covariates(raw, covariates, **ARGS)
    _assert_same(got, cs.prepare(raw, covariates=covariates, **ARGS))
    assert len(got.excluded) == 1
    for col in ["duration", "event", *covariates]:
        assert np.shares_memory(_buffer(got.frame[col]), _buffer(data.frame[col])), col
    assert got.frame.index is data.frame.index


def test_missing_covariate_values_are_excluded_as_prepare_does():
    raw = _raw()
    raw.loc[[5, 3], "PaymentMethod"] = None  # a kept row and an already excluded one
    data = cs.prepare(raw, **ARGS)
    got = data.with_covariates(raw, ["PaymentMethod", "TotalCharges"], **ARGS)
    expected = cs.prepare(raw, covariates=["PaymentMethod", "TotalCharges"], **ARGS)
    _assert_same(got, expected)
    assert len(got.excluded) == 1 + 1 + 11  # tenure -1 (also no PaymentMethod), row 5, 11 blanks


def test_missing_covariate_values_raise_as_prepare_does():
    raw = _raw()
    args = {**ARGS, "on_invalid": "raise"}
    data = cs.prepare(raw.drop(index=3).reset_index(drop=True), **args)
    with pytest.raises(cs.DataValidationError, match="TotalCharges.*missing covariate value"):
        data.with_covariates(raw.drop(index=3).reset_index(drop=True), ["TotalCharges"], **args)


def test_raise_on_rows_section_one_excluded():
    raw = _raw()  # row 3 has a negative tenure
    data = cs.prepare(raw, **ARGS)  # dropped here
    with pytest.raises(cs.DataValidationError, match="negative duration"):
        data.with_covariates(raw, ["gender"], **{**ARGS, "on_invalid": "raise"})


def test_data_prepared_another_way_is_prepared_again():
    raw = _raw()
    narrowed = cs.prepare(raw, covariates=["gender"], **ARGS)  # not every column carried
    other_unit = cs.prepare(raw, **{**ARGS, "time_unit": "week"})
    other_rows = cs.prepare(raw.iloc[:-1], **ARGS)
    expected = cs.prepare(raw, covariates=["SeniorCitizen"], **ARGS)
    for data in (narrowed, other_unit, other_rows):
        got = data.with_covariates(raw, ["SeniorCitizen"], **ARGS)
        _assert_same(got, expected)
        assert not np.shares_memory(got.frame["duration"].to_numpy(), data.frame["duration"])


def test_from_dates():
    raw = pd.DataFrame(
        {
            "start": ["2020-01-15", "2020-02-01", "2020-03-01", "2021-02-01"],
            "end": ["2020-03-15", None, "2020-09-30", None],
            "plan": ["a", "b", "a", "b"],
            "fee": [10.0, 12.0, 9.0, 11.0],
        }
    )
    args = dict(start_date="start", end_date="end", cutoff="2020-12-01", on_invalid="drop")
    data = cs.prepare(raw, **args)
    got = data.with_covariates(raw, ["plan"], **args)
    _assert_same(got, cs.prepare(raw, covariates=["plan"], **args))
    assert list(got.frame.columns) == ["duration", "event", "start_date", "end_date", "plan"]
    assert got.n == 3 and len(got.excluded) == 1  # a start after the cutoff


def test_covariates_keyword_is_refused():
    raw = _raw()
    data = cs.prepare(raw, **ARGS)
    with pytest.raises(TypeError, match="multiple values"):
        data.with_covariates(raw, ["gender"], covariates=["gender"], **ARGS)
