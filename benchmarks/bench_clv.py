"""Benchmark: per-customer CLV over 72 monthly periods from a fitted Cox model.

Simulates ``n_customers`` (default 1 million) with ``cs.simulate_customers``, fits a
``CoxModel`` on a random 50,000 of them (all of them when fewer), and measures:

* the prediction of unconditional survival for every customer at 72 monthly periods;
* the CLV arithmetic itself (survival × discount factors × margin), and a plain numpy
  broadcast-and-sum of the same arithmetic in the same run (the results must agree);
* the peak memory traced (``tracemalloc``) during that prediction + CLV;
* ``cs.clv`` end to end (prediction + CLV + result, a block of 100,000 customers at a time) and
  its peak traced memory.

Prints the figures and rewrites the "CLV" section of ``benchmarks/RESULTS.md``.

Run: ``.venv/bin/python benchmarks/bench_clv.py [n_customers]``. Not part of the test suite.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

import churnsurv as cs
from churnsurv.clv import clv, discount_factors
from churnsurv.clv.survival_clv import _weighted
from churnsurv.regression import CoxModel

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
H = 72


def main() -> None:
    rng = np.random.default_rng(0)
    base = cs.simulate_customers(
        N, rng=rng, cutoff="2030-12-31", signup_start="2018-01-01", signup_end="2018-12-31"
    ).customers
    data = cs.prepare(
        base,
        id="customer_id",
        duration="tenure",
        event="churned",
        covariates=["plan", "channel", "monthly_charges", "senior"],
        margin="monthly_margin",
    )
    n_fit = min(50_000, data.n)
    fit_sample = data.take(rng.choice(data.n, n_fit, replace=False))
    cox = CoxModel("plan + channel + monthly_charges + senior").fit(fit_sample)
    grid = np.arange(H, dtype=float)
    disc = discount_factors(grid, annual_discount_rate=0.1, time_unit="month")

    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    surv = cox.predict_survival(data, times=grid, conditional=False).to_numpy()
    t_pred, c_pred = time.perf_counter() - t0, time.process_time() - c0
    margin = data.frame["monthly_margin"].to_numpy()
    t1 = time.perf_counter()
    value, _ = _weighted(surv, disc, margin, 1.0)
    t_clv = time.perf_counter() - t1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    t2 = time.perf_counter()
    baseline = (surv * disc[None, :]).sum(axis=1) * margin  # plain numpy, same arithmetic
    t_np = time.perf_counter() - t2
    assert np.allclose(value, baseline)

    tracemalloc.start()
    t3, c3 = time.perf_counter(), time.process_time()
    res = clv(cox, data, annual_discount_rate=0.1, horizon=H)
    t_api, c_api = time.perf_counter() - t3, time.process_time() - c3
    _, peak_api = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert np.allclose(res.summary["clv"].to_numpy(), value)

    rows = {
        "customers × periods": f"{N:,} × {H}",
        "prediction (Cox, conditional=False)": f"{t_pred:.2f} s (CPU {c_pred:.2f} s)",
        "CLV arithmetic (S @ discounted margin)": f"{t_clv:.3f} s (target < 1 s)",
        "plain numpy broadcast-and-sum, same run": f"{t_np:.3f} s (ratio {t_clv / t_np:.2f})",
        "peak traced memory, full survival matrix + CLV": f"{peak / 1e6:,.0f} MB",
        "cs.clv end to end (prediction + CLV + result; target < 1 s)": (
            f"{t_api:.2f} s (CPU {c_api:.2f} s)"
        ),
        "cs.clv peak traced memory (blocks of 100,000 customers; target < 600 MB)": (
            f"{peak_api / 1e6:,.0f} MB"
        ),
    }
    width = max(map(len, rows))
    for k, v in rows.items():
        print(f"{k:<{width}}  {v}")
    section = (
        "## CLV\n\n"
        f"`benchmarks/bench_clv.py`, {time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, "
        f"2 cores shared with other jobs (1-minute load average {os.getloadavg()[0]:.1f} at the "
        "end: wall times inflated, CPU time is the steadier measure; one BLAS thread); "
        "simulated base (`cs.simulate_customers`), "
        f"Cox model fitted on {n_fit:,} of them.\n\n"
        "| measure | result |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows.items())
    )
    path = Path(__file__).with_name("RESULTS.md")
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if "## CLV" in text:
        text = re.sub(r"## CLV\n.*?(?=\n## |\Z)", lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
