"""The categorical fast paths of ``churnsurv._categories`` against pandas' own answers.

Reference: pandas' ``factorize(sort=True)``, ``nunique`` and ``unique`` of the same column,
which hash the codes; the fast paths count them. Columns with unused categories, missing
values, ordered categories in a non-alphabetical order, number, bool and datetime
categories, and more rows than one counted block.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnsurv import _categories
from churnsurv._categories import (
    category_counts,
    distinct_count,
    factorize_sorted,
    present_values,
)
from churnsurv.km.counts import group_codes


def _columns():
    rng = np.random.default_rng(7)
    codes = rng.integers(-1, 4, 5_000).astype(np.int8)  # -1: missing
    codes[codes == 2] = 3  # category "c" unused
    return {
        "text": pd.Categorical(["c", "a", None, "c"], categories=["a", "b", "c"]),
        "ordered": pd.Categorical(["low", "high", "low"], ["mid", "low", "high"], ordered=True),
        "numbers": pd.Categorical([3, 1, 3], categories=[1, 2, 3]),
        "bool": pd.Categorical([True, False, True]),
        "datetimes": pd.Categorical(pd.to_datetime(["2020-01-01", "2019-01-01"])),
        "empty": pd.Categorical([], categories=["a"]),
        "all missing": pd.Categorical([None, None], categories=["a"]),
        "many rows": pd.Categorical.from_codes(codes, ["a", "b", "c", "d"]),
        "not categorical": np.array(["b", "a", "b"], dtype=object),
    }


@pytest.mark.parametrize("name", list(_columns()))
def test_fast_paths_equal_pandas(name, monkeypatch):
    monkeypatch.setattr(_categories, "_BLOCK", 1_000)  # several blocks of codes
    series = pd.Series(_columns()[name])
    codes_ref, uniques_ref = pd.factorize(series, sort=True)
    codes, uniques = factorize_sorted(series)
    np.testing.assert_array_equal(codes, codes_ref)
    assert codes.dtype == codes_ref.dtype
    np.testing.assert_array_equal(uniques, np.asarray(uniques_ref))
    assert uniques.dtype == np.asarray(uniques_ref).dtype
    assert distinct_count(series) == series.nunique()
    reference = {str(v) for v in pd.unique(series)}
    assert {str(v) for v in present_values(series)} == reference
    assert len(present_values(series)) == len(reference)


def test_category_counts_count_each_category_and_the_missing():
    series = pd.Series(_columns()["many rows"])
    counts, missing = category_counts(series)
    reference = series.value_counts(dropna=False)
    assert missing == reference[np.nan]
    assert counts.tolist() == [int(reference.get(c, 0)) for c in ["a", "b", "c", "d"]]


def test_group_codes_of_a_categorical_equal_the_groupby_of_its_text():
    column = _columns()["many rows"]
    keep = np.asarray(column.codes) >= 0  # group_codes is given validated segments
    frame = pd.DataFrame({"plan": column[keep]})
    codes, values, labels, empty = group_codes(frame, ["plan"])
    as_text = pd.DataFrame({"plan": np.asarray(column[keep], dtype=object)})
    codes_ref, values_ref, labels_ref, _ = group_codes(as_text, ["plan"])
    np.testing.assert_array_equal(codes, codes_ref)
    assert labels == labels_ref == ["a", "b", "d"]
    assert values["plan"].tolist() == values_ref["plan"].tolist()
    assert empty == ["c"]
