"""Benchmark: the report on a large table against the bare work it cannot avoid (issue 18, item 5).

Runs ``churnsurv report`` on the seeded CSV of :mod:`bench_report` (default 10 million
customers), then times, in the same run and on the same file, a bare numpy/pyarrow version of
the work each part of the report has to do whatever library does it (its *floor*, written
plainly: one thread where numpy uses one, no figures, tables or checks):

* **read**: pyarrow's CSV parse (its threads) and the file's SHA-256 (the report states it);
* **validate** (sections 1, "Columns", and the command's own check): tenure finite and not
  negative, the churn labels compared as dictionary codes, the ids counted distinct by hashing;
* **counts** (sections 2-4: curves, log-rank, rates): one ``np.bincount`` of (segment, tenure,
  churned) for all customers and for each ``--by`` column;
* **Cox fit** (section 5): the design as a float matrix, one stable sort by tenure (numpy's radix
  sort of small integers) and the sorted copy, then 8 Newton steps -- ``X @ b``, ``exp``, the
  per-time sums of ``r`` and ``r x`` (``np.bincount``), the chunked Gram matrix -- as many as the
  report's fit takes;
* **Harrell's C** (section 5): ranking 10 million scores (``np.unique`` and a hash lookup), the
  step the concordance sweep starts from (the sweep itself is not counted);
* **CLV bootstrap** (section 6): 50 resamples, each drawn (``rng.integers``), counted per
  customer (``np.bincount``) and tallied per (segment, tenure, churned) cell;
* **value at risk** (section 6): every active customer's 61-period curve ``exp(-u H)`` and its
  discounted sum, a chunk at a time; the descending sort of the values; the ranked table
  written as Parquet and its first 1,000,000 rows as CSV (pyarrow).

Prints the report's time per part from its ``tables/timings.csv`` beside the bare version, and
the fixed costs outside the sections (a fresh Python importing what the kernel imports). The
bare version is not a strict lower bound: where the report overlaps work in threads (the CLV
bootstrap) it is faster than the plain loop.

Run: ``.venv/bin/python benchmarks/bench_report_floor.py [n_customers]`` (``make bench``).
Not part of the test suite.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq
from scipy import sparse

sys.path.insert(0, str(Path(__file__).parent))
from bench_report import run_report, write_csv  # noqa: E402

NEWTON_STEPS = 8  # the report's Efron fit at 10M takes 8 evaluations (RESULTS.md, H14)
RESAMPLES = 50  # CLV by segment: the report's bootstrap resamples
PERIODS = 61  # value at risk: 60 months of horizon plus the start
GRAM_ROWS = 2_469  # the Cox engine's Gram chunk at p = 9 (RiskSets._GRAM_CELLS // 81)


@contextmanager
def timed(floors: dict, name: str):
    start = time.perf_counter()
    yield
    floors[name] = floors.get(name, 0.0) + time.perf_counter() - start


def codes_of(column: pa.ChunkedArray) -> np.ndarray:
    """Dictionary codes of a text column (pyarrow's hashing)."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def measure(csv: Path) -> dict[str, float]:
    floors: dict[str, float] = {}
    with timed(floors, "read"):
        table = pv.read_csv(csv)
        digest = hashlib.sha256()
        with open(csv, "rb") as f:
            while chunk := f.read(1 << 24):
                digest.update(chunk)
    with timed(floors, "validate"):
        tenure = table["tenure"].to_numpy().astype(float)
        ok = bool(np.isfinite(tenure).all() and (tenure >= 0).all())
        churn = pc.dictionary_encode(table["Churn"]).combine_chunks()
        yes = churn.dictionary.index("Yes").as_py()
        event = churn.indices.to_numpy(zero_copy_only=False) == yes
        distinct = pc.count_distinct(table["customerID"]).as_py()
    assert ok and distinct == len(tenure)
    n = len(tenure)
    t_code = tenure.astype(np.int64)
    n_t = int(t_code.max()) + 1
    contract = codes_of(table["Contract"])
    internet = codes_of(table["InternetService"])
    payment = codes_of(table["PaymentMethod"])
    senior = table["SeniorCitizen"].to_numpy().astype(float)
    charges = table["MonthlyCharges"].to_numpy().astype(float)
    del table
    with timed(floors, "counts"):
        for seg, k in [(np.zeros(n, np.int64), 1), (contract, 3), (internet, 3)]:
            np.bincount((seg * n_t + t_code) * 2 + event, minlength=k * n_t * 2)

    with timed(floors, "Cox fit"):
        X = np.empty((n, 9))
        for j, (codes, level) in enumerate(
            [(contract, 1), (contract, 2), (internet, 1), (internet, 2)]
            + [(payment, 1), (payment, 2), (payment, 3)]
        ):
            np.equal(codes, level, out=X[:, j], casting="unsafe")
        X[:, 7], X[:, 8] = senior, charges
        order = np.argsort(t_code.astype(np.int16), kind="stable")
        Xs = X[order]
        Xs -= X.mean(axis=0)
        del X
        ts = t_code[order]
        xd = Xs[event[order]].sum(axis=0)
        # the rows of each tenure are contiguous once sorted: one sparse product sums r x
        indptr = np.r_[0, np.cumsum(np.bincount(ts, minlength=n_t))].astype(np.int32)
        cols = np.arange(n, dtype=np.int32)
        beta = np.zeros(9)
        for _ in range(NEWTON_STEPS):
            eta = np.einsum("ij,j->i", Xs, beta)
            r = np.exp(eta)
            s0 = np.bincount(ts, r, n_t)
            s1 = sparse.csr_matrix((r, cols, indptr), shape=(n_t, n)) @ Xs
            gram = np.zeros((9, 9))
            for i in range(0, n, GRAM_ROWS):
                xs = Xs[i : i + GRAM_ROWS]
                gram += (xs * r[i : i + GRAM_ROWS, None]).T @ xs
            grad = xd - np.divide(
                s1, s0[:, None], out=np.zeros_like(s1), where=s0[:, None] > 0
            ).sum(0)
            beta = beta + 1e-9 * grad
        score = np.empty(n)
        score[order] = np.einsum("ij,j->i", Xs, np.linspace(-0.5, 0.5, 9))
        del Xs, eta, r
    with timed(floors, "Harrell's C"):
        distinct_scores = np.unique(score)
        pd.Index(distinct_scores).get_indexer(score)

    with timed(floors, "CLV bootstrap"):
        cells = (internet * 3 + contract) * n_t + t_code
        cells = cells * 2 + event
        rng = np.random.default_rng(0)
        weights = np.empty(n)
        for _ in range(RESAMPLES):
            drawn = np.bincount(rng.integers(0, n, n), minlength=n)
            np.copyto(weights, drawn)
            np.bincount(cells, weights, 9 * n_t * 2)
            weights *= charges
            np.bincount(internet * 3 + contract, weights, 9)

    with timed(floors, "value at risk"):
        active = np.flatnonzero(~event)
        u = np.exp(score[active] - score.mean())
        cum_h = np.cumsum(np.full((n_t, PERIODS), 0.01), axis=1)  # per tenure: H(t + k) - H(t)
        disc = 1.1 ** (-np.arange(PERIODS) / 12)
        value = np.empty(active.size)
        at = t_code[active]
        chunk = (1 << 18) // PERIODS
        for a in range(0, active.size, chunk):
            block = cum_h[at[a : a + chunk]]
            block *= -u[a : a + chunk, None]
            np.exp(block, out=block)
            value[a : a + chunk] = block @ disc
        value *= charges[active]
        order = np.argsort(-value, kind="stable")
        ranked = pa.table(
            {
                "customerID": pa.array(active[order]).cast(pa.string()),
                "tenure": tenure[active][order],
                "p_churn": 1 - np.exp(-u[order] * 0.06),
                "residual_clv": value[order],
                "value_at_risk": value[order] * 0.1,
                "rank": np.arange(1, active.size + 1),
            }
        )
        with tempfile.TemporaryDirectory() as folder:
            pq.write_table(ranked, Path(folder) / "value_at_risk.parquet")
            pv.write_csv(ranked.slice(0, 1_000_000), Path(folder) / "value_at_risk.csv")
    return floors


def import_seconds() -> float:
    """A fresh Python importing what the report's kernel imports in its setup cell."""
    code = "import churnsurv, matplotlib.pyplot, pandas, IPython.display, churnsurv.report.io"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ | {"MPLBACKEND": "Agg"})
    return time.perf_counter() - start


#: The report's sections (``tables/timings.csv``) each floor stands for.
PARTS = [
    ("read", []),
    ("validate", ["1. The data", "Columns of the input", "Rows excluded by validation"]),
    ("counts", ["2. Retention curves", "3. Log-rank tests", "4. Churn and retention rates"]),
    ("Cox fit", ["5. Cox model"]),
    ("Harrell's C", []),
    ("proportional-hazards check", ["Proportional-hazards check"]),
    ("CLV bootstrap", ["6. CLV by segment"]),
    ("value at risk", ["Value at risk"]),
]


def main(n: int) -> None:
    folder = Path(tempfile.gettempdir()) / "churnsurv-bench-report"
    folder.mkdir(exist_ok=True)
    csv = write_csv(n, folder / f"customers_{n}.csv")
    out = folder / f"report_{n}"
    load = os.getloadavg()[0]
    seconds, peak, status = run_report(csv, out)
    if status not in (0, 3):
        sys.exit(f"churnsurv report failed (exit status {status}); see {out.with_suffix('.log')}")
    sections = pd.read_csv(out / "tables" / "timings.csv").set_index("section")["seconds"]
    floors = measure(csv)
    imports = import_seconds()
    print(f"{n:,} customers; load average at start {load:.2f} (1 min) on {os.cpu_count()} cores\n")
    print("| part | report (s) | bare numpy/pyarrow (s) | report / bare |\n|---|---:|---:|---:|")
    used = set()
    for name, names in PARTS:
        took = float(sections.reindex(names).sum()) if names else float("nan")
        used.update(names)
        floor = floors.get(name, float("nan"))
        if name == "Cox fit":  # the section holds the fit and Harrell's C
            floor += floors["Harrell's C"]
            name = "Cox fit + Harrell's C"
        if name == "Harrell's C":
            continue
        ratio = took / floor if floor == floor and took == took else float("nan")
        cells = [f"{v:.1f}" if v == v else "—" for v in (took, floor)]
        print(f"| {name} | {cells[0]} | {cells[1]} | {ratio:.1f}× |".replace("nan×", "—"))
    rest = float(sections.drop(list(used), errors="ignore").sum())
    print(f"| other sections (early warning on a sample, ...) | {rest:.1f} | — | — |")
    outside = seconds - float(sections.sum())
    print(f"| outside the sections (command, kernel, export) | {outside:.1f} | — | — |")
    floor_sum = sum(floors.values())
    print(
        f"| **whole run** | **{seconds:.1f}** | **{floor_sum:.1f}** | "
        f"{seconds / floor_sum:.1f}× |\n"
    )
    print(
        f"Peak RSS of the report's process tree {peak:.2f} GiB. A fresh Python importing what "
        f"the kernel's setup cell imports: {imports:.1f} s (paid by the command and again by "
        "the kernel)."
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
