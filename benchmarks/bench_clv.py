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

Then (``--boot`` alone runs only this case) CLV by Kaplan-Meier segment with 50-resample
bootstrap intervals (``cs.clv(km, data, ci=True, n_boot=50)``), the report's section 6, on
``n_customers`` telco-like customers (``bench_report.make_customers``; the segment columns
``Contract`` and ``InternetService`` as text, as the report reads them), segments by both
columns. Measured: the whole call; the same call without ``ci`` (the point estimate); a bare
numpy pass of the same resampling arithmetic, 50 times in the same run (the same draws, each
customer's draw count, then weighted ``np.bincount`` of the (segment, tenure, churned) cells
and of the margins); and the generic refit path (``data.take`` + ``KaplanMeier.fit`` per
resample) on 3 resamples, whose values the fast path must equal. Prints a Markdown table (the
report section of ``benchmarks/RESULTS.md``).

Run: ``.venv/bin/python benchmarks/bench_clv.py [n_customers] [--boot]``. Not part of the test
suite.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # bench_report's data generator

import numpy as np
import pandas as pd

import churnsurv as cs
from churnsurv.clv import clv, discount_factors
from churnsurv.clv.survival_clv import _weighted
from churnsurv.regression import CoxModel

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
N = int(ARGS[0]) if ARGS else 1_000_000
H = 72
N_BOOT = 50


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


def boot() -> None:
    """CLV by segment with bootstrap intervals: fast path, bare numpy, generic refit."""
    from bench_report import make_customers

    from churnsurv.clv._bootstrap import _KMResampler, _refit_values
    from churnsurv.clv._valuation import _grid, _Valuation

    raw = make_customers(N)
    for col in ("Contract", "InternetService"):
        raw[col] = raw[col].astype(str).astype(object)  # text, as the report's reader gives
    data = cs.prepare(
        raw, id="customerID", duration="tenure", event="Churn", event_value="Yes",
        margin="MonthlyCharges", covariates=["Contract", "InternetService", "PaymentMethod"],
    )  # fmt: skip
    by = ["Contract", "InternetService"]
    km = cs.KaplanMeier().fit(data, by=by)
    kw = {"annual_discount_rate": 0.1, "horizon": 60}
    load = os.getloadavg()[0]

    t0, c0 = time.perf_counter(), time.process_time()
    res = clv(km, data, ci=True, n_boot=N_BOOT, rng=1, **kw)
    t_fast, c_fast = time.perf_counter() - t0, time.process_time() - c0
    t1 = time.perf_counter()
    clv(km, data, **kw)
    t_point = time.perf_counter() - t1

    # bare numpy: the same draws, each customer's draw count, and from it the counts per
    # (segment, tenure, churned) cell and the margin total per segment
    seg = pd.MultiIndex.from_frame(data.frame[by]).factorize()[0]
    tcode = data.durations.astype(np.intp)
    cells = (seg * (tcode.max() + 1) + tcode) * 2 + data.events
    margin = data.frame["MonthlyCharges"].to_numpy()
    t2 = time.perf_counter()
    rng = np.random.default_rng(1)
    for _ in range(N_BOOT):
        drawn = np.bincount(rng.integers(0, data.n, data.n), minlength=data.n).astype(float)
        np.bincount(cells, weights=drawn)
        np.bincount(seg, weights=drawn * margin)
    t_np = time.perf_counter() - t2

    grid = _grid(kw["horizon"], "start")
    disc = discount_factors(grid, annual_discount_rate=0.1, time_unit="month")
    how = _Valuation(grid, disc, None, None, False, False)
    fast = _KMResampler.create(km, data, how)
    assert fast is not None
    rng = np.random.default_rng(1)
    t_gen, worst = 0.0, 0.0
    for _ in range(3):
        idx = rng.integers(0, data.n, data.n)
        a = fast(idx)
        t3 = time.perf_counter()
        b = _refit_values(km, data, how, True, idx)
        t_gen += time.perf_counter() - t3
        worst = max(worst, float(np.max(np.abs(a[b.index].to_numpy() / b.to_numpy() - 1))))
    per_generic = t_gen / 3
    rows = {
        "customers, segments (Contract × InternetService, text)": f"{N:,}, {len(res.summary)}",
        f"`cs.clv(km, data, ci=True, n_boot={N_BOOT})` (target < 5 s)": (
            f"{t_fast:.2f} s (CPU {c_fast:.2f} s)"
        ),
        "the same without `ci` (point estimate only)": f"{t_point:.2f} s",
        f"bare numpy, {N_BOOT} × (draw, draw counts, 2 weighted bincounts)": (
            f"{t_np:.2f} s; bootstrap part / numpy = {(t_fast - t_point) / t_np:.2f}"
        ),
        "generic refit path, per resample (3 measured)": (
            f"{per_generic:.2f} s (× {N_BOOT} = {per_generic * N_BOOT:.0f} s, "
            f"{per_generic * N_BOOT / t_fast:.0f}× the fast call)"
        ),
        "largest relative difference, fast vs generic (3 resamples)": f"{worst:.1e}",
        "1-minute load average at the start": f"{load:.2f} (2 cores)",
    }
    print("| measure | result |\n|---|---|")
    for k, v in rows.items():
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    if "--boot" not in sys.argv:
        main()
    boot()
