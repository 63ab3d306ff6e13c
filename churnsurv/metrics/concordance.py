"""Harrell's concordance index with R ``survival::concordance()``'s conventions.

A pair of customers is *comparable* when one of them churned at time ``t`` while the other was
still at risk then: with entry times (left truncation, or the intervals of a panel) at risk at
``t`` means ``entry < t <= exit``; without them, ``exit >= t``. A customer censored at ``t`` is
comparable with a churn at ``t`` (the churn counts as the shorter time); two churns at the same
time are not comparable (R's ``tied.y``, or ``tied.xy`` when their scores are tied too). Among
comparable pairs, the one who churned first should have the **higher** risk score (as a Cox
linear predictor: R's ``concordance(coxfit)``, i.e. ``reverse = TRUE``):

    C = (concordant + tied.x / 2) / (concordant + discordant + tied.x)

Pairs are only formed within a stratum, and with case weights a pair counts ``w_i * w_j`` -- both
as R does. The time weighting is R's default ``timewt = "n"`` (Harrell's C).

How it is counted, without a loop over pairs or customers: the blocks are the distinct churn
times. A churn in block ``q`` is compared with every row whose block is ``>= q``, where a
censored row sits in the block of the last churn time at or before its exit and a churned row in
the block before its own; with entry times, the rows whose entry is at or after the churn time
are counted the same way and taken out. Rows are first merged into cells of equal (block,
score); with unit weights and a table of (block, score rank) counts no larger than the data,
each row's pairs are read off that table cumulated over blocks and ranks (O(n + K R), no sort
of the rows: the common case, e.g. a Cox fit's linear predictor on monthly tenure); otherwise
the pairs of cells are counted either by a sweep over the blocks that keeps the
weight per score rank seen so far (O(blocks x scores): few distinct times, e.g. monthly tenure)
or like the inversions of a merge sort whose leaves are the blocks, numpy doing all merges of a
level at once (O(n log blocks)), whichever is cheaper. The sweep takes each block's rows as one
contiguous slice and, with unit weights, counts in int32; its floor is one cumulative sum over
the score ranks per block and direction (2 x 72 passes over a million ranks for monthly tenure:
see benchmarks/RESULTS.md). The count is exact (tested against R's counts).

**Standard error.** Both ways of counting also give, for every row, the summed weight of its
partners in concordant, discordant and score-tied pairs (as the churn and as the one still at
risk): R's ``influence`` matrix. From it ``std_err`` is R's ``sqrt(var)``, the infinitesimal
jackknife of ``concordancefit`` (survival >= 3.0): ``var = Σ dfbeta_i² / 4`` with
``dfbeta_i = w_i ((c_i - d_i) / N - D (c_i + d_i + t_i) / N)``, ``N`` the comparable pairs and
``D`` Somers' d -- so the variance costs no more than the count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churnsurv._typing import ArrayLike
from churnsurv._validation import check_conf_level, z_quantile
from churnsurv.metrics.ipcw import distinct_times

__all__ = ["Concordance", "harrell_c"]

# the block sweep costs about K * R element steps, a merge level about 25 steps per cell
_SWEEP_COST = 25.0
# unit weights: the (block, rank) count table is used when it has at most this many cells per
# row (at least 2**20 cells allowed): one float64 table of K x (R + 1) per side, at most
# 8 bytes a row each (the (3, n) results take 24). Each row reads its cell at random: a
# larger table (36 million cells for a Cox score at 10^7 rows) is slower than the sweep.
_TABLE_CELLS_PER_ROW = 1.0


@dataclass(frozen=True)
class Concordance:
    """Harrell's C and the (weighted) pair counts behind it, named as R reports them.

    Attributes
    ----------
    concordance : float
        ``(concordant + tied_x / 2) / (concordant + discordant + tied_x)``; NaN without a
        comparable pair.
    concordant, discordant, tied_x, tied_y, tied_xy : float
        R's ``count``: comparable pairs ordered by the score as by time, the other way, tied on
        the score only; churns at the same time with different scores, with tied scores.
    n : int
        Rows used.
    std_err : float
        Standard error of ``concordance``: the square root of R's ``var``, the infinitesimal
        jackknife variance (``print(concordance(...))``'s ``se``); NaN without a comparable
        pair.
    """

    concordance: float
    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float
    n: int
    std_err: float = float("nan")

    def confidence_interval(self, conf_level: float = 0.95) -> tuple[float, float]:
        """Wald interval ``concordance ± z std_err`` at ``conf_level``, clipped to [0, 1] (as
        riskRegression::Score clips its AUC interval).

        Examples
        --------
        >>> Concordance(0.7, 7.0, 3.0, 0.0, 0.0, 0.0, 5, 0.05).confidence_interval(0.95)
        (0.602..., 0.797...)
        """
        z = z_quantile(check_conf_level(conf_level))
        half = z * self.std_err
        lower, upper = np.clip([self.concordance - half, self.concordance + half], 0.0, 1.0)
        return float(lower), float(upper)  # NaN stays NaN


def _cells(block, rank, R, *values):
    """Distinct ``(block, rank)`` cells in sorted order with the summed ``values`` of each."""
    key = block.astype(np.int64) * R + rank
    cells, inv = distinct_times(key)
    sums = [np.bincount(inv, v, cells.size) for v in values]
    return cells // R, cells % R, sums


def _group_starts(sorted_ids):
    """Start position of each run of equal values, and the run index of each element."""
    first = np.r_[0, np.flatnonzero(np.diff(sorted_ids)) + 1]
    run = np.repeat(np.arange(first.size), np.diff(np.r_[first, sorted_ids.size]))
    return first, run


def _later_blocks(block, rank, a, b, R):
    """Per cell, the sums over cells of *other* blocks ranked the other way round:
    ``b_below[u] = Σ b_v`` over ``block_v > block_u``, ``rank_v < rank_u`` and
    ``a_above[v] = Σ a_u`` over ``block_u < block_v``, ``rank_u > rank_v``.

    The cells come sorted by ``(block, rank)``, one per distinct ``(block, rank)``. They are
    counted as the inversions of a merge sort whose leaves are the blocks: at each level,
    neighbouring groups of blocks (each sorted by rank) are merged, and one ``searchsorted``
    over all merges at once tells every left cell the summed ``b`` of the right-hand cells
    ranked below it, and every right cell the summed ``a`` of the left-hand cells ranked above.
    """
    n = block.size
    b_below, a_above = np.zeros(n), np.zeros(n)
    if n == 0 or block[0] == block[-1]:
        return b_below, a_above
    seg, r, a, b = block.astype(np.int64), rank.astype(np.int64), a.copy(), b.copy()
    ids = np.arange(n)
    while seg[-1] > 0:
        parent = seg >> 1
        right = (seg & 1).astype(bool)
        il, ir = np.flatnonzero(~right), np.flatnonzero(right)
        pl, pr = parent[il], parent[ir]
        kl, kr = pl * R + r[il], pr * R + r[ir]
        cb = np.concatenate(([0.0], np.cumsum(b[ir])))
        ca = np.concatenate(([0.0], np.cumsum(a[il])))
        n_groups = int(parent[-1]) + 1
        n_right = np.bincount(pr, minlength=n_groups)
        start = (np.cumsum(n_right) - n_right)[pl]  # right cells of earlier merges
        cnt = np.searchsorted(kr, kl, "left")  # ... plus those of this merge ranked below
        b_below[ids[il]] += cb[cnt] - cb[start]
        end = np.cumsum(np.bincount(pl, minlength=n_groups))[pr]  # left cells up to this merge
        a_above[ids[ir]] += ca[end] - ca[np.searchsorted(kl, kr, "right")]
        # merge: a left cell moves down by the right cells ranked below it; the right cells
        # fill the remaining places in order (a merge keeps its cells in its own range, so
        # the merged groups stay sorted and contiguous: ``parent`` needs no reordering)
        newl = il + (cnt - start)
        free = np.ones(n, bool)
        free[newl] = False
        order = np.empty(n, np.int64)
        order[newl] = il
        order[free] = ir
        seg, r, a, b, ids = parent, r[order], a[order], b[order], ids[order]
    return b_below, a_above


def _cell_sums(block, rank, a, b, R):
    """Per cell (sorted by ``(block, rank)``): the ``b`` of cells at or after its block ranked
    below, equal, in all (``q_lo, q_eq, q_all``), and the ``a`` of cells at or before its block
    ranked above, equal, in all (``d_hi, d_eq, d_all``)."""
    n = block.size
    q_lo, d_hi = _later_blocks(block, rank, a, b, R)
    first, run = _group_starts(block)  # same block: the cells are sorted by rank within it
    last = np.r_[first[1:], n] - 1
    cum_b, cum_a = np.cumsum(b), np.cumsum(a)
    q_lo += cum_b - b - (cum_b - b)[first][run]
    d_hi += cum_a[last][run] - cum_a
    o = np.lexsort((block, rank))  # equal rank: by block within a rank
    first_r, run_r = _group_starts(rank[o])
    last_r = np.r_[first_r[1:], n] - 1
    bo, ao = np.cumsum(b[o]), np.cumsum(a[o])
    q_eq, d_eq = np.empty(n), np.empty(n)
    q_eq[o] = bo[last_r][run_r] - bo + b[o]
    d_eq[o] = ao - (ao - a[o])[first_r][run_r]
    K = int(block[-1]) + 1
    per_b, per_a = np.bincount(block, b, K), np.bincount(block, a, K)
    q_all = (np.cumsum(per_b[::-1])[::-1])[block]
    d_all = np.cumsum(per_a)[block]
    return (q_lo, q_eq, q_all), (d_hi, d_eq, d_all)


def _block_order(block, K):
    """Positions sorted by block (stable; a radix sort for few blocks) and where each block
    ``0 .. K - 1`` starts and ends in that order (``cut[k]:cut[k + 1]``). Rows of block -1
    (they pair with none) come first, before ``cut[0]``."""
    shifted = block.astype(np.int16 if K < 2**15 - 1 else np.int64)
    shifted += 1
    order = np.argsort(shifted, kind="stable")
    return order, np.cumsum(np.bincount(shifted, minlength=K + 1))


def _at_or_after_sweep(q_block, q_rank, q_w, d_block, d_rank, d_w, K, R):
    """:func:`_at_or_after` for few blocks: sweep the blocks from the last keeping the data
    weight per score rank seen so far, then from the first keeping the query weight
    (O(K R + n)). Rows are taken in block order once, so each block is a contiguous slice;
    with unit weights the histogram holds int32 counts. A data row of block -1 pairs
    with none (its sums stay 0)."""
    qo, q_cut = _block_order(q_block, K)
    do, d_cut = _block_order(d_block, K)
    qr, qw, dr, dw = q_rank[qo], q_w[qo], d_rank[do], d_w[do]
    # one row of sums per array, so each is freed once scattered back (memory: 10M rows)
    q_s = [np.zeros(qo.size) for _ in range(3)]
    d_s = [np.zeros(do.size) for _ in range(3)]
    # unit weights: the sums are counts, exact in int32 (half the memory traffic of float64)
    unit = qo.size + do.size < 2**31 and bool((qw == 1).all() and (dw == 1).all())
    if unit:
        qw, dw = qw.astype(np.int32), dw.astype(np.int32)
    hist = np.zeros(R, np.int32 if unit else float)
    cum = np.empty_like(hist)
    for k in range(K - 1, -1, -1):
        np.add.at(hist, dr[d_cut[k] : d_cut[k + 1]], dw[d_cut[k] : d_cut[k + 1]])
        a, b = q_cut[k], q_cut[k + 1]
        if b > a:
            np.cumsum(hist, out=cum)
            r = qr[a:b]
            tied = hist[r]
            q_s[0][a:b], q_s[1][a:b], q_s[2][a:b] = cum[r] - tied, tied, cum[-1]
    hist[:] = 0
    for k in range(K):
        np.add.at(hist, qr[q_cut[k] : q_cut[k + 1]], qw[q_cut[k] : q_cut[k + 1]])
        a, b = d_cut[k], d_cut[k + 1]
        if b > a:
            np.cumsum(hist, out=cum)
            r = dr[a:b]
            d_s[0][a:b], d_s[1][a:b], d_s[2][a:b] = cum[-1] - cum[r], hist[r], cum[-1]
    del qr, qw, dr, dw
    q_out, d_out = np.empty((3, qo.size)), np.empty((3, do.size))
    for j in range(3):  # row by row: numpy's 2-D fancy assignment is ~6x slower
        q_out[j, qo], d_out[j, do] = q_s.pop(0), d_s.pop(0)  # each freed once back in order
    return q_out, d_out


def _at_or_after_table(q_block, q_rank, d_block, d_rank, K, R):
    """:func:`_at_or_after` for unit weights and ``K x R`` no larger than the data: the counts
    of every (block, rank) cell in one ``bincount`` per side, cumulated over the blocks (the
    data from the last block, the queries from the first) and over the ranks, then read off
    for each row in its own order -- no sort, gather or scatter of the rows. The counts are
    whole numbers, exact in any order: the same numbers as the sweep."""
    width = R + 1  # column 0 of each block's row: the empty sum (rank below the lowest)
    tables = []
    for block, rank, later in ((d_block, d_rank, True), (q_block, q_rank, False)):
        kept = block >= 0
        cells = np.bincount(block[kept] * R + rank[kept], minlength=K * R).reshape(K, R)
        for k in range(K - 2, -1, -1) if later else range(1, K):  # a block at a time (rows)
            cells[k] += cells[k + 1] if later else cells[k - 1]
        table = np.zeros((K, width))
        np.cumsum(cells, axis=1, out=table[:, 1:])  # counts exact in float64 (< 2**53)
        tables.append(table)
    results = []
    for side, table, block, rank in (
        (0, tables[0], q_block, q_rank),
        (1, tables[1], d_block, d_rank),
    ):
        flat = table.ravel()
        at = np.maximum(block, 0) * width + rank  # the cell's column (rank below: ``at``)
        res = np.empty((3, block.size))
        lo, hi = (0, 1) if side == 0 else (1, 0)
        np.take(flat, at, out=res[lo])  # ranked below
        np.take(flat[1:], at, out=res[hi])  # ranked at or below
        np.take(table[:, R], np.maximum(block, 0), out=res[2])  # in all
        if side == 0:  # data ranked below, tied, in all
            np.subtract(res[1], res[0], out=res[1])
        else:  # queries ranked above, tied, in all
            np.subtract(res[0], res[1], out=res[1])
            np.subtract(res[2], res[0], out=res[0])
            res[:, block < 0] = 0.0
        results.append(res)
    return results[0], results[1]


def _at_or_after(q_block, q_rank, q_w, d_block, d_rank, d_w, R):
    """Pairs (query ``i``, data ``j``) with ``d_block_j >= q_block_i``, per row.

    Returns ``(3, n_query)``: for each query the data weight of its pairs with
    ``rank_j < rank_i``, ``rank_j == rank_i``, any rank; and ``(3, n_data)``: for each data row
    the query weight of its pairs with ``rank_i > rank_j``, equal, any. A data row with a
    negative block pairs with none.
    """
    K = int(q_block.max()) + 1
    unit = q_block.size + d_block.size < 2**31 and bool((q_w == 1).all() and (d_w == 1).all())
    if unit and K * (R + 1) <= _TABLE_CELLS_PER_ROW * max(d_block.size, 1 << 20):
        return _at_or_after_table(q_block, q_rank, d_block, d_rank, K, R)
    keep = d_block >= 0
    nq, nd = q_block.size, int(keep.sum())
    if K * R < _SWEEP_COST * (nq + nd) * max(np.log2(K), 1.0):  # takes the rows of block -1
        return _at_or_after_sweep(q_block, q_rank, q_w, d_block, d_rank, d_w, K, R)
    d_out = np.zeros((3, d_block.size))
    key = np.r_[q_block, d_block[keep]].astype(np.int64) * R + np.r_[q_rank, d_rank[keep]]
    cells, inv = np.unique(key, return_inverse=True)
    inv = inv.ravel()
    a = np.bincount(inv[:nq], q_w, cells.size)
    b = np.bincount(inv[nq:], d_w[keep], cells.size)
    q_cells, d_cells = _cell_sums(cells // R, cells % R, a, b, R)
    q_out = np.array([c[inv[:nq]] for c in q_cells])
    d_kept = np.array([c[inv[nq:]] for c in d_cells])
    if keep.all():
        d_out = d_kept
    else:
        for j in range(3):
            d_out[j, keep] = d_kept[j]
    return q_out, d_out


def _stratum_counts(time, event, rank, w, entry, R):
    """(concordant, discordant, tied_x, tied_y, tied_xy) within one stratum, and the
    ``(3, n)`` weight of each row's concordant, discordant and tied-on-score pairs (the
    partner's weight: R's ``influence`` matrix, from which the variance is built).

    Blocks are the distinct churn times ``t_0 < t_1 < ...``. A churn at ``t_q`` is compared
    with every row whose *data block* is ``>= q``: a censored row's block is the last churn time
    ``<= `` its exit (censored at ``t`` counts as surviving ``t``), a churned row's the one
    before its own (only strictly later churns). With entry times, the rows whose entry is
    ``>= t_q`` (block of the entry: the last churn time ``<=`` it) are taken out again.
    """
    ev = np.flatnonzero(event)
    ut, inv = distinct_times(time)  # few distinct times: searches on them, not on all rows
    ue = ut[np.bincount(inv[ev], minlength=ut.size) > 0]  # the distinct churn times
    d_block = (np.searchsorted(ue, ut, "right") - 1)[inv]
    q_block, q_rank, q_w = d_block[ev], rank[ev], w[ev]  # a churn's time is in ue
    d_block[ev] -= 1
    q_out, d_out = _at_or_after(q_block, q_rank, q_w, d_block, rank, w, R)
    if entry is not None:
        e_block = np.searchsorted(ue, entry, "right") - 1
        q2, d2 = _at_or_after(q_block, q_rank, q_w, e_block, rank, w, R)
        q_out, d_out = q_out - q2, d_out - d2
    # per row: (concordant, discordant, tied_x) as the churn and as the one still at risk,
    # rearranged in d_out's own memory (at 10M rows a copy is 240 MB)
    infl, tied = d_out, d_out[1].copy()
    np.subtract(d_out[2], d_out[0], out=infl[1])
    infl[1] -= tied
    infl[2] = tied
    del tied
    infl[0, ev] += q_out[0]
    infl[1, ev] += q_out[2] - q_out[0] - q_out[1]
    infl[2, ev] += q_out[1]
    conc, tied_x, total = (float(q_w @ v) for v in q_out)
    # churns at the same time: R's tied.y, or tied.xy when their scores are tied too
    blk, _, (A, AA) = _cells(q_block, q_rank, R, q_w, q_w * q_w)
    per_t = np.bincount(blk, A)
    all_pairs = float((per_t @ per_t - AA.sum()) / 2)
    tied_xy = float((A @ A - AA.sum()) / 2)
    counts = (conc, total - conc - tied_x, tied_x, all_pairs - tied_xy, tied_xy)
    return counts, infl


def _concordance_and_variance(conc, disc, tied_x, infl, w):
    """C and its infinitesimal-jackknife standard error as R ``concordancefit`` builds them:
    with ``N`` comparable pairs and Somers' ``D = (concordant - discordant) / N``, each row's
    ``dfbeta = w_i ((c_i - d_i) / N - D (c_i + d_i + t_i) / N)`` from its own pairs' weights
    ``c_i, d_i, t_i``, and ``var(C) = Σ dfbeta² / 4``."""
    npair = conc + disc + tied_x
    if npair <= 0:
        return float("nan"), float("nan")
    somers = (conc - disc) / npair
    dfbeta = w * ((infl[0] - infl[1]) - somers * infl.sum(axis=0)) / npair
    return (somers + 1) / 2, float(np.sqrt(dfbeta @ dfbeta / 4))


def harrell_c(
    time: ArrayLike,
    event: ArrayLike,
    score: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    strata: ArrayLike | None = None,
    entry: ArrayLike | None = None,
) -> Concordance:
    """Harrell's concordance of a risk score with churn times, as R ``survival::concordance``.

    Parameters
    ----------
    time : array-like
        Exit (churn or censoring) time of each row; for a panel, the interval's stop.
    event : array-like of bool
        Churned at ``time``.
    score : array-like
        Risk score: **higher means earlier churn** (a Cox linear predictor). For a predicted
        survival time or probability pass its negative.
    weights : array-like, optional
        Case weights; a pair counts ``w_i * w_j``.
    strata : array-like, optional
        Pairs are formed within a stratum only (R: ``strata()`` in the model).
    entry : array-like, optional
        Entry times (left truncation) or a panel interval's start: a row is comparable with a
        churn at ``t`` only when ``entry < t <= time`` (R's counting-process data).

    Returns
    -------
    Concordance
        With ``std_err``, R's infinitesimal-jackknife standard error, and
        :meth:`Concordance.confidence_interval`.

    Examples
    --------
    The churn at 1 (score 4) outranks the three later rows; the churn at 2 (score 1) is
    outranked by both later rows:

    >>> res = harrell_c([1, 2, 3, 4], [True, True, False, True], [4.0, 1.0, 3.0, 2.0])
    >>> res.concordance, res.concordant, res.discordant
    (0.6, 3.0, 2.0)

    Its standard error is R's ``sqrt(concordance(Surv(t, e) ~ x, reverse = TRUE)$var)``,
    0.2939388:

    >>> round(res.std_err, 7)
    0.2939388
    """
    time = np.asarray(time, float)
    event = np.asarray(event, bool)
    score = np.asarray(score, float)
    n = time.size
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    ent = None if entry is None else np.asarray(entry, float)
    _, rank = distinct_times(score)
    if strata is None:
        groups = [np.arange(n)]
    else:  # text labels hashed, not sorted (a Cox model's strata: 10 s at 10M with np.unique)
        from churnsurv.regression.cox.risksets import strata_rows

        groups = strata_rows(np.asarray(strata), n)
    R = int(rank.max()) + 1 if n else 1
    counts = np.zeros(5)
    infl = np.zeros((3, n))
    for rows in groups:
        if event[rows].any():
            ent_s = None if ent is None else ent[rows]
            if rows.size == n:  # one stratum: no gathers
                c_s, infl = _stratum_counts(time, event, rank, w, ent, R)
            else:
                c_s, infl_s = _stratum_counts(
                    time[rows], event[rows], rank[rows], w[rows], ent_s, R
                )
                for j in range(3):
                    infl[j, rows] = infl_s[j]
            counts += c_s
    conc, disc, tx, ty, txy = (float(c) for c in counts)
    c, se = _concordance_and_variance(conc, disc, tx, infl, w)
    return Concordance(c, conc, disc, tx, ty, txy, n, se)
