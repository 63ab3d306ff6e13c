"""Benchmark: two parts of ``churnsurv report`` on the telco-like customers of
``bench_report.py`` (issue 18, item 5), each against the path it replaced, same run, same data.

1. **The proportional-hazards check** (``cox.zph``, transform ``"km"``) of the report's Cox
   model: the score test and the Schoenfeld residuals on the fit's risk sets
   (:mod:`churnsurv.regression.cox.phtest`) against the reference path that rebuilds every
   row's risk-set bounds per call (``likelihood.zph_test`` / ``schoenfeld``); then the report's
   whole "Proportional-hazards check" section without its figures (the check, the remedy that
   refits stratified on a violating term and checks again, the residuals of the panels).
2. **Segment and event columns as categoricals** (the report's read path,
   :func:`churnsurv.report.io.label_columns`) against the same CSV read with Python strings:
   ``prepare``, "Columns of the input" (``nunique``), Kaplan-Meier by two segments, their
   log-rank and pairwise tests, churn rates by two segments.

Prints Markdown tables (``benchmarks/RESULTS.md``) with the load average.
Run: ``.venv/bin/python benchmarks/bench_report_parts.py [n_customers]`` (default 1,000,000).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from bench_report import FORMULA, write_csv  # noqa: E402

import churnsurv as cs  # noqa: E402
from churnsurv.regression.cox import diagnostics, phtest  # noqa: E402
from churnsurv.regression.cox import likelihood as core  # noqa: E402
from churnsurv.report import findings as kf  # noqa: E402
from churnsurv.report.io import label_columns, read_table  # noqa: E402

BY = ["Contract", "InternetService"]
PREPARE = dict(
    id="customerID",
    duration="tenure",
    event="Churn",
    event_value="Yes",
    time_unit="month",
    margin="MonthlyCharges",
)


def best(fn, repeat: int = 2) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def ph_check(raw) -> None:
    covariates = [t.strip() for t in FORMULA.split("+")]
    data = cs.prepare(raw, on_invalid="drop", covariates=covariates, **PREPARE)
    cox = cs.CoxModel(FORMULA).fit(data)
    fit = cox.fit_state_
    g = diagnostics.time_transform(fit.train, "km")
    groups = [fit.design.terms[t] for t in fit.design.terms]
    old_t, old = best(lambda: fit.train.call(core.zph_test, fit.beta, g, groups))
    new_t, new = best(lambda: phtest.zph_statistics(fit.train.risk_sets(), fit.beta, g, groups))
    np.testing.assert_allclose(new[1], old[1], rtol=1e-9)
    res_old_t, _ = best(lambda: fit.train.call(core.schoenfeld, fit.beta))
    res_new_t, _ = best(lambda: phtest.schoenfeld(fit.train.risk_sets(), fit.beta))
    print("| PH check part | reference path (s) | on the risk sets (s) | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| score test (cox.zph) | {old_t:.2f} | {new_t:.2f} | {old_t / new_t:.1f}x |")
    print(f"| Schoenfeld residuals | {res_old_t:.2f} | {res_new_t:.2f} | "
          f"{res_old_t / res_new_t:.1f}x |")  # fmt: skip
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.AssumptionWarning)
        ph = cox.check_proportional_hazards()
        remedy = kf.ph_remedy(cox, data, min_events=10)
        bad = ph.index[(ph.index != "GLOBAL") & (ph["p_value"] < 0.05)]
        for col in [c for c in cox.summary.index if any(c.startswith(t) for t in bad)][:9]:
            diagnostics.schoenfeld_panels(fit, cox.schoenfeld_residuals(), [col])
    section = time.perf_counter() - start
    p_value = ph.loc["GLOBAL", "p_value"]
    print(f"\nThe report's PH section without figures: {section:.1f} s (stratified on "
          f"{remedy.stratified or 'nothing'}; global p {p_value:.3g}).\n")  # fmt: skip


def labels(csv: Path) -> None:
    rows = []
    for name, categorical in (("text", []), ("categorical", label_columns(BY, "Churn"))):
        read_t, raw = best(
            lambda c=categorical: read_table(csv, id_col="customerID", categorical=c)
        )
        prep_t, data = best(lambda r=raw: cs.prepare(r, on_invalid="drop", segments=BY, **PREPARE))
        nun_t, _ = best(lambda r=raw: r.nunique())
        km_t, kms = best(lambda d=data: [cs.KaplanMeier().fit(d, by=c) for c in BY])
        lr_t, _ = best(lambda k=kms: [(m.logrank(), m.pairwise(adjust="holm")) for m in k])
        rate_t, _ = best(lambda d=data: [cs.churn_rates(d, period="month", by=c) for c in BY])
        rows.append((name, read_t, prep_t, nun_t, km_t, lr_t, rate_t))
    print("| columns read as | read CSV | prepare | nunique | KM by 2 | log-rank + pairwise "
          "| churn rates by 2 | sum after reading |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, *t in rows:
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in t) + f" | {sum(t[1:]):.2f} |")
    print(f"\nratio text / categorical after reading: {sum(rows[0][2:]) / sum(rows[1][2:]):.1f}x")


def main(n: int) -> None:
    folder = Path(tempfile.gettempdir()) / "churnsurv-bench-report"
    folder.mkdir(exist_ok=True)
    csv = write_csv(n, folder / f"customers_{n}.csv")
    print(f"{n:,} customers; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n")
    ph_check(read_table(csv, id_col="customerID"))
    labels(csv)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
