"""Benchmark: cumulative incidence of 5 churn reasons against the Kaplan–Meier fit (issue 14).

For ``n_customers`` (default 10 million) with whole-number tenure 0–72 (monthly) and 0–2190
(daily), 30% churned, each churn for one of 5 reasons, measures the best of ``REPEATS`` runs of

(a) ``churnsurv.KaplanMeier().fit(data)`` — churn for any reason (the target's yardstick);
(b) ``churnsurv.CumulativeIncidence().fit(data)`` — every reason's Aalen–Johansen incidence with
    cmprsk's variance and confidence limits (data prepared beforehand, not timed); target
    (b) ≤ 3 × (a);

and, in the same run, the libraries one would otherwise use, one run each:

(c) ``lifelines.AalenJohansenFitter`` — one fit per reason (it estimates one event of interest at
    a time), with its default variance; it jitters tied times at random (``seed=0`` here), so
    its answer is not even the estimate (and the jittering makes it slow on tied data);
(d) ``statsmodels.duration.survfunc.CumIncidenceRight`` — all reasons at once, on all rows.

lifelines is measured on ``LIBRARY_N`` rows (default 200,000) — at 10 million rows it runs for
hours on daily data — and scaled linearly to ``n_customers`` as a lower bound (it sorts and loops
over the jittered times); churnsurv is also timed on those rows, so that ratio needs no
extrapolation.
Also reports the peak memory allocated during (b) (``tracemalloc``, separate run) relative to the
input columns. Prints a Markdown table; it does not write ``benchmarks/RESULTS.md``.

Run: ``.venv/bin/python benchmarks/bench_reasons.py [n_customers]`` (``make bench``). Not part of
the test suite.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import tracemalloc
import warnings
from datetime import date

import numpy as np
import pandas as pd

import churnsurv as cs

REPEATS = 3
LIBRARY_N = 200_000
REASONS = ["price", "service", "competitor", "payment_failure", "moved"]


def best_of(fn, repeats: int = REPEATS) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def make_data(n: int, max_tenure: int, seed: int) -> cs.ChurnData:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, max_tenure + 1, n).astype(np.float64)
    churned = rng.random(n) < 0.3
    codes = np.where(churned, rng.integers(0, len(REASONS), n), -1)
    reason = pd.Categorical.from_codes(codes, REASONS)
    frame = pd.DataFrame({"tenure": t, "churned": churned, "reason": reason})
    return cs.prepare(frame, duration="tenure", event="churned", reason="reason")


def lifelines_fits(t: np.ndarray, r: np.ndarray) -> None:
    from lifelines import AalenJohansenFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Tied event times were detected": it jitters them
        for k in range(1, len(REASONS) + 1):
            AalenJohansenFitter(seed=0).fit(t, r, event_of_interest=k)


def statsmodels_fit(t: np.ndarray, r: np.ndarray) -> None:
    from statsmodels.duration.survfunc import CumIncidenceRight

    CumIncidenceRight(t, r)


def run(label: str, n: int, max_tenure: int) -> dict:
    data = make_data(n, max_tenure, seed=max_tenure)
    t, r = data.durations, data.reason_codes
    input_bytes = t.nbytes + data.events.nbytes + data.frame["reason"].cat.codes.nbytes
    t_km = best_of(lambda: cs.KaplanMeier().fit(data))
    t_ci = best_of(lambda: cs.CumulativeIncidence().fit(data))
    tracemalloc.start()
    cs.CumulativeIncidence().fit(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    m = min(LIBRARY_N, n)
    sub = data.take(np.arange(m))
    t_ci_small = best_of(lambda: cs.CumulativeIncidence().fit(sub))
    t_ll = best_of(lambda: lifelines_fits(t[:m], r[:m]), repeats=1)
    t_sm = best_of(lambda: statsmodels_fit(t, r), repeats=1)
    return {
        "case": label,
        "n": n,
        "distinct times": int(np.unique(t).size),
        "km": t_km,
        "ci": t_ci,
        "ratio": t_ci / t_km,
        "peak_mb": peak / 2**20,
        "input_mb": input_bytes / 2**20,
        "m": m,
        "ci_small": t_ci_small,
        "lifelines": t_ll,
        "statsmodels": t_sm,
    }


def main(n: int = 10_000_000) -> None:
    import lifelines
    import statsmodels

    rows = [run("monthly tenure 0–72", n, 72), run("daily tenure 0–2190", n, 2190)]
    print(
        f"`benchmarks/bench_reasons.py`, {date.today()}, {platform.machine()}, "
        f"{os.cpu_count()} cores; Python {sys.version.split()[0]}, numpy {np.__version__}, "
        f"pandas {pd.__version__}, lifelines {lifelines.__version__}, statsmodels "
        f"{statsmodels.__version__}. {n:,} simulated customers, whole-number tenure, 30% "
        f"churned, {len(REASONS)} reasons; data prepared with `cs.prepare` (not timed); best of "
        f"{REPEATS} runs (lifelines and statsmodels: 1 run; lifelines on the first "
        f"{rows[0]['m']:,} rows).\n"
    )
    cols = [r["case"] for r in rows]
    print("| measure | " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * len(cols))

    def line(name, fmt):
        print(f"| {name} | " + " | ".join(fmt(r) for r in rows) + " |")

    line("distinct times", lambda r: f"{r['distinct times']:,}")
    line("(a) `KaplanMeier().fit(data)` (any reason)", lambda r: f"{r['km']:.3f} s")
    line("(b) `CumulativeIncidence().fit(data)` (5 reasons)", lambda r: f"{r['ci']:.3f} s")
    line("(b) / (a) (target ≤ 3×)", lambda r: f"**{r['ratio']:.2f}×**")
    line(
        "peak extra memory during (b), tracemalloc",
        lambda r: f"{r['peak_mb']:.0f} MB = {r['peak_mb'] / r['input_mb']:.1f}× input",
    )
    line(
        "(d) statsmodels `CumIncidenceRight`, all reasons, all rows",
        lambda r: f"{r['statsmodels']:.2f} s",
    )
    line("(d) / (b)", lambda r: f"{r['statsmodels'] / r['ci']:,.0f}×")
    line(
        f"(c) lifelines `AalenJohansenFitter`, 5 fits, first {rows[0]['m']:,} rows",
        lambda r: f"{r['lifelines']:.2f} s",
    )
    line(f"(b) on the same {rows[0]['m']:,} rows", lambda r: f"{r['ci_small']:.4f} s")
    line("(c) / (b), same rows", lambda r: f"{r['lifelines'] / r['ci_small']:,.0f}×")
    line(
        f"(c) scaled to {n:,} rows (lower bound)",
        lambda r: f"≥ {r['lifelines'] * r['n'] / r['m']:,.0f} s",
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
