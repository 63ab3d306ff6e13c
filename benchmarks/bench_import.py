"""Benchmark: the time ``import churnsurv`` takes, against the libraries it cannot avoid.

Each import runs in a fresh interpreter (``python -c``), best of ``REPEATS``:

* ``churnsurv``: the package as users import it;
* baseline ``numpy, pandas, scipy.stats``: what every result (DataFrames) and test (scipy)
  needs, so the floor of any import of churnsurv;
* ``lifelines``: the library a user would otherwise import.

It also lists which heavy optional parts ``import churnsurv`` loads (none should: matplotlib,
lifelines, statsmodels, the report machinery, DuckDB, Ibis and Spark are imported when first
used; ``tests/test_packaging.py`` checks it). Prints a Markdown table.

Run: ``.venv/bin/python benchmarks/bench_import.py`` (``make bench`` runs it). Not part of the
test suite.
"""

from __future__ import annotations

import subprocess
import sys
import time

REPEATS = 5
HEAVY = [
    "matplotlib",
    "lifelines",
    "statsmodels",
    "papermill",
    "nbconvert",
    "churnsurv.report",
    "duckdb",
    "ibis",
    "pyspark",
]


def best_import(statement: str) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    empty = best_import("pass")
    rows = {
        "churnsurv": best_import("import churnsurv"),
        "numpy, pandas, scipy.stats (baseline)": best_import("import numpy, pandas, scipy.stats"),
        "lifelines": best_import("import lifelines"),
    }
    probe = f"import sys, churnsurv; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.strip()
    base = rows["numpy, pandas, scipy.stats (baseline)"] - empty
    print(f"interpreter start-up alone: {empty:.2f} s (subtracted below)\n")
    print("| import | seconds | ratio to baseline |")
    print("|---|---|---|")
    for name, seconds in rows.items():
        net = seconds - empty
        print(f"| {name} | {net:.2f} | {net / base:.2f} |")
    print(f"\nheavy optional parts loaded by `import churnsurv`: {loaded or 'none'}")


if __name__ == "__main__":
    main()
