"""The risk sets of a Cox fit, built once, and the Newton-step arithmetic on them (private).

:class:`RiskSets` is what :func:`~churnsurv.regression.cox.likelihood.fit_newton` iterates on: the
partial likelihood of :mod:`~churnsurv.regression.cox.likelihood` (R ``survival``'s form, Breslow
or Efron ties, case weights, strata, entry times, collapsed rows) evaluated with its gradient and
Hessian at any ``beta``.

Everything that does not depend on ``beta`` is done once: the rows are sorted by (stratum, last
event time at risk, event), so each event time's leavers and deaths are contiguous runs of rows.
A Newton step then reads the sorted design twice -- once for ``X @ beta`` and once, chunk by
chunk, for the weighted Gram matrix ``X' diag(v) X`` -- plus one sequential sparse product that
sums ``exp(eta) x`` over the runs (no ``n x p`` temporary beyond a chunk). The rest is scalar work
per event time: risk-set sums are cumulative sums over the runs, and with ``m`` tied deaths
Efron's ``m`` steps are accumulated as scalars (``sum 1/den``, ``sum f/den``, ...) combined with
the ``p``-vectors ``S1`` and ``D1`` once per time.

The element-wise work of a step (``w * exp(X @ beta)`` and the Gram weights) is done in blocks
of :data:`BLOCK_ROWS` rows, :data:`THREADS` blocks at a time (numpy releases the GIL there);
each row's numbers are computed alone, so they are the same with any number of threads.
"""

from __future__ import annotations

import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from churnsurv.metrics.ipcw import few_distinct

__all__ = ["RiskSets"]

#: Threads that compute a Newton step's blocks of rows (1: all in the calling thread).
THREADS = 2
#: Rows of one block of a Newton step's row-wise work (the unit the threads share).
BLOCK_ROWS = 1 << 20


def _in_blocks(n: int, work) -> list:
    """``[work(rows) for rows in blocks]`` over consecutive blocks of :data:`BLOCK_ROWS` of
    ``n`` rows, computed by :data:`THREADS` threads; the results in block order."""
    blocks = [slice(i, min(i + BLOCK_ROWS, n)) for i in range(0, n, BLOCK_ROWS)] or [slice(0, 0)]
    if THREADS < 2 or len(blocks) < 2:
        return [work(rows) for rows in blocks]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(work, blocks))


def strata_rows(strata: np.ndarray | None, n: int) -> list[np.ndarray]:
    """Row positions of each stratum (all rows in one group without strata).

    The groups of the last read-only label array seen are kept (read-only too) while that
    array lives: a stratified Cox model's labels (:func:`~churnsurv.regression.cox.strata.
    strata_labels` makes them read-only) are grouped once for its fit, its statistics and its
    checks, not once each (0.8 s each at 10,000,000 text labels). A writable array is grouped
    every time: it could have changed in between.
    """
    global _LAST_GROUPS
    if strata is None:
        return [np.arange(n)]
    labels = np.asarray(strata)
    if _LAST_GROUPS is not None and not labels.flags.writeable:
        seen, size, groups = _LAST_GROUPS
        if seen() is labels and size == n:
            return groups
    if labels.dtype == object:  # labels: hash them, sort only the distinct ones
        codes, uniques = pd.factorize(labels, use_na_sentinel=False)
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[np.argsort(np.asarray(uniques, dtype=object), kind="stable")] = np.arange(len(uniques))
        codes = rank[codes]  # the codes np.unique(strata, return_inverse=True) gives
    else:
        _, codes = np.unique(labels, return_inverse=True)
    groups = groups_of(codes)
    if not labels.flags.writeable:
        remember_groups(labels, groups)
    return groups


def groups_of(codes: np.ndarray) -> list[np.ndarray]:
    """Row positions of each code ``0, 1, ...`` (each present), in data order within a code.

    The stable sort of the codes is numpy's radix sort when they fit in 16 bits (few strata:
    0.17 s instead of 0.67 s at 10,000,000 rows), the same order.

    Examples
    --------
    >>> [g.tolist() for g in groups_of(np.array([1, 0, 1, 0]))]
    [[1, 3], [0, 2]]
    """
    small = codes.size and int(codes.max()) < 2**15
    order = np.argsort(codes.astype(np.int16) if small else codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


def remember_groups(labels: np.ndarray, groups: list[np.ndarray]) -> None:
    """Keep ``groups`` (made read-only) as the groups of the read-only ``labels`` while they
    live, for :func:`strata_rows` (``strata_labels`` gives them from its own codes)."""
    global _LAST_GROUPS
    for rows in groups:
        rows.flags.writeable = False
    _LAST_GROUPS = (weakref.ref(labels, _forget), labels.size, groups)


def _forget(gone: weakref.ReferenceType) -> None:
    """The kept labels are gone: let their groups go too."""
    global _LAST_GROUPS
    if _LAST_GROUPS is not None and _LAST_GROUPS[0] is gone:
        _LAST_GROUPS = None


#: (the label array, its length, its groups) of the last read-only labels :func:`strata_rows`
#: grouped; the array is held weakly (its groups go when it does).
_LAST_GROUPS: tuple[weakref.ReferenceType, int, list[np.ndarray]] | None = None


def _event_times(t: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct event times (``np.unique(t[e])``) and, per row, how many of them are
    ``<= t`` (``np.searchsorted(times, t, "right")``). With repeated times (whole months) both
    come from the distinct values of ``t`` found without sorting all rows: one search per
    distinct value instead of per row (the same numbers)."""
    found = few_distinct(t)
    if found is None:
        times = np.unique(t[e])
        return times, np.searchsorted(times, t, side="right")
    ut, inv = found
    times = ut[np.bincount(inv[e], minlength=ut.size) > 0]
    return times, np.searchsorted(times, ut, side="right")[inv]


def _sorted_rows(X: np.ndarray, order: np.ndarray, center) -> np.ndarray:
    """``X[order] - center`` as a new row-major array, a block of rows at a time.

    A column-major ``X`` (the design block) is gathered one column at a time into a small
    column-major block, centred there and written transposed: contiguous 1-D gathers instead of
    a row gather that touches every column of each row (about twice as fast; the same numbers).
    """
    out = np.empty((len(order), X.shape[1]))
    step = 1 << 16
    if X.flags.f_contiguous and X.shape[1] > 1:
        block = np.empty((X.shape[1], step))
        for i in range(0, len(order), step):
            idx = order[i : i + step]
            part = block[:, : len(idx)]
            for j in range(X.shape[1]):
                np.take(X[:, j], idx, out=part[j])
                if center is not None:
                    part[j] -= center[j]
            out[i : i + step] = part.T
        return out
    for i in range(0, len(order), step):
        rows = X[order[i : i + step]]
        if center is not None:
            rows -= center
        out[i : i + step] = rows
    return out


def _grouping(codes, positions, size):
    """``(indices, indptr)`` of a CSR matrix whose row ``k`` holds the rows with code ``k``."""
    order = np.argsort(codes, kind="stable")
    indptr = np.r_[0, np.cumsum(np.bincount(codes, minlength=size))]
    return positions[order], indptr


@dataclass
class _Stratum:
    """One stratum with events, in the sorted row order (all of it independent of ``beta``)."""

    label: object  # the stratum label (None without strata)
    rows: slice  # its rows in the sorted arrays
    seg: int  # its first run: runs seg + 2h (leavers at h) and seg + 2h + 1 (deaths at h - 1)
    times: np.ndarray  # unique event times (K,)
    lo: np.ndarray | None  # per row: first event-time index at risk (None: no entry times)
    g_lo: tuple | None  # CSR grouping of the rows by ``lo`` (positions in the sorted arrays)
    event: np.ndarray  # per row: died (in the sorted order)
    d: np.ndarray  # summed death weight per event time (K,)
    k: np.ndarray  # event-time index of each Efron step (one step per death)
    frac: np.ndarray  # Efron fraction of each step, r / m (0 for Breslow)
    wk: np.ndarray  # mean death weight at the step's time (R's meanwt)
    xd: np.ndarray  # sum of w x over the deaths (p,)


class RiskSets:
    """The part of the partial likelihood that does not depend on ``beta``, built once per fit.

    For each stratum: the unique event times, each row's first and one-past-last event-time index
    at risk, the deaths per time and the Efron steps; the rows sorted so that :meth:`evaluate`
    reads them sequentially (see the module docstring).

    ``center`` (optional) is subtracted from the columns of ``X`` (the fit centres the design).
    ``counts`` (optional) is the number of original rows each row stands for when identical rows
    were merged (``w`` then holds the same numbers): Efron's ``m`` is the number of tied deaths
    among the original rows, so the merged fit equals the fit on the original rows.
    """

    #: Cells (rows x p x p) of one Gram-matrix product: small enough to stay in cache and for
    #: OpenBLAS to run it on one thread (its threads spin-wait on a busy machine: 10x slower).
    _GRAM_CELLS = 200_000

    def __init__(
        self, X, time, event, w, *, entry=None, strata=None, ties="efron", counts=None, center=None
    ):
        X = np.asarray(X, dtype=float)
        self.n, self.p = X.shape
        self.ties = ties
        self.labels = None if strata is None else np.asarray(strata)
        self.strata: list[_Stratum] = []
        order, runs, start, n_runs = [], [], 0, 0
        # without strata one group of every row (``None``: its positions are the sort order)
        for rows in [None] if strata is None else strata_rows(strata, len(time)):
            built = self._stratum(rows, time, event, w, entry, counts, start, n_runs)
            if built is None:  # no events: the stratum adds nothing to the likelihood
                continue
            stratum, rows, sizes = built
            self.strata.append(stratum)
            order.append(rows)
            runs.append(sizes)
            start += len(rows)
            n_runs += len(sizes)
        self.order = (
            order[0] if len(order) == 1 else np.concatenate(order) if order else np.zeros(0, int)
        )
        # the sorted copy, row-major, centred (``center``: X - center, exactly as X[order] of
        # the centred design, without building that)
        # (gathered a block of rows at a time: np.take would first copy a column-major design
        # whole into row-major order, one more n x p array at the fit's peak memory)
        self.X = _sorted_rows(X, self.order, center)
        w = np.asarray(w, float)
        # unit weights in any order are the same ones: shared, not gathered (80 MB at 10M)
        unit = len(self.order) == len(w) and bool((w == 1.0).all())
        self.w = w if unit else w[self.order]
        for st in self.strata:  # sum of w x over the deaths: the deaths are the odd runs
            we = np.where(st.event, self.w[st.rows], 0.0)
            st.xd = np.einsum("ij,i->j", self.X[st.rows], we)
        self.n_sorted = start
        sizes = np.concatenate(runs) if runs else np.zeros(0, np.int64)
        # CSR index arrays in the dtype scipy would convert them to (no copy at each step)
        idx = np.int32 if start < 2**31 - 1 else np.int64
        self._indptr = np.r_[0, np.cumsum(sizes)].astype(idx)
        self._cols = np.arange(start, dtype=idx)
        self._run_of_row = np.repeat(np.arange(sizes.size), sizes)
        self._evaluated: dict[bytes, tuple] = {}

    def _stratum(self, rows, time, event, w, entry, counts, start, seg):
        """One stratum's :class:`_Stratum`, its rows in sorted order and its run sizes (None
        without events); ``rows`` None: every row. A method of its own so that its per-row
        temporaries are freed before the sorted copy of the design is made (the fit's peak
        memory)."""
        whole = rows is None
        t = time if whole else time[rows]
        e = np.asarray(event if whole else event[rows], bool)
        times, hi = _event_times(t, e)
        if times.size == 0:
            return None
        K = times.size
        # rows at risk at times[k]: entry < times[k] <= t, i.e. lo <= k < hi
        run = 2 * hi + e  # leavers then deaths of each event time: contiguous once sorted
        del hi
        # a stable sort of small integers is a radix sort in numpy
        local = np.argsort(run.astype(np.int16) if K < 16000 else run, kind="stable")
        sizes = np.bincount(run, minlength=2 * K + 2)
        del run
        # the sorted runs without gathering them: run r repeated sizes[r] times
        run_sorted = np.repeat(np.arange(2 * K + 2), sizes)
        hi, e = run_sorted >> 1, (run_sorted & 1).astype(bool)
        rows = local if whole else rows[local]
        lo = None if entry is None else np.searchsorted(times, entry[rows], "right")
        dead = np.flatnonzero(e)
        dk = hi[dead] - 1
        if counts is None:  # tied deaths are counted in rows (R)
            m = np.bincount(dk, minlength=K)
        else:  # a collapsed row stands for counts[i] rows
            m = np.rint(np.bincount(dk, counts[rows][dead], K)).astype(np.int64)
        k = np.repeat(np.arange(K), m)
        step = np.arange(k.size) - np.repeat(np.cumsum(m) - m, m)
        d = np.bincount(dk, w[rows][dead], K)
        n_s = len(rows)
        stratum = _Stratum(
            label=None if self.labels is None else self.labels[rows[0]],
            rows=slice(start, start + n_s),
            seg=seg,
            times=times,
            lo=lo,
            g_lo=None if lo is None else _grouping(lo, np.arange(start, start + n_s), K + 1),
            event=e,
            d=d,
            k=k,
            frac=step / m[k] if self.ties == "efron" else np.zeros(k.size),
            wk=(d / m)[k],
            xd=np.zeros(self.p),
        )
        return stratum, rows, sizes

    def _eta(self, beta):
        """``X @ beta`` of the sorted rows (numpy's loop: no BLAS threads, see ``_GRAM_CELLS``)."""
        return np.einsum("ij,j->i", self.X, beta)

    def _risk_weights(self, beta):
        """``w * exp(X @ beta)`` of the sorted rows, block by block (each row's own numbers)."""
        r = np.empty(self.n_sorted)

        def fill(rows):
            part = r[rows]
            np.einsum("ij,j->i", self.X[rows], beta, out=part)
            np.exp(part, out=part)
            part *= self.w[rows]

        _in_blocks(self.n_sorted, fill)
        return r

    def _run_sums(self, r):
        """Sums of ``r`` and of ``r x`` over each run of sorted rows: one sequential pass."""
        n_runs = len(self._indptr) - 1
        mat = sparse.csr_matrix(
            (r, self._cols, self._indptr), shape=(n_runs, self.n_sorted), copy=False
        )
        return np.bincount(self._run_of_row, r, n_runs), np.asarray(mat @ self.X)

    def _lo_sums(self, st, r):
        """``sum of r`` and ``sum of r x`` over the rows entering at each event-time index."""
        idx, ptr = st.g_lo
        mat = sparse.csr_matrix((r[idx], idx, ptr), shape=(len(ptr) - 1, self.n_sorted))
        return np.bincount(st.lo, r[st.rows], len(ptr) - 1), np.asarray(mat @ self.X)

    @staticmethod
    def _at_risk(leave, add, K):
        """Risk-set sums at each event time from the sums of the rows leaving (and entering)."""
        if add is None:  # at risk at k: every row with hi > k (summed from the end: no cancelling)
            return np.cumsum(leave[::-1], axis=0)[::-1][1:]
        return np.cumsum(add - leave, axis=0)[:K]  # entered by k, not yet left

    def _risk_sums(self, st, run0, run1, r):
        """``S0``, ``S1`` at each event time and the deaths' ``D0``, ``D1`` of a stratum."""
        K = st.times.size
        sl = slice(st.seg, st.seg + 2 * K + 2)
        r0, r1 = run0[sl].reshape(K + 1, 2), run1[sl].reshape(K + 1, 2, self.p)
        add0, add1 = (None, None) if st.lo is None else self._lo_sums(st, r)
        s0 = self._at_risk(r0.sum(axis=1), add0, K)  # rows leaving after h - 1
        s1 = self._at_risk(r1.sum(axis=1), add1, K)
        return s0, s1, r0[1:, 1], r1[1:, 1]

    def _s0(self, st, run0, r):
        """``S0`` alone (the baseline hazard's denominator)."""
        K = st.times.size
        leave = run0[st.seg : st.seg + 2 * K + 2].reshape(K + 1, 2).sum(axis=1)
        add = None if st.lo is None else np.bincount(st.lo, r[st.rows], K + 1)
        return self._at_risk(leave, add, K)

    def _gram(self, v):
        """``sum of v_i x_i x_i'`` over the sorted rows, chunk by chunk, in one thread:
        OpenBLAS serialises concurrent calls, so threads would not make it faster."""
        out = np.zeros((self.p, self.p))
        chunk = int(np.clip(self._GRAM_CELLS // self.p**2, 256, 16384))
        for i in range(0, self.n_sorted, chunk):
            xs = self.X[i : i + chunk]
            out += (xs * v[i : i + chunk, None]).T @ xs
        return out

    def evaluate(self, beta):
        """Log partial likelihood, gradient and Hessian at ``beta``.

        The values at ``beta = 0`` (the null model's) and at the last ``beta`` asked for are
        kept: the fit's first and last Newton steps are what the fit statistics and the
        diagnostics ask for again.
        """
        key = np.asarray(beta, dtype=float).tobytes()
        if key not in self._evaluated:
            if len(self._evaluated) > 1:  # keep the first (beta = 0) and the latest
                del self._evaluated[list(self._evaluated)[1]]
            self._evaluated[key] = self._evaluate(np.asarray(beta, dtype=float))
        ll, grad, hess = self._evaluated[key]
        return ll, grad.copy(), hess.copy()

    def _evaluate(self, beta):
        p = self.p
        ll, grad, hess = 0.0, np.zeros(p), np.zeros((p, p))
        r_all = self._risk_weights(beta)
        run0, run1 = self._run_sums(r_all)
        per_run = np.empty(len(self._indptr) - 1)  # the Gram weight of a row is r * its run's
        entered = []  # (rows, sum of a_k before each row's entry) of strata with entry times
        for st in self.strata:
            K, k, frac, wk = st.times.size, st.k, st.frac, st.wk
            s0, s1, d0, d1 = self._risk_sums(st, run0, run1, r_all)
            den = s0[k] - frac * d0[k]
            inv = 1.0 / den
            ll += float(st.xd @ beta - wk @ np.log(den))
            a = np.bincount(k, wk * inv, K)
            b = np.bincount(k, wk * frac * inv, K)
            grad += st.xd - (a @ s1 - b @ d1)
            inv2 = wk * inv * inv
            c = np.bincount(k, inv2, K)
            e = np.bincount(k, frac * inv2, K)
            g = np.bincount(k, frac * frac * inv2, K)
            # sum_k [a_k S2_k - b_k D2_k] as one weighted Gram matrix over the rows: a row in
            # run (h, dead) weighs sum_{k < h} a_k, less b_{h-1} if it died at h - 1
            cum = np.r_[0.0, np.cumsum(a)]
            val = np.repeat(cum, 2)
            val[3::2] -= b
            per_run[st.seg : st.seg + 2 * K + 2] = val
            if st.lo is not None:  # at risk only from lo on
                entered.append((st.rows, cum[st.lo]))
            cross = s1.T @ (e[:, None] * d1)
            hess += s1.T @ (c[:, None] * s1) - cross - cross.T + d1.T @ (g[:, None] * d1)
        v_all = np.empty_like(r_all)

        def gram_weights(rows):
            np.take(per_run, self._run_of_row[rows], out=v_all[rows])
            v_all[rows] *= r_all[rows]

        _in_blocks(self.n_sorted, gram_weights)
        for rows, before in entered:
            v_all[rows] -= r_all[rows] * before
        hess -= self._gram(v_all)
        return ll, grad, hess

    def baseline(self, beta):
        """Breslow baseline hazard increments ``d_k / S0_k`` per stratum (``X @ beta == 0``):
        a list of ``(stratum label, event times, increments)``."""
        r_all = self.w * np.exp(self._eta(beta))
        run0 = np.bincount(self._run_of_row, r_all, len(self._indptr) - 1)
        return [(st.label, st.times, st.d / self._s0(st, run0, r_all)) for st in self.strata]
