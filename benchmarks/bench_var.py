"""Benchmark: value at risk as the report computes it (issue 18, items 4 and 5).

The customers of ``benchmarks/bench_report.py`` (``n_customers``, default 1 million: telco-like,
Weibull PH churn, whole-month tenure censored at 72), prepared as the report prepares its Cox
data, the report's model after its proportional-hazards remedy (stratified on ``Contract``), the
sBG tail of ``--clv-tail sbg`` and the report's call::

    cs.value_at_risk(model, data, within=6, horizon=60, annual_discount_rate=0.10, tail=sbg)

then the segment totals with their intervals (all customers, by ``Contract``, by
``InternetService``; saddlepoint from 10,000 customers, else 1,000 resamples). Measured in the
same run:

* the sBG tail fit, ``value_at_risk`` (the Cox fast path), the segment totals;
* the general path every model takes (``predict_survival`` block by block, the tail evaluated
  per cell and spliced), which must give the same values (rtol 1e-12);
* 100 resamples of the all-customer total drawn piece by piece (the report's way) and directly.

Prints the figures and rewrites the "Value at risk" section of ``benchmarks/RESULTS.md``.

Run: ``.venv/bin/python benchmarks/bench_var.py [n_customers]``. Not part of the test suite.
"""

from __future__ import annotations

import os
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import churnsurv as cs
from churnsurv.clv import customer_blocks
from churnsurv.report import findings as kf
from churnsurv.report.resampling import bootstrap_totals

sys.path.insert(0, str(Path(__file__).parent))
from bench_report import make_customers  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    raw = make_customers(N)
    data = cs.prepare(
        raw, id="customerID", duration="tenure", event="Churn", event_value="Yes",
        time_unit="month", margin="MonthlyCharges", segments=["Contract", "InternetService"],
        covariates=["InternetService", "PaymentMethod", "SeniorCitizen", "MonthlyCharges"],
    )  # fmt: skip
    del raw
    model = cs.CoxModel(
        "InternetService + PaymentMethod + SeniorCitizen + MonthlyCharges", strata=["Contract"]
    ).fit(data)
    load = os.getloadavg()[0]
    (tail, _), t_tail, c_tail = timed(lambda: kf.clv_tail("sbg", data, 60))
    kw = {"within": 6, "horizon": 60, "annual_discount_rate": 0.10, "tail": tail}
    var, t_var, c_var = timed(lambda: cs.value_at_risk(model, data, **kw))
    summary = var.summary

    def totals():  # as the report: segments by position, categoricals through their codes
        everyone = pd.Categorical.from_codes(np.zeros(len(var.positions), "i1"), ["all"])
        groups = [pd.Series(everyone)]
        groups += [
            pd.Series(data.frame[c].array.take(var.positions))
            for c in ("Contract", "InternetService")
        ]
        return [kf.segment_totals(summary["value_at_risk"], g, n_boot=1000, rng=0) for g in groups]

    _, t_tot, c_tot = timed(totals)
    original = customer_blocks._is_cox
    customer_blocks._is_cox = lambda model: False  # the general path
    try:
        general, t_gen, c_gen = timed(lambda: cs.value_at_risk(model, data, **kw))
    finally:
        customer_blocks._is_cox = original
    pd.testing.assert_frame_equal(summary, general.summary, check_exact=False, rtol=1e-12)
    x = summary["value_at_risk"].to_numpy()
    _, t_piece, c_piece = timed(lambda: bootstrap_totals(x, 100, np.random.default_rng(0), 1 << 22))

    def direct():
        gen = np.random.default_rng(0)
        return [x[gen.integers(0, x.size, (4, x.size))].sum(axis=1) for _ in range(25)]

    _, t_direct, c_direct = timed(direct)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    rows = {
        "customers (active)": f"{data.n:,} ({len(summary):,})",
        "sBG tail fit": f"{t_tail:.2f} s (CPU {c_tail:.2f} s)",
        "`value_at_risk` (Cox fast path)": f"{t_var:.2f} s (CPU {c_var:.2f} s)",
        "`value_at_risk`, general path, same values (rtol 1e-12)": (
            f"{t_gen:.2f} s (CPU {c_gen:.2f} s; fast path {c_gen / c_var:.1f}x less CPU)"
        ),
        "segment totals, 3 groupings": f"{t_tot:.2f} s (CPU {c_tot:.2f} s)",
        "100 resamples of the all-customer total: by piece / direct": (
            f"{t_piece:.2f} / {t_direct:.2f} s (CPU {c_piece:.2f} / {c_direct:.2f} s; "
            f"{c_direct / c_piece:.1f}x)"
        ),
        "report section (tail + value at risk + totals)": (
            f"{t_tail + t_var + t_tot:.1f} s (CPU {c_tail + c_var + c_tot:.1f} s)"
        ),
        "peak RSS of the process (data, model and all of the above)": f"{peak:.2f} GiB",
    }
    width = max(map(len, rows))
    for k, v in rows.items():
        print(f"{k:<{width}}  {v}")
    section = (
        "## Value at risk\n\n"
        f"`benchmarks/bench_var.py {N}`, {time.strftime('%Y-%m-%d %H:%M')}, 2 cores shared with "
        f"other jobs (1-minute load average {load:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end: wall times inflated, CPU time is the steadier "
        "measure). The report's value-at-risk section on the customers of `bench_report.py`: "
        "the Cox model stratified on Contract (the report's PH remedy), the sBG tail, "
        "`within=6`, `horizon=60`.\n\n"
        "| measure | result |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows.items())
    )
    path = Path(__file__).with_name("RESULTS.md")
    text = path.read_text()
    if "## Value at risk\n" in text:
        text = re.sub(r"## Value at risk\n.*?(?=\n## |\Z)", lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
