"""Benchmark: the report's section "5. Cox model" on the telco-like customers of
``bench_report.py`` (issue 18, item 5), step by step, with CPU time and memory per step.

The steps are the template's: the input read as the report reads it
(:func:`churnsurv.report.io.read_input` with ``categorical=label_columns(by, event)``),
section 1's ``prepare``, then section 5's ``prepare`` with the formula's columns as covariates
and ``CoxModel(formula).fit``; the fit split into its design matrix, its checks and the engine.
Each step prints its CPU time (``time.process_time``: steadier than wall time on a shared
machine), the process RSS after it and the RSS peak so far (``ru_maxrss``), in GiB.

``--fit-only`` reads only the model's columns and measures the fit alone (CPU time and traced
peak against the size of its design matrix): at 10,000,000 rows it stays well under the 5 GB
this session allows per process, where the whole section does not.

``--trace`` adds the traced peak (``tracemalloc``) of each step (slower: every allocation is
recorded). Run: ``.venv/bin/python benchmarks/bench_cox_section.py [CSV] [--trace]`` (without
a CSV: ``bench_report.py``'s 1,000,000 customers); with
``PYTHONPATH`` of a checkout from before issue 18's H12 work it measures the old path (a second
``prepare``, formulaic's design).
"""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from bench_report import FORMULA  # noqa: E402

import churnsurv as cs  # noqa: E402
from churnsurv.regression.design import Design  # noqa: E402
from churnsurv.report.io import formula_columns, label_columns, read_input  # noqa: E402

BY = ["Contract", "InternetService"]
PREPARE = dict(
    duration="tenure",
    event="Churn",
    event_value="Yes",
    time_unit="month",
    id="customerID",
    segments=BY,
    margin="MonthlyCharges",
)


def rss_gib() -> float:
    """Resident set size of this process now, in GiB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30


def peak_gib() -> float:
    """Peak resident set size of this process so far, in GiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


ROWS: list[tuple] = []


def step(name: str, fn, trace: bool):
    """Run ``fn()``, record its CPU time, RSS after, peak RSS and traced peak; its result."""
    if trace:
        tracemalloc.start()
    cpu = time.process_time()
    wall = time.perf_counter()
    out = fn()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    traced = ""
    if trace:
        traced = f"{tracemalloc.get_traced_memory()[1] / 2**20:.0f}"
        tracemalloc.stop()
    ROWS.append((name, cpu, wall, rss_gib(), peak_gib(), traced))
    print(f"  {name}: cpu {cpu:.2f} s, wall {wall:.2f} s, rss {rss_gib():.2f} GiB", flush=True)
    return out


def fit_parts(cox_data, trace: bool) -> cs.CoxModel:
    """The fit's own parts (design, then the whole fit again for its total)."""
    step("  design matrix (Design.fit_transform)", lambda: Design(FORMULA).fit_transform(
        cox_data.frame, purpose="bench"), trace)  # fmt: skip
    return step("5. CoxModel(formula).fit (whole)", lambda: cs.CoxModel(FORMULA).fit(cox_data),
                trace)  # fmt: skip


def model_data(csv: str) -> cs.ChurnData:
    """The Cox model's columns of ``csv`` (no ids) prepared, text columns as the report holds
    them (the segments as dictionary-encoded categoricals, ``PaymentMethod`` as text)."""
    import pyarrow.csv as pacsv

    columns = ["tenure", "Churn", *formula_columns(FORMULA)]
    table = pacsv.read_csv(
        csv,
        convert_options=pacsv.ConvertOptions(include_columns=columns, auto_dict_encode=True),
    )
    raw = table.to_pandas()
    del table
    raw["PaymentMethod"] = raw["PaymentMethod"].astype(object)  # as the report reads it
    return cs.prepare(raw, duration="tenure", event="Churn", event_value="Yes",
                      covariates=formula_columns(FORMULA))  # fmt: skip


def fit_only(csv: str) -> None:
    """The Cox fit alone on every row of ``csv`` (issue 18 target 3 at the report's size): only
    the model's columns read (no ids), text columns as the report holds them, the fit's
    traced peak (``tracemalloc``) against the size of its design matrix."""
    data = model_data(csv)
    print(f"{data.n} rows; load average {os.getloadavg()[0]:.2f}; rss {rss_gib():.2f} GiB")
    cox = step("CoxModel(formula).fit", lambda: cs.CoxModel(FORMULA).fit(data), True)
    p = len(cox.params_)
    design_mb = data.n * p * 8 / 2**20
    traced = float(ROWS[-1][5])
    print(f"engine: {cox.engine_}; design {data.n} x {p} = {design_mb:.0f} MB; traced peak "
          f"{traced:.0f} MB = design + {traced - design_mb:.0f} MB")  # fmt: skip
    step("fit_statistics", lambda: cox.fit_statistics, True)
    print(f"rss after {rss_gib():.2f} GiB; peak {peak_gib():.2f} GiB")


def main(csv: str, trace: bool) -> None:
    print(f"{csv}; load average {os.getloadavg()[0]:.2f}", flush=True)
    raw, _, _ = step("read_input (pyarrow, categorical segments + event)", lambda: read_input(
        csv, None, id_col="customerID", categorical=label_columns(BY, "Churn")), trace)  # fmt: skip
    data = step("1. prepare", lambda: cs.prepare(raw, on_invalid="drop", **PREPARE), trace)
    needed = formula_columns(FORMULA)
    if hasattr(data, "with_covariates"):  # the template since issue 18 (H12)
        cox_data = step(
            "5. data.with_covariates(raw, formula columns + by)",
            lambda: data.with_covariates(raw, needed + BY, on_invalid="drop", **PREPARE),
            trace,
        )
    else:  # the template before: prepare again (run with PYTHONPATH of an older checkout)
        cox_data = step(
            "5. prepare(covariates=formula columns + by)",
            lambda: cs.prepare(raw, on_invalid="drop", covariates=needed + BY, **PREPARE),
            trace,
        )
    cox = fit_parts(cox_data, trace)
    step("5. cox.summary, cox.fit_statistics (the section's tables)",
         lambda: (cox.summary, cox.fit_statistics), trace)  # fmt: skip
    print(f"engine: {cox.engine_}; n {cox.n_}; events {cox.n_events_}")
    print(cox.summary[["log_hr", "std_err"]].to_string())
    assert np.isfinite(cox.params_).all()
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}\n")
    print("| step | CPU s | wall s | RSS after (GiB) | peak RSS so far (GiB) | traced peak (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, cpu, wall, rss, peak, traced in ROWS:
        print(f"| {name.strip()} | {cpu:.2f} | {wall:.2f} | {rss:.2f} | {peak:.2f} | {traced} |")


def default_csv(n: int = 1_000_000) -> str:
    """``bench_report.py``'s CSV of ``n`` customers in the temporary folder (made if missing):
    the input when none is given (``make bench`` runs every script without arguments)."""
    import tempfile

    from bench_report import write_csv

    folder = Path(tempfile.gettempdir()) / "churnsurv-bench-report"
    folder.mkdir(exist_ok=True)
    return str(write_csv(n, folder / f"customers_{n}.csv"))


if __name__ == "__main__":
    paths = [a for a in sys.argv[1:] if not a.startswith("--")]
    csv = paths[0] if paths else default_csv()
    if "--fit-only" in sys.argv[1:]:
        fit_only(csv)
    else:
        main(csv, "--trace" in sys.argv[1:])
