"""Counting and Aalen–Johansen arithmetic behind :mod:`churnsurv.reasons` (numpy only).

Everything the cumulative incidence per reason, its variance and Gray's test need is one small
table per group: the number of churns *for each reason* and of censorings at each distinct exit
time (plus entries at each distinct entry time with left truncation). :func:`reason_tables`
builds those tables in one linear pass over the rows — the same integer coding of times and
``np.bincount`` as the Kaplan–Meier counts (:func:`churnsurv.km.counts.count_tables`), with the
reason folded into the bin — so the cost for any number of reasons is that of one Kaplan–Meier
fit; the formulas below then run on the distinct times only.

Ties are handled deterministically, as R's ``cmprsk::cuminc`` and ``survival::survfit`` do: all
churns at a tied time leave together, censorings at that time are still at risk for them.
(lifelines' ``AalenJohansenFitter`` instead jitters tied times at random.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churnsurv._typing import ArrayLike
from churnsurv.km.counts import CountTable, _bin_counts, _factorize_sorted

__all__ = ["ReasonTable", "aalen_johansen", "gray_statistic", "reason_tables"]


@dataclass(frozen=True)
class ReasonTable:
    """Churns per reason and censorings per distinct exit time of one group.

    Attributes
    ----------
    overall : CountTable
        All reasons together (events = churns for any reason): the Kaplan–Meier table.
    by_reason : numpy.ndarray
        ``(len(overall.times), n_reasons)``: churns for each reason at each time.
    """

    overall: CountTable
    by_reason: np.ndarray

    @property
    def times(self) -> np.ndarray:
        return self.overall.times

    def at_risk(self, t: ArrayLike) -> np.ndarray:
        """Number at risk just before each ``t`` (see :meth:`CountTable.at_risk`)."""
        return self.overall.at_risk(t)


def reason_tables(
    durations: np.ndarray,
    reasons: np.ndarray,
    n_reasons: int,
    codes: np.ndarray | None = None,
    n_groups: int = 1,
    entries: np.ndarray | None = None,
) -> list[ReasonTable]:
    """One :class:`ReasonTable` per group code ``0 .. n_groups - 1``, in one pass over the rows.

    Parameters
    ----------
    durations : numpy.ndarray of float
        Exit times.
    reasons : numpy.ndarray of int
        0 for a censored row, ``k`` (1 .. ``n_reasons``) for a churn for the ``k``-th reason.
    n_reasons : int
    codes : numpy.ndarray of int, optional
        Group code of every row (one group when omitted).
    n_groups : int, default 1
    entries : numpy.ndarray of float, optional
        Entry times (left truncation).

    Examples
    --------
    >>> t = np.array([1.0, 2.0, 2.0, 3.0, 3.0])
    >>> r = np.array([1, 2, 0, 1, 1])
    >>> tab = reason_tables(t, r, 2)[0]
    >>> tab.times.tolist(), tab.by_reason.tolist(), tab.overall.censored.tolist()
    ([1.0, 2.0, 3.0], [[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]], [0.0, 1.0, 0.0])
    """
    n = durations.size
    width = n_reasons + 1
    tcode, times = _factorize_sorted(durations)
    n_t = times.size
    if codes is not None and n_groups > 1:
        key = codes.astype(np.int64, copy=True)
        key *= n_t
        key += tcode
        del tcode
    else:
        key = tcode
    key *= width
    key += reasons  # bin = (group * n_t + time) * (n_reasons + 1) + reason
    keys, sums = _bin_counts(key, n_groups * n_t * width, None, n)
    del key
    pair = keys // width  # group * n_t + time
    pairs, slot = np.unique(pair, return_inverse=True)
    counts = np.zeros((pairs.size, width))
    counts[slot, keys % width] = sums
    rows = np.bincount(codes, minlength=n_groups) if codes is not None else np.array([n])
    bounds = np.searchsorted(pairs // n_t, np.arange(n_groups + 1))

    ent_times, ent_keys, ent_sums, ent_bounds, n_e = None, None, None, None, 0
    if entries is not None:
        ecode, ent_times = _factorize_sorted(entries)
        n_e = ent_times.size
        if codes is not None and n_groups > 1:
            ekey = codes.astype(np.int64, copy=True)
            ekey *= n_e
            ekey += ecode
        else:
            ekey = ecode
        ent_keys, ent_sums = _bin_counts(ekey, n_groups * n_e, None, n)
        ent_bounds = np.searchsorted(ent_keys // n_e, np.arange(n_groups + 1))

    tables = []
    empty = np.zeros(0)
    for g in range(n_groups):
        lo, hi = bounds[g], bounds[g + 1]
        c = counts[lo:hi]
        if ent_bounds is not None and ent_times is not None and ent_keys is not None:
            elo, ehi = ent_bounds[g], ent_bounds[g + 1]
            e_times = ent_times[ent_keys[elo:ehi] % n_e].astype(float)
            e_w = ent_sums[elo:ehi] if ent_sums is not None else empty
        else:
            e_times, e_w = empty, empty
        overall = CountTable(
            times=times[pairs[lo:hi] % n_t].astype(float),
            events=c[:, 1:].sum(axis=1),
            censored=c[:, 0].copy(),
            entry_times=e_times,
            entry_weights=e_w,
            n_rows=int(rows[g]),
        )
        tables.append(ReasonTable(overall=overall, by_reason=c[:, 1:].copy()))
    return tables


def _tie_factor(d: np.ndarray, n: np.ndarray) -> np.ndarray:
    """cmprsk's correction for ``d`` tied churns among ``n`` at risk: ``1 - (d - 1)/(n - 1)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 1, 1.0 - (d - 1.0) / (n - 1.0), 1.0)


def aalen_johansen(table: ReasonTable) -> dict[str, np.ndarray]:
    """Cumulative incidence of each reason, its variance and the overall survival.

    At each distinct exit time ``t_i`` with ``n_i`` at risk and ``d_ik`` churns for reason
    ``k`` (``d_i`` for any reason): ``S(t_i) = prod_{j <= i} (1 - d_j / n_j)`` (Kaplan–Meier of
    churn for any reason) and ``F_k(t_i) = sum_{j <= i} S(t_{j-1}) d_jk / n_j`` (Aalen–Johansen),
    so ``S + sum_k F_k = 1`` at every time.

    The variance is the one ``cmprsk::cuminc`` reports (Gray 1988, from Aalen's counting-process
    argument; Fortran routine ``cinc``): with ``F = F_k(t_i)`` and the correction
    ``c(d, n) = 1 - (d - 1)/(n - 1)`` for tied churns, it accumulates for the churns of reason
    ``k`` the term ``(1 + F/S_i)^2`` and for the churns of other reasons ``(F/S_i)^2``, each
    times ``S_{i-1}^2 c(d, n) d / n^2`` — written as three running sums so that the whole curve
    costs one pass over the times.

    Returns
    -------
    dict
        ``time, at_risk, events (n_times x K), censored, survival, incidence (n_times x K),
        variance (n_times x K)``.

    Examples
    --------
    >>> t = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    >>> r = np.array([1, 2, 0, 1, 0])
    >>> aj = aalen_johansen(reason_tables(t, r, 2)[0])
    >>> aj["incidence"].round(4).tolist()
    [[0.2, 0.0], [0.2, 0.2], [0.5, 0.2], [0.5, 0.2]]
    >>> (aj["survival"] + aj["incidence"].sum(axis=1)).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    ct = table.overall
    n = ct.at_risk(ct.times)
    d = ct.events
    dk = table.by_reason
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(n > 0, d / n, 0.0)
        gone = (d > 0) & (n - d <= 1e-12 * np.maximum(n, 1.0))
        survival = np.cumprod(1.0 - hazard)
        survival = np.where(np.cumsum(gone) > 0, 0.0, survival)
        before = np.concatenate([[1.0], survival[:-1]])  # S(t_{i-1})
        jump = np.where(n[:, None] > 0, before[:, None] * dk / n[:, None], 0.0)
        incidence = np.cumsum(jump, axis=0)
        # cmprsk's variance: three running sums per reason
        inv_s = np.where(survival > 0, 1.0 / survival, 0.0)[:, None]
        own = before[:, None] ** 2 * _tie_factor(dk, n[:, None]) * dk / n[:, None] ** 2
        other_d = d[:, None] - dk
        other = before[:, None] ** 2 * _tie_factor(other_d, n[:, None]) * other_d / n[:, None] ** 2
        other = np.where((other_d > 0) & (survival[:, None] > 0), other, 0.0)
        own = np.where(dk > 0, own, 0.0)
        t4_own = 1.0 + inv_s * incidence
        t4_other = incidence * inv_s
        v1 = np.cumsum(t4_own**2 * own + t4_other**2 * other, axis=0)
        v2 = np.cumsum(inv_s * t4_own * own + inv_s * t4_other * other, axis=0)
        v3 = np.cumsum(inv_s**2 * own + inv_s**2 * other, axis=0)
        variance = v1 + incidence**2 * v3 - 2.0 * incidence * v2
    # cmprsk records the variance at the reason's own jumps and carries it forward: the sums
    # above are invariant between jumps except for rounding, which this removes.
    variance = _carry_forward(variance, dk > 0)
    return {
        "time": ct.times,
        "at_risk": n,
        "events": dk,
        "censored": ct.censored,
        "survival": survival,
        "incidence": incidence,
        "variance": np.maximum(variance, 0.0),
    }


def _carry_forward(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Each column's value at the last row where ``keep`` is true (0 before the first)."""
    idx = np.where(keep, np.arange(values.shape[0])[:, None], -1)
    idx = np.maximum.accumulate(idx, axis=0)
    out = np.take_along_axis(values, np.maximum(idx, 0), axis=0)
    return np.where(idx >= 0, out, 0.0)


def gray_statistic(
    strata: list[list[ReasonTable]], reason: int, rho: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gray's (1988) k-sample score and its covariance for one reason, summed over strata.

    A transcription of ``cmprsk``'s Fortran routine ``crst`` (Gray's test in ``cuminc``), run
    over the distinct times of each stratum with arrays over the groups instead of a row loop.

    Parameters
    ----------
    strata : list of list of ReasonTable
        For each stratum, one table per group (same groups, same order; an empty group has an
        empty table).
    reason : int
        0-based index of the reason compared.
    rho : float, default 0
        Power of the weight ``(1 - F(t-))^rho`` (0: Gray's default).

    Returns
    -------
    (score, covariance)
        The scores of the first ``k - 1`` groups and their covariance; the statistic is
        ``score' covariance^-1 score`` on ``k - 1`` degrees of freedom.
    """
    k = len(strata[0])
    score = np.zeros(k - 1)
    cov = np.zeros((k - 1, k - 1))
    for tables in strata:
        s, v = _gray_stratum(tables, reason, rho)
        score += s
        cov += v
    return score, cov


def _gray_counts(tables: list[ReasonTable], reason: int):
    """Pooled distinct times and per-group at-risk, own-reason and other-reason churns there."""
    times = np.unique(np.concatenate([tab.times for tab in tables]))
    k = len(tables)
    rs = np.zeros((times.size, k))
    d1 = np.zeros((times.size, k))
    d2 = np.zeros((times.size, k))
    for g, tab in enumerate(tables):
        if tab.times.size == 0:
            continue
        rs[:, g] = tab.at_risk(times)
        pos = np.searchsorted(times, tab.times)
        d1[pos, g] = tab.by_reason[:, reason]
        d2[pos, g] = tab.overall.events - tab.by_reason[:, reason]
    keep = (d1 + d2).sum(axis=1) > 0  # crst skips times with censorings only
    return rs[keep], d1[keep], d2[keep]


def _gray_stratum(tables: list[ReasonTable], reason: int, rho: float):
    rs, d1, d2 = _gray_counts(tables, reason)
    k = len(tables)
    if rs.shape[0] == 0:
        return np.zeros(k - 1), np.zeros((k - 1, k - 1))
    alive = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # per group: left (skmm) and right (skm) continuous KM; left (f1m) continuous CIF
        step = np.where(alive, (rs - d1 - d2) / rs, 1.0)
        skm = np.cumprod(step, axis=0)
        skmm = np.vstack([np.ones((1, k)), skm[:-1]])
        f1 = np.cumsum(np.where(alive, skmm * d1 / rs, 0.0), axis=0)
        f1m = np.vstack([np.zeros((1, k)), f1[:-1]])
        h = np.where(alive, rs / skmm, 0.0)  # \hat h_r of the paper
        tr = h.sum(axis=1)
        tq = np.where(alive, rs * (1.0 - f1m) / skmm, 0.0).sum(axis=1)
        nd1 = d1.sum(axis=1)
        # pooled CIF f (right continuous) and fm (left continuous)
        f = np.cumsum(nd1 / tr)
        fm = np.concatenate([[0.0], f[:-1]])
        fb = (1.0 - fm) ** rho
        # a (per time, k x k): fb t1_i (1[i=j] - t1_j / tr)
        a = -fb[:, None, None] * h[:, :, None] * h[:, None, :] / tr[:, None, None]
        diag = np.arange(k)
        a[:, diag, diag] += fb[:, None] * h
        a = np.where(alive[:, :, None] & alive[:, None, :], a, 0.0)
        c = np.cumsum(a * (nd1 / (tr * (1.0 - fm)))[:, None, None], axis=0)
        score_terms = fb[:, None] * (d1 - nd1[:, None] * rs * (1.0 - f1m) / (skmm * tq[:, None]))
        score = np.where(alive, score_terms, 0.0)[:, : k - 1].sum(axis=0)

        # variance: own-reason churns (nd1 > 0), then other-reason churns (per group)
        t4 = np.where(skm > 0, 1.0 - (1.0 - f[:, None]) / skm, 1.0)
        t5 = np.where(
            nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0
        )
        t3 = t5 * skmm * nd1[:, None] / (tr[:, None] * rs)
        t3 = np.where(alive & (nd1[:, None] > 0), t3, 0.0)
        # t1[time, i, k] = a(i, k) - t4_k c(i, k), for the first k - 1 rows i
        t1 = a[:, : k - 1, :] - t4[:, None, :] * c[:, : k - 1, :]
        v = np.einsum("tik,tjk,tk->ij", t1, t1, t3)
        v3 = (t4**2 * t3).sum(axis=0)
        v2 = np.einsum("tik,tk->ik", t1, t4 * t3)

        u4 = np.where(skm > 0, (1.0 - f[:, None]) / skm, 0.0)
        u5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (rs - 1.0), 1.0)
        u3 = u5 * skmm**2 * d2 / rs**2
        u3 = np.where((skm > 0) & (d2 > 0), u3, 0.0)
        w1 = u4[:, None, :] * c[:, : k - 1, :]
        v = v + np.einsum("tik,tjk,tk->ij", w1, w1, u3)
        v3 = v3 + (u4**2 * u3).sum(axis=0)
        v2 = v2 - np.einsum("tik,tk->ik", w1, u4 * u3)

    cl = c[-1, : k - 1, :]  # c at the end of follow-up
    v = v + np.einsum("ik,jk,k->ij", cl, cl, v3) + cl @ v2.T + v2 @ cl.T
    return score, v
