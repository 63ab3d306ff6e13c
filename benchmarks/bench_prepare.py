"""Benchmark: ``prepare`` against a bare numpy validation pass on the same columns (issue 18).

For ``n_customers`` (default 10 million) simulated customers (float tenure, 30% churned), best
of ``REPEATS`` runs of:

* numpy baseline: the checks ``prepare`` makes, as bare numpy on ready arrays (tenure finite
  and non-negative, event in {0, 1});
* ``prepare(df, duration=, event=)`` with the event as int 0/1, as bool, as string labels
  (``event_value="Yes"``) and as a pandas categorical;
* for the labels, ``pd.factorize`` of the event column (their target is 2x factorize);

and the peak memory ``prepare`` allocates (``tracemalloc``, separate run) relative to the input
columns. Prints a Markdown table.

Run: ``.venv/bin/python benchmarks/bench_prepare.py [n_customers]`` (``make bench``).
Not part of the test suite.
"""

from __future__ import annotations

import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

import churnsurv as cs

REPEATS = 3


def best_of(fn) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def numpy_baseline(t: np.ndarray, e: np.ndarray) -> bool:
    ok_t = bool(np.isfinite(t).all() and (t >= 0).all())
    ok_e = bool(((e == 0) | (e == 1)).all())
    return ok_t and ok_e


def main(n: int) -> None:
    rng = np.random.default_rng(18)
    t = rng.exponential(20.0, n).round(2)
    e01 = (rng.random(n) < 0.3).astype(np.int64)
    frames = {
        "int 0/1": (pd.DataFrame({"t": t, "e": e01}), {}),
        "bool": (pd.DataFrame({"t": t, "e": e01.astype(bool)}), {}),
        "labels": (
            pd.DataFrame({"t": t, "e": np.where(e01 == 1, "Yes", "No").astype(object)}),
            {"event_value": "Yes"},
        ),
        "categorical": (
            pd.DataFrame({"t": t, "e": pd.Categorical(np.where(e01 == 1, "Yes", "No"))}),
            {"event_value": "Yes"},
        ),
    }
    base = best_of(lambda: numpy_baseline(t, e01))
    print(f"n = {n:,}; numpy baseline {base:.3f} s\n")
    print(
        "| event column | prepare (s) | x numpy baseline | pd.factorize (s) | x factorize "
        "| peak MB | x input columns |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, (df, kw) in frames.items():
        seconds = best_of(lambda df=df, kw=kw: cs.prepare(df, duration="t", event="e", **kw))
        fact = (
            best_of(lambda df=df: pd.factorize(df["e"]))
            if name in ("labels", "categorical")
            else float("nan")
        )
        input_mb = df.memory_usage(deep=name == "labels", index=False).sum() / 1e6
        peak = peak_mb(lambda df=df, kw=kw: cs.prepare(df, duration="t", event="e", **kw))
        print(
            f"| {name} | {seconds:.3f} | {seconds / base:.1f} | {fact:.3f} | "
            f"{seconds / fact:.1f} | {peak:.0f} | {peak / input_mb:.2f} |"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
