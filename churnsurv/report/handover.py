"""The input table handed from ``churnsurv report`` to its notebook, so it is read once.

The command reads and checks the input before the notebook runs; the notebook, which must also
run alone in Jupyter, would then read (and hash) the same file again: at 10 million rows a large
part of the run. So the command writes the table it checked, as Parquet, into the notebook's
working folder (:data:`CHECKED_INPUT`, not published with the report) and passes its name as a
parameter; :func:`churnsurv.report.io.read_input` takes it instead of parsing the file again

* only when it is the table of **this** input file: the Parquet carries the sha256 of the file it
  was read from, and the notebook compares it with the file's sha256 (computed for the report's
  footer anyway); a notebook re-run by hand, where the Parquet is absent, reads the file as before;
* only when it gives back **exactly** the frame the command read: the command reads it back,
  column by column, and compares values, missing-value markers (NaN or None), dtypes and order;
  a table Parquet cannot hold exactly (mixed types in a column, an index that is not a range) is
  not handed over.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CHECKED_INPUT", "read_checked_input", "write_checked_input"]

#: File name of the handed-over table, in the notebook's working folder.
CHECKED_INPUT = "checked_input.parquet"
_SHA = b"churnsurv.input_sha256"
_FORMAT = b"churnsurv.input_format"
_NAN_HOLES = b"churnsurv.nan_holes"
_CATEGORICAL = b"churnsurv.categorical"


def _nan_holes(frame: pd.DataFrame) -> list[str]:
    """Object columns whose missing values are all float NaN (as the readers leave them)."""
    names = []
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object and column.isna().any():
            missing = column.to_numpy()[column.isna().to_numpy()]
            if all(isinstance(v, float) for v in missing):
                names.append(str(name))
    return names


def write_checked_input(frame: pd.DataFrame, folder: str | os.PathLike, sha256: str) -> str | None:
    """Write ``frame`` (read from the file with this sha256) for the notebook.

    Returns the file name, or None (nothing left written) when Parquet would not give the same
    frame back.

    Examples
    --------
    >>> import tempfile
    >>> frame = pd.DataFrame({"id": ["a", "b"], "plan": ["x", np.nan], "t": [1.5, 2.0]})
    >>> frame.attrs["format"] = "comma-separated text (detected)"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     name = write_checked_input(frame, tmp, "ab" * 32)
    ...     back = read_checked_input(Path(tmp, name), "ab" * 32)
    ...     stale = read_checked_input(Path(tmp, name), "cd" * 32)
    >>> name, back.equals(frame), back.attrs["format"], repr(back.loc[1, "plan"]), stale
    ('checked_input.parquet', True, 'comma-separated text (detected)', 'nan', None)
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    if not isinstance(frame.index, pd.RangeIndex) or not frame.index.equals(
        pd.RangeIndex(len(frame))
    ):
        return None
    path = Path(folder) / CHECKED_INPUT
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError):
        return None
    meta = {
        **(table.schema.metadata or {}),
        _SHA: sha256.encode(),
        _FORMAT: str(frame.attrs.get("format", "")).encode(),
        _NAN_HOLES: "\x1f".join(_nan_holes(frame)).encode(),
        _CATEGORICAL: "\x1f".join(frame.attrs.get("categorical", [])).encode(),
    }
    pq.write_table(table.replace_schema_metadata(meta), path)
    del table
    if not _gives_back(frame, path):
        path.unlink()
        return None
    return CHECKED_INPUT


def _gives_back(frame: pd.DataFrame, path: Path) -> bool:
    """Whether the Parquet at ``path`` holds ``frame`` exactly (read one column at a time)."""
    import pyarrow.parquet as pq

    handle = pq.ParquetFile(path)
    if [str(c) for c in frame.columns] != handle.schema_arrow.names or not all(
        isinstance(c, str) for c in frame.columns
    ):
        return False
    holes = set(_names(handle.schema_arrow.metadata, _NAN_HOLES))
    for name in frame.columns:
        back = _column(handle.read(columns=[name]).to_pandas(), name, name in holes)
        if not _same_column(frame[name], back):
            return False
    return True


def _names(meta: dict | None, key: bytes) -> list[str]:
    text = (meta or {}).get(key, b"").decode()
    return text.split("\x1f") if text else []


def _column(part: pd.DataFrame, name: str, nan_holes: bool) -> pd.Series:
    """A column as read back; missing values of an object column as NaN where they were."""
    column = part[name]
    if nan_holes:
        column = column.astype(object).where(column.notna(), np.nan)
    return column


def _same_column(a: pd.Series, b: pd.Series) -> bool:
    """Same dtype, length, values and missing-value objects (NaN is not None)."""
    if a.dtype != b.dtype or len(a) != len(b):
        return False
    if a.dtype == object:  # the type of every value: None is not NaN, True is not 1
        types_a = pd.Series(a.to_numpy()).map(type).to_numpy()
        if not np.array_equal(types_a, pd.Series(b.to_numpy()).map(type).to_numpy()):
            return False
    try:
        pd.testing.assert_series_equal(a, b, check_exact=True, check_names=False)
    except AssertionError:
        return False
    return True


def read_checked_input(path: str | os.PathLike, sha256: str) -> pd.DataFrame | None:
    """The handed-over table if ``path`` holds the table of the file with ``sha256``, else None."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        return None
    try:
        handle = pq.ParquetFile(path)
    except (OSError, ValueError):
        return None
    meta = handle.schema_arrow.metadata or {}
    if meta.get(_SHA, b"").decode() != sha256:
        return None
    frame = handle.read().to_pandas(split_blocks=True, self_destruct=True)
    for name in _names(meta, _NAN_HOLES):
        frame[name] = _column(frame, name, True)
    frame.attrs = {
        "format": meta.get(_FORMAT, b"").decode(),
        "categorical": _names(meta, _CATEGORICAL),
    }
    return frame
