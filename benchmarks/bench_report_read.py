"""Benchmark: the report's input path -- read, check, hand over, "1. The data", "Columns of the
input" -- with text ids held by pyarrow against ids as Python strings (issue 18, item 5).

On the telco-like CSV of ``bench_report.py`` (text ids ``C0000001``, 8 columns), in one
process and one run, CPU seconds (``time.process_time``: the machine is shared, wall times
are not comparable across runs) and resident memory after each step, for

* **strings**: ids as Python strings (``read_table(arrow_ids=False)``), the previous path:
  ``prepare`` hashes one Python string per id (``pandas.factorize``), the column facts are
  ``raw.nunique()``, and the hand-over converts the frame to Arrow, writes it and reads it back
  to compare;
* **arrow**: ids in Arrow memory (``arrow_ids=True``), the report's path: ``prepare`` checks
  ids on sorted fingerprints (:mod:`churnsurv.data._text`), the column facts are
  :func:`~churnsurv.report.io.column_facts`, and the hand-over writes the parsed Arrow table;

then ``prepare`` on the report's columns (text id, label event, two categorical segments, a
margin) against a bare pass of the same checks in numpy on ready arrays (tenure finite and
non-negative, the event's codes, the segments' codes present, margin non-negative, ids
unique by sorting their fingerprints), and pyarrow's CSV parser alone (the read's floor).

Prints Markdown tables (``benchmarks/RESULTS.md``).
Run: ``.venv/bin/python benchmarks/bench_report_read.py [n_customers]`` (default 3,000,000;
the CSV is made by ``bench_report.py`` and kept in the temporary folder). Not a test.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).parent))

from bench_report import write_csv  # noqa: E402

import churnsurv as cs  # noqa: E402
from churnsurv.data._text import arrow_text, text_fingerprints  # noqa: E402
from churnsurv.report.handover import write_checked_input  # noqa: E402
from churnsurv.report.io import (  # noqa: E402
    column_dtypes,
    column_facts,
    file_sha256,
    label_columns,
    read_input,
    read_table_parsed,
)
from churnsurv.report.reading import release_memory  # noqa: E402

BY = ["Contract", "InternetService"]
ARGS = dict(
    id="customerID",
    duration="tenure",
    event="Churn",
    event_value="Yes",
    time_unit="month",
    segments=BY,
    margin="MonthlyCharges",
)
PROCESS = psutil.Process()


def timed(rows: list, path: str, step: str, fn):
    """Run ``fn``; record its CPU seconds and the RSS after it."""
    gc.collect()
    start = time.process_time()
    out = fn()
    rows.append((path, step, time.process_time() - start, PROCESS.memory_info().rss / 2**30))
    return out


def one_path(csv: Path, arrow: bool, rows: list) -> None:
    name = "arrow" if arrow else "strings"
    labels = label_columns(BY, "Churn")
    frame, table = timed(
        rows,
        name,
        "read the CSV (pyarrow) + sha256",
        lambda: read_table_parsed(
            csv, id_col="customerID", categorical=labels, arrow_ids=arrow, keep_arrow=arrow
        ),
    )
    sha256 = timed(rows, name, "(sha256 of the file)", lambda: file_sha256(csv))
    timed(rows, name, "prepare (the command's check)", lambda: cs.prepare(frame, **ARGS))
    with tempfile.TemporaryDirectory() as tmp:
        handed = timed(
            rows,
            name,
            "hand-over written",
            lambda: write_checked_input(
                frame,
                tmp,
                sha256,
                table=table,
                parsed_with={"id_col": "customerID", "sep": None} if arrow else None,
            ),
        )
        frame = table = None
        release_memory()
        raw, _, _ = timed(
            rows,
            name,
            "notebook: hand-over read + sha256",
            lambda: read_input(
                csv,
                id_col="customerID",
                checked=Path(tmp, handed),
                categorical=labels,
                arrow_ids=arrow,
            ),
        )
    data = timed(
        rows, name, "notebook: prepare", lambda: cs.prepare(raw, on_invalid="drop", **ARGS)
    )
    if arrow:
        timed(rows, name, "notebook: column facts", lambda: column_facts(raw))
    else:
        timed(
            rows,
            name,
            "notebook: column facts",
            lambda: pd.DataFrame(
                {"dtype": column_dtypes(raw), "missing": raw.isna().sum(), "n": raw.nunique()}
            ),
        )
    size = (
        raw.memory_usage(deep=not arrow).sum() + data.frame.memory_usage(deep=False).sum()
    ) / 2**30
    rows.append((name, "(raw + data, GiB)", float("nan"), size))
    raw = data = None
    release_memory()


def bare_pass(frame: pd.DataFrame) -> bool:
    """The checks prepare makes on the report's columns, as bare numpy on ready arrays."""
    t = frame["tenure"].to_numpy(dtype=float)
    ok = bool(np.isfinite(t).all() and (t >= 0).all())
    event = frame["Churn"].cat.codes.to_numpy()
    ok &= bool((event >= 0).all())
    churned = event == list(frame["Churn"].cat.categories).index("Yes")
    for col in BY:
        ok &= bool((frame[col].cat.codes.to_numpy() >= 0).all())
    m = frame["MonthlyCharges"].to_numpy(dtype=float)
    ok &= bool(np.isfinite(m).all() and (m >= 0).all())
    prints = np.sort(text_fingerprints(arrow_text(frame["customerID"])))
    ok &= bool((prints[1:] != prints[:-1]).all())
    return ok and churned.any()


def floor_rows(csv: Path) -> list:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    out = []
    start = time.process_time()
    pacsv.read_csv(
        str(csv),
        convert_options=pacsv.ConvertOptions(
            column_types={"customerID": pa.string()}, auto_dict_encode=True
        ),
    )
    out.append(("pyarrow.csv.read_csv alone", time.process_time() - start))
    frame, _ = read_table_parsed(
        csv, id_col="customerID", categorical=label_columns(BY, "Churn"), arrow_ids=True
    )
    for label, fn in (
        ("prepare (report's columns)", lambda: cs.prepare(frame, on_invalid="drop", **ARGS)),
        ("bare numpy pass, same checks", lambda: bare_pass(frame)),
    ):
        best = float("inf")
        for _ in range(2):
            start = time.process_time()
            fn()
            best = min(best, time.process_time() - start)
        out.append((label, best))
    return out


def main(n: int) -> None:
    folder = Path(tempfile.gettempdir()) / "churnsurv-bench-report"
    folder.mkdir(exist_ok=True)
    csv = write_csv(n, folder / f"customers_{n}.csv")
    load = os.getloadavg()[0]
    rows: list = []
    for arrow in (False, True):
        one_path(csv, arrow, rows)
    print(f"{n:,} rows, {csv.stat().st_size / 1e6:.0f} MB CSV; load average {load:.2f}\n")
    table = pd.DataFrame(rows, columns=["path", "step", "cpu", "rss"])
    wide = table.pivot(index="step", columns="path", values=["cpu", "rss"])
    wide = wide.reindex(table["step"].drop_duplicates())
    print("| step | strings: CPU s | arrow: CPU s | strings: RSS GiB | arrow: RSS GiB |")
    print("|---|---:|---:|---:|---:|")
    for step, r in wide.iterrows():
        print(
            f"| {step} | {r[('cpu', 'strings')]:.2f} | {r[('cpu', 'arrow')]:.2f} | "
            f"{r[('rss', 'strings')]:.2f} | {r[('rss', 'arrow')]:.2f} |"
        )
    total = table[~table["step"].str.startswith("(")].groupby("path")["cpu"].sum()
    print(f"| total | {total['strings']:.2f} | {total['arrow']:.2f} | | |\n")
    floors = floor_rows(csv)
    print("| floor | CPU s |\n|---|---:|")
    for label, seconds in floors:
        print(f"| {label} | {seconds:.2f} |")
    print(f"\nprepare / bare pass: {floors[1][1] / floors[2][1]:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000)
