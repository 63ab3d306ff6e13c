"""Benchmark: churnsurv.regression.CoxModel against lifelines' CoxPHFitter called directly.

Simulated data: 10 covariates (4 numeric + 6 categorical; ``breslow_*`` cases: 10 binary
categorical), Weibull proportional-hazards churn, tenure in whole months or whole days. For each
size ``--n`` and unit ``--units`` it measures the wall time and peak memory of:

* ``lifelines_direct``: lifelines ``CoxPHFitter`` from a frame and a formula, as a user calls it;
* ``coxmodel_efron``: ``CoxModel`` (Efron ties) from the same formula;
* ``numpy_baseline``: a bare numpy Newton-Raphson for the Breslow partial likelihood on the
  ready design matrix (:func:`numpy_breslow`);
* ``breslow_collapsed`` / ``breslow_uncollapsed``: all-categorical Breslow fits with
  ``collapse='auto'`` and ``collapse=False``;
* ``predict``: ``predict_survival`` of conditional survival for every customer over 72 periods
  (monthly data only);
* ``predict_chunked``: the same prediction as an iterator of 50,000-customer frames
  (``predict_survival(..., chunksize=50_000)``), each summed and dropped;
* ``predict_numpy``: the floor of that prediction, a bare numpy ``exp(-exp(lp) H(t))`` over the
  same customers x 72 periods from a ready linear predictor (one allocation, one ``exp``).

Each case runs in its own subprocess so that its peak memory (max RSS, from ``resource``) is its
own. Prints one line per case and, unless ``--no-write``, rewrites the "Cox" section of
``benchmarks/RESULTS.md``.

Usage::

    python benchmarks/bench_cox.py                 # n = 200000 and 1000000, month and day
    python benchmarks/bench_cox.py --n 200000 500000 --no-write
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

HERE = pathlib.Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
N_COV = 10


def make_data(n: int, unit: str, *, categorical: bool, seed: int = 1):
    """n customers, 10 covariates (4 numeric + 6 categorical, or 10 categorical), PH churn."""
    import churnsurv as cs

    rng = np.random.default_rng(seed)
    cols = {}
    lp = np.zeros(n)
    for j in range(N_COV):
        if categorical or j >= 4:
            levels = 2 if categorical else 2 + j % 3
            codes = rng.integers(0, levels, n)
            cols[f"c{j}"] = pd.Categorical.from_codes(codes, [f"l{k}" for k in range(levels)])
            lp += 0.15 * (codes - 1)
        else:
            x = rng.normal(size=n)
            cols[f"x{j}"] = x
            lp += 0.1 * x
    scale = 24.0 if unit == "month" else 24.0 * 30.436875
    t = scale * rng.weibull(1.2, n) * np.exp(-lp / 1.2)
    cens = rng.uniform(0, 3 * scale, n)
    dur = np.minimum(t, cens)
    dur = np.ceil(dur) if unit in ("month", "day") else dur  # whole months / whole days
    df = pd.DataFrame(cols)
    df["tenure"], df["churned"] = dur, t <= cens
    data = cs.prepare(df, duration="tenure", event="churned", time_unit=unit)
    return data, " + ".join(c for c in df.columns if c not in ("tenure", "churned"))


def numpy_breslow(X: np.ndarray, time: np.ndarray, event: np.ndarray, tol=1e-9) -> np.ndarray:
    """A bare numpy Newton-Raphson for the Breslow partial likelihood (the baseline).

    The least work any Newton Cox fit does: sort once, then per step one ``X @ beta``, reverse
    cumulative sums of ``r`` and ``r x``, and one weighted ``X.T @ X``; no checks, no Efron
    correction, no standard errors or statistics.
    """
    order = np.argsort(-time, kind="stable")  # longest first: cumsum = risk-set sum
    X, time, event = X[order], time[order], event[order]
    last = np.r_[time[1:] != time[:-1], True]  # last row of each tie group holds its risk set
    ends = np.flatnonzero(last)
    tie = np.repeat(np.arange(ends.size), np.diff(np.r_[-1, ends]))
    d = np.bincount(tie, event.astype(float))
    beta = np.zeros(X.shape[1])
    for _ in range(50):
        r = np.exp(X @ beta)
        s0 = np.cumsum(r)[ends]
        s1 = np.cumsum(r[:, None] * X, axis=0)[ends]
        a = np.cumsum((d / s0)[::-1])[::-1][tie]  # sum of d/S0 over event times at risk
        grad = event @ X - (d / s0) @ s1
        mean = s1 / s0[:, None]
        hess = (X * (r * a)[:, None]).T @ X - (mean * d[:, None]).T @ mean
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.abs(step).max() < tol:
            break
    return beta


def _cpu() -> float:
    """CPU seconds of this process so far (steadier than wall time on a busy machine)."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def run_case(case: str, n: int, unit: str) -> dict:
    import warnings

    from churnsurv.regression import CoxModel

    categorical = case.startswith("breslow")
    data, formula = make_data(n, unit, categorical=categorical)
    out = {"case": case, "n": n, "unit": unit, "events": data.n_events}
    # formulaic loads its parser on first use: parse the formula once untimed, as lifelines has
    # its modules loaded when imported (the import is a once-per-process cost, not the fit's)
    from churnsurv.regression.design import Design

    Design(formula)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["data_rss_mb"] = round(rss, 0)  # peak so far: imports + simulating the data
    t0, c0 = time.perf_counter(), _cpu()
    if case == "lifelines_direct":
        from lifelines import CoxPHFitter

        df = data.frame.drop(columns="event").assign(E=data.events)
        # lifelines as a user calls it: a frame and a formula
        t0, c0 = time.perf_counter(), _cpu()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            CoxPHFitter().fit(df, "duration", "E", formula=formula)
    elif case == "numpy_baseline":
        X = Design(formula).fit_transform(data.frame, purpose="benchmark").to_numpy()
        X = np.ascontiguousarray(X - X.mean(axis=0))  # row-major, centred: given, not timed
        t0, c0 = time.perf_counter(), _cpu()  # the Newton fit is timed
        numpy_breslow(X, data.durations.astype(float), data.events)
    elif case == "coxmodel_efron":
        out["engine"] = CoxModel(formula).fit(data).engine_
    elif case == "breslow_collapsed":
        m = CoxModel(formula, ties="breslow").fit(data)
        out["engine"] = m.engine_
    elif case == "breslow_uncollapsed":
        m = CoxModel(formula, ties="breslow", collapse=False).fit(data)
        out["engine"] = m.engine_
    elif case == "predict":
        m = CoxModel(formula).fit(data)
        tracemalloc.start()
        t0, c0 = time.perf_counter(), _cpu()
        surv = m.predict_survival(data, np.arange(1, 73), conditional=True)
        out["shape"] = list(surv.shape)
        out["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 0)
    elif case == "predict_chunked":
        m = CoxModel(formula).fit(data)
        tracemalloc.start()
        t0, c0 = time.perf_counter(), _cpu()
        total, rows = 0.0, 0  # each block used (summed) and dropped, as cs.clv does
        for block in m.predict_survival(data, np.arange(1, 73), conditional=True, chunksize=50_000):
            total += float(np.nansum(block.to_numpy()))
            rows += len(block)
        out["shape"] = [rows, 72]
        out["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 0)
    elif case == "predict_numpy":
        lp = np.random.default_rng(0).normal(0, 0.3, n)
        h = np.linspace(0.01, 1.5, 72)
        tracemalloc.start()
        t0, c0 = time.perf_counter(), _cpu()
        s = np.multiply.outer(-np.exp(lp), h)
        np.exp(s, out=s)
        out["shape"] = list(s.shape)
        out["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 0)
    out["seconds"] = round(time.perf_counter() - t0, 2)
    out["cpu_s"] = round(_cpu() - c0, 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    return out


def spawn(case: str, n: int, unit: str, threads: int | None = None) -> dict:
    cmd = [sys.executable, __file__, "--case", case, "--n", str(n), "--unit", unit]
    env = dict(os.environ)
    if threads:  # BLAS threads of every case (lifelines and the numpy baseline use them too)
        env.update({v: str(threads) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")})
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, env=env)
    if proc.returncode != 0:
        return {"case": case, "n": n, "unit": unit, "error": proc.stderr.strip()[-300:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def baseline_rss() -> float:
    code = (
        "import churnsurv.regression.cox.model, lifelines, resource; print(resource.getrusage("
        "resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    return float(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    )


def _markdown(table: pd.DataFrame) -> list[str]:
    table = table.fillna("").astype(str)
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * table.shape[1]]
    return lines + ["| " + " | ".join(r) + " |" for r in table.to_numpy().tolist()]


def _paired(rows: list[dict], first: str, second: str):
    """``(n, unit, cases)`` for each size and unit where both cases ran (``cases`` by name)."""
    df = pd.DataFrame([r for r in rows if "seconds" in r])
    for (n, unit), g in df.groupby(["n", "unit"], sort=False):
        cases = g.set_index("case")
        if {first, second} <= set(cases.index):
            yield n, unit, cases


def ratios(rows: list[dict]) -> pd.DataFrame:
    """CoxModel (Efron) against lifelines direct, same n and unit, same run."""
    out = []
    for n, unit, cases in _paired(rows, "lifelines_direct", "coxmodel_efron"):
        ll, cm = cases.loc["lifelines_direct"], cases.loc["coxmodel_efron"]
        out.append(
            {
                "n": n,
                "unit": unit,
                "lifelines s": ll["seconds"],
                "CoxModel s": cm["seconds"],
                "time ratio (target <= 0.4)": round(cm["seconds"] / ll["seconds"], 2),
                "CPU-time ratio": round(cm["cpu_s"] / ll["cpu_s"], 2),
                "numpy baseline s": cases["seconds"].get("numpy_baseline", np.nan),
                "CoxModel / numpy": round(
                    cm["seconds"] / cases["seconds"].get("numpy_baseline", np.nan), 2
                ),
                "CoxModel / numpy, CPU time": round(
                    cm["cpu_s"] / cases["cpu_s"].get("numpy_baseline", np.nan), 2
                ),
                "lifelines peak MB": ll["peak_rss_mb"],
                "CoxModel peak MB": cm["peak_rss_mb"],
                "CoxModel MB above data (target <= 400)": cm["peak_rss_mb"] - cm["data_rss_mb"],
            }
        )
    return pd.DataFrame(out)


def collapse_speedup(rows: list[dict]) -> pd.DataFrame:
    """All-categorical Breslow fits: collapse='auto' against collapse=False, same run."""
    out = []
    for n, unit, cases in _paired(rows, "breslow_collapsed", "breslow_uncollapsed"):
        on, off = cases.loc["breslow_collapsed"], cases.loc["breslow_uncollapsed"]
        out.append(
            {
                "n": n,
                "unit": unit,
                "collapse='auto' engine": on["engine"],
                "seconds": on["seconds"],
                "collapse=False s": off["seconds"],
                "speed-up": round(off["seconds"] / on["seconds"], 1),
            }
        )
    return pd.DataFrame(out)


def write_section(rows: list[dict], note: str) -> None:
    lines = _markdown(pd.DataFrame(rows))
    summary = _markdown(ratios(rows))
    body = ["## Cox", "", note, "", "Efron fits, CoxModel against lifelines:", "", *summary, ""]
    body += [
        "The numpy baseline is a bare Newton-Raphson for the Breslow partial likelihood on the",
        "ready design matrix (`numpy_breslow`: sort once, then reverse cumulative sums and one",
        "weighted `X.T @ X` per step; no checks, no Efron correction, no statistics). CoxModel",
        "additionally builds the design matrix from the formula, checks it (constant, collinear,",
        "separated terms), applies Efron's correction and computes the baseline hazard.",
        "CPU time (user + system of the case's process) is given beside wall time: on a",
        "machine shared with other jobs it is the steadier measure (every case runs on one",
        "BLAS thread, so it counts no spinning threads).",
        "",
        "How the fit gets there (`churnsurv/regression/cox/risksets.py`): the rows are sorted",
        "once by (stratum, last event time at risk, event), so each event time's leavers and",
        "deaths are contiguous runs; a Newton step is one `X @ beta`, one sequential sparse",
        "product summing `exp(eta) x` over the runs, scalar Efron work per death and one",
        "weighted Gram matrix in cache-sized chunks (small enough for OpenBLAS to stay on one",
        "thread: its threads spin-wait on a busy machine, which made the same product 10x",
        "slower). The design block is column-major (pandas' layout, so building it is one",
        "contiguous copy per column) and the centred, sorted copy the engine reads is the only",
        "other n x p array; the unsorted centred design is built only if diagnostics ask.",
        "",
    ]
    predict_cases = ("predict", "predict_chunked", "predict_numpy")
    pred = [r for r in rows if r.get("case") in predict_cases and "seconds" in r]
    if pred:
        body += [
            "Prediction, 1,000,000 customers x 72 periods (`predict_survival`, conditional),",
            "against its numpy floor (`predict_numpy`: one `exp(-exp(lp) H)` into a fresh",
            "customers x periods array from a ready linear predictor). The result alone is",
            "576 MB; the linear predictor comes from the covariate columns without building a",
            "design matrix when every term is numeric or treatment-coded, and the survival",
            "matrix is filled in place a cache-sized block of customers at a time. `cs.clv`",
            "(see the CLV section) never holds the whole matrix: a block of 100,000 customers",
            "at a time. `predict_chunked` is `predict_survival(..., chunksize=50_000)`: the",
            "same numbers as frames of 50,000 customers (29 MB each, memory the allocator",
            "reuses), without the first touch of 576 MB of fresh pages that both the whole",
            "matrix and its floor pay (about 0.6 s of CPU on this machine).",
            "",
            *_markdown(
                pd.DataFrame(pred)[["case", "seconds", "cpu_s", "traced_peak_mb", "peak_rss_mb"]]
            ),
            "",
        ]
    body += [
        "Breslow fits with 10 binary covariates: collapsing identical rows (exact; used",
        "automatically only when it shrinks the data at least four-fold, which daily tenure",
        "does not):",
        "",
        *_markdown(collapse_speedup(rows)),
        "",
    ]
    body += ["All cases:", "", *lines, ""]
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    start = text.find("## Cox")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + "\n".join(body) + ("" if end < 0 else text[end:])
    else:
        text = text.rstrip() + "\n\n" + "\n".join(body)
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--case")
    parser.add_argument("--n", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--unit", default="month")
    parser.add_argument("--units", nargs="+", default=["month", "day"])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--predict-only", action="store_true", help="only the prediction cases (no fits)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS threads for every case (1 on a shared machine: idle BLAS threads spin)",
    )
    args = parser.parse_args()
    if args.case:  # child process
        print(json.dumps(run_case(args.case, args.n[0], args.unit)))
        return
    rows = []
    load_start = os.getloadavg()
    cases = [
        "lifelines_direct",
        "coxmodel_efron",
        "numpy_baseline",
        "breslow_collapsed",
        "breslow_uncollapsed",
    ]
    for n in args.n if not args.predict_only else []:
        for unit in args.units:
            for case in cases:
                r = spawn(case, n, unit, args.threads)
                rows.append(r)
                print(r, flush=True)
    for n in args.n:
        for case in ("predict", "predict_chunked", "predict_numpy"):
            r = spawn(case, n, "month", args.threads)
            rows.append(r)
            print(r, flush=True)
    if not args.no_write and not args.predict_only:
        write_section(rows, note_text(load_start, args.threads))


def note_text(load_start, threads) -> str:
    load = f"{load_start[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    blas = f"{threads} BLAS thread(s) for every case" if threads else "default BLAS threads"
    return (
        f"`benchmarks/bench_cox.py`, {time.strftime('%Y-%m-%d %H:%M')}. "
        f"Machine: {platform.processor() or platform.machine()}, 2 cores shared with other "
        f"jobs (1-minute load average {load}: timings are inflated and noisy, compare the "
        f"ratios measured in the same run); {blas}; "
        f"python {platform.python_version()}. Seconds are wall time of the fit (prediction: "
        "of `predict_survival` over 72 periods, conditional, and `traced_peak_mb` its peak "
        "memory traced by `tracemalloc`, the 576 MB result included); peak RSS is the whole "
        "process "
        f"(importing churnsurv + lifelines alone: {baseline_rss():.0f} MB); `data_rss_mb` is "
        "the peak before the timed call (imports + simulating the data), so the call's own "
        "extra memory is at most the difference. Each case parses its formula once before "
        "the timer (formulaic loads its parser on first use). Data: 10 "
        "covariates (4 numeric + 6 categorical with 2-4 levels; `breslow_*`: 10 binary "
        "categorical), Weibull PH churn, tenure in whole months or whole days."
    )


if __name__ == "__main__":
    main()
