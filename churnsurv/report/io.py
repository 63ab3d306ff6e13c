"""What the report template and its runner share: reading the input, its sha256, the columns a
covariate formula uses, the sBG tail that value at risk extrapolates with, and writing CSV tables
that spreadsheets open as data (never as formulas).

The template notebook (``churnsurv/report/templates/report.ipynb``) imports these functions
instead of carrying its own copies, and :func:`churnsurv.report.run.run_report` uses the same
ones to validate the input before the notebook runs, so both read the same table the same way.
Nothing in the library imports this module; it uses only the public ``churnsurv`` API (plus the
formula parser every Cox model uses).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import churnsurv as cs
from churnsurv._typing import ArrayLike
from churnsurv._validation import as_float_array, check_choice, check_count, check_horizon
from churnsurv.clv.btyd.sbg import ConstantChurnError
from churnsurv.data import ChurnData
from churnsurv.exceptions import DataValidationError
from churnsurv.report.handover import read_checked_input, recorded_sha256
from churnsurv.report.reading import (
    DELIMITERS,
    EXCEL_SUFFIXES,
    PARQUET_SUFFIXES,
    check_delimiter,
    column_dtypes,
    column_facts,
    read_table,
    read_table_parsed,
    scan_file,
    sniff_delimiter,
)

__all__ = [
    "DATASET_FILES",
    "DELIMITERS",
    "EXCEL_SUFFIXES",
    "FORMULA_STARTS",
    "PARQUET_SUFFIXES",
    "Timings",
    "bin_segments",
    "check_delimiter",
    "column_dtypes",
    "column_facts",
    "dataset_path",
    "file_sha256",
    "formula_columns",
    "label_columns",
    "neutralise_formulas",
    "read_input",
    "read_input_parsed",
    "read_table",
    "sbg_periods",
    "sbg_tail",
    "sniff_delimiter",
    "write_csv",
    "write_table",
]

#: Bundled data sets the report knows: name → (folder, file) inside ``churnsurv._data``.
DATASET_FILES: dict[str, tuple[str, str]] = {"telco": ("telco", "Telco-Customer-Churn.csv")}

#: First characters that make a spreadsheet read a CSV cell as a formula (OWASP, "CSV
#: Injection"): ``=``, ``+``, ``-``, ``@``, tab and carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, as 64 hex digits (:func:`~churnsurv.report.reading.scan_file`).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    str

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp, "x.csv")
    ...     _ = p.write_bytes(b"abc")
    ...     file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    return scan_file(path)[0]


def dataset_path(name: str) -> Path:
    """The file of a bundled data set (a key of :data:`DATASET_FILES`).

    Parameters
    ----------
    name : str

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> dataset_path("telco").name
    'Telco-Customer-Churn.csv'
    """
    check_choice("dataset", name, sorted(DATASET_FILES))
    folder, filename = DATASET_FILES[name]
    return Path(str(resources.files("churnsurv._data").joinpath(folder).joinpath(filename)))


def read_input(
    input_path: str | os.PathLike | None = None,
    dataset: str | None = None,
    *,
    id_col: str | None = None,
    sep: str | None = None,
    checked: str | os.PathLike | None = None,
    categorical: Sequence[str] = (),
    arrow_ids: bool = False,
) -> tuple[pd.DataFrame, str, str]:
    """The report's input: a file (:func:`read_table`) or a bundled data set, with its sha256.

    Parameters
    ----------
    input_path : str or path-like, optional
        CSV or Parquet file; when given, ``dataset`` is ignored.
    dataset : str, optional
        Bundled data set (a key of :data:`DATASET_FILES`), loaded with its
        ``churnsurv.datasets.load_<name>`` loader, used when ``input_path`` is None.
    id_col : str, optional
        Customer id column of a file, read as text.
    sep : str, optional
        Delimiter of a text file (:func:`read_table`); default: sniffed.
    checked : str or path-like, optional
        The table ``churnsurv report`` read from this file and checked
        (:mod:`churnsurv.report.handover`): taken instead of parsing the file again when it is
        there and was read from a file with the same sha256.
    categorical : list of str, optional
        Text columns kept as categoricals (:func:`read_table`; the report passes
        :func:`label_columns`).
    arrow_ids : bool, default False
        Keep a text file's id column in Arrow memory (:func:`read_table`).

    Returns
    -------
    frame : pandas.DataFrame
    source : str
        What was read, for the reader: ``"file customers.csv, comma-separated text
        (detected)"`` or ``"bundled data set 'telco'"``.
    sha256 : str
        :func:`file_sha256` of the file read.

    Examples
    --------
    >>> frame, source, sha256 = read_input(dataset="telco")
    >>> frame.shape, source, len(sha256)
    ((7043, 21), "bundled data set 'telco'", 64)
    """
    if input_path is None:
        if dataset is None:
            raise DataValidationError(
                "give a customer file (CSV or Parquet) or a bundled data set name.",
                rule="no input",
            )
        path = dataset_path(dataset)
        frame = getattr(cs.datasets, f"load_{dataset}")()
        return frame, f"bundled data set {dataset!r}", file_sha256(path)
    frame, source, sha256, _ = read_input_parsed(
        input_path,
        id_col=id_col,
        sep=sep,
        checked=checked,
        categorical=categorical,
        arrow_ids=arrow_ids,
    )
    return frame, source, sha256


def read_input_parsed(
    input_path: str | os.PathLike,
    *,
    id_col: str | None = None,
    sep: str | None = None,
    checked: str | os.PathLike | None = None,
    categorical: Sequence[str] = (),
    arrow_ids: bool = False,
    keep_arrow: bool = False,
) -> tuple[pd.DataFrame, str, str, Any]:
    """:func:`read_input` of a file, and the Arrow table pyarrow parsed it into (or None).

    ``churnsurv report`` keeps that table (``keep_arrow``) to hand it to the notebook
    (:mod:`churnsurv.report.handover`); see :func:`~churnsurv.report.reading.read_table_parsed`.
    """
    path = Path(input_path)
    if checked is not None and Path(checked).is_file():
        # the file unchanged since the command hashed it: its sha256 as recorded then
        sha256 = recorded_sha256(checked, path) or file_sha256(path)
        frame = read_checked_input(checked, sha256, id_col=id_col, sep=sep, arrow_ids=arrow_ids)
        if frame is not None:
            return frame, f"file {path.name}, {frame.attrs['format']}", sha256, None
    frame, table = read_table_parsed(
        path,
        id_col=id_col,
        sep=sep,
        categorical=categorical,
        arrow_ids=arrow_ids,
        keep_arrow=keep_arrow,
    )
    return frame, f"file {path.name}, {frame.attrs['format']}", file_sha256(path), table


def label_columns(by: Sequence[str], event: str | None, formula: str | None = None) -> list[str]:
    """The columns the report reads as categoricals: its segments, its event column and the
    columns of its Cox formula.

    Every Kaplan-Meier fit by segment, log-rank test, churn-rate table, CLV by segment,
    ``prepare``'s event coding and the Cox design groups these columns; held as categoricals
    (sorted categories, the order grouping the text gives) each of those passes reads integer
    codes instead of hashing one Python string per row. The tables show the same labels in the
    same order. Only text columns become categoricals (a numeric formula column stays as it
    is); a formula that does not parse adds no column (the command's checks report it).

    Examples
    --------
    >>> label_columns(["Contract", "InternetService"], "Churn")
    ['Contract', 'InternetService', 'Churn']
    >>> label_columns(["Contract"], "Churn", "Contract + PaymentMethod + MonthlyCharges")
    ['Contract', 'Churn', 'MonthlyCharges', 'PaymentMethod']
    """
    names = [*by, *([event] if event is not None else [])]
    if formula:
        with suppress(DataValidationError):  # reported by the command's checks, by option name
            names += formula_columns(formula)
    return list(dict.fromkeys(names))


def bin_segments(
    frame: pd.DataFrame, by: list[str], bins: int | None
) -> tuple[pd.DataFrame, list[str]]:
    """Numeric segment columns cut into ``bins`` quantile bins (``churnsurv report --bins``).

    Every column of ``by`` that holds numbers (not True/False) with more than ``bins`` distinct
    values is cut at its quantiles (:func:`pandas.qcut`; bins that would repeat an edge are
    merged) into a new ordered column named ``"<column> (quantile bin)"``, labelled
    ``"12.5 to 40"`` (the first bin includes its lower edge); ``by`` names the new column
    instead. Other columns, and everything with ``bins=None``, are left as they are.

    Parameters
    ----------
    frame : pandas.DataFrame
    by : list of str
    bins : int or None

    Returns
    -------
    frame : pandas.DataFrame
        A copy with the binned columns added (or ``frame`` itself when nothing was binned).
    by : list of str

    Examples
    --------
    >>> t = pd.DataFrame({"fee": [10.0, 20, 30, 40, 50, 60, 70, 80], "plan": list("abababab")})
    >>> t2, by = bin_segments(t, ["fee", "plan"], 2)
    >>> by, t2[by[0]].astype(str).tolist()
    (['fee (quantile bin)', 'plan'], ['10 to 45', '10 to 45', '10 to 45', '10 to 45', \
'45 to 80', '45 to 80', '45 to 80', '45 to 80'])
    """
    if bins is None:
        return frame, list(by)
    out, names = frame, []
    for col in by:
        values = frame[col]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if not numeric or values.nunique(dropna=True) <= bins:
            names.append(col)
            continue
        cut = pd.qcut(values, bins, duplicates="drop")
        labels = [f"{iv.left:.4g} to {iv.right:.4g}" for iv in cut.cat.categories]
        if len(labels):
            labels[0] = f"{float(values.min()):.4g} to {cut.cat.categories[0].right:.4g}"
        name = f"{col} (quantile bin)"
        while name in frame.columns:
            name += "'"
        out = out.copy() if out is frame else out
        out[name] = cut.cat.rename_categories(labels).cat.as_ordered()
        names.append(name)
    return out, names


def formula_columns(formula: str) -> list[str]:
    """The columns a covariate formula (the right-hand side of a Cox model) uses, sorted.

    The lookup is the Cox model's own (:class:`churnsurv.CoxModel` parses its formula the
    same way), so these are the columns the model will ask :func:`churnsurv.prepare` to carry.

    Parameters
    ----------
    formula : str
        E.g. ``"Contract + MonthlyCharges"``; transformations, interactions and backquoted
        names with spaces are allowed.

    Returns
    -------
    list of str

    Raises
    ------
    DataValidationError
        With rule ``"bad formula"``: the formula does not parse, or has a left-hand side.

    Examples
    --------
    >>> formula_columns("C(Contract) + np.log(MonthlyCharges) + tenure:Partner")
    ['Contract', 'MonthlyCharges', 'Partner', 'tenure']
    >>> formula_columns("Churn ~ Contract")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: formula 'Churn ~ Contract': give only the ...
    """
    from churnsurv.regression.design import Design

    if isinstance(formula, str) and "~" in formula:
        raise DataValidationError(
            f"formula {formula!r}: give only the right-hand side, e.g. 'Contract + "
            "MonthlyCharges' (durations and events come from the other options).",
            column="--formula",
            rule="bad formula",
        )
    try:
        return list(Design(formula).variables)
    except ValueError as exc:
        # formulaic marks the error position with colour codes and a second line; keep line 1
        first = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()[0]
        raise DataValidationError(first, column="--formula", rule="bad formula") from None


def sbg_periods(durations: ArrayLike, events: ArrayLike) -> np.ndarray:
    """Tenures in time units as shifted-beta-geometric periods (one period = one time unit).

    A churner churned in period ``ceil(t)``, at least 1 (a churn at tenure 0 counts in the first
    period); an active customer has completed ``floor(t)`` periods. These are the durations
    :meth:`churnsurv.ShiftedBetaGeometric.fit_individual` takes.

    Parameters
    ----------
    durations : array-like of float
        Tenures, in the data's time unit (:attr:`churnsurv.ChurnData.durations`).
    events : array-like of bool
        True for churners.

    Returns
    -------
    numpy.ndarray of int

    Examples
    --------
    >>> sbg_periods([0, 0.5, 2, 2.5, 2.5, 3], [True, True, True, True, False, False]).tolist()
    [1, 1, 2, 3, 2, 3]
    """
    t = as_float_array(durations, "durations")
    churned = np.asarray(events, dtype=bool).ravel()
    return np.where(churned, np.maximum(np.ceil(t), 1), np.floor(t)).astype(int)


def sbg_tail(data: ChurnData, horizon: int) -> tuple[cs.ShiftedBetaGeometric | None, pd.Series]:
    """The sBG model of all customers, and its survival curve as a tail for value at risk.

    The model is fitted to every customer of ``data`` (periods from :func:`sbg_periods`); the
    tail is its survival ``S(t)`` at whole periods ``0 ... ceil(longest tenure) + horizon + 1``,
    long enough for :func:`churnsurv.value_at_risk` to continue a customer's curve from any
    observed tenure over ``horizon`` periods.

    When churn does not slow down with tenure, the sBG likelihood is highest at its limit, the
    geometric model (one churn probability ``theta`` for every customer and period; the fit
    raises :class:`~churnsurv.clv.btyd.sbg.ConstantChurnError`). The tail is then that limit,
    ``S(t) = (1 - theta)**t`` with ``theta`` = churns / periods at risk, named ``"geometric"``,
    and no model is returned. Any other failure of the fit is raised.

    Parameters
    ----------
    data : churnsurv.ChurnData
    horizon : int
        The value-at-risk horizon, in the data's time units.

    Returns
    -------
    model : churnsurv.ShiftedBetaGeometric or None
        None when the tail is the geometric limit.
    tail : pandas.Series
        ``S(t)`` indexed by period ``t``, named ``"sBG"`` (or ``"geometric"``).

    Raises
    ------
    churnsurv.ConvergenceError
        The sBG has no finite estimate for another reason (nobody churned, everyone churned in
        the first period) or the optimiser failed; the message says which.

    Examples
    --------
    The regular cohort of Fader & Hardie (2007), with tenures in months: churners left during
    their last month, the 241 still active have completed 7 months and a half.

    >>> import numpy as np, pandas as pd, churnsurv as cs
    >>> n = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> lost = n[:-1] - n[1:]
    >>> tenure = np.append(np.repeat(np.arange(1, 8) - 0.5, lost), np.full(241, 7.5))
    >>> churned = np.arange(1000) < lost.sum()
    >>> data = cs.prepare(pd.DataFrame({"t": tenure, "e": churned}), duration="t", event="e")
    >>> model, tail = sbg_tail(data, horizon=12)
    >>> round(model.alpha_, 3), round(model.beta_, 3), int(tail.index[-1])
    (0.704, 1.182, 21)

    Constant churn (every customer leaves with probability 0.2 a month): the geometric tail.

    >>> tenure = np.random.default_rng(7).geometric(0.2, 500) - 0.5
    >>> data = cs.prepare(pd.DataFrame({"t": tenure, "e": True}), duration="t", event="e")
    >>> model, tail = sbg_tail(data, horizon=12)
    >>> model, tail.name, round(1 - float(tail[1]), 3)
    (None, 'geometric', 0.193)
    """
    churned = np.asarray(data.events, dtype=bool)
    periods = sbg_periods(data.durations, churned)
    whole = np.arange(int(np.ceil(np.max(data.durations))) + check_horizon(horizon) + 2)
    try:
        model = cs.ShiftedBetaGeometric().fit_individual(periods, churned, time_unit=data.time_unit)
    except ConstantChurnError as exc:
        geometric = np.exp(whole * np.log1p(-exc.churn_probability))
        return None, pd.Series(geometric, index=whole, name="geometric")
    return model, pd.Series(model.survival(whole), index=whole, name="sBG")


def _memory_gib() -> tuple[float, float]:
    """This process's resident memory now and its peak so far, in GiB (NaN where unknown)."""
    try:
        import psutil

        now = psutil.Process().memory_info().rss / 2**30
    except ImportError:  # psutil comes with ipykernel; without it, the peak only
        now = float("nan")
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, B on macOS
        peak_gib = peak / 2**30 if os.uname().sysname == "Darwin" else peak / 2**20
    except (ImportError, AttributeError):  # Windows
        peak_gib = float("nan")
    return now, peak_gib


class Timings:
    """Wall time and memory of each part of the report (``tables/timings.csv``).

    ``with timings.timed(name):`` records, when the block ends (normally or by an error), its
    wall time, this process's resident memory (RSS) after it and the peak RSS so far. The
    report notebook times each ``section`` this way; the numbers vary from run to run, so
    they are kept apart from the report's results.

    Examples
    --------
    >>> timings = Timings()
    >>> with timings.timed("1. The data"):
    ...     x = sum(range(1000))
    >>> timings.table.columns.tolist()
    ['section', 'seconds', 'rss_gib', 'peak_rss_gib']
    >>> timings.table["section"].tolist(), bool(timings.table["seconds"].iloc[0] >= 0)
    (['1. The data'], True)
    """

    def __init__(self) -> None:
        self.rows: list[dict] = []

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Time the block and record it under ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            rss, peak = _memory_gib()
            self.rows.append(
                dict(
                    section=name,
                    seconds=time.perf_counter() - start,
                    rss_gib=rss,
                    peak_rss_gib=peak,
                )
            )

    @property
    def table(self) -> pd.DataFrame:
        """One row per timed part, in the order they ended."""
        return pd.DataFrame(self.rows, columns=["section", "seconds", "rss_gib", "peak_rss_gib"])


def _as_text(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with ``'``; else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` in which no text cell or label reads as a spreadsheet formula.

    Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (cells, column
    names, index labels and their names) gets a leading single quote, as OWASP recommends
    against CSV injection: ``=HYPERLINK("http://x", "click")`` becomes
    ``'=HYPERLINK("http://x", "click")``, which Excel, LibreOffice and Google Sheets show as
    text. Numbers stay numbers (``-0.5`` in a numeric column is untouched); only text changes.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> t = pd.DataFrame({"segment": ["=1+1", "@SUM(A1)", "-x", "plain"], "hr": [-0.5, 1, 2, 3]})
    >>> neutralise_formulas(t)
        segment   hr
    0     '=1+1 -0.5
    1 '@SUM(A1)  1.0
    2       '-x  2.0
    3     plain  3.0
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or isinstance(
            values.dtype, (pd.CategoricalDtype, pd.StringDtype)
        ):
            out[column] = _quoted(values.astype(object))
    out = out.rename(columns=_as_text)
    flat = not isinstance(out.index, pd.MultiIndex)
    if flat and (out.index.dtype == object or isinstance(out.index.dtype, pd.StringDtype)):
        out.index = pd.Index(_quoted(out.index.astype(object)), name=out.index.name)
    else:
        out = out.rename(index=_as_text)
    out.index.names = [_as_text(n) for n in out.index.names]
    out.columns.names = [_as_text(n) for n in out.columns.names]
    return out


def _quoted(values: pd.Series | pd.Index) -> np.ndarray:
    """Object values with :func:`_as_text` applied, found by one vectorised test per cell:
    only the cells that need a quote go through Python (a 1,000,000-row table of text ids
    took 3 s cell by cell)."""
    # a copy (changed in place below) through to_numpy: np.array(series) would look numpy's
    # attribute probes up in the index, a hash table of a million text ids built for nothing
    text = values.to_numpy(dtype=object, copy=True)
    quote = _formula_cells(text)
    if quote is None:  # not all text: test each cell
        where = np.flatnonzero(np.fromiter((isinstance(v, str) for v in text), bool, text.size))
        starts = pd.Series(text[where], dtype=object).str.startswith(FORMULA_STARTS)
        quote = where[starts.to_numpy(dtype=bool)]
    text[quote] = ["'" + v for v in text[quote]]
    return text


def _formula_cells(text: np.ndarray) -> np.ndarray | None:
    """Positions of the formula-like cells of object values that are all text or missing
    (one pyarrow regex pass, no Python call per cell), or None for other values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array(text, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if array.type not in (pa.string(), pa.large_string()):
        return None  # bytes are not text; all missing (null) has nothing to quote either way
    formula = pc.match_substring_regex(array, r"^[=+\-@\t\r]")
    return np.flatnonzero(pc.fill_null(formula, False).to_numpy(zero_copy_only=False))


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = True) -> Path:
    """Write a table of the report as CSV, safe to open in a spreadsheet.

    Every table the report writes goes through here: text that a spreadsheet would run as a
    formula is prefixed with ``'`` (:func:`neutralise_formulas`); numbers are written as numbers.
    The bytes are those of ``neutralise_formulas(frame).to_csv(path, index=index)``; tables of
    numbers, booleans and text are formatted by pyarrow (:mod:`churnsurv.report.csv_arrow`,
    5x faster), others by pandas.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str or path-like
    index : bool, default True
        Write the index (as ``DataFrame.to_csv`` does).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = write_csv(pd.DataFrame({"id": ['=HYPERLINK("http://x")'], "clv": [-3.5]}),
    ...                   Path(tmp, "t.csv"), index=False)
    ...     print(p.read_text())
    id,clv
    "'=HYPERLINK(""http://x"")",-3.5
    <BLANKLINE>
    """
    from churnsurv.report.csv_arrow import csv_bytes

    path = Path(path)
    data = csv_bytes(frame, index=index)  # the same bytes, formatted in Arrow memory
    if data is None:  # a column it does not handle: pandas
        neutralise_formulas(frame).to_csv(path, index=index)
    else:
        path.write_bytes(data)
    return path


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    *,
    index: bool = True,
    max_csv_rows: int = 1_000_000,
    what: str = "rows",
    order: str = "in the table's order",
) -> str:
    """Write a table of the report as CSV, and as Parquet when it is too long for a spreadsheet.

    Up to ``max_csv_rows`` rows the CSV is written exactly as :func:`write_csv` writes it.
    Longer tables are written whole, with their exact dtypes and index, to ``<name>.parquet``
    (pyarrow), and their first ``max_csv_rows`` rows to ``<name>.csv`` (by :func:`write_csv`):
    a spreadsheet opens at most 1,048,576 rows, and 8.8 million customers are 770 MB of text.
    A stale ``<name>.parquet`` from an earlier, longer table is removed.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str or path-like
        The CSV file (``.csv``); the Parquet file is beside it.
    index : bool, default True
        Write the index (as ``DataFrame.to_csv`` does).
    max_csv_rows : int, default 1,000,000
        Rows written to the CSV at most (a whole number >= 1).
    what, order : str
        The rows in the returned sentence ("active customers") and the order of the first rows
        ("by rank").

    Returns
    -------
    str
        Where the rows are, for a caption: ``"All 12 rows: tables/t.csv"`` or
        ``"All 12 rows: tables/t.parquet; the first 10 in the table's order: tables/t.csv"``.

    Examples
    --------
    >>> import tempfile
    >>> frame = pd.DataFrame({"clv": np.arange(12.0)})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     Path(tmp, "tables").mkdir()
    ...     print(write_table(frame, Path(tmp, "tables", "t.csv"), max_csv_rows=10))
    ...     print(len(pd.read_csv(Path(tmp, "tables", "t.csv"))),
    ...           pd.read_parquet(Path(tmp, "tables", "t.parquet")).equals(frame))
    All 12 rows: tables/t.parquet; the first 10 in the table's order: tables/t.csv
    10 True
    """
    limit = check_count(max_csv_rows, name="max_csv_rows")
    path = Path(path)
    parquet = path.with_suffix(".parquet")
    shown = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
    if len(frame) <= limit:
        write_csv(frame, path, index=index)
        parquet.unlink(missing_ok=True)
        return f"All {len(frame):,} {what}: {shown}"
    from concurrent.futures import ThreadPoolExecutor

    # the whole table goes to Parquet in a thread (pyarrow's writer lets go of the GIL) while
    # the first rows are formatted as CSV: 1.2 s less for 8.8 million customers
    with ThreadPoolExecutor(max_workers=1) as pool:
        whole = pool.submit(_write_parquet, frame, parquet, index=index)
        write_csv(frame.iloc[:limit], path, index=index)
        whole.result()
    shown_parquet = shown[: -len(path.suffix)] + ".parquet" if path.suffix else shown + ".parquet"
    return f"All {len(frame):,} {what}: {shown_parquet}; the first {limit:,} {order}: {shown}"


def _write_parquet(frame: pd.DataFrame, path: Path, *, index: bool) -> None:
    """``frame.to_parquet(path, index=index)`` without pyarrow asking each column Series for
    ``__arrow_array__``: pandas answers such a probe by looking the name up in the index, and
    for millions of text ids that first builds a hash table of them (40 s for the 8.8 million
    active customers of a 10,000,000-customer report).

    The table is converted with the ids as its first column under a RangeIndex; that column
    is then declared the index in the pandas metadata and moved last, as ``to_parquet`` stores
    an index, so ``pandas.read_parquet`` gives the frame back. The ids are written without a
    dictionary (same content, a third less time). Other indexes (a MultiIndex,
    numbers, a name that is also a column's) go to ``to_parquet``.
    """
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = frame.index
    text = not isinstance(ids, pd.MultiIndex) and (
        ids.dtype == object or isinstance(ids.dtype, pd.StringDtype)
    )
    field = "__index_level_0__" if ids.name is None else ids.name
    if not text or not isinstance(field, str) or field in frame.columns:
        frame.to_parquet(path, engine="pyarrow", index=index)
        return
    flat = frame.copy(deep=False)
    flat.index = pd.RangeIndex(len(frame))
    if index:
        flat.insert(0, field, ids.array)
    table = pa.Table.from_pandas(flat, preserve_index=False)
    if index:
        meta = json.loads(table.schema.metadata[b"pandas"])
        entry = dict(meta["columns"][0], name=ids.name, field_name=field)
        meta["columns"] = meta["columns"][1:] + [entry]
        meta["index_columns"] = [field]
        names = table.column_names
        table = table.select(names[1:] + names[:1]).replace_schema_metadata(
            {**table.schema.metadata, b"pandas": json.dumps(meta).encode()}
        )
    # no dictionary for the ids (all distinct: pyarrow would build one and throw it away, a
    # third of the write); the other columns as to_parquet writes them
    dictionary = [name for name in table.column_names if name != field] if index else True
    pq.write_table(table, path, use_dictionary=dictionary)
