"""The input table handed from ``churnsurv report`` to its notebook, so it is read once.

The command reads and checks the input before the notebook runs; the notebook, which must also
run alone in Jupyter, would then parse the same file again: at 10 million rows a large part of
the run. So the command writes the table it read into the notebook's working folder
(:data:`CHECKED_INPUT`, an uncompressed Arrow IPC stream, not published with the
report) and passes its name as a parameter; :func:`churnsurv.report.io.read_input` takes it
instead of parsing the file again

* only when it is the table of **this** input file: the file carries the sha256 of the file it
  was read from, and the notebook compares it with the file's sha256 (stated in the report's
  footer). The command also records the file's device, inode, size and modification time (ns)
  when it hashed it; while the file is in that state, the notebook takes the sha256 recorded
  instead of hashing the file again (:func:`recorded_sha256`: 0.7 s at 10 million rows), the
  rule :func:`~churnsurv.report.reading.scan_file` keeps its own result by. A notebook re-run
  by hand, where the table is absent, reads the file as before;
* only when it gives back **exactly** the frame the notebook would read:

  - text parsed by pyarrow (the usual CSV) is handed over as the Arrow table the parser made,
    with the arguments that read it (id column, delimiter); the notebook makes its frame from
    it with the function :func:`~churnsurv.report.reading.read_table` itself uses
    (:func:`~churnsurv.report.reading.frame_from_arrow`), so the frame is the one the file
    gives, by construction, and nothing is converted to pandas and back;
  - any other table (pandas' parser, Parquet, Excel) is converted, written and read back by the
    command, column by column, comparing values, missing-value markers (NaN or None), dtypes
    and order; a table Arrow cannot hold exactly (mixed types in a column, an index that is
    not a range) is not handed over.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CHECKED_INPUT", "read_checked_input", "recorded_sha256", "write_checked_input"]

#: File name of the handed-over table, in the notebook's working folder.
CHECKED_INPUT = "checked_input.arrow"
_SHA = b"churnsurv.input_sha256"
_FORMAT = b"churnsurv.input_format"
_NAN_HOLES = b"churnsurv.nan_holes"
_CATEGORICAL = b"churnsurv.categorical"
_PARSED_WITH = b"churnsurv.parsed_with"  # the arguments pyarrow's parse was made with
#: The input file's device, inode, size and modification time (ns) when it was hashed
_FILE_KEY = b"churnsurv.input_file_key"


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


def write_checked_input(
    frame: pd.DataFrame,
    folder: str | os.PathLike,
    sha256: str,
    *,
    table: Any = None,
    parsed_with: Mapping[str, Any] | None = None,
    source: str | os.PathLike | None = None,
) -> str | None:
    """Write ``frame`` (read from the file with this sha256) for the notebook.

    With ``source``, the file read, the state the file was hashed in
    (:func:`~churnsurv.report.reading.scanned_key`) is written too, when the file is still in
    it: the notebook then takes the sha256 while the file stays in that state
    (:func:`recorded_sha256`) instead of hashing it again.

    With ``table``, the Arrow table pyarrow parsed the file into
    (:func:`~churnsurv.report.reading.read_table_parsed`), and ``parsed_with``, the reading
    arguments (``id_col``, ``sep``), that table is written as it is. Otherwise the frame is
    converted and written, and read back to check it gives the same frame.

    Returns the file name, or None (nothing left written) when the file would not give the same
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
    ('checked_input.arrow', True, 'comma-separated text (detected)', 'nan', None)
    """
    try:
        import pyarrow as pa
    except ImportError:
        return None
    path = Path(folder) / CHECKED_INPUT
    meta = {
        _SHA: sha256.encode(),
        _FORMAT: str(frame.attrs.get("format", "")).encode(),
        _CATEGORICAL: "\x1f".join(frame.attrs.get("categorical", [])).encode(),
    }
    if source is not None:
        from churnsurv.report.reading import scanned_key

        key = scanned_key(source, sha256)
        if key is not None:
            meta[_FILE_KEY] = " ".join(map(str, key)).encode()
    if table is not None and parsed_with is not None:
        meta[_PARSED_WITH] = json.dumps(dict(parsed_with), sort_keys=True).encode()
        _write(table.replace_schema_metadata(meta), path)
        return CHECKED_INPUT
    if not isinstance(frame.index, pd.RangeIndex) or not frame.index.equals(
        pd.RangeIndex(len(frame))
    ):
        return None
    try:
        converted = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError):
        return None
    meta = {**(converted.schema.metadata or {}), **meta}
    meta[_NAN_HOLES] = "\x1f".join(_nan_holes(frame)).encode()
    _write(converted.replace_schema_metadata(meta), path)
    del converted
    if not _gives_back(frame, path):
        path.unlink()
        return None
    return CHECKED_INPUT


def _own_ids(table, id_col: str | None):
    """``table`` with the column ``id_col`` copied out of the file it was mapped from.

    The notebook keeps its ids in Arrow memory for the whole run (``arrow_ids``); as views of
    the mapped file they would keep all of it mapped, every column's pages counted in the
    kernel's memory. Every other column is copied into pandas' own arrays anyway.
    """
    import pyarrow as pa

    if id_col is None or id_col not in table.column_names:
        return table
    at = table.column_names.index(id_col)
    column = table.column(at)
    copied = pa.chunked_array([pa.concat_arrays([c]) for c in column.chunks], type=column.type)
    return table.set_column(at, table.schema.field(at), copied)


def _write(table, path: Path) -> None:
    """An Arrow IPC stream, not compressed: the notebook maps the file and takes its columns
    from the mapped pages (the file is temporary, in the run's own folder).

    At 10 million rows the file is 521 MB instead of 207 MB with LZ4, and the hand-over takes
    about 1 s instead of 2-3.5 s: 0.3 s to write instead of 0.9-1.3 s, 0.6 s to read into the
    notebook's frame instead of 1.3-2.3 s, with 0.3 GiB less held by the kernel (LZ4's
    decompressed buffers stayed with Arrow's allocator).

    The stream format, not the file format: each chunk of a dictionary-encoded column keeps
    its own dictionary, as pyarrow's CSV parser made it.
    """
    import pyarrow as pa

    options = pa.ipc.IpcWriteOptions(compression=None)
    with pa.OSFile(str(path), "wb") as sink:
        with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
            writer.write_table(table)


def _open(path: Path):
    """The IPC stream's reader, or None when it is not one."""
    import pyarrow as pa

    try:
        return pa.ipc.open_stream(pa.memory_map(str(path)))
    except (pa.ArrowException, OSError, ValueError):
        return None


def _gives_back(frame: pd.DataFrame, path: Path) -> bool:
    """Whether the file at ``path`` holds ``frame`` exactly (converted one column at a time)."""
    handle = _open(path)
    if handle is None:
        return False
    table = handle.read_all()
    if [str(c) for c in frame.columns] != table.schema.names or not all(
        isinstance(c, str) for c in frame.columns
    ):
        return False
    holes = set(_names(table.schema.metadata, _NAN_HOLES))
    for name in frame.columns:
        back = _column(table.select([name]).to_pandas(), name, name in holes)
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


def recorded_sha256(path: str | os.PathLike, source: str | os.PathLike) -> str | None:
    """The sha256 the handed-over table at ``path`` records for the file ``source``, when the
    file is in the state it was hashed in (the same device, inode, size and modification time
    in ns, the rule :func:`~churnsurv.report.reading.scan_file` keeps its result by); else
    None, and the file is to be hashed.

    Examples
    --------
    >>> import tempfile
    >>> from churnsurv.report.reading import scan_file
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     source = Path(tmp, "x.csv")
    ...     _ = source.write_bytes(b"t,e\\n1,0\\n")
    ...     sha = scan_file(source)[0]
    ...     frame = pd.DataFrame({"t": [1], "e": [0]})
    ...     name = write_checked_input(frame, tmp, sha, source=source)
    ...     same = recorded_sha256(Path(tmp, name), source) == sha
    ...     _ = source.write_bytes(b"t,e\\n2,0\\n")
    ...     changed = recorded_sha256(Path(tmp, name), source)
    >>> same, changed
    (True, None)
    """
    from churnsurv.report.reading import file_key

    handle = _open(Path(path)) if Path(path).is_file() else None
    if handle is None:
        return None
    meta = handle.schema.metadata or {}
    try:
        key = " ".join(map(str, file_key(source)))
    except OSError:
        return None
    if not meta.get(_SHA) or meta.get(_FILE_KEY, b"").decode() != key:
        return None
    return meta[_SHA].decode()


def read_checked_input(
    path: str | os.PathLike,
    sha256: str,
    *,
    id_col: str | None = None,
    sep: str | None = None,
    arrow_ids: bool = False,
) -> pd.DataFrame | None:
    """The handed-over table if ``path`` holds the table of the file with ``sha256``, else None.

    A table pyarrow parsed is taken only when it was parsed with the same ``id_col`` and
    ``sep`` (as :func:`~churnsurv.report.reading.read_table` takes them); ``arrow_ids`` as
    there.
    """
    from churnsurv.report.reading import described, frame_from_arrow, release_memory

    path = Path(path)
    if not path.is_file():
        return None
    handle = _open(path)
    if handle is None:
        return None
    meta = handle.schema.metadata or {}
    if meta.get(_SHA, b"").decode() != sha256:
        return None
    categorical = _names(meta, _CATEGORICAL)
    if _PARSED_WITH in meta:
        asked = json.dumps({"id_col": id_col, "sep": sep}, sort_keys=True)
        if meta[_PARSED_WITH].decode() != asked:
            return None
        frame = frame_from_arrow(
            _own_ids(handle.read_all(), id_col if arrow_ids else None),
            id_col=id_col,
            categorical=categorical,
            arrow_ids=arrow_ids,
            self_destruct=True,
        )
    else:
        frame = handle.read_all().to_pandas(split_blocks=True, self_destruct=True)
        for name in _names(meta, _NAN_HOLES):
            frame[name] = _column(frame, name, True)
        frame.attrs = {}
    release_memory()  # the table's buffers, freed column by column
    return described(frame, meta.get(_FORMAT, b"").decode(), categorical)
