"""A stratified model's labels are grouped once (``risksets.strata_rows``).

The groups of the last read-only label array are kept while it lives, so a model's fit, its
statistics and its checks share them; a writable array is grouped every call, since it could
have changed in between. The reference is grouping from ``np.unique(labels,
return_inverse=True)`` (R's stratum order: sorted labels), each group's rows in data order.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

from churnsurv.regression.cox import risksets
from churnsurv.regression.cox.strata import strata_labels


def _reference(labels):
    _, codes = np.unique(labels, return_inverse=True)
    return [np.flatnonzero(codes == k) for k in range(codes.max() + 1)]


def test_read_only_labels_are_grouped_once():
    import pandas as pd

    frame = pd.DataFrame({"plan": np.random.default_rng(2).choice(["b", "a", "c"], 1000)})
    labels = strata_labels(frame, ["plan"])
    assert not labels.flags.writeable
    first = risksets.strata_rows(labels, labels.size)
    assert risksets.strata_rows(labels, labels.size) is first  # kept
    for got, ref in zip(first, _reference(labels), strict=True):
        np.testing.assert_array_equal(got, ref)
        assert not got.flags.writeable
        with pytest.raises(ValueError):
            got[0] = 0  # shared: nobody may change them
    copy = labels.copy()  # the same labels in another (writable) array: grouped again
    assert risksets.strata_rows(copy, copy.size) is not first
    del labels, first
    gc.collect()
    assert risksets._LAST_GROUPS is None  # the labels gone, their groups let go


def test_writable_labels_are_grouped_each_time():
    labels = np.array(["a", "b", "a", "b"] * 50, dtype=object)
    before = risksets.strata_rows(labels, labels.size)
    labels[:10] = "c"  # changed in place between two calls
    after = risksets.strata_rows(labels, labels.size)
    assert len(before) == 2 and len(after) == 3
    for got, ref in zip(after, _reference(labels), strict=True):
        np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize(
    "columns",
    [
        {"plan": ["b", "a", "c", "a"] * 300},
        {"plan": ["b", "a"] * 600, "senior": [0, 1, 1] * 400},
        # two different pairs with the same label text "x / y / z": one stratum, as the text
        {"a": ["x / y", "x", "q"] * 400, "b": ["z", "y / z", "r"] * 400},
    ],
)
def test_the_groups_strata_labels_keeps_are_those_of_its_text(columns):
    import pandas as pd

    labels = strata_labels(pd.DataFrame(columns), list(columns))
    kept = risksets.strata_rows(labels, labels.size)  # made by strata_labels from its codes
    assert risksets.strata_rows(labels, labels.size) is kept
    reference = _reference(labels)
    assert len(kept) == len(reference)
    for got, ref in zip(kept, reference, strict=True):
        np.testing.assert_array_equal(got, ref)
        assert not got.flags.writeable


@pytest.mark.parametrize("n_codes", [3, 2**15 - 1, 2**15, 40_000])  # 16-bit radix or not
def test_groups_of_gives_each_codes_rows_in_data_order(n_codes):
    rng = np.random.default_rng(3)
    codes = np.r_[np.arange(n_codes), rng.integers(0, n_codes, 100_000)]  # every code present
    groups = risksets.groups_of(codes)
    assert len(groups) == n_codes
    for k in [0, 1, n_codes // 2, n_codes - 1]:
        np.testing.assert_array_equal(groups[k], np.flatnonzero(codes == k))
    np.testing.assert_array_equal(np.concatenate(groups), np.argsort(codes, kind="mergesort"))


@pytest.mark.parametrize("kind", ["from strata_labels", "writable", "empty"])
def test_a_fits_stratum_groups_are_those_of_comparing_the_labels(kind):
    # CoxFit.groups: (label, rows) in the labels' first-appearance order, from strata_rows
    import pandas as pd

    from churnsurv.regression.cox.fitted import CoxFit

    plan = np.random.default_rng(5).choice(["b", "a", "c"], 900)
    labels = strata_labels(pd.DataFrame({"plan": plan, "x": [1, 2, 3] * 300}), ["plan", "x"])
    if kind == "writable":
        labels = labels.copy()
    elif kind == "empty":
        labels = labels[:0]
    got = CoxFit.groups(labels, labels.size)
    want = [(k, np.flatnonzero(labels == k)) for k in pd.unique(labels)]  # the former way
    assert [k for k, _ in got] == [k for k, _ in want]
    for (_, rows), (_, ref) in zip(got, want, strict=True):
        np.testing.assert_array_equal(rows, ref)
    assert CoxFit.groups(None, 4)[0][1].tolist() == [0, 1, 2, 3]
