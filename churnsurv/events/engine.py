"""Where an event log lives: pandas, a Parquet/CSV file, an Ibis table or a Spark DataFrame.

Every summary of :mod:`churnsurv.events` is written once as an `Ibis <https://ibis-project.org>`_
expression, and Ibis compiles it to the engine that holds the log: DuckDB (embedded, the
default; it reads Parquet/CSV files and DuckDB databases larger than memory) or Spark (a user's
cluster, or local mode). Ibis and DuckDB are imported here, only when an event log is used, so
``import churnsurv`` stays light; PySpark is imported only when a Spark DataFrame is passed.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from churnsurv._validation import check_count, check_memory_limit
from churnsurv.exceptions import DataValidationError

__all__ = ["EventLog", "as_table", "engine_name", "fetch_frame", "read_events", "to_pandas"]

#: What :func:`churnsurv.churn_from_events` reads: a DataFrame, a file path, an Ibis table or a
#: Spark DataFrame.
EventLog = Any

_view_names = itertools.count()


def read_events(
    path: str | Path,
    *,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
):
    """Open a Parquet or CSV event log in DuckDB, with bounds on its memory and threads.

    Every function that takes an event log also takes a file path, and then DuckDB runs with
    its own defaults (a memory limit of 80% of the machine's RAM, one thread per core). Open
    the log with this function to bound DuckDB instead: with ``memory_limit`` set, DuckDB
    spills what does not fit to ``temp_directory`` and the results are the same.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.parquet`` or ``.csv`` file (also ``.csv.gz``), or a folder of Parquet files.
    memory_limit : str, optional
        DuckDB's ``memory_limit``, e.g. ``"1GB"`` or ``"500MB"``: the memory its operators may
        hold. The process also holds the (small) results and Python itself, so its peak is
        somewhat above this.
    temp_directory : str or pathlib.Path, optional
        Where DuckDB spills (default: DuckDB's, ``.tmp`` beside an on-disk database, the
        system temp folder for an in-memory one).
    threads : int, optional
        Number of DuckDB threads (default: one per core).

    Returns
    -------
    ibis.Table
        The log on its own DuckDB connection; pass it to :func:`churnsurv.churn_from_events`,
        :func:`churnsurv.rfm_summary` or any other function that takes an event log.

    Raises
    ------
    DataValidationError
        If the file does not exist or is not Parquet or CSV, or ``memory_limit`` is not a
        size.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"id": [1, 1, 2], "ts": pd.to_datetime(
    ...     ["2020-01-01", "2020-03-01", "2020-02-01"])}).to_parquet(folder / "log.parquet")
    >>> log = read_events(folder / "log.parquet", memory_limit="500MB", threads=1)
    >>> log.count().to_pyarrow().as_py()
    3
    >>> log.get_backend().raw_sql("SELECT current_setting('threads')").fetchone()[0]
    1
    """
    config: dict[str, Any] = {}
    if memory_limit is not None:
        config["memory_limit"] = check_memory_limit(memory_limit, name="memory_limit")
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    if threads is not None:
        config["threads"] = check_count(threads, name="threads")
    return _read_file(Path(path), config)


def _read_file(path: Path, config: dict[str, Any] | None = None):
    import ibis

    if not path.exists():
        raise DataValidationError(f"event log file {str(path)!r} does not exist.", rule="no file")
    try:
        con = ibis.duckdb.connect(**(config or {}))
    except Exception as err:  # DuckDB's message names the setting and the value it refused
        raise ValueError(f"DuckDB settings {config}: {err}") from None
    suffix = "".join(path.suffixes).lower()
    # Ibis 12 reads the file's schema with DuckDB's fetch_arrow_table(), which DuckDB 1.5
    # deprecates; the notice is about Ibis' internals, not the user's call.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "fetch_arrow_table", DeprecationWarning)
        if ".parquet" in suffix or path.is_dir():
            return con.read_parquet(str(path))
        if ".csv" in suffix or ".tsv" in suffix:
            return con.read_csv(str(path))
    raise DataValidationError(
        f"event log file {str(path)!r}: expected a .parquet or .csv file (or a folder of "
        "Parquet files).",
        rule="unknown file type",
    )


def _from_spark(frame):
    import ibis

    con = ibis.pyspark.connect(frame.sparkSession)
    name = f"churnsurv_events_{next(_view_names)}"
    frame.createOrReplaceTempView(name)
    return con.table(name)


def as_table(log: EventLog, columns: list[str]):
    """The log as an Ibis table holding ``columns`` (checked to exist).

    Examples
    --------
    >>> import pandas as pd
    >>> t = as_table(pd.DataFrame({"id": [1, 2], "ts": ["2020-01-01", "2020-01-02"]}), ["id"])
    >>> engine_name(t), t.count().to_pyarrow().as_py()
    ('duckdb', 2)
    """
    import ibis

    if isinstance(log, pd.DataFrame):
        table = ibis.memtable(log)
    elif isinstance(log, str | Path):
        table = _read_file(Path(log))
    elif isinstance(log, ibis.Table):
        table = log
    elif type(log).__module__.startswith("pyspark.sql"):
        table = _from_spark(log)
    else:
        raise DataValidationError(
            f"event log of type {type(log).__name__}: expected a pandas DataFrame, a path to a "
            "Parquet or CSV file, an Ibis table (e.g. ibis.duckdb.connect('db.duckdb')"
            ".table('events')) or a Spark DataFrame.",
            rule="unknown event log",
        )
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataValidationError(
            f"event log: column(s) {missing} not found; available: {list(table.columns)}.",
            column=missing[0],
            rule="missing column",
        )
    return table


def engine_name(table) -> str:
    """Name of the backend an Ibis table runs on (``"duckdb"`` for in-memory tables)."""
    try:
        return str(table.get_backend().name)
    except Exception:  # an unbound memtable runs on Ibis' default backend, DuckDB
        return "duckdb"


def to_pandas(expr) -> pd.DataFrame:
    """Run an Ibis expression in its engine and return the (small) result as pandas."""
    return expr.to_pandas()


def fetch_frame(expr) -> pd.DataFrame:
    """Run an Ibis expression and return its (possibly long) result with few copies.

    Dates arrive as ``datetime64`` columns, not as one Python ``date`` object per row (at
    10 million customers, three date columns of objects took more than a gigabyte), and each
    column is its own block, so a caller that pops columns frees them one by one.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> t = ibis.memtable(pd.DataFrame({"d": pd.to_datetime(["2020-01-02"]).date}))
    >>> fetch_frame(t.select(d=t.d.cast("date"))).dtypes["d"].kind
    'M'
    """
    fetched = expr.to_pyarrow()
    frame = fetched.to_pandas(date_as_object=False, split_blocks=True)
    del fetched
    return frame
