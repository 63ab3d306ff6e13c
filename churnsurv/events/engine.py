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

from churnsurv.exceptions import DataValidationError

__all__ = ["EventLog", "as_table", "engine_name", "to_pandas"]

#: What :func:`churnsurv.churn_from_events` reads: a DataFrame, a file path, an Ibis table or a
#: Spark DataFrame.
EventLog = Any

_view_names = itertools.count()


def _read_file(path: Path):
    import ibis

    if not path.exists():
        raise DataValidationError(f"event log file {str(path)!r} does not exist.", rule="no file")
    con = ibis.duckdb.connect()
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
