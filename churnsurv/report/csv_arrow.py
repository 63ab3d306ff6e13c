"""The report's CSV tables written by pyarrow's string kernels, byte for byte as pandas (private).

``neutralise_formulas(frame).to_csv(path)`` formats every float with ``numpy.ndarray.astype``
(Python's shortest round-trip ``repr``) and hands Python objects to the ``csv`` module: 7 s for
the 1,000,000 rows of the value-at-risk table, plus 4 s of ``str.startswith`` to neutralise
the ids. :func:`csv_bytes` makes the same bytes column by column in Arrow memory:

* float64: Arrow's cast to text gives the same shortest round-trip digits as ``repr``; for
  ``1e-4 <= |x| < 1e10`` and 0 it writes them in the same fixed notation, without the
  ``.0`` that ``repr`` adds to whole numbers (added back). Other values (NaN, infinities,
  very small or large numbers, where the two choose exponents differently) are formatted by
  pandas' own rule, ``astype(str)`` (NaN as the empty ``na_rep``);
* integers as decimal digits; numpy booleans as ``True`` / ``False``;
* text (object columns holding only text and missing values, ``StringDtype``, categoricals
  of text): a ``'`` before text that starts with ``= + - @``, tab or carriage return (as
  :func:`~churnsurv.report.io.neutralise_formulas`), missing values empty, and the ``csv``
  module's minimal quoting (a field with a comma, a double quote or a line feed is enclosed
  in double quotes, its quotes doubled);
* the header line by the ``csv`` module itself.

Anything else (other dtypes, a MultiIndex, object columns holding numbers, tables of one
field per row) gets None: the caller writes it with pandas. ``tests/report/test_csv_arrow.py``
compares the bytes with the pandas path.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["csv_bytes"]

#: Rows formatted at once (bounded memory for long tables).
_ROWS = 1 << 18
#: The first characters :data:`churnsurv.report.io.FORMULA_STARTS` lists, as a pattern.
_FORMULA = r"^[=+\-@\t\r]"


def _s(text: str) -> Any:
    """A large_string scalar (the kernels do not mix string and large_string)."""
    import pyarrow as pa

    return pa.scalar(text, pa.large_string())


def _float_text(values: np.ndarray) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.cast(pa.array(values), pa.large_string())
    whole = pc.invert(pc.match_substring(text, "."))
    text = pc.if_else(whole, pc.binary_join_element_wise(text, _s(".0"), _s("")), text)
    size = np.abs(values)
    with np.errstate(invalid="ignore"):
        odd = ~(((size >= 1e-4) & (size < 1e10)) | (values == 0))
    if odd.any():
        rare = values[odd]
        own = rare.astype(str).astype(object)  # pandas' formatting of these
        own[np.isnan(rare)] = ""
        text = pc.replace_with_mask(text, pa.array(odd), pa.array(own, pa.large_string()))
    return text


def _neutralised(text: Any) -> Any:
    """Arrow text with a ``'`` before formula-like cells; missing cells stay missing."""
    import pyarrow.compute as pc

    formula = pc.match_substring_regex(text, _FORMULA)
    return pc.if_else(formula, pc.binary_join_element_wise(_s("'"), text, _s("")), text)


def _object_text(values: np.ndarray) -> Any:
    """Object values that are all text or missing as Arrow large_string, else None (bytes,
    numbers...: the csv module writes their ``str()``)."""
    import pyarrow as pa

    array = pa.array(values, from_pandas=True)
    if array.type not in (pa.string(), pa.large_string(), pa.null()):
        return None
    return array.cast(pa.large_string())


def _text_array(values: Any) -> Any:
    """Arrow large_string of text values (None when they are not all text or missing)."""
    import pyarrow as pa

    dtype = values.dtype
    try:
        if isinstance(dtype, pd.CategoricalDtype):
            cats = dtype.categories
            if cats.dtype != object and not isinstance(cats.dtype, pd.StringDtype):
                return None
            names = _object_text(cats.to_numpy(object))
            if names is None:
                return None
            codes = np.asarray(values.codes)
            return _neutralised(names).take(pa.array(codes, mask=codes < 0))
        if isinstance(dtype, np.dtype) and dtype.kind == "O":
            array = _object_text(np.asarray(values, dtype=object))
            if array is None:
                return None
        elif isinstance(dtype, pd.StringDtype):
            array = pa.array(values)
            if isinstance(array, pa.ChunkedArray):
                array = array.combine_chunks()
            array = array.cast(pa.large_string())
        else:
            return None
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return _neutralised(array)


def _field(values: Any) -> Any:
    """One column (or the index) as the Arrow text the CSV holds, or None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        numbers = np.asarray(values)
        if dtype.kind == "b":
            return pc.if_else(pa.array(numbers), "True", "False").cast(pa.large_string())
        return pc.cast(pa.array(numbers), pa.large_string())
    if isinstance(dtype, np.dtype) and dtype == np.float64:
        return _float_text(np.asarray(values))
    text = _text_array(values)
    if text is None:
        return None
    text = pc.fill_null(text, _s(""))
    special = pc.match_substring_regex(text, '[,"\n]')
    if pc.any(special).as_py():
        doubled = pc.replace_substring(text, '"', '""')
        text = pc.if_else(
            special, pc.binary_join_element_wise(_s('"'), doubled, _s('"'), _s("")), text
        )
    return text


def _array(values: Any) -> Any:
    """A numpy array for numpy-backed values, else the pandas extension array."""
    return values.to_numpy() if isinstance(values, pd.arrays.NumpyExtensionArray) else values


def _header(frame: pd.DataFrame, index: bool) -> str | None:
    from churnsurv.report.io import _as_text

    labels = list(frame.columns)
    if index:
        labels = ["" if frame.index.name is None else frame.index.name, *labels]
    if not all(isinstance(label, str) for label in labels):
        return None
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow([_as_text(label) for label in labels])
    return line.getvalue()


def csv_bytes(frame: pd.DataFrame, *, index: bool = True) -> bytes | None:
    '''``neutralise_formulas(frame).to_csv(index=index)`` as UTF-8 bytes, or None when the
    table has a column this writer does not handle (see the module's docstring).

    Examples
    --------
    >>> from churnsurv.report.io import neutralise_formulas
    >>> t = pd.DataFrame({"id": ["=1+1", 'a,"b"'], "x": [0.5, 3.0], "n": [1, 2]})
    >>> csv_bytes(t, index=False) == neutralise_formulas(t).to_csv(index=False).encode()
    True
    >>> print(csv_bytes(t, index=False).decode())
    id,x,n
    '=1+1,0.5,1
    "a,""b""",3.0,2
    <BLANKLINE>
    '''
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(frame.columns, pd.MultiIndex) or isinstance(frame.index, pd.MultiIndex):
        return None
    if len(frame) == 0 or frame.shape[1] + int(index) < 2 or frame.columns.has_duplicates:
        return None
    header = _header(frame, index)
    if header is None:
        return None
    # arrays, not Series: numpy's attribute probes on a Series look names up in its index,
    # a hash table of a million ids built for nothing
    columns = [_array(frame.iloc[:, j].array) for j in range(frame.shape[1])]
    ids = _array(frame.index.array)
    parts = [header.encode()]
    for start in range(0, len(frame), _ROWS):
        part = slice(start, start + _ROWS)
        fields = [_field(c[part]) for c in ([ids] if index else []) + columns]
        if any(f is None for f in fields):
            return None
        rows = pc.binary_join_element_wise(*fields, _s(","))
        lines = pc.binary_join_element_wise(rows, _s(""), _s("\n"))
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
        first, last = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
        parts.append(lines.buffers()[2][first:last].to_pybytes())
    return b"".join(parts)
