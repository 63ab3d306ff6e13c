"""Benchmark: event logs in DuckDB — churnsurv's Ibis path against hand-written DuckDB SQL.

Generates a Parquet event log with DuckDB (``--rows`` purchases of ``rows / 10`` customers over
three years, seeded) and times, in the same run and on the same file:

(a) the inactivity churn table (one row per customer, rule 180 days):
    ``cs.churn_from_events(path, ...).frame`` (row checks and exclusions, daily reduction,
    episode windows, exact durations) against one hand-written SQL query doing the windowing
    and grouping, fetched with ``.df()``;
(b) the survival counts behind Kaplan–Meier / life tables / churn rates:
    ``cs.life_table(events)`` + ``cs.churn_rates(events)`` (from ``events.counts()``, never
    expanded per customer) against a hand-written GROUP BY;
(c) the RFM summary: ``cs.rfm_summary(path, ...)`` against a hand-written query;

each step in a fresh Python process (spawned: it shares no memory with the others), best of
``--repeats`` runs, with that process's peak resident memory (``ru_maxrss``, DuckDB's native
memory included). It checks that the Kaplan–Meier fit from the engine's counts equals the fit
on the per-customer table (on a sample of at most 10,000,000 log rows: whole customers), and
with ``--spark`` runs (a) to (c) on PySpark in local mode (2 cores) for the record; then (d)
Kaplan–Meier by segment + log-rank from the counts, expanded per customer (the former path)
against frequency weights, peak memory of each (``--km-only``: (d) alone). Prints a
Markdown table (the format of the events section of ``benchmarks/RESULTS.md``, plus the peak
memory of each step); it does not write ``benchmarks/RESULTS.md``.

Run::

    .venv/bin/python benchmarks/bench_events.py                  # 10^6 rows (default)
    .venv/bin/python benchmarks/bench_events.py --rows 1e7 --spark
    .venv/bin/python benchmarks/bench_events.py --rows 1e8       # the issue's target
    .venv/bin/python benchmarks/bench_events.py --rows 1e8 --memory-limit 1GB  # bounded DuckDB

10^8 rows (10,000,000 customers) needs about 2 GB of disk in the temp folder (``--tmp``) and an
idle machine: run it only on purpose. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import queue as queue_module
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np

CUTOFF = "2022-12-31"
RULE_DAYS = 180
KM_SAMPLE_ROWS = 10_000_000
KW = dict(
    customer_id="customer_id",
    timestamp="ts",
    inactivity=f"{RULE_DAYS}D",
    cutoff=CUTOFF,
    amount="amount",
    time_unit="day",
)
RFM_KW = dict(
    customer_id="customer_id",
    date="ts",
    amount="amount",
    calibration_end=CUTOFF,
    time_unit="day",
)


def make_log(path: Path, n_rows: int) -> None:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
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


def make_sample(path: Path, sample: Path, n_rows: int) -> int:
    """The log of the first customers, about ``KM_SAMPLE_ROWS`` rows (whole histories)."""
    duckdb.execute("SET enable_progress_bar = false")
    n_cust = max(n_rows // 10, 1)
    keep = max(int(n_cust * min(1.0, KM_SAMPLE_ROWS / n_rows)), 1)
    duckdb.sql(
        f"COPY (SELECT * FROM read_parquet('{path}') WHERE customer_id < {keep}) "
        f"TO '{sample}' (FORMAT parquet)"
    )
    return int(duckdb.sql(f"SELECT count(*) FROM read_parquet('{sample}')").fetchone()[0])


# --------------------------------------------------------------------------------------------
# hand-written DuckDB SQL
# --------------------------------------------------------------------------------------------
def _windows(path: Path, extra: str) -> str:
    """The daily reduction and episode windows every query shares."""
    return f"""
        WITH d AS (
          SELECT customer_id AS cid, ts::DATE AS day{extra}
          FROM read_parquet('{path}') WHERE ts::DATE <= DATE '{CUTOFF}' GROUP BY 1, 2),
        w AS (
          SELECT *, CASE WHEN lag(day) OVER (PARTITION BY cid ORDER BY day) IS NULL
                          OR day >= lag(day) OVER (PARTITION BY cid ORDER BY day)
                                    + INTERVAL {RULE_DAYS} DAY THEN 1 ELSE 0 END AS new
          FROM d),
        e AS (
          SELECT *, sum(new) OVER (PARTITION BY cid ORDER BY day ROWS UNBOUNDED PRECEDING) AS ep
          FROM w)"""


def sql_churn_table(path: Path):
    return duckdb.sql(
        _windows(path, ", count(*) AS n, sum(amount) AS amt")
        + f""",
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


def sql_counts(path: Path):
    """The GROUP BY (start, end, churned) of the churn table, end = last activity."""
    churn = (
        _windows(path, "")
        + f""",
        g AS (SELECT cid, ep, min(day) AS start, max(day) AS last FROM e GROUP BY 1, 2),
        f AS (SELECT *, ep < max(ep) OVER (PARTITION BY cid) AS returned FROM g)
        SELECT start, last,
               returned OR last + INTERVAL {RULE_DAYS} DAY <= DATE '{CUTOFF}' AS churned
        FROM f WHERE ep = 1"""
    )
    return duckdb.sql(
        f"SELECT start, last, churned, count(*) AS n FROM ({churn}) GROUP BY ALL ORDER BY ALL"
    ).df()


def sql_rfm(path: Path):
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


# --------------------------------------------------------------------------------------------
# churnsurv (DuckDB, and Spark for the record)
# --------------------------------------------------------------------------------------------
def cs_churn_table(log):
    import churnsurv as cs

    events = cs.churn_from_events(log, **KW)
    events.frame  # noqa: B018 - fetch the per-customer table
    return {"customers": len(events.frame), "churned": int(events.frame["churned"].sum())}


def cs_counts(log):
    import churnsurv as cs

    events = cs.churn_from_events(log, **KW)
    lt = cs.life_table(events, width=30)
    cs.churn_rates(events, "month")
    return {"customers": int(lt["at_start"].iloc[0])}


def cs_rfm(log):
    import churnsurv as cs

    rfm = cs.rfm_summary(log, **RFM_KW)
    return {"customers": len(rfm), "frequency": int(rfm["frequency"].sum())}


def km_identity(path: Path) -> dict:
    import churnsurv as cs

    events = cs.churn_from_events(path, **KW)
    engine = cs.KaplanMeier().fit(events)
    memory = cs.KaplanMeier().fit(events.to_data())
    return {
        "identical": bool(engine.curves_.equals(memory.curves_)),
        "customers": events.n_customers,
    }


def km_logrank_memory(path: Path, expanded: bool) -> dict:
    """Kaplan–Meier by segment + its summary + the log-rank test, from the engine's counts.

    ``expanded``: the previous path, the counts repeated to one row per customer
    (``EventChurn.survival_data()``); otherwise the counts summed per segment, tenure and
    status with their numbers as frequency weights (what ``KaplanMeier().fit(events)`` does).
    The engine work (``events.counts()``) is the same in both and done first; the fit is
    timed, then repeated under ``tracemalloc`` for the Python-side peak of the fit alone.
    """
    import tracemalloc

    import ibis

    import churnsurv as cs

    t = ibis.duckdb.connect().read_parquet(str(path))
    t = t.mutate(plan=(t.customer_id % 3 == 0).ifelse("annual", "monthly"))
    events = cs.churn_from_events(t, segments="plan", **KW)
    n_counts = len(events.counts())
    rss_counts = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

    def fit():
        data = events.survival_data() if expanded else events
        km = cs.KaplanMeier().fit(data, by="plan")
        km.summary  # noqa: B018
        return km, cs.logrank(data, "plan")

    t0 = time.perf_counter()
    km, lr = fit()
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    del km, lr
    tracemalloc.start()
    km, lr = fit()
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "seconds": seconds,
        "peak_gib": peak,
        "rss_after_counts_gib": rss_counts,
        "traced_fit_mib": traced,
        "count_rows": n_counts,
        "fitted_rows": km.data_.n,
        "customers": int(km.summary["n"].sum()),
        "statistic": lr.statistic,
        "curves": km.curves_,
    }


def _spark_log(path: Path):
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("churnsurv-bench")
        .config("spark.driver.memory", "4g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark.read.parquet(str(path))


STEPS = {
    "cs_table": (cs_churn_table, False),
    "sql_table": (sql_churn_table, None),
    "cs_counts": (cs_counts, False),
    "sql_counts": (sql_counts, None),
    "cs_rfm": (cs_rfm, False),
    "sql_rfm": (sql_rfm, None),
    "spark_table": (cs_churn_table, True),
    "spark_counts": (cs_counts, True),
    "spark_rfm": (cs_rfm, True),
}


def _child(step: str, path: str, repeats: int, limit: str | None, queue) -> None:
    """One step in its own process: best time of ``repeats`` runs and the process's peak RSS.

    With ``limit``, DuckDB's ``memory_limit`` is set the same way for both sides: on the
    default connection the hand-written SQL uses, and through ``cs.read_events`` for churnsurv;
    both spill to a folder beside the log.
    """
    os.dup2(2, 1)  # DuckDB's progress bars go to stderr; stdout keeps the Markdown tables
    duckdb.sql("SELECT 1 AS x").df()  # pandas, which .df() imports, is not timed either
    fn, spark = STEPS[step]
    spill = Path(path).parent / "spill"
    if limit and spark is None:
        duckdb.execute(f"SET memory_limit = '{limit}'")
        duckdb.execute(f"SET temp_directory = '{spill}'")
    if spark is not None:  # imports (churnsurv, Ibis and its backend) are not timed
        import ibis

        import churnsurv  # noqa: F401

        ibis.duckdb.connect()
    log: object = Path(path)
    if spark:
        log = _spark_log(Path(path))
    elif spark is False and limit:
        import churnsurv as cs

        log = cs.read_events(path, memory_limit=limit, temp_directory=spill)
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn(log)
        best = min(best, time.perf_counter() - t0)
        out = result if isinstance(result, dict) else {"rows": len(result)}
    if spark:
        log.sparkSession.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    queue.put({"seconds": best, "peak_gib": peak, "out": out})


def _in_process(target, *args) -> dict:
    """Run ``target(*args, queue)`` in a fresh (spawned) process and return what it put."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    while True:
        try:
            result = queue.get(timeout=5)
            break
        except queue_module.Empty:
            if not proc.is_alive():
                why = f"{args[0]}: the process died (exit code {proc.exitcode})"
                raise RuntimeError(why) from None
    proc.join()
    return result


def run_step(step: str, path: Path, repeats: int, limit: str | None = None) -> dict:
    result = _in_process(_child, step, str(path), repeats, limit)
    print(f"  {step}: {result['seconds']:.2f} s, peak {result['peak_gib']:.2f} GiB", flush=True)
    return result


def _km_child(path: str, queue) -> None:
    os.dup2(2, 1)
    queue.put(km_identity(Path(path)))


def _km_memory_child(path: str, expanded: bool, queue) -> None:
    os.dup2(2, 1)
    queue.put(km_logrank_memory(Path(path), expanded))


def km_memory_report(path: Path, n_rows: int) -> None:
    """KM + log-rank before (expanded per customer) and after (frequency weights)."""
    res = {
        name: _in_process(_km_memory_child, str(path), name == "expanded")
        for name in ("expanded", "counts")
    }
    a, b = res["expanded"], res["counts"]
    same = a["curves"].equals(b["curves"]) and a["statistic"] == b["statistic"]
    print(
        f"\nKaplan–Meier by segment + summary + log-rank from the engine's counts "
        f"({n_rows:,} log rows, {b['customers']:,} customers, {b['count_rows']:,} count rows "
        f"of (segment, start, end, status)); each path in a fresh process; identical: {same}.\n"
    )
    print(
        "| path | rows fitted | fit seconds | fit's Python peak (tracemalloc) "
        "| process peak RSS | RSS after the engine counts |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, label in (
        ("expanded", "before: counts repeated per customer (`survival_data()`)"),
        ("counts", "after: frequency weights (`survival_counts()`)"),
    ):
        r = res[name]
        print(
            f"| {label} | {r['fitted_rows']:,} | {r['seconds']:.2f} s | "
            f"{r['traced_fit_mib']:.1f} MiB | {r['peak_gib']:.2f} GiB | "
            f"{r['rss_after_counts_gib']:.2f} GiB |"
        )


def _report(
    n_rows: int, t_gen: float, repeats: int, res: dict, km: dict, spark: bool, limit
) -> None:
    import ibis

    print(
        f"\n`benchmarks/bench_events.py --rows {_rows_text(n_rows)}`, {date.today()}, "
        f"{platform.machine()}, Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"ibis {ibis.__version__}; {n_rows:,} rows, {n_rows // 10:,} customers; generating the "
        f"Parquet log took {t_gen:.1f} s; best of {repeats} run(s), each step in a fresh "
        f"process; DuckDB memory_limit: {limit or 'default (80% of RAM)'}.\n"
    )
    print(
        "| measure | churnsurv (Ibis → DuckDB) | hand-written DuckDB SQL | ratio (target ≤ 1.5) "
        "| churnsurv peak RSS | SQL peak RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    rows = [
        ("inactivity churn table, one row per customer", "table"),
        ("survival counts + life table + churn rates", "counts"),
        ("RFM summary", "rfm"),
    ]
    for name, key in rows:
        a, b = res[f"cs_{key}"], res[f"sql_{key}"]
        print(
            f"| {name} | {a['seconds']:.2f} s | {b['seconds']:.2f} s | "
            f"{a['seconds'] / b['seconds']:.2f} | {a['peak_gib']:.2f} GiB | "
            f"{b['peak_gib']:.2f} GiB |"
        )
    if spark:
        print("\nPySpark local mode (local[2], driver memory 4g), the same churnsurv calls:\n")
        print("| measure | churnsurv (Ibis → Spark) | × churnsurv on DuckDB | Python peak RSS |")
        print("|---|---:|---:|---:|")
        for name, key in rows:
            a, b = res[f"spark_{key}"], res[f"cs_{key}"]
            print(
                f"| {name} | {a['seconds']:.2f} s | {a['seconds'] / b['seconds']:.1f} | "
                f"{a['peak_gib']:.2f} GiB |"
            )
    print(
        f"\nKaplan–Meier from the engine's counts identical to the per-customer fit "
        f"({km['customers']:,} customers of a {km['rows']:,}-row sample of the log): "
        f"{km['identical']}."
    )


def main(
    n_rows: int,
    repeats: int,
    spark: bool,
    tmp: str | None,
    limit: str | None,
    km_only: bool = False,
    log: str | None = None,
    steps: list[str] | None = None,
) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp))
    try:
        t_gen = 0.0
        if log is not None:
            path = Path(log)
            print(f"log: {path} (not generated)", flush=True)
        else:
            path = folder / "events.parquet"
            t0 = time.perf_counter()
            make_log(path, n_rows)
            t_gen = time.perf_counter() - t0
            print(f"log generated in {t_gen:.1f} s: {path}", flush=True)
        if km_only:
            km_memory_report(path, n_rows)
            return
        if steps:  # only the steps asked for, printed as they end (no table, no KM check)
            for step in steps:
                run_step(step, path, repeats, limit)
            return
        steps = [s for s in STEPS if spark or not s.startswith("spark")]
        res = {s: run_step(s, path, repeats, limit) for s in steps}
        assert res["cs_table"]["out"]["customers"] == res["sql_table"]["out"]["rows"]
        assert res["cs_rfm"]["out"]["customers"] == res["sql_rfm"]["out"]["rows"]
        if spark:
            assert res["spark_table"]["out"] == res["cs_table"]["out"]
            assert res["spark_rfm"]["out"] == res["cs_rfm"]["out"]
        sample = folder / "sample.parquet"
        sample_rows = make_sample(path, sample, n_rows)
        km = _in_process(_km_child, str(sample)) | {"rows": sample_rows}
        _report(n_rows, t_gen, repeats, res, km, spark, limit)
        km_memory_report(path, n_rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _rows_text(n_rows: int) -> str:
    """``1e7`` for a power of ten, else the number.

    >>> _rows_text(10_000_000), _rows_text(2_500_000)
    ('1e7', '2500000')
    """
    k = len(str(n_rows)) - 1
    return f"1e{k}" if n_rows == 10**k else str(n_rows)


def _rows(text: str) -> int:
    value = float(text)
    if not (value >= 1000 and value == int(value)):
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number of rows >= 1000, e.g. 1e7")
    return int(value)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=_rows, default=1_000_000, help="log rows (1e6, 1e7, 1e8)")
    parser.add_argument("--repeats", type=int, help="runs per step (default 3; 1 from 1e8 rows)")
    parser.add_argument("--spark", action="store_true", help="also run PySpark in local mode")
    parser.add_argument("--tmp", help="folder for the generated log (default: the temp folder)")
    parser.add_argument(
        "--memory-limit",
        help="DuckDB memory_limit for both churnsurv (cs.read_events) and the SQL, e.g. 1GB",
    )
    parser.add_argument(
        "--km-only",
        action="store_true",
        help="only Kaplan–Meier + log-rank memory, expanded per customer vs frequency weights",
    )
    parser.add_argument(
        "--log",
        help="use this Parquet log (made by an earlier run) instead of generating one; "
        "--rows must match it",
    )
    parser.add_argument(
        "--steps",
        nargs="+",
        choices=sorted(STEPS),
        help="run only these steps (printed, not compared), e.g. --steps cs_table sql_table",
    )
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.rows >= 100_000_000 else 3)
    main(
        args.rows,
        repeats,
        args.spark,
        args.tmp,
        args.memory_limit,
        args.km_only,
        args.log,
        args.steps,
    )
