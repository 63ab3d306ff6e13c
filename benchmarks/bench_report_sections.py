"""Benchmark: the report's sections 2, 3, 4, 6 and 8 on the telco-like customers of
``bench_report.py`` (issue 18, item 5), each against the path it replaced, same run, same data.

Data as the report's section 1 makes them: the CSV read by ``report.io.read_input`` with the
segments and the event as categoricals, ``cs.prepare(..., segments=BY, margin=...)``.

1. **"6. CLV by segment"**: the loop of ``cs.clv(km, data, ci=True, n_boot=50, tail=sBG,
   rng=0)`` over all customers and each ``by`` column. Before: every call draws and counts its
   own 50 resamples (the shared counts switched off); after: the seeded calls share the
   resamples' counts (``clv._bootstrap._SharedCounts``). The intervals must agree to 1e-12.
2. **"8. Early warning"**: the bootstrap of the call list (``metrics.warning._bootstrap_p``,
   30 Cox refits) on the report's random sample of 20,000 customers. Before: refits on
   resamples of the id-indexed sample and ``np.nanquantile`` per customer; after: refits on
   a position-indexed copy and the vectorised percentile interval. Equal numbers asserted.
3. **"4. Churn rates"** (the four ``cs.churn_rates`` calls the cell made, with the previous
   tenure-basis counting, against the three it makes now), **"2. Retention curves"**
   (Kaplan-Meier fits, summaries, numbers at risk) and **"3. Log-rank"** (k-sample and
   pairwise tests), each as a ratio to a bare numpy ``bincount`` pass over the same columns
   (all customers and each segment: (tenure, churned) cells).

CPU times (``time.process_time``: the machine is shared) and their ratios within this run.
Prints Markdown tables (``benchmarks/RESULTS.md``).
Run: ``.venv/bin/python benchmarks/bench_report_sections.py [n_customers]`` (default 1,000,000;
the CSV is kept in the system's temporary folder, as ``bench_report.py`` does).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from bench_report import FORMULA, write_csv  # noqa: E402

import churnsurv as cs  # noqa: E402
from churnsurv.clv import _bootstrap  # noqa: E402
from churnsurv.clv.survival_clv import _refit  # noqa: E402
from churnsurv.km import tables  # noqa: E402
from churnsurv.km.counts import count_tables, product_limit  # noqa: E402
from churnsurv.metrics.warning import _bootstrap_p  # noqa: E402
from churnsurv.report import findings as kf  # noqa: E402
from churnsurv.report.io import label_columns, read_input  # noqa: E402

BY = ["Contract", "InternetService"]


def cpu(fn):
    """CPU seconds of one call, and its result."""
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def clv_section(data, kms) -> list[str]:
    """Section 6's loop, without and with the shared resample counts."""
    shortest = min(float(kf.follow_up(k).min()) for k in kms.values())
    horizon, _ = kf.clv_horizon(None, "sbg", shortest, "month")
    tail, _ = kf.clv_tail("sbg", data, horizon)
    kw = {"annual_discount_rate": 0.1, "horizon": horizon, "tail": tail, "ci": True}

    def loop():
        return [cs.clv(km, data, n_boot=50, rng=0, **kw).summary for km in kms.values()]

    shared = _bootstrap._SHARED.counts
    _bootstrap._SHARED.counts = lambda *a: None  # type: ignore[method-assign]
    try:
        before_t, before = cpu(loop)
    finally:
        _bootstrap._SHARED.counts = shared  # type: ignore[method-assign]
    _bootstrap._SHARED = _bootstrap._SharedCounts()  # nothing counted yet
    after_t, after = cpu(loop)
    for a, b in zip(after, before, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    floor_t, _ = cpu(lambda: bare_bootstrap(data))
    return [
        f"| 6. CLV by segment (3 calls, 50 resamples each) | {before_t:.2f} | {after_t:.2f} "
        f"| {before_t / after_t:.1f}x |",
        f"| 6. floor: bare numpy, 50 × (draw, draw counts, weighted bincounts of the cells and "
        f"margins) | | {floor_t:.2f} | after / floor {after_t / floor_t:.2f} |",
    ]


def bare_bootstrap(data) -> None:
    """The arithmetic of one exact bootstrap of the segment combinations, in bare numpy."""
    seg = pd.MultiIndex.from_frame(data.frame[BY]).factorize()[0]
    t = data.durations.astype(np.intp)
    cells = (seg * (t.max() + 1) + t) * 2 + data.events
    margin = data.frame["MonthlyCharges"].to_numpy()
    rng = np.random.default_rng(0)
    for _ in range(50):
        drawn = np.bincount(rng.integers(0, data.n, data.n), minlength=data.n).astype(float)
        np.bincount(cells, weights=drawn)
        drawn *= margin
        np.bincount(seg, weights=drawn)


def early_warning_bootstrap(cox_data) -> list[str]:
    """Section 8's call-list bootstrap on the report's sample of 20,000 customers."""
    picked = np.random.default_rng(0).choice(cox_data.n, min(20_000, cox_data.n), replace=False)
    sample = cox_data.take(np.sort(picked))
    model = cs.CoxModel(FORMULA).fit(sample)
    active = np.flatnonzero(~sample.events)

    def before():
        gen, act, draws = np.random.default_rng(0), sample.frame.iloc[active], []
        for _ in range(30):
            idx = gen.integers(0, sample.n, sample.n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = _refit(model, sample.take(idx), idx)
                draws.append(fit.predict_churn_probability(act, within=6).to_numpy(float))
        boot = np.vstack(draws)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return [np.nanquantile(boot, q, axis=0) for q in ((1 - 0.95) / 2, (1 + 0.95) / 2)]

    before_t, (lo, hi) = cpu(before)
    after_t, (lo_new, hi_new) = cpu(lambda: _bootstrap_p(model, sample, active, 6, 30, 0.95, 0))
    np.testing.assert_array_equal(lo_new.to_numpy(), lo)
    np.testing.assert_array_equal(hi_new.to_numpy(), hi)
    return [
        f"| 8. Early warning: call-list bootstrap (30 Cox refits, {sample.n:,} customers) "
        f"| {before_t:.2f} | {after_t:.2f} | {before_t / after_t:.1f}x |"
    ]


def previous_tenure_rates(data, mask, period, w):
    """The previous tenure-basis counting (``km.tables._tenure_rates`` before this work)."""
    width = tables._period_width(period, data.time_unit)
    dur, ev, ent = data.durations[mask], data.events[mask], data.entries[mask]
    n_p = int(np.floor(dur.max() / width)) + 1
    k = np.minimum((dur // width).astype(np.int64), n_p - 1)
    ke = np.minimum(np.ceil(ent / width).astype(np.int64), n_p)
    starts = np.arange(n_p) * width
    reached = np.cumsum(tables._count(k, w, n_p)[::-1])[::-1]
    not_yet = np.cumsum(tables._count(ke, w, n_p + 1)[::-1])[::-1][1:]
    pl = product_limit(count_tables(dur, ev)[0])
    s_before = np.append(1.0, pl["survival"])[np.searchsorted(pl["time"], starts, side="left")]
    s_end = np.append(1.0, pl["survival"])[np.searchsorted(pl["time"], starts + width)]
    with np.errstate(divide="ignore", invalid="ignore"):
        km = 100.0 * (1.0 - s_end / s_before)
    return pd.DataFrame(
        {
            "period": np.arange(n_p),
            "tenure_start": starts,
            "tenure_end": starts + width,
            "customers_start": reached - not_yet,
            "churned": tables._count(k[ev], None, n_p),
            "censored": tables._count(k[~ev], None, n_p),
            "km_churn_pct": km,
        }
    )


def rates_and_curves(data) -> tuple[list[str], list[str]]:
    """Section 4 before/after; sections 2-4 against a bare bincount pass."""

    def rates(calls: int):
        out = [cs.churn_rates(data, period="month")]
        out += [cs.churn_rates(data, period="month", by=c) for c in BY]
        return out + [cs.churn_rates(data, period="month") for _ in range(calls - 3)]

    current = tables._tenure_rates
    tables._tenure_rates = previous_tenure_rates
    try:
        before_t, before = cpu(lambda: rates(4))  # the cell computed the overall table twice
    finally:
        tables._tenure_rates = current
    after_t, after = cpu(lambda: rates(3))
    for a, b in zip(after, before, strict=False):
        pd.testing.assert_frame_equal(a, b, check_exact=True)

    def bare():
        t = data.durations.astype(np.int64)
        cells = t * 2 + data.events
        np.bincount(cells)
        for col in BY:
            np.bincount(data.frame[col].cat.codes.to_numpy() * (2 * (t.max() + 1)) + cells)

    def curves():
        grid = np.linspace(0, data.durations.max(), 7).round()
        fits = {"all": cs.KaplanMeier().fit(data)}
        fits |= {c: cs.KaplanMeier().fit(data, by=c) for c in BY}
        for km in fits.values():
            hs, tau = kf.retention_horizons(km, "month")
            km.summarize(horizons=hs, rmst_horizon=tau)
            km.at_risk(grid)
        return fits

    bare_t, _ = cpu(bare)
    km_t, fits = cpu(curves)
    lr_t, _ = cpu(lambda: [(fits[c].logrank(), fits[c].pairwise(adjust="holm")) for c in BY])
    section4 = [
        f"| 4. Churn rates (the cell's 4 calls before, 3 after) | {before_t:.2f} | "
        f"{after_t:.2f} | {before_t / after_t:.1f}x |"
    ]
    floors = [
        f"| bare numpy: bincount of (tenure, churned), all + each segment | {bare_t:.3f} | 1 |",
        f"| 2. Retention curves: 3 KM fits, summaries, at risk | {km_t:.2f} "
        f"| {km_t / bare_t:.1f} |",
        f"| 3. Log-rank: k-sample + pairwise, 2 columns | {lr_t:.2f} | {lr_t / bare_t:.1f} |",
        f"| 4. Churn rates, 3 calls (after) | {after_t:.2f} | {after_t / bare_t:.1f} |",
    ]
    return section4, floors


def main(n: int) -> None:
    folder = Path(tempfile.gettempdir()) / "churnsurv-bench-report"
    folder.mkdir(exist_ok=True)
    csv = write_csv(n, folder / f"customers_{n}.csv")
    print(f"{n:,} customers; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n")
    raw, _, _ = read_input(csv, None, id_col="customerID", categorical=label_columns(BY, "Churn"))
    args = dict(
        duration="tenure", event="Churn", event_value="Yes", time_unit="month",
        id="customerID", segments=BY, margin="MonthlyCharges",
    )  # fmt: skip
    covariates = [t.strip() for t in FORMULA.split("+")]
    cox_data = cs.prepare(raw, on_invalid="drop", covariates=covariates, **args)
    rows = early_warning_bootstrap(cox_data)
    del cox_data  # one prepared copy at a time: 10M customers stay under 5 GB
    data = cs.prepare(raw, on_invalid="drop", **args)
    del raw
    kms = {"(all customers)": cs.KaplanMeier().fit(data)}
    kms |= {c: cs.KaplanMeier().fit(data, by=c) for c in BY}
    rows = clv_section(data, kms) + rows
    section4, floors = rates_and_curves(data)
    print("| section part | before (CPU s) | after (CPU s) | before / after |")
    print("|---|---:|---:|---:|")
    print("\n".join(rows + section4))
    print("\n| part | CPU s | ratio to the bincount pass |")
    print("|---|---:|---:|")
    print("\n".join(floors))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
