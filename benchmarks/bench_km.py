"""Benchmark: Kaplan–Meier on simulated customers, monthly and daily whole-number tenure.

Measures, for ``n_customers`` (default 10 million) with tenure 0–72 and with tenure 0–2190,
30% churned, the best of ``REPEATS`` runs of:

(a) a bare numpy counting pass: ``np.unique(t, return_inverse=True)`` and two ``np.bincount``
    calls (events and exits per distinct time); and, because ``np.unique`` sorts, a stricter
    lower bound for whole-number times: cast to int, one shift, one ``np.bincount`` (no sorting);
(b) ``churnsurv.km.KaplanMeier().fit(data)`` (data prepared beforehand, not timed);
(c) ``lifelines.KaplanMeierFitter().fit(durations, events)`` on the raw columns, one run. If one
    fit on 1 million rows extrapolates to more than ``LIFELINES_BUDGET_S`` at ``n_customers`` it
    is measured on 1M and 2M rows instead, and the script says so;

and the peak memory allocated during (b) (``tracemalloc``, measured in a separate run) relative
to the size of the input columns (float64 durations + bool events). Prints a Markdown table; it
does not write ``benchmarks/RESULTS.md``.

Run: ``.venv/bin/python benchmarks/bench_km.py [n_customers]`` (``make bench`` runs it with the
default size). Not part of the test suite.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import tracemalloc
from datetime import date

import numpy as np
import pandas as pd

import churnsurv as cs
from churnsurv.km import KaplanMeier

REPEATS = 3
LIFELINES_BUDGET_S = 120.0


def best_of(fn, repeats: int = REPEATS) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def numpy_pass(t: np.ndarray, e: np.ndarray):
    uniq, inv = np.unique(t, return_inverse=True)
    exits = np.bincount(inv, minlength=uniq.size)
    events = np.bincount(inv, weights=e, minlength=uniq.size)
    return uniq, exits, events


def integer_pass(t: np.ndarray, e: np.ndarray):
    """Lower bound for whole-number times: one cast, one shift, one bincount (no sorting)."""
    key = t.astype(np.int64)
    key <<= 1
    key += e
    return np.bincount(key)


def lifelines_fit(t: np.ndarray, e: np.ndarray) -> None:
    from lifelines import KaplanMeierFitter

    KaplanMeierFitter().fit(t, e)


def make_data(n: int, max_tenure: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, max_tenure + 1, n).astype(np.float64)
    e = rng.random(n) < 0.3
    return t, e


def run(label: str, n: int, max_tenure: int) -> dict:
    t, e = make_data(n, max_tenure, seed=max_tenure)
    data = cs.prepare(pd.DataFrame({"tenure": t, "churn": e}), duration="tenure", event="churn")
    t, e = data.durations, data.events  # the very arrays the estimator reads
    input_bytes = t.nbytes + e.nbytes

    t_numpy = best_of(lambda: numpy_pass(t, e))
    t_ours = best_of(lambda: KaplanMeier().fit(data))
    t_int = best_of(lambda: integer_pass(t, e))

    tracemalloc.start()
    KaplanMeier().fit(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    t0 = time.perf_counter()
    lifelines_fit(t[:1_000_000], e[:1_000_000])
    per_million = time.perf_counter() - t0
    if per_million * n / 1e6 <= LIFELINES_BUDGET_S:
        t_lifelines = best_of(lambda: lifelines_fit(t, e), repeats=1)
        lifelines_note = f"measured on all {n:,} rows (1 run)"
        lifelines_n = n
    else:
        t1 = best_of(lambda: lifelines_fit(t[:1_000_000], e[:1_000_000]), repeats=1)
        t2 = best_of(lambda: lifelines_fit(t[:2_000_000], e[:2_000_000]), repeats=1)
        lifelines_note = (
            f"too slow for {n:,} rows: measured on 1M ({t1:.2f} s) and 2M ({t2:.2f} s) rows; "
            "ratio below is against churnsurv on the same 2M rows"
        )
        t_lifelines, lifelines_n = t2, 2_000_000
    if lifelines_n != n:
        sub = cs.prepare(
            pd.DataFrame({"tenure": t[:lifelines_n], "churn": e[:lifelines_n]}),
            duration="tenure",
            event="churn",
        )
        t_ours_same = best_of(lambda: KaplanMeier().fit(sub))
    else:
        t_ours_same = t_ours
    return {
        "case": label,
        "n": n,
        "distinct times": int(np.unique(t[:1_000_000]).size),
        "numpy pass (s)": t_numpy,
        "churnsurv fit (s)": t_ours,
        "lifelines fit (s)": t_lifelines,
        "lifelines speed-up (×)": t_lifelines / t_ours_same,
        "churnsurv / numpy (×)": t_ours / t_numpy,
        "integer bincount pass (s)": t_int,
        "churnsurv / integer pass (×)": t_ours / t_int,
        "peak extra memory / input (×)": peak / input_bytes,
        "peak extra memory (MB)": peak / 1e6,
        "lifelines note": lifelines_note,
    }


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10_000_000
    rows = [run("monthly tenure 0–72", n, 72), run("daily tenure 0–2190", n, 2190)]
    out = pd.DataFrame(rows).set_index("case")
    notes = out.pop("lifelines note")
    print(
        f"Kaplan–Meier benchmark, {date.today()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}, "
        f"pandas {pd.__version__}"
    )
    table = out.T
    print("| | " + " | ".join(table.columns) + " |")
    print("|---|" + "---:|" * len(table.columns))
    for name, row in table.iterrows():
        cells = [f"{v:,.0f}" if name in ("n", "distinct times") else f"{v:.3g}" for v in row]
        print(f"| {name} | " + " | ".join(cells) + " |")
    for case, note in notes.items():
        print(f"- lifelines, {case}: {note}")
    print("Targets: lifelines speed-up >= 10x; churnsurv / numpy <= 2x; memory < 2x input.")


if __name__ == "__main__":
    main()
