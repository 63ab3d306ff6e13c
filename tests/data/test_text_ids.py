"""Ids held by pyarrow: duplicates and distinct values from sorted fingerprints of their bytes.

The reference is Python's own comparison of the same values as strings (a set, a count), and
pandas' (``isna``, ``duplicated(keep=False)``, ``nunique``) where it agrees with Python: the
answers must be equal, whatever the ids (missing, repeated, empty, longer than one 8-byte word,
non-ASCII, sliced or chunked arrays) and whatever the fingerprints collide on (collisions forced
below). pandas' hash table of strings stops at a NUL byte ("a" and "a\x00" are one value to
``pd.Series(["a", "a\x00"]).nunique()``), so values with a NUL byte are checked against Python
only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from churnsurv.data import _text
from churnsurv.data._text import count_distinct_text, duplicated_text, text_fingerprints
from churnsurv.data.rules import id_problems

AWKWARD = ["a", "", "abcdefgh", "abcdefghi", "abcdefghij", "é", "e", None, "a", "é"]
NUL = ["a\x00", "abcdefgh\x00", "a"]


def _truth(values: list) -> tuple[np.ndarray, np.ndarray, int]:
    """Missing, duplicated (every occurrence) and distinct values, by Python's comparison."""
    seen = [v for v in values if v is not None]
    counts = {v: seen.count(v) for v in set(seen)}
    missing = np.array([v is None for v in values])
    duplicate = np.array([v is not None and counts[v] > 1 for v in values])
    return missing, duplicate, len(counts)


def _ids(n: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    ids = [f"C{i:0{rng.integers(1, 14)}d}" for i in rng.integers(0, n // 2, n)]
    for i in rng.choice(n, n // 20, replace=False):
        ids[i] = None
    return ids + AWKWARD


def _series(values: list, kind: str) -> pd.Series:
    array = pa.array(values, type=pa.large_string() if kind == "large" else pa.string())
    if kind == "chunked":  # several chunks, one of them a slice (offset > 0)
        cut = len(values) // 3
        array = pa.chunked_array([array[:cut], array[cut:]])
    if kind == "str":
        return pd.Series(values, dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    return pd.Series(array, dtype=pd.ArrowDtype(array.type))


@pytest.mark.parametrize("kind", ["str", "plain", "large", "chunked"])
@pytest.mark.parametrize("seed", [0, 1])
def test_duplicates_and_distinct_values_are_pandas_ones(kind, seed):
    values = _ids(2000, seed)
    reference = pd.Series(values, dtype=object)
    series = _series(values, kind)
    missing, duplicate = duplicated_text(series)
    np.testing.assert_array_equal(missing, reference.isna().to_numpy())
    np.testing.assert_array_equal(
        duplicate, (reference.duplicated(keep=False) & reference.notna()).to_numpy()
    )
    assert count_distinct_text(series) == reference.nunique()
    # id_problems takes this path for Arrow text, pandas' factorize for Python strings
    for got, want in zip(id_problems(series), id_problems(reference), strict=True):
        np.testing.assert_array_equal(got, want)


def test_nul_bytes_are_compared_as_python_compares_them():
    values = _ids(200, 5) + NUL
    missing, duplicate, distinct = _truth(values)
    series = _series(values, "plain")
    got = duplicated_text(series)
    np.testing.assert_array_equal(got[0], missing)
    np.testing.assert_array_equal(got[1], duplicate)
    assert count_distinct_text(series) == distinct


@pytest.mark.parametrize("modulus", [1, 2, 7])
def test_colliding_fingerprints_are_settled_as_text(monkeypatch, modulus):
    values = _ids(300, 3) + NUL
    honest = text_fingerprints
    monkeypatch.setattr(_text, "text_fingerprints", lambda data: honest(data) % np.uint64(modulus))
    series = _series(values, "chunked")
    truth_missing, truth_duplicate, truth_distinct = _truth(values)
    missing, duplicate = duplicated_text(series)
    np.testing.assert_array_equal(missing, truth_missing)
    np.testing.assert_array_equal(duplicate, truth_duplicate)
    assert count_distinct_text(series) == truth_distinct


def test_equal_text_equal_fingerprints_across_chunks_and_offsets():
    texts = AWKWARD[:7] + NUL[:2]  # nine different texts, with "", "a" and "a\x00"
    whole = pa.array(texts * 3)
    chunked = pa.chunked_array([whole[:5], whole[5:13], whole[13:]])
    a, b = text_fingerprints(whole), text_fingerprints(chunked)
    np.testing.assert_array_equal(a, b)
    assert len(set(a[:9].tolist())) == 9


def test_python_strings_and_long_values_take_pandas_path():
    assert duplicated_text(pd.Series(["a", "a"], dtype=object)) is None
    long = pd.Series(["x" * 300, "x" * 300, "y"], dtype=pd.ArrowDtype(pa.string()))
    assert duplicated_text(long) is None and count_distinct_text(long) is None
    assert id_problems(long)[1].tolist() == [True, True, False]  # pandas' factorize


def test_the_second_check_of_the_same_ids_reuses_their_fingerprints(monkeypatch):
    # the notebook checks its ids in prepare and again in the column facts
    values = _ids(500, 9)
    series = _series(values, "chunked")
    truth_missing, truth_duplicate, truth_distinct = _truth(values)
    honest, calls = text_fingerprints, []
    monkeypatch.setattr(_text, "text_fingerprints", lambda data: calls.append(1) or honest(data))
    missing, duplicate = duplicated_text(series)
    missing[:] = True  # the caller's own arrays: the kept result is not changed
    duplicate[:] = True
    n_calls = len(calls)
    assert count_distinct_text(series) == truth_distinct
    again = duplicated_text(series)
    assert len(calls) - n_calls == int(truth_duplicate.any())  # only the shared rows' prints
    np.testing.assert_array_equal(again[0], truth_missing)
    np.testing.assert_array_equal(again[1], truth_duplicate)
    # the same values in another array: fingerprinted again
    other = _series(values, "chunked")
    n_calls = len(calls)
    assert count_distinct_text(other) == truth_distinct
    assert len(calls) > n_calls
