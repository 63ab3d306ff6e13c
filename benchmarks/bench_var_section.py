"""Benchmark: the report's "Value at risk" section step by step, CPU time per step (issue 18, 5).

The customers of ``benchmarks/bench_report.py`` (``n_customers``, default 1 million), prepared
as the report prepares its Cox data, the model stratified on ``Contract`` (the report's PH
remedy), the sBG tail, ``within=6``, ``horizon=60``; then what the template's cell does:

1. ``cs.value_at_risk`` (every active customer's curve, ranking, tiers, the summary frame);
2. the table of all active customers (``write_table``: CSV up to 1,000,000 rows, Parquet of
   all rows above that), into a temporary folder;
3. each customer's segment for the totals (``Contract``, ``InternetService``) by position
   (``var.positions``);
4. the totals with their 95% intervals, all customers and by the two columns
   (``segment_totals``: saddlepoint from 10,000 customers, else 1,000 resamples).

Without ``--previous`` it also times, apart from the section, the table's CSV (first 1,000,000
rows) and Parquet file, and the curves alone with one and with two threads, CPU and wall
seconds in the same run (``customer_blocks.THREADS``), twice each.

With ``--previous`` it runs the section as the template ran it before (issue 18, helper H10):
the whole table as CSV (``write_csv``), segments looked up by id
(``frame.loc[summary.index, col].astype(str)``); run it with ``PYTHONPATH`` pointing at the
previous source tree to measure that code. CPU times (``time.process_time``) are the measure on
a shared machine. Prints a Markdown table.

Run: ``.venv/bin/python benchmarks/bench_var_section.py [n_customers] [--previous]``.
Not part of the test suite.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import churnsurv as cs
from churnsurv.report import findings as kf
from churnsurv.report import io as rio

sys.path.insert(0, str(Path(__file__).parent))
from bench_report import make_customers  # noqa: E402

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
N = int(ARGS[0]) if ARGS else 1_000_000
PREVIOUS = "--previous" in sys.argv
BY = ("Contract", "InternetService")


def cpu(steps: dict, name: str, fn):
    c0 = time.process_time()
    out = fn()
    steps[name] = time.process_time() - c0
    return out


def section(model, data, tail, folder: Path) -> dict:
    steps: dict[str, float] = {}
    kw = {"within": 6, "horizon": 60, "annual_discount_rate": 0.10, "tail": tail}
    var = cpu(steps, "value_at_risk", lambda: cs.value_at_risk(model, data, **kw))
    path = folder / "value_at_risk.csv"
    if PREVIOUS:
        cpu(steps, "table of all active customers", lambda: rio.write_csv(var.summary, path))
        everyone = pd.Series("all", index=var.summary.index)
        groups = cpu(
            steps,
            "segment of each customer",
            lambda: (
                [everyone.astype(str)]
                + [data.frame.loc[var.summary.index, c].astype(str) for c in BY]
            ),
        )
    else:
        cpu(steps, "table of all active customers", lambda: rio.write_table(var.summary, path))

        def labels():
            ones = pd.Categorical.from_codes(np.zeros(len(var.positions), "i1"), ["all"])
            return [pd.Series(ones)] + [
                pd.Series(data.frame[c].array.take(var.positions)) for c in BY
            ]

        groups = cpu(steps, "segment of each customer", labels)
    totals = cpu(
        steps,
        "segment totals (3 groupings)",
        lambda: [
            kf.segment_totals(var.summary["value_at_risk"], g, n_boot=1000, rng=0) for g in groups
        ],
    )
    steps["section"] = sum(steps.values())
    if not PREVIOUS:
        parts(steps, model, data, tail, var, folder)
    steps["active customers"] = len(var.summary)
    steps["totals"] = pd.concat(totals)
    return steps


def parts(steps: dict, model, data, tail, var, folder: Path) -> None:
    """The table's two files apart, and the curves (the Cox blocks) with one thread and with
    two, CPU and wall seconds in the same run (issue 18, helper H15)."""
    from churnsurv.clv import _valuation, customer_blocks

    head = var.summary.iloc[:1_000_000]
    cpu(
        steps,
        "  of which CSV of the first 1,000,000 rows",
        lambda: rio.write_csv(head, folder / "h.csv"),
    )
    cpu(
        steps,
        "  of which Parquet of all rows",
        lambda: rio._write_parquet(var.summary, folder / "a.parquet", index=True),
    )
    sub = data.take(np.flatnonzero(~data.events))
    times = np.arange(0.0, 61.0)
    for run, threads in enumerate((1, 2, 1, 2)):
        customer_blocks.THREADS = threads
        wall = time.perf_counter()
        blocks = customer_blocks.survival_blocks(
            model, sub, times, conditional=True, tail=tail, size=_valuation._CUSTOMER_BLOCK
        )
        cpu(
            steps,
            f"curves alone, {threads} thread(s), CPU (run {run + 1})",
            lambda blocks=blocks: [b for _, b in blocks],
        )
        steps[f"curves alone, {threads} thread(s), wall (run {run + 1})"] = (
            time.perf_counter() - wall
        )
    customer_blocks.THREADS = 2


def main() -> None:
    raw = make_customers(N)
    data = cs.prepare(
        raw, id="customerID", duration="tenure", event="Churn", event_value="Yes",
        time_unit="month", margin="MonthlyCharges", segments=list(BY),
        covariates=["InternetService", "PaymentMethod", "SeniorCitizen", "MonthlyCharges"],
    )  # fmt: skip
    del raw
    model = cs.CoxModel(
        "InternetService + PaymentMethod + SeniorCitizen + MonthlyCharges", strata=["Contract"]
    ).fit(data)
    tail, _ = kf.clv_tail("sbg", data, 60)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        steps = section(model, data, tail, Path(tmp))
        written = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    totals = steps.pop("totals")
    active = steps.pop("active customers")
    label = "previous" if PREVIOUS else "current"
    print(f"{N:,} customers ({active:,} active), {label} code, load {load:.1f}")
    print("| step | CPU s |\n|---|---|")
    for name, seconds in steps.items():
        print(f"| {name} | {seconds:.2f} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"| files written | {written:.0f} MB |\n| peak RSS | {peak:.2f} GiB |")
    print(totals.to_string())


if __name__ == "__main__":
    main()
