"""Benchmark: ``churnsurv report`` end to end on a large customer table (issue 18, item 5).

Writes a seeded telco-like CSV of ``n_customers`` rows (default 10 million): text ids
``C0000001``, whole-month tenure (administrative censoring at 72 months), ``Churn`` as
``Yes``/``No``, three categorical covariates with the Telco data's labels, ``SeniorCitizen``
0/1 and ``MonthlyCharges``; churn follows a Weibull proportional-hazards model of those
covariates. Then runs ``churnsurv report`` on it as a subprocess and records

* the whole run's wall time and peak RSS (the sum over the process tree: the command and the
  notebook's kernel, polled every 0.1 s with psutil), with the load average at the start;
* per section, the time and the kernel's RSS after it, from the report's own
  ``tables/timings.csv``.

Prints Markdown tables (``benchmarks/RESULTS.md``).

Run: ``.venv/bin/python benchmarks/bench_report.py [n_customers] [--non-ph]`` (``make bench``;
``--non-ph``: the contract's effect changes with tenure, see :func:`make_customers`). The CSV
is kept in the system's temporary folder between runs (regenerated when missing).
Not part of the test suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

CONTRACT = ["Month-to-month", "One year", "Two year"]
INTERNET = ["DSL", "Fiber optic", "No"]
PAYMENT = [
    "Electronic check",
    "Mailed check",
    "Bank transfer (automatic)",
    "Credit card (automatic)",
]
FORMULA = "Contract + InternetService + PaymentMethod + SeniorCitizen + MonthlyCharges"


def make_customers(n: int, seed: int = 18, *, non_ph: bool = False) -> pd.DataFrame:
    """``n`` telco-like customers; churn from a Weibull PH model of the covariates.

    ``non_ph``: the Weibull shape depends on the contract (0.7 month to month, 1.0 and 1.3 for
    one- and two-year contracts), so the contract's hazard ratio changes with tenure, as in
    real churn data: the report's proportional-hazards check rejects it, stratifies on it,
    refits and draws the residuals."""
    rng = np.random.default_rng(seed)
    contract = rng.choice(3, n, p=[0.55, 0.21, 0.24])
    internet = rng.choice(3, n, p=[0.34, 0.44, 0.22])
    payment = rng.choice(4, n, p=[0.34, 0.23, 0.22, 0.21])
    senior = (rng.random(n) < 0.16).astype(np.int8)
    charges = np.round(20 + 80 * rng.beta(1.2, 1.1, n), 2)
    log_hr = (
        np.array([0.0, -1.3, -2.6])[contract]
        + np.array([0.0, 0.6, -0.7])[internet]
        + np.array([0.5, 0.0, -0.2, -0.2])[payment]
        + 0.3 * senior
        + 0.004 * (charges - 65)
    )
    # Weibull (shape 0.7) churn time in months; with uniform follow-up about 12% have churned
    shape = np.array([0.7, 1.0, 1.3])[contract] if non_ph else 0.7
    churn_time = (rng.exponential(1.0, n) / (0.012 * np.exp(log_hr))) ** (1 / shape)
    follow_up = rng.integers(1, 73, n)  # months since signup at the snapshot
    churned = churn_time < follow_up
    tenure = np.where(churned, np.ceil(churn_time), follow_up).astype(np.int64)
    return pd.DataFrame(
        {
            "customerID": pd.Series(np.arange(1, n + 1)).map("C{:07d}".format),
            "tenure": tenure,
            "Churn": np.where(churned, "Yes", "No"),
            "Contract": pd.Categorical.from_codes(contract, CONTRACT),
            "InternetService": pd.Categorical.from_codes(internet, INTERNET),
            "PaymentMethod": pd.Categorical.from_codes(payment, PAYMENT),
            "SeniorCitizen": senior,
            "MonthlyCharges": charges,
        }
    )


def write_csv(n: int, path: Path, *, non_ph: bool = False) -> Path:
    """The CSV of :func:`make_customers` (written with pyarrow; kept if it exists)."""
    if path.exists():
        return path
    import pyarrow as pa
    import pyarrow.csv as pacsv

    frame = make_customers(n, non_ph=non_ph)
    for col in ("Contract", "InternetService", "PaymentMethod"):
        frame[col] = frame[col].astype(str)
    tmp = path.with_suffix(".tmp")
    pacsv.write_csv(
        pa.Table.from_pandas(frame, preserve_index=False),
        tmp,
        pacsv.WriteOptions(quoting_style="none"),
    )
    tmp.replace(path)
    return path


def run_report(csv: Path, out: Path) -> tuple[float, float, int]:
    """Run ``churnsurv report`` on ``csv``; wall seconds, peak RSS (GiB) of the tree, status.

    ``-P``: the current folder is not put first on the command's ``sys.path``, so that
    ``PYTHONPATH`` chooses the code of the command as it does the notebook kernel's (run from a
    checkout, ``python -m churnsurv`` would otherwise import that checkout's command whatever
    ``PYTHONPATH`` says, while the kernel, started elsewhere, imports ``PYTHONPATH``'s).
    """
    command = [
        sys.executable,
        "-P",
        "-m",
        "churnsurv",
        "report",
        str(csv),
        "--id",
        "customerID",
        "--duration",
        "tenure",
        "--event",
        "Churn",
        "--event-value",
        "Yes",
        "--time-unit",
        "month",
        "--by",
        "Contract",
        "--by",
        "InternetService",
        "--formula",
        FORMULA,
        "--margin",
        "MonthlyCharges",
        "--out",
        str(out),
    ]
    start = time.perf_counter()
    log = open(out.with_suffix(".log"), "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    root, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    log.close()
    if proc.returncode not in (0, 3):
        sys.stderr.write(out.with_suffix(".log").read_text())
    return seconds, peak / 2**30, proc.returncode


def main(n: int, non_ph: bool = False) -> None:
    folder = Path(tempfile.gettempdir()) / "churnsurv-bench-report"
    folder.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    tag = f"{n}_non_ph" if non_ph else f"{n}"
    csv = write_csv(n, folder / f"customers_{tag}.csv", non_ph=non_ph)
    made = time.perf_counter() - t0
    out = folder / f"report_{tag}"
    load = os.getloadavg()
    seconds, peak, status = run_report(csv, out)
    print(
        f"{n:,} rows, {csv.stat().st_size / 1e6:.0f} MB CSV (made in {made:.0f} s); "
        f"load average at start {load[0]:.2f} (1 min) on {os.cpu_count()} cores; "
        f"exit status {status}\n"
    )
    print("| run | wall time | peak RSS (process tree) |\n|---|---:|---:|")
    print(f"| `churnsurv report` | {seconds:.1f} s | {peak:.2f} GiB |\n")
    if status not in (0, 3):  # 3: completed with skipped sections
        sys.exit(f"churnsurv report failed (exit status {status}); see {out.with_suffix('.log')}")
    timings = out / "tables" / "timings.csv"
    if timings.exists():
        table = pd.read_csv(timings)
        print("| section | seconds | kernel RSS after (GiB) |\n|---|---:|---:|")
        for row in table.itertuples(index=False):
            print(f"| {row.section} | {row.seconds:.1f} | {row.rss_gib:.2f} |")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--non-ph"]
    main(int(args[0]) if args else 10_000_000, non_ph="--non-ph" in sys.argv[1:])
