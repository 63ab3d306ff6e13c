"""Stratum labels of a Cox model's rows, without a Python string operation per row (private).

A stratum's label is its columns' values as text joined by ``" / "`` (``"Month-to-month /
Yes"``), the key of the baseline hazard per stratum. Building it row by row
(``frame[cols].astype(str).agg(" / ".join, axis=1)``) took 18 s for 1,000,000 customers; here
each column is factorised, the text made once per distinct value, and the labels of the distinct
combinations spread back to the rows: the same strings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from churnsurv.regression.cox.risksets import groups_of, remember_groups

__all__ = ["strata_labels"]


def strata_labels(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Each row's stratum label: ``frame[columns].astype(str).agg(" / ".join, axis=1)``, as a
    read-only array (:func:`~churnsurv.regression.cox.risksets.strata_rows` groups it once).

    Its groups are kept with it, made here from the integer codes of the labels' text (rows
    with the same text together, the texts sorted, as ``strata_rows`` groups them): the 10
    million text labels of a stratified report model are not hashed to group them.

    Examples
    --------
    >>> frame = pd.DataFrame({"plan": ["a", "b", "a"], "senior": [0, 1, 0]})
    >>> strata_labels(frame, ["plan", "senior"]).tolist()
    ['a / 0', 'b / 1', 'a / 0']
    """
    n = len(frame)
    key = np.zeros(n, dtype=np.int64)
    codes_of, texts = [], []
    for col in columns:
        values = frame[col]
        if not _text_is_value(values):  # floats (-0.0 == 0.0), mixed objects: compare the text
            values = values.astype(str)
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        # the text of each distinct value, as astype(str) writes it for this column
        texts.append(frame[col].iloc[_first(codes, len(uniques))].astype(str).to_numpy())
        codes_of.append(codes)
        key = pd.factorize(key * len(uniques) + codes)[0]  # compact: no overflow
    size = int(key.max()) + 1 if n else 0
    labels = np.empty(size, dtype=object)
    for j, i in enumerate(_first(key, size)):
        labels[j] = " / ".join(str(t[c[i]]) for t, c in zip(texts, codes_of, strict=True))
    out = labels[key]
    out.flags.writeable = False  # a model's labels: grouped once (see strata_rows)
    if n:  # their groups, from the codes here: the labels' text is not hashed again
        _, by_text = np.unique(labels, return_inverse=True)  # sorted text, as strata_rows
        remember_groups(out, groups_of(by_text.ravel()[key]))
    return out


def _text_is_value(column: pd.Series) -> bool:
    """Equal values have equal text and distinct values distinct text (factorise the values)."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return True
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return True
    if not pd.api.types.is_string_dtype(dtype):
        return False
    return pd.api.types.infer_dtype(column, skipna=False) == "string"


def _first(codes: np.ndarray, size: int) -> np.ndarray:
    """Position of the first row of each code ``0 .. size - 1`` (every code present, as
    ``pd.factorize`` makes them): ``np.unique(codes, return_index=True)[1]`` by hashing, not
    sorting (0.09 s instead of 1.5 s for 10,000,000 rows).

    Examples
    --------
    >>> _first(np.array([2, 0, 2, 1, 0]), 3).tolist()
    [1, 3, 0]
    """
    seen = pd.Series(codes).drop_duplicates()  # the first row of each code, in row order
    first = np.empty(size, dtype=np.int64)
    first[seen.to_numpy()] = seen.index.to_numpy()
    return first
