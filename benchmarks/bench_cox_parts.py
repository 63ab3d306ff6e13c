"""Benchmark: where the CPU time of the report's Cox section goes, part by part (issue 18,
target 5; helper H14).

Reads the model's columns of ``bench_report.py``'s telco-like CSV as ``bench_cox_section.py
--fit-only`` does (text covariates as the report holds them), prepares them, then runs
``CoxModel(formula).fit`` and ``fit_statistics`` under cProfile and prints the CPU seconds
(profile time; ``time.process_time`` for the totals) of each part: the design matrix and its
checks, the risk sets (their sort and the sorted copy of the design), the Newton evaluations
(Gram matrix, linear predictor, run sums), Harrell's C (distinct values, pair counts). The
coefficients, the variance matrix and the fit statistics are printed with every digit, so two
checkouts can be compared number for number.

Run: ``PYTHONPATH=CHECKOUT .venv/bin/python benchmarks/bench_cox_parts.py [N | CSV]``: ``N``
customers (default 1,000,000; ``make bench``) from ``bench_report.write_csv``'s cached CSV in
the system's temporary folder, or a CSV path. At 10,000,000 rows its peak RSS is about
4.5 GiB. Not part of the test suite.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from bench_cox_section import model_data  # noqa: E402
from bench_report import FORMULA, write_csv  # noqa: E402

import churnsurv as cs  # noqa: E402

#: (label, file suffix, function name) of the parts reported, in the order printed
PARTS = [
    ("CoxModel.fit", "cox/model.py", "fit"),
    ("  design matrix", "regression/design.py", "fit_transform"),
    ("  check_design", "regression/design.py", "check_design"),
    ("  RiskSets.__init__", "cox/risksets.py", "__init__"),
    ("    _stratum (sort by time, event)", "cox/risksets.py", "_stratum"),
    ("    _sorted_rows (sorted copy of X)", "cox/risksets.py", "_sorted_rows"),
    ("  Newton evaluations", "cox/risksets.py", "_evaluate"),
    ("    _gram", "cox/risksets.py", "_gram"),
    ("    _eta (einsum)", "cox/risksets.py", "_eta"),
    ("    _run_sums", "cox/risksets.py", "_run_sums"),
    ("fit_statistics", "cox/statistics.py", "fit_statistics"),
    ("  harrell_c", "metrics/concordance.py", "harrell_c"),
    ("    distinct_times", "metrics/ipcw.py", "distinct_times"),
    ("    _stratum_counts", "metrics/concordance.py", "_stratum_counts"),
    ("      _at_or_after", "metrics/concordance.py", "_at_or_after"),
]


def cumulative(stats: pstats.Stats, suffix: str, name: str) -> tuple[int, float]:
    """Calls and cumulative seconds of the function ``name`` in a file ending in ``suffix``."""
    calls, seconds = 0, 0.0
    for (path, _, func), (_, ncalls, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        if func == name and path.endswith(suffix):
            calls, seconds = calls + ncalls, seconds + cum
    return calls, seconds


def main(csv: str) -> None:
    data = model_data(csv)
    print(f"{data.n} rows; load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    prof = cProfile.Profile(time.process_time)  # CPU seconds: steadier on a shared machine
    cpu0 = time.process_time()
    prof.enable()
    cox = cs.CoxModel(FORMULA).fit(data)
    cpu1 = time.process_time()
    stats_table = cox.fit_statistics
    prof.disable()
    cpu2 = time.process_time()
    print(f"CPU s (process_time): fit {cpu1 - cpu0:.2f}, fit_statistics {cpu2 - cpu1:.2f}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB\n")  # fmt: skip
    stats = pstats.Stats(prof)
    print("| part | calls | CPU s (profile) |")
    print("|---|---:|---:|")
    for label, suffix, name in PARTS:
        calls, seconds = cumulative(stats, suffix, name)
        print(f"| {label.strip()} | {calls} | {seconds:.2f} |")
    np.set_printoptions(precision=17, linewidth=100)
    print("\nlog_hr:", repr(cox.params_.to_numpy()))
    print("variance:", repr(cox.variance_matrix_.to_numpy().ravel()))
    print(stats_table.to_string(float_format=repr))


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else "1000000"
    if arg.isdigit():
        folder = Path(tempfile.gettempdir()) / "churnsurv-bench-report"
        folder.mkdir(exist_ok=True)
        arg = str(write_csv(int(arg), folder / f"customers_{arg}.csv"))
    main(arg)
