"""Benchmark: event logs in DuckDB — churnsurv's Ibis path against hand-written DuckDB SQL.

Generates a Parquet event log with DuckDB (``n_rows`` purchases of ``n_rows / 10`` customers
over three years, seeded) and times, best of ``REPEATS`` runs each, in the same process:

(a) the inactivity churn table (one row per customer, rule 180 days):
    ``cs.churn_from_events(path, ...).frame`` (row checks and exclusions, daily reduction,
    episode windows, exact durations) against one hand-written SQL query doing the windowing
    and grouping, fetched with ``.df()``;
(b) the survival counts behind Kaplan–Meier / life tables / churn rates:
    ``events.counts()`` + ``cs.life_table(events)`` against a hand-written GROUP BY;
(c) the RFM summary: ``cs.rfm_summary(path, ...)`` against a hand-written query;

checks that the Kaplan–Meier fit from the engine's counts equals the fit on the per-customer
table, and reports the process's peak resident memory (``ru_maxrss``, DuckDB's native memory
included). Prints a Markdown table; it does not write ``benchmarks/RESULTS.md``.

Run: ``.venv/bin/python benchmarks/bench_events.py [n_rows]`` (default 1,000,000; the issue's
target is 100,000,000 — pass ``100000000``, it needs about 2 GB of disk in the temp folder).
Not part of the test suite.
"""

from __future__ import annotations

import platform
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

import churnsurv as cs

REPEATS = 3
CUTOFF = "2022-12-31"
RULE_DAYS = 180


def best_of(fn, repeats: int = REPEATS) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def make_log(path: Path, n_rows: int) -> None:
    con = duckdb.connect()
    con.execute("SELECT setseed(0.16)")
    n_cust = max(n_rows // 10, 1)
    con.execute(
        f"""
        COPY (
          SELECT (random() * {n_cust})::BIGINT AS customer_id,
                 TIMESTAMP '2020-01-01' + to_seconds((random() * 1095 * 86400)::BIGINT) AS ts,
                 round(random() * 100, 2) AS amount
          FROM range({n_rows})
        ) TO '{path}' (FORMAT parquet)
        """
    )


def sql_churn_table(path: Path) -> pd.DataFrame:
    return duckdb.sql(
        f"""
        WITH d AS (
          SELECT customer_id AS cid, ts::DATE AS day, count(*) AS n, sum(amount) AS amt
          FROM read_parquet('{path}') WHERE ts::DATE <= DATE '{CUTOFF}' GROUP BY 1, 2),
        w AS (
          SELECT *, CASE WHEN lag(day) OVER (PARTITION BY cid ORDER BY day) IS NULL
                          OR day >= lag(day) OVER (PARTITION BY cid ORDER BY day)
                                    + INTERVAL {RULE_DAYS} DAY THEN 1 ELSE 0 END AS new
          FROM d),
        e AS (
          SELECT *, sum(new) OVER (PARTITION BY cid ORDER BY day ROWS UNBOUNDED PRECEDING) AS ep
          FROM w),
        g AS (
          SELECT cid, ep, min(day) AS start, max(day) AS last, count(*) AS active_days,
                 sum(n) AS transactions, sum(amt) AS amount
          FROM e GROUP BY 1, 2),
        f AS (SELECT *, ep < max(ep) OVER (PARTITION BY cid) AS returned FROM g)
        SELECT cid, start, last, returned,
               returned OR last + INTERVAL {RULE_DAYS} DAY <= DATE '{CUTOFF}' AS churned,
               active_days, transactions, amount,
               date_diff('day', start, last) AS duration_days
        FROM f WHERE ep = 1 ORDER BY cid
        """
    ).df()


def sql_counts(path: Path) -> pd.DataFrame:
    """The GROUP BY (start, end, churned) of the churn table, end = last activity."""
    return duckdb.sql(
        f"SELECT start, last, churned, count(*) AS n FROM ({_churn_sql(path)}) "
        "GROUP BY ALL ORDER BY ALL"
    ).df()


def _churn_sql(path: Path) -> str:
    return f"""
        WITH d AS (
          SELECT customer_id AS cid, ts::DATE AS day
          FROM read_parquet('{path}') WHERE ts::DATE <= DATE '{CUTOFF}' GROUP BY 1, 2),
        w AS (
          SELECT *, CASE WHEN lag(day) OVER (PARTITION BY cid ORDER BY day) IS NULL
                          OR day >= lag(day) OVER (PARTITION BY cid ORDER BY day)
                                    + INTERVAL {RULE_DAYS} DAY THEN 1 ELSE 0 END AS new
          FROM d),
        e AS (
          SELECT *, sum(new) OVER (PARTITION BY cid ORDER BY day ROWS UNBOUNDED PRECEDING) AS ep
          FROM w),
        g AS (SELECT cid, ep, min(day) AS start, max(day) AS last FROM e GROUP BY 1, 2),
        f AS (SELECT *, ep < max(ep) OVER (PARTITION BY cid) AS returned FROM g)
        SELECT start, last,
               returned OR last + INTERVAL {RULE_DAYS} DAY <= DATE '{CUTOFF}' AS churned
        FROM f WHERE ep = 1
    """


def sql_rfm(path: Path) -> pd.DataFrame:
    return duckdb.sql(
        f"""
        WITH d AS (
          SELECT customer_id AS cid, ts::DATE AS day, sum(amount) AS amt
          FROM read_parquet('{path}') GROUP BY 1, 2),
        f AS (SELECT *, min(day) OVER (PARTITION BY cid) AS first FROM d)
        SELECT cid, count(*) - 1 AS frequency, min(day) AS first_day, max(day) AS last_day,
               coalesce(sum(amt) FILTER (WHERE day > first) / nullif(count(*) - 1, 0), 0)
                 AS monetary_value
        FROM f WHERE day <= DATE '{CUTOFF}' GROUP BY cid ORDER BY cid
        """
    ).df()


def main(n_rows: int) -> None:
    folder = Path(tempfile.mkdtemp())
    path = folder / "events.parquet"
    t0 = time.perf_counter()
    make_log(path, n_rows)
    t_gen = time.perf_counter() - t0
    kw = dict(
        customer_id="customer_id",
        timestamp="ts",
        inactivity=f"{RULE_DAYS}D",
        cutoff=CUTOFF,
        amount="amount",
        time_unit="day",
    )

    t_cs_table, events = best_of(lambda: _table(path, kw))
    t_sql_table, table_sql = best_of(lambda: sql_churn_table(path))
    assert len(events.frame) == len(table_sql)
    assert int(events.frame["churned"].sum()) == int(table_sql["churned"].sum())

    t_cs_counts, _ = best_of(lambda: _counts(path, kw))
    t_sql_counts, _ = best_of(lambda: sql_counts(path))

    rfm_kw = dict(
        customer_id="customer_id",
        date="ts",
        amount="amount",
        calibration_end=CUTOFF,
        time_unit="day",
    )
    t_cs_rfm, rfm = best_of(lambda: cs.rfm_summary(path, **rfm_kw))
    t_sql_rfm, rfm_sql = best_of(lambda: sql_rfm(path))
    assert int(rfm["frequency"].sum()) == int(rfm_sql["frequency"].sum())

    km_engine = cs.KaplanMeier().fit(events)
    km_memory = cs.KaplanMeier().fit(events.to_data())
    identical = km_engine.curves_.equals(km_memory.curves_)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

    print(
        f"`benchmarks/bench_events.py {n_rows}`, {date.today()}, {platform.machine()}, "
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}; "
        f"{n_rows:,} rows, {n_rows // 10:,} customers; generating the Parquet log took "
        f"{t_gen:.1f} s; best of {REPEATS} runs.\n"
    )
    print("| measure | churnsurv (Ibis → DuckDB) | hand-written DuckDB SQL | ratio |")
    print("|---|---:|---:|---:|")
    for name, a, b in [
        ("inactivity churn table (one row per customer)", t_cs_table, t_sql_table),
        ("survival counts + life table", t_cs_counts, t_sql_counts),
        ("RFM summary", t_cs_rfm, t_sql_rfm),
    ]:
        print(f"| {name} | {a:.2f} s | {b:.2f} s | {a / b:.2f} |")
    print(
        f"\nKaplan–Meier from engine counts identical to the per-customer fit: {identical}; "
        f"peak resident memory of the process: {peak_gib:.2f} GiB."
    )


def _table(path, kw):
    events = cs.churn_from_events(path, **kw)
    events.frame  # noqa: B018 - fetch the per-customer table
    return events


def _counts(path, kw):
    events = cs.churn_from_events(path, **kw)
    return cs.life_table(events, width=30)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
