"""Benchmark: the report's CLV by segment (section 6), its shared bootstrap counts part by part.

The report values all customers, then each ``--by`` column, with ``cs.clv(km, data, ci=True,
n_boot=50, rng=seed)``: the three calls share one set of resample counts
(``clv._bootstrap._SharedCounts``), counted on the combinations of the data's segments. On
``n_customers`` telco-like customers (``bench_report.make_customers``, default 1,000,000;
the report's case is 10,000,000), in one run, process CPU and wall seconds of:

* the 50 resamples' counts the previous way (a plain loop: ``rng.integers``, ``np.bincount``
  of the positions, ``astype(float)``, the weighted ``np.bincount`` of the cells and of the
  margins), the same counts with ``_KMResampler.tally`` and one reused buffer in a plain loop
  (``ahead=False``), with one worker thread drawing and counting the next resample, and with
  two (one drawing, one counting: ``_joint_counts``, what the report runs); all four must be
  equal bit for bit;
* the floor of the per-resample work: the draws and the ``np.bincount`` of the positions alone
  (a random scatter over all customers: what the worker thread does);
* the key's digest (BLAKE2 of the int64 codes before, SHA-256 of compact codes now);
* the segment values (their mean margins) with a ``data.take`` per segment (before) and read
  at the rows (now), equal bit for bit;
* the three ``cs.clv`` calls end to end.

Threads: wall seconds with the worker thread against the plain loop, in the same run, beside
the 1-minute load average (2 cores shared with other work: wall is only meaningful idle).

Run: ``.venv/bin/python benchmarks/bench_clv_shared.py [n_customers]``. Prints a Markdown
table; not part of the test suite.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # bench_report's data generator

import numpy as np

import churnsurv as cs
from churnsurv.clv import _bootstrap, _valuation, discount_factors
from churnsurv.clv._bootstrap import _KMResampler

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
N = int(ARGS[0]) if ARGS else 1_000_000
N_BOOT = 50
SEED = 18
BY = ["Contract", "InternetService"]


def timed(fn):
    """``(result, cpu seconds, wall seconds)`` of ``fn()``."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - t0


def previous_counts(joint: _KMResampler, n: int):
    """The resamples' counts as the code before this change made them (a plain loop)."""
    rng = np.random.default_rng(SEED)
    out = []
    for _ in range(N_BOOT):
        drawn = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        counts = np.bincount(joint.cells, weights=drawn, minlength=joint.n_cells)
        drawn *= joint.factor
        out.append((counts, np.bincount(joint.codes, weights=drawn, minlength=joint.n_groups)))
    return out


def tallied(joint: _KMResampler, n: int, *, ahead: bool):
    buffer = np.empty(n)
    draws = _bootstrap._drawn(np.random.default_rng(SEED), n, N_BOOT, ahead=ahead)
    return [joint.tally(drawn, buffer) for drawn in draws]


def one_worker(joint: _KMResampler, n: int):
    """The counts with ONE worker thread drawing and counting resample ``b + 1`` while the
    caller tallies ``b`` (the thread comparison: ``_drawn`` uses two workers)."""
    rng = np.random.default_rng(SEED)
    buffer = np.empty(n)

    def draw():
        return np.bincount(rng.integers(0, n, n), minlength=n)

    out = []
    with ThreadPoolExecutor(max_workers=1) as worker:
        pending = worker.submit(draw)
        for b in range(N_BOOT):
            drawn = pending.result()
            if b + 1 < N_BOOT:
                pending = worker.submit(draw)
            out.append(joint.tally(drawn, buffer))
    return out


def scatter_floor(n: int) -> None:
    rng = np.random.default_rng(SEED)
    for _ in range(N_BOOT):
        np.bincount(rng.integers(0, n, n), minlength=n)


def same_bits(a, b) -> bool:
    return all(
        np.array_equal(x.ravel().view(np.uint64), y.ravel().view(np.uint64))
        for (xc, xt), (yc, yt) in zip(a, b, strict=True)
        for x, y in ((xc, yc), (xt, yt))
    )


def blake2_digest(arrays) -> str:
    """The key's digest before this change (BLAKE2 of every array as given)."""
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.view(np.uint8).ravel().data)
    return h.hexdigest()


def main() -> None:
    from bench_report import make_customers

    raw = make_customers(N)
    data = cs.prepare(
        raw, id="customerID", duration="tenure", event="Churn", event_value="Yes",
        margin="MonthlyCharges", segments=BY,
    )  # fmt: skip
    del raw
    fits = [cs.KaplanMeier().fit(data, by=by) for by in (None, *BY)]
    kw = {"annual_discount_rate": 0.1, "horizon": 60}
    how = _valuation._Valuation(
        _valuation._grid(60, "start"),
        discount_factors(_valuation._grid(60, "start"), annual_discount_rate=0.1,
                            time_unit="month"),
        None, None, False, False,
    )  # fmt: skip
    resampler = _KMResampler.create(fits[1], data, how)
    assert resampler is not None
    codes = _bootstrap._combination_codes(data.frame, BY)
    assert codes is not None
    names = [str(j) for j in range(int(codes.max()) + 1)]
    joint = _KMResampler(data, how, codes, (names, names), (resampler.factor, 1.0))
    joint.cells  # made once, outside the timings  # noqa: B018
    load = os.getloadavg()[0]
    before, c_before, t_before = timed(lambda: previous_counts(joint, data.n))
    plain, c_plain, t_plain = timed(lambda: tallied(joint, data.n, ahead=False))
    one, c_one, t_one = timed(lambda: one_worker(joint, data.n))
    ahead, c_ahead, t_ahead = timed(lambda: tallied(joint, data.n, ahead=True))
    _, c_floor, t_floor = timed(lambda: scatter_floor(data.n))
    assert same_bits(before, plain) and same_bits(before, ahead), "the counts differ"
    assert same_bits(before, one), "the counts differ"
    del before, plain, ahead, one
    arrays = [data.durations, data.events, codes, resampler.factor]
    _, c_blake, t_blake = timed(lambda: blake2_digest(arrays))
    _, c_sha, t_sha = timed(lambda: _bootstrap._digest(arrays))

    km = fits[1]
    rows, c_rows, t_rows = timed(lambda: _valuation._segment_values(km, data, how))
    real = _valuation._parametric_tail
    _valuation._parametric_tail = lambda tail: True  # type: ignore[assignment]
    try:
        taken, c_take, t_take = timed(lambda: _valuation._segment_values(km, data, how))
    finally:
        _valuation._parametric_tail = real
    assert rows.equals(taken), "the segment values differ"

    _bootstrap._SHARED = _bootstrap._SharedCounts()  # nothing counted yet
    calls = [(km, data) for km in fits]
    _, c_calls, t_calls = timed(
        lambda: [cs.clv(k, d, ci=True, n_boot=N_BOOT, rng=SEED, **kw) for k, d in calls]
    )
    print(f"| {N:,} customers, {N_BOOT} resamples | CPU s | wall s |\n|---|---|---|")
    table = [
        ("counts, previous plain loop", c_before, t_before),
        ("counts, `tally` + reused buffer, plain loop", c_plain, t_plain),
        ("counts, one worker thread drawing + counting ahead", c_one, t_one),
        ("counts, two worker threads, one drawing, one counting ahead (now)", c_ahead, t_ahead),
        ("floor: draws + `np.bincount` of the positions alone", c_floor, t_floor),
        ("key digest, BLAKE2 of int64 codes (before)", c_blake, t_blake),
        ("key digest, SHA-256 of compact codes (now)", c_sha, t_sha),
        ("segment values (by Contract), `data.take` per segment (before)", c_take, t_take),
        ("segment values (by Contract), margins read at the rows (now)", c_rows, t_rows),
        ("the report's three `cs.clv(..., ci=True)` calls, end to end", c_calls, t_calls),
    ]
    for name, c, t in table:
        print(f"| {name} | {c:.2f} | {t:.2f} |")
    print(f"\nbits equal: yes; 1-minute load average at the start: {load:.2f} (2 cores)")


if __name__ == "__main__":
    main()
