"""Reading a customer table for ``churnsurv report``: CSV-like text (delimiter sniffed or
given), Parquet or Excel, with one clear error for a file that cannot be read.

:mod:`churnsurv.report.io` re-exports :func:`read_table`; the template and the runner read
through :func:`churnsurv.report.io.read_input`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from churnsurv._categories import distinct_count
from churnsurv._validation import check_choice
from churnsurv.data._text import count_distinct_text
from churnsurv.exceptions import DataValidationError

__all__ = [
    "DELIMITERS",
    "EXCEL_SUFFIXES",
    "PARQUET_SUFFIXES",
    "check_delimiter",
    "column_dtypes",
    "column_facts",
    "described",
    "file_key",
    "frame_from_arrow",
    "read_table",
    "read_table_parsed",
    "release_memory",
    "scan_file",
    "scanned_key",
    "sniff_delimiter",
]

#: File name endings read as Parquet; anything else is read as CSV.
PARQUET_SUFFIXES = (".parquet", ".pq")

#: File name endings of Excel workbooks (read with openpyxl: ``.xlsx``/``.xlsm``; ``.xls`` is
#: the old binary format, which is refused with advice).
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")

#: The delimiters of CSV-like text that are sniffed (in this order of preference), and their
#: names as :func:`read_table` reports them and ``--sep`` takes them.
DELIMITERS: dict[str, str] = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

#: Bytes of a CSV-like file read to sniff its delimiter.
_SNIFF_BYTES = 1 << 16


def _unreadable(path: Path, why: str) -> DataValidationError:
    return DataValidationError(f"cannot read {str(path)!r}: {why}", rule="unreadable file")


def check_delimiter(sep: object, *, name: str = "sep") -> str | None:
    """A delimiter given by its character or its name (``"tab"``), as the character; None stays.

    Examples
    --------
    >>> check_delimiter(";"), check_delimiter("tab"), check_delimiter(None)
    (';', '\\t', None)
    >>> check_delimiter(":")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: sep=':' is not understood; use one of ...
    """
    if sep is None:
        return None
    by_name = {v: k for k, v in DELIMITERS.items()}
    if isinstance(sep, str) and sep in by_name:
        return by_name[sep]
    check_choice(name, sep, [*DELIMITERS, *by_name])
    return str(sep)


def _text_sample(path: Path) -> tuple[str, bool]:
    """The start of a (possibly compressed) text file, and whether the file goes on after it."""
    import bz2
    import gzip
    import lzma

    openers: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
    opener: Callable[..., Any] = openers.get(path.suffix.lower(), open)
    try:
        with opener(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except (OSError, EOFError, lzma.LZMAError):
        return "", False  # pandas reads the file next and says what is wrong with it
    return head.decode("utf-8", errors="replace"), len(head) == _SNIFF_BYTES


def sniff_delimiter(path: str | os.PathLike) -> str:
    """The delimiter of a CSV-like file: ``,``, ``;``, tab or ``|``.

    The rule is stricter than :class:`csv.Sniffer` (which may pick a letter): a candidate
    must split the header into at least two fields and every sampled record (the first 64 KiB,
    quotes and quoted line breaks respected) into the same number of fields as the header;
    of those, the one giving the most fields wins, ties going to the order of
    :data:`DELIMITERS`. A file that no candidate splits (one column) is comma-separated.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp, "eu.csv")
    ...     _ = p.write_text("id;fee;plan\\nA1;12,50;Basic, monthly\\nA2;8,00;Pro\\n")
    ...     sniff_delimiter(p)
    ';'
    """
    import csv

    text, cut = _text_sample(Path(path))
    best, most = ",", 1
    for sep in DELIMITERS:
        rows = []
        try:  # a quoted field may hold line breaks: read records, not lines
            for row in csv.reader(io.StringIO(text), delimiter=sep):
                rows.append(row)
        except csv.Error:  # e.g. a NUL byte: not a text file pandas will read either
            rows = []
        rows = [row for row in rows if row][: -1 if cut else None]  # the last may be cut
        fields = len(rows[0]) if rows else 0
        if fields > most and all(len(row) == fields for row in rows):
            best, most = sep, fields
    return best


def _read_excel(path: Path) -> tuple[pd.DataFrame, str]:
    """The first sheet of an Excel workbook (openpyxl), and what was read."""
    if path.suffix.lower() == ".xls":
        raise _unreadable(path, "old Excel .xls file: save it as CSV (or .xlsx) first")
    try:
        import openpyxl
    except ImportError:
        raise _unreadable(path, "Excel file: save it as CSV or pip install openpyxl") from None
    del openpyxl  # pandas reads the workbook through it
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbooks written without a default style; the data are read
            warnings.filterwarnings("ignore", "Workbook contains no default style", UserWarning)
            with pd.ExcelFile(path, engine="openpyxl") as book:
                sheets = [str(name) for name in book.sheet_names]
                frame = book.parse(0)
    except (ValueError, KeyError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _unreadable(path, f"not a readable Excel file ({first})") from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zipfile and XML errors
        raise _unreadable(path, f"not a readable Excel file ({type(exc).__name__})") from None
    more = f" of {len(sheets)}" if len(sheets) > 1 else ""
    return frame, f"Excel, sheet {sheets[0]!r} (the first{more})"


def _ids_as_text(ids: pd.Series) -> pd.Series:
    """Ids from a spreadsheet as text, as a CSV's are read (``42.0`` becomes ``"42"``)."""

    def text(value: object) -> object:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return value if pd.isna(value) else str(value)

    return ids.astype(object).map(text)


def read_table(
    path: str | os.PathLike,
    *,
    id_col: str | None = None,
    sep: str | None = None,
    categorical: Sequence[str] = (),
    arrow_ids: bool = False,
) -> pd.DataFrame:
    """Read a customer table from CSV-like text, Parquet or Excel.

    The format follows the extension: ``.parquet``/``.pq`` is Parquet (needs ``pyarrow``),
    ``.xlsx``/``.xlsm`` is Excel (the first sheet; needs ``openpyxl``), anything else is read as
    delimited text (``.csv.gz`` and other compressed CSV included), with the delimiter ``sep``
    or, by default, the one :func:`sniff_delimiter` finds (comma, semicolon, tab or pipe). The
    id column, when named, is read as text so that ids such as ``0042`` keep their leading
    zeros. What was read is said in ``frame.attrs["format"]``, e.g. ``"semicolon-separated
    text (detected)"``.

    Parameters
    ----------
    path : str or path-like
    id_col : str, optional
        Customer id column, read as text.
    sep : str, optional
        The delimiter of a text file: ``","``, ``";"``, ``"\\t"`` (or ``"tab"``), ``"|"``.
        Default: sniffed.
    categorical : list of str, optional
        Text columns kept as pandas categoricals (categories sorted) where the text parser
        dictionary-encoded them, instead of one Python string per row: the report's segment
        and event columns, which every grouping then reads as integer codes. Their names are
        in ``frame.attrs["categorical"]``.
    arrow_ids : bool, default False
        Text read by pyarrow: keep the id column in Arrow memory (pandas' pyarrow-backed
        ``str`` dtype, missing ids NaN) instead of one Python string per row, about 12 bytes
        an id instead of 65; the report's checks of ids (:func:`churnsurv.prepare`) and its
        column facts read it without a Python string per row. The values are the same; its
        name is in ``frame.attrs["arrow_text"]``, and the report states it as ``object``.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataValidationError
        With rule ``"unreadable file"``: missing file, a folder, no permission, not parseable
        as CSV/Parquet/Excel, empty, or Parquet/Excel support missing.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp, "customers.csv")
    ...     _ = p.write_text("id;tenure;churned\\n0042;3;Yes\\n0043;12;No\\n")
    ...     t = read_table(p, id_col="id")
    >>> t["id"].tolist(), t.attrs["format"]
    (['0042', '0043'], 'semicolon-separated text (detected)')
    >>> read_table("no/such/file.csv")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: cannot read 'no/such/file.csv': no such file
    """
    return read_table_parsed(
        path, id_col=id_col, sep=sep, categorical=categorical, arrow_ids=arrow_ids
    )[0]


def read_table_parsed(
    path: str | os.PathLike,
    *,
    id_col: str | None = None,
    sep: str | None = None,
    categorical: Sequence[str] = (),
    arrow_ids: bool = False,
    keep_arrow: bool = False,
) -> tuple[pd.DataFrame, Any]:
    """:func:`read_table`, and the Arrow table pyarrow's parser made the frame from.

    The table (a ``pyarrow.Table``) is None where pyarrow did not parse the file (Parquet,
    Excel, compressed or awkward text read by pandas' parser) or ``keep_arrow`` is False (its
    memory is then released column by column as the frame is made).
    :func:`frame_from_arrow` makes the same frame from it again: ``churnsurv report`` hands it
    to its notebook (:mod:`churnsurv.report.handover`).
    """
    path = Path(path)
    sep = check_delimiter(sep)
    if not path.exists():
        raise _unreadable(path, "no such file")
    if path.is_dir():
        raise _unreadable(path, "it is a folder, not a file")
    if not path.is_file():  # a FIFO or a device: it can be read once only, and the report
        # reads the input twice (its sha256 and its rows)
        raise _unreadable(path, "not a regular file (a pipe or device); save it to a file first")
    suffix = path.suffix.lower()
    table = None
    if suffix in EXCEL_SUFFIXES:
        frame, kind = _read_excel(path)
        if id_col is not None and id_col in frame.columns:
            frame[id_col] = _ids_as_text(frame[id_col])
    else:
        frame, kind, table = _read_text_or_parquet(
            path, id_col, sep, categorical, arrow_ids, keep_arrow
        )
    if frame.shape[1] == 0:
        raise _unreadable(path, "no columns")
    return described(frame, kind, categorical), table if keep_arrow else None


def described(frame: pd.DataFrame, kind: str, categorical: Sequence[str]) -> pd.DataFrame:
    """What was read, in ``frame.attrs``: the format, categoricals and Arrow-held text."""
    frame.attrs["format"] = kind
    frame.attrs["categorical"] = [
        c
        for c in categorical
        if c in frame.columns and isinstance(frame[c].dtype, pd.CategoricalDtype)
    ]
    frame.attrs["arrow_text"] = list(frame.attrs.get("arrow_text", []))
    return frame


#: Text that pandas' CSV parser reads as a missing value (``pandas.read_csv``'s default
#: ``na_values`` plus the empty field); the pyarrow reader is given the same list.
_NA_TEXT = sorted(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN"}
    | {"<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)

#: Compressed text is read by pandas' parser (pyarrow's is used for plain text only).
_COMPRESSED = (".gz", ".bz2", ".xz", ".zip", ".zst", ".tar")


#: The last :func:`scan_file` result, keyed by the file's identity and state (device, inode,
#: size, modification time in ns): the command parses a file and then needs its sha256, and
#: one pass over the bytes gives both.
_SCANNED: dict[tuple, tuple[str, bool]] = {}


def file_key(path: str | os.PathLike) -> tuple[int, int, int, int]:
    """A file's identity and state: device, inode, size and modification time in ns.

    Examples
    --------
    >>> import tempfile
    >>> len(file_key(tempfile.gettempdir()))
    4
    """
    stat = os.stat(path)
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def scanned_key(path: str | os.PathLike, sha256: str) -> tuple[int, int, int, int] | None:
    """The :func:`file_key` under which :func:`scan_file` found ``sha256`` for the file at
    ``path``, if the file is still in that state; else None.

    Examples
    --------
    >>> sha = scan_file(__file__)[0]
    >>> scanned_key(__file__, sha) == file_key(__file__), scanned_key(__file__, "0" * 64)
    (True, None)
    """
    key = file_key(path)
    found = _SCANNED.get(key)
    return key if found is not None and found[0] == sha256 else None


def scan_file(path: str | os.PathLike) -> tuple[str, bool]:
    """SHA-256 of a file's bytes (64 hex digits) and whether it holds an odd number of ``"``.

    One pass over the file in 16 MiB blocks (hashlib hashes without holding the interpreter;
    the quotes are counted by numpy). The result of the last file scanned is kept while the
    file's device, inode, size and modification time are unchanged, so reading a file and
    then hashing it reads its bytes once.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp, "x.csv")
    ...     _ = p.write_bytes(b'id,note\\na,"open')
    ...     sha, odd = scan_file(p)
    >>> len(sha), odd
    (64, True)
    """
    key = file_key(path)
    if key in _SCANNED:
        return _SCANNED[key]
    digest, quotes = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            digest.update(block)
            quotes += int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == ord('"')))
    _SCANNED.clear()
    _SCANNED[key] = (digest.hexdigest(), quotes % 2 == 1)
    return _SCANNED[key]


def _open_quote(path: Path) -> bool:
    """Whether the file has an odd number of ``"``: a quoted field is never closed.

    pandas' parser refuses such a file; pyarrow's would read to the end of the file as one
    value. A doubled quote inside a quoted field counts two, so a well-formed file is even.
    """
    return scan_file(path)[1]


def _parse_csv_arrow(path: Path, sep: str, id_col: str | None):
    """Parse delimited text with pyarrow's multithreaded parser, as pandas' parser reads it.

    The same missing-value text and ``True``/``False`` spellings as :func:`pandas.read_csv`;
    the id column as text; columns pyarrow would read as dates or times are read again as
    text (pandas' parser leaves them as text, and :func:`churnsurv.prepare` parses dates
    itself, with ``date_format``). Returns the ``pyarrow.Table``, or None where pyarrow cannot
    read the file as pandas would (no pyarrow, a quoted line break, a quote never closed,
    ragged rows, bad bytes, a compressed file): pandas' parser then reads it, or raises the
    error the caller explains.
    """
    if path.suffix.lower() in _COMPRESSED or not path.stat().st_size or _open_quote(path):
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        return None

    def read(types: dict) -> pa.Table:
        return pacsv.read_csv(
            str(path),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=_NA_TEXT,
                strings_can_be_null=True,
                true_values=["True", "TRUE", "true"],
                false_values=["False", "FALSE", "false"],
                # repeated labels (a plan, a contract) are made into Python strings once each
                auto_dict_encode=True,
                auto_dict_max_cardinality=10_000,
            ),
        )

    try:
        types = {id_col: pa.string()} if id_col else {}
        table = read(types)
        names = table.column_names
        temporal = [f.name for f in table.schema if pa.types.is_temporal(f.type)]
        if temporal:  # dates stay text, as pandas reads them
            table = read({**types, **{c: pa.string() for c in temporal}})
    except (pa.ArrowException, OSError, ValueError):
        return None
    if len(set(names)) < len(names) or any(not n or n.isspace() for n in names):
        return None  # pandas renames repeated and empty header cells ("a.1", "Unnamed: 2")
    return table


def release_memory() -> None:
    """Give freed memory back to the system: pyarrow's pool and, on Linux, the C heap.

    Both keep what a large table freed for reuse, and it counts in the process's resident
    memory: ``churnsurv report`` calls this after handing its table to the notebook (the command
    then waits while the kernel works) and the notebook after making its frame.
    """
    import pyarrow as pa  # a dependency of churnsurv

    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        import ctypes

        # best effort: a C library without malloc_trim (musl) keeps the memory, nothing else
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def _text_dtype() -> pd.StringDtype | None:
    """pandas' pyarrow-backed text dtype with NaN for missing values (pandas >= 2.1), or None."""
    for args in (dict(storage="pyarrow", na_value=np.nan), dict(storage="pyarrow_numpy")):
        try:
            return pd.StringDtype(**args)
        except (TypeError, ValueError, ImportError):
            continue
    return None


def frame_from_arrow(
    table,
    *,
    id_col: str | None = None,
    categorical: Sequence[str] = (),
    arrow_ids: bool = False,
    self_destruct: bool = False,
) -> pd.DataFrame:
    """The frame pandas' parser gives, from the table pyarrow parsed (:func:`_parse_csv_arrow`).

    Missing text and True/False values are NaN; dictionary-encoded text columns are object
    columns, or sorted categoricals when named in ``categorical``; with ``arrow_ids`` the id
    column stays in Arrow memory (:func:`read_table`). ``self_destruct`` releases the table's
    memory column by column (the table cannot be used after).
    """
    import pyarrow as pa

    text = _text_dtype() if arrow_ids and id_col in table.column_names else None
    if text is not None and not pa.types.is_string(table.schema.field(id_col).type):
        text = None
    ids, at = None, 0
    if text is not None:
        ids, at = table[id_col], table.column_names.index(id_col)
        table = table.drop_columns([id_col])
    holes = [f.name for f in table.schema if table[f.name].null_count and _as_object(f.type)]
    n_rows = table.num_rows
    frame = table.to_pandas(split_blocks=True, self_destruct=self_destruct)
    del table
    if frame.shape[1] == 0:
        frame = pd.DataFrame(index=pd.RangeIndex(n_rows))
    for name in frame.columns[[isinstance(d, pd.CategoricalDtype) for d in frame.dtypes]]:
        if name in categorical:  # sorted, as grouping the text would order them
            labels = frame[name].cat.categories
            frame[name] = frame[name].cat.reorder_categories(np.sort(labels.to_numpy(object)))
        else:
            frame[name] = _labels_as_text(frame[name])
    for name in holes:  # a missing text or True/False value is NaN, as pandas reads it
        if frame[name].isna().all():  # an empty column: float NaN
            frame[name] = np.full(len(frame), np.nan)
        else:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), np.nan)
    if ids is not None:
        frame.insert(at, id_col, pd.Series(ids.to_pandas(types_mapper={pa.string(): text}.get)))
        frame.attrs["arrow_text"] = [id_col]
    return frame


def _labels_as_text(column: pd.Series) -> pd.Series:
    """A dictionary-encoded text column as pandas' parser gives it: object, NaN where missing."""
    labels = np.append(np.asarray(column.cat.categories, dtype=object), np.nan)
    return pd.Series(labels[column.cat.codes.to_numpy()], index=column.index, name=column.name)


def _as_object(kind) -> bool:
    """An Arrow column type that becomes a pandas object column when it has nulls."""
    import pyarrow as pa

    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind)) or bool(
        pa.types.is_boolean(kind) or pa.types.is_null(kind)
    )


def _arrow_frame(table, id_col, categorical, arrow_ids, keep) -> pd.DataFrame | None:
    """:func:`frame_from_arrow` of a parsed table, or None where pandas cannot take it."""
    import pyarrow as pa

    try:
        return frame_from_arrow(
            table,
            id_col=id_col,
            categorical=categorical,
            arrow_ids=arrow_ids,
            self_destruct=not keep,
        )
    except (pa.ArrowException, ValueError):
        return None


def _read_text_or_parquet(
    path: Path, id_col, sep, categorical=(), arrow_ids=False, keep_arrow=False
) -> tuple[pd.DataFrame, str, Any]:
    parquet = path.suffix.lower() in PARQUET_SUFFIXES
    kind = "Parquet"
    if not parquet:
        how = "given" if sep is not None else "detected"
        sep = sep or sniff_delimiter(path)
        kind = f"{DELIMITERS[sep]}-separated text ({how})"
    table = None
    try:
        if parquet:
            frame = pd.read_parquet(path)
        else:
            table = _parse_csv_arrow(path, sep, id_col)
            frame = (
                None
                if table is None
                else _arrow_frame(table, id_col, categorical, arrow_ids, keep_arrow)
            )
            if frame is None:  # pandas' own parser reads it, or says what is wrong with it
                table = None
                frame = pd.read_csv(path, sep=sep, dtype={id_col: str} if id_col else None)
    except ImportError as exc:
        raise _unreadable(
            path, f"reading Parquet needs pyarrow ({exc}); pip install pyarrow"
        ) from None
    except PermissionError:
        raise _unreadable(path, "permission denied") from None
    except pd.errors.EmptyDataError:
        raise _unreadable(path, "the file is empty") from None
    except UnicodeDecodeError as exc:
        with open(path, "rb") as handle:
            magic = handle.read(4)
        if magic in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):  # a zip (.xlsx) or an old .xls
            raise _unreadable(
                path, "this looks like an Excel workbook: save it as CSV, or name it .xlsx"
            ) from None
        raise _unreadable(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        what = "Parquet" if parquet else "CSV"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _unreadable(path, f"not a readable {what} file ({first})") from None
    return frame, kind, table if keep_arrow else None


def column_dtypes(frame: pd.DataFrame) -> pd.Series:
    """The dtype of each column as the report's "Columns of the input" table states it.

    A text column read as a categorical for speed (the report's segments and event:
    :func:`churnsurv.report.io.label_columns`), or held in Arrow memory (the id column,
    ``read_table(arrow_ids=True)``), is stated as the text column (``object``) pandas' parser
    would give: the table describes the input, not how the report holds it.

    Examples
    --------
    >>> frame = pd.DataFrame({"plan": pd.Categorical(["a", "b"]), "t": [1.0, 2.0]})
    >>> frame.attrs["categorical"] = ["plan"]
    >>> column_dtypes(frame).tolist()
    ['object', 'float64']
    """
    kept = set(frame.attrs.get("categorical", [])) | set(frame.attrs.get("arrow_text", []))
    return pd.Series(
        ["object" if c in kept else str(d) for c, d in frame.dtypes.items()], index=frame.columns
    )


def column_facts(frame: pd.DataFrame) -> pd.DataFrame:
    """The report's "Columns of the input": each column's dtype, missing and distinct values.

    ``dtype`` as :func:`column_dtypes` states it, ``missing`` as ``frame.isna().sum()`` and
    ``distinct values`` as ``frame.nunique()`` count them; ids held in Arrow memory are counted
    on fingerprints of their bytes (:func:`churnsurv.data._text.count_distinct_text`, exact)
    instead of pandas' hash table of one Python string per row.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": ["a", "b", "b", None], "t": [1.0, None, 1.0, 2.0]})
    >>> column_facts(frame)
             dtype  missing  distinct values
    column
    id      object        1                2
    t      float64        1                2
    """
    distinct = []
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        fast = count_distinct_text(column)
        distinct.append(distinct_count(column) if fast is None else fast)
    return pd.DataFrame(
        {
            "dtype": column_dtypes(frame),
            "missing": frame.isna().sum(),
            "distinct values": pd.Series(distinct, index=frame.columns, dtype=np.int64),
        }
    ).rename_axis("column")
