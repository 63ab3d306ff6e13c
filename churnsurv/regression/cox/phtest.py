"""The ``cox.zph`` score test and the Schoenfeld residuals on a fit's risk sets (private).

Both need only sums per event time and per Efron step -- the risk-set means ``xbar_kr`` and,
for the test's information matrix, three weighted second moments -- plus the rows that died.
The :class:`~churnsurv.regression.cox.risksets.RiskSets` a fit builds (rows sorted by stratum,
event time and death, runs of leavers and deaths) already hold everything that does not depend
on ``beta``, so here one pass gives ``S0``, ``S1`` and the deaths' sums at every event time; the
second moments are weighted Gram matrices of the sorted design (one weight per run of rows,
as :meth:`RiskSets.evaluate` builds the Hessian); the residuals read the death rows only.

The reference implementation (every row's risk-set bounds and per-step means rebuilt for each
call) is :func:`churnsurv.regression.cox.likelihood.zph_test` / ``schoenfeld``; tests compare
the two on stratified, weighted, tied and left-truncated data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from churnsurv.regression.cox.risksets import RiskSets

__all__ = ["kaplan_meier_left", "schoenfeld", "zph_statistics"]


def _steps(risk: RiskSets, beta: np.ndarray):
    """``r = w exp(eta)`` of the sorted rows and, per stratum, each Efron step's denominator and
    risk-set mean: ``(stratum, den, mean)`` with ``mean = (S1 - frac D1) / den``."""
    r_all = risk.w * np.exp(risk._eta(beta))
    run0, run1 = risk._run_sums(r_all)
    out = []
    for st in risk.strata:
        s0, s1, d0, d1 = risk._risk_sums(st, run0, run1, r_all)
        den = s0[st.k] - st.frac * d0[st.k]
        mean = (s1[st.k] - st.frac[:, None] * d1[st.k]) / den[:, None]
        out.append((st, den, mean))
    return r_all, out


def _deaths(risk: RiskSets, st) -> tuple[np.ndarray, np.ndarray]:
    """Sorted positions of a stratum's deaths and the event-time index of each."""
    dead = np.flatnonzero(st.event) + st.rows.start
    # a death at event time k is in run seg + 2 (k + 1) + 1 (see RiskSets._stratum)
    return dead, (risk._run_of_row[dead] - st.seg) // 2 - 1


def _run_weights(risk: RiskSets, st, den, frac, c, r_all) -> np.ndarray:
    """Per sorted row ``r_i * sum over the steps at which it is at risk of c / den``, a death
    counted with ``1 - frac`` at its own time: ``sum_i v_i x_i x_i'`` is ``sum_steps c S2 / den``
    (the same run weights as :meth:`RiskSets.evaluate`'s Hessian)."""
    K = st.times.size
    a = np.bincount(st.k, c / den, K)
    b = np.bincount(st.k, c * frac / den, K)
    cum = np.r_[0.0, np.cumsum(a)]
    val = np.repeat(cum, 2)  # run 2h (leavers at h), 2h + 1 (deaths at h - 1)
    val[3::2] -= b
    rows = st.rows
    v = val[risk._run_of_row[rows] - st.seg]
    if st.lo is not None:  # at risk only from its entry on
        v -= cum[st.lo]
    return r_all[rows] * v


def zph_statistics(
    risk: RiskSets,
    beta: np.ndarray,
    g_of_time: Callable[[np.ndarray], np.ndarray],
    groups: list,
) -> tuple[np.ndarray, float]:
    """Score test of ``beta_j(t) = beta_j + gamma_j g(t)`` at ``(beta, gamma = 0)`` (R
    ``cox.zph``): ``(chisq per group of columns, chisq global)``.

    The same statistic as :func:`churnsurv.regression.cox.likelihood.zph_test`: score
    ``u = sum_deaths w g x - sum_steps dbar g xbar`` and the information blocks
    ``sum_steps dbar g^a g^b (S2 / den - xbar xbar')`` for ``a, b`` in {0, 1}.
    """
    p = risk.p
    u = np.zeros(p)
    second = np.zeros((3, p, p))  # sum over steps of c xbar xbar', c = dbar g^j
    v = np.zeros((3, risk.n_sorted))
    r_all, steps = _steps(risk, beta)
    for st, den, mean in steps:
        gk = np.asarray(g_of_time(st.times), float)
        dead, dk = _deaths(risk, st)
        g = gk[st.k]
        u += (risk.w[dead] * gk[dk]) @ risk.X[dead] - (st.wk * g) @ mean
        for j, c in enumerate((st.wk, st.wk * g, st.wk * g * g)):
            v[j, st.rows] = _run_weights(risk, st, den, st.frac, c, r_all)
            second[j] += (mean * c[:, None]).T @ mean
    blocks = [risk._gram(v[j]) - second[j] for j in range(3)]
    info = np.block([[blocks[0], blocks[1]], [blocks[1].T, blocks[2]]])
    score = np.r_[np.zeros(p), u]
    stats = []
    for cols in groups:
        jj = np.r_[np.arange(p), p + np.asarray(cols)]
        stats.append(float(score[jj] @ np.linalg.solve(info[np.ix_(jj, jj)], score[jj])))
    return np.array(stats), float(score @ np.linalg.solve(info, score))


def schoenfeld(risk: RiskSets, beta: np.ndarray):
    """Schoenfeld residuals (rows = deaths, in data order), their death times and row positions.

    ``x_i`` minus the risk-set mean at its death time averaged over the Efron steps (R
    ``residuals(fit, "schoenfeld")``), as :func:`churnsurv.regression.cox.likelihood.schoenfeld`.
    """
    idx, res, tim = [], [], []
    for st, _den, mean in _steps(risk, beta)[1]:
        K = st.times.size
        m = np.bincount(st.k, minlength=K).astype(float)
        xbar = np.zeros((K, risk.p))
        for j in range(risk.p):
            xbar[:, j] = np.bincount(st.k, mean[:, j], K) / m
        dead, dk = _deaths(risk, st)
        idx.append(risk.order[dead])
        res.append(risk.X[dead] - xbar[dk])
        tim.append(st.times[dk])
    rows = np.concatenate(idx)
    order = np.argsort(rows, kind="stable")
    return np.concatenate(res)[order], np.concatenate(tim)[order], rows[order]


def kaplan_meier_left(time, event, entry=None) -> tuple[np.ndarray, np.ndarray]:
    """Event times and the left-continuous Kaplan-Meier ``S(t-)`` at each, then ``S`` after the
    last: ``(times, km_left)`` with ``km_left[k] = prod_{j < k} (1 - d_j / n_j)`` (unweighted;
    at risk at ``t_k``: ``entry < t_k <= time``)."""
    event = np.asarray(event, bool)
    times = np.unique(time[event])
    K = times.size
    hi = np.searchsorted(times, time, side="right")
    if entry is None:  # at risk at k: every row with hi > k
        n_at = np.cumsum(np.bincount(hi, minlength=K + 1)[::-1])[::-1][1:]
    else:
        lo = np.searchsorted(times, entry, side="right")
        n_at = np.cumsum(np.bincount(lo, minlength=K + 1) - np.bincount(hi, minlength=K + 1))[:K]
    d = np.bincount(hi[event] - 1, minlength=K)
    return times, np.r_[1.0, np.cumprod(1 - d / n_at)]
