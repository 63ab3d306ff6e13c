"""Duplicates and distinct values of Arrow-backed text columns, without a hash table of strings.

A column of 10,000,000 customer ids read by pyarrow stays in Arrow memory (pandas' ``str``
dtype backed by pyarrow, about 12 bytes an id instead of a Python string of 57 bytes and its
pointer). Finding its duplicates with :func:`pandas.factorize` or Arrow's own hash kernels
costs 3 to 9 s at that size: 10 million distinct keys make a hash table that lives in main
memory, not in cache. Here every value is reduced to a 64-bit fingerprint from its bytes
(vectorised numpy, one gather per 8 bytes of the longest value), the fingerprints are sorted
(numpy's sort of 64-bit integers, under a second), and only the rows whose fingerprint occurs
more than once are compared as Python strings, exactly (pandas' own hash table of strings
takes ``"a"`` and ``"a\\x00"`` for one value; Python does not). Equal texts always have equal
fingerprints, so a row whose fingerprint is unique is a value no other row has; the answer is
exact whatever the fingerprints collide on.

Used by :func:`churnsurv.data.rules.id_problems` (the id checks of :func:`churnsurv.prepare`)
and by the report's column facts (:func:`churnsurv.report.io.column_facts`).
"""

from __future__ import annotations

import weakref
from collections import Counter

import numpy as np
import pandas as pd

__all__ = ["arrow_text", "count_distinct_text", "duplicated_text", "text_fingerprints"]

#: Values longer than this many bytes are left to pandas (one gather per 8 bytes).
_MAX_BYTES = 256

_MULTIPLY = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio (Fibonacci hashing)
_MIX = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64's multipliers
_SHIFT = np.uint64(31)


def arrow_text(series: pd.Series):
    """The Arrow array (chunked) behind a text column held by pyarrow, or None.

    pandas' ``str`` / ``string[pyarrow]`` dtypes and :class:`pandas.ArrowDtype` of ``string``
    or ``large_string`` qualify; object columns and everything else give None.

    Examples
    --------
    >>> import pyarrow as pa
    >>> arrow_text(pd.Series(["a", "b"], dtype=pd.ArrowDtype(pa.string()))).to_pylist()
    ['a', 'b']
    >>> arrow_text(pd.Series(["a", "b"], dtype=object)) is None
    True
    """
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        arrow = str(dtype.storage).startswith("pyarrow")
    else:
        arrow = isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype) in (
            "string",
            "large_string",
        )
    return series.array.__arrow_array__() if arrow else None


def _chunk_fingerprints(chunk) -> np.ndarray | None:
    """64-bit fingerprints of one Arrow string chunk (nulls get some value; callers mask)."""
    n = len(chunk)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    _, offsets_buf, data_buf = chunk.buffers()
    kind = np.int64 if str(chunk.type) == "large_string" else np.int32
    width = np.dtype(kind).itemsize
    offsets = np.frombuffer(offsets_buf, dtype=kind, count=n + 1, offset=chunk.offset * width)
    lengths = np.diff(offsets).astype(np.int64)
    longest = int(lengths.max())
    if longest > _MAX_BYTES:
        return None
    begin, end = int(offsets[0]), int(offsets[-1])
    data = np.zeros(end - begin + 8, dtype=np.uint8)  # 8 zero bytes: the last word is whole
    if end > begin:
        data[: end - begin] = np.frombuffer(data_buf, dtype=np.uint8)[begin:end]
    # the little-endian 64-bit word starting at every byte (a view, no copy)
    words = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    starts = offsets[:-1].astype(np.int64) - begin
    h = lengths.astype(np.uint64) * _MULTIPLY
    for k in range(0, longest, 8):
        left = lengths - k  # bytes of the value from position k on
        word = words[np.minimum(starts + k, len(words) - 1)]
        keep = np.clip(left, 0, 8).astype(np.uint64) * np.uint64(8)  # bits that belong to it
        mask = np.where(keep >= 64, np.uint64(0xFFFFFFFFFFFFFFFF), (np.uint64(1) << keep) - 1)
        h = (h ^ (word & mask)) * _MIX
        h ^= h >> _SHIFT
        h *= _MULTIPLY
    return h


def text_fingerprints(data) -> np.ndarray | None:
    """One 64-bit fingerprint per value of an Arrow string array (chunked or not).

    Equal texts have equal fingerprints (they depend only on the bytes and the length);
    different texts almost always differ (callers check collisions exactly). None when a value
    is longer than 256 bytes (callers then take pandas' path).

    Examples
    --------
    >>> import pyarrow as pa
    >>> f = text_fingerprints(pa.chunked_array([["a", "bb"], ["a", "a\\x00", ""]]))
    >>> bool(f[0] == f[2]), len(set(f[[0, 1, 3, 4]].tolist()))
    (True, 4)
    """
    chunks = data.chunks if hasattr(data, "chunks") else [data]
    parts = []
    for chunk in chunks:
        part = _chunk_fingerprints(chunk)
        if part is None:
            return None
        parts.append(part)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def _shared(prints: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, int]:
    """Rows (present) whose fingerprint occurs more than once, and the number of fingerprints."""
    values = np.sort(prints[present])
    if len(values) == 0:
        return np.zeros(len(prints), dtype=bool), 0
    new = np.r_[True, values[1:] != values[:-1]]
    n_prints = int(new.sum())
    repeated = values[1:][~new[1:]]
    if len(repeated) == 0:
        return np.zeros(len(prints), dtype=bool), n_prints
    return present & np.isin(prints, np.unique(repeated)), n_prints


#: The last Arrow text array :func:`_shared_rows` fingerprinted (held weakly) and its result.
#: Arrow arrays are immutable: the same array object holds the same values. The report checks
#: its ids twice in the notebook (``prepare`` and the column facts): 0.5 s each at 10,000,000.
_LAST: tuple[weakref.ReferenceType, tuple[np.ndarray, np.ndarray, int]] | None = None


def _shared_rows(series: pd.Series, data) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``(missing, shared, n_prints)`` of the Arrow text ``data`` behind ``series``: missing
    rows, the present rows whose fingerprint occurs more than once, and the number of distinct
    fingerprints; None for values longer than 256 bytes. The arrays are the caller's own."""
    global _LAST
    if _LAST is not None and _LAST[0]() is data:
        missing, shared, n_prints = _LAST[1]
        return missing.copy(), shared.copy(), n_prints
    prints = text_fingerprints(data)
    if prints is None:
        return None
    missing = series.isna().to_numpy(dtype=bool)
    shared, n_prints = _shared(prints, ~missing)
    _LAST = (weakref.ref(data, _forget), (missing.copy(), shared.copy(), n_prints))
    return missing, shared, n_prints


def _forget(gone: weakref.ReferenceType) -> None:
    """The array is gone: let its result go too."""
    global _LAST
    if _LAST is not None and _LAST[0] is gone:
        _LAST = None


def duplicated_text(series: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """``(series.isna(), series.duplicated(keep=False) & series.notna())`` as numpy, or None.

    None unless ``series`` is Arrow-backed text (:func:`arrow_text`) with values of at most
    256 bytes; the caller then takes pandas' path.

    Examples
    --------
    >>> import pyarrow as pa
    >>> ids = pd.Series(["a", "b", None, "a", "c"], dtype=pd.ArrowDtype(pa.string()))
    >>> missing, duplicate = duplicated_text(ids)
    >>> missing.tolist(), duplicate.tolist()
    ([False, False, True, False, False], [True, False, False, True, False])
    """
    data = arrow_text(series)
    found = None if data is None else _shared_rows(series, data)
    if found is None:
        return None
    missing, shared, _ = found
    duplicate = np.zeros(len(series), dtype=bool)
    if shared.any():  # the same fingerprint: compare those rows as text, exactly
        rows = np.flatnonzero(shared)
        text = data.take(rows).to_pylist()
        counts = Counter(text)
        duplicate[rows] = np.fromiter((counts[t] > 1 for t in text), dtype=bool, count=len(rows))
    return missing, duplicate


def count_distinct_text(series: pd.Series) -> int | None:
    """``series.nunique()`` (missing values not counted) of Arrow-backed text, or None.

    Examples
    --------
    >>> import pyarrow as pa
    >>> count_distinct_text(pd.Series(["a", "b", None, "a"], dtype=pd.ArrowDtype(pa.string())))
    2
    """
    data = arrow_text(series)
    found = None if data is None else _shared_rows(series, data)
    if found is None:
        return None
    _, shared, n_prints = found
    if not shared.any():
        return n_prints
    rows = np.flatnonzero(shared)
    shared_prints = text_fingerprints(data.take(rows))  # the same bytes: not None
    assert shared_prints is not None
    n_shared_prints = len(np.unique(shared_prints))
    return n_prints - n_shared_prints + len(set(data.take(rows).to_pylist()))
