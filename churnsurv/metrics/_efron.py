"""A small Cox partial-likelihood fit with Efron ties, for the calibration model (private).

Austin et al.'s calibration curve is a Cox model on 2–4 spline columns of one prediction. The
general :class:`~churnsurv.CoxModel` (data validation, formulas, diagnostics) costs seconds on a
million customers; this is the same estimator -- R ``coxph(ties = "efron")``'s partial
likelihood, maximised by Newton–Raphson with step halving from ``beta = 0`` -- reduced to its
arithmetic. The data are sorted by time once; every iteration is a handful of sums over the
rows and the distinct churn times (Efron's correction expands each time into its ``d`` tied
churns, so the work is O(n + churns)). Tested equal to ``CoxModel`` and to R's ICI.
"""

from __future__ import annotations

import numpy as np

__all__ = ["efron_baseline_hazard", "efron_fit"]


def _efron_terms(time, event):
    """Sorted distinct times, each row's time index, and for every churn of every tied group
    its time index and Efron fraction ``k / d`` (``k = 0 .. d - 1``)."""
    ut, inv = np.unique(time, return_inverse=True)
    inv = inv.ravel()
    d = np.bincount(inv, event, ut.size)
    jj = np.repeat(np.arange(ut.size), d.astype(np.int64))
    first = np.concatenate(([0], np.cumsum(d)[:-1])).astype(np.int64)
    k = np.arange(jj.size) - np.repeat(first, d.astype(np.int64))
    frac = k / np.maximum(d, 1)[jj]
    return ut, inv, jj, frac


def _products(X):
    """Columns ``1, x_a, x_a x_b (a <= b)`` of the design, computed once per fit."""
    p = X.shape[1]
    pairs = [(a, b) for a in range(p) for b in range(a, p)]
    Z = np.column_stack([np.ones(len(X)), X, *(X[:, a] * X[:, b] for a, b in pairs)])
    return Z, pairs


def _time_sums(r, Z, cell, starts, n_times, p, pairs):
    """Sums of ``r``, ``r x``, ``r x xᵀ`` per distinct time over the risk set (time >= t) and
    over the churners at t. Rows are sorted by (time, churned); ``cell`` of each run is
    ``2 * time index + churned``, so one ``reduceat`` does all sums."""
    sums = np.add.reduceat(r[:, None] * Z, starts, axis=0)
    tot = np.zeros((n_times, Z.shape[1]))
    np.add.at(tot, cell // 2, sums)
    dead = np.zeros((n_times, Z.shape[1]))
    churned = cell % 2 == 1
    dead[cell[churned] // 2] = sums[churned]
    risk = np.cumsum(tot[::-1], axis=0)[::-1]

    def split(m):
        sq = np.empty((m.shape[0], p, p))
        for c, (a, b) in enumerate(pairs):
            sq[:, a, b] = sq[:, b, a] = m[:, 1 + p + c]
        return m[:, 0], m[:, 1 : 1 + p], sq

    return split(risk), split(dead)


def _loglik_derivatives(beta, X, Z, pairs, event, cell, starts, n_times, jj, frac, x_dead):
    """Efron log partial likelihood, gradient and information matrix at ``beta``."""
    lp = X @ beta
    shift = float(lp.max())
    r = np.exp(lp - shift)
    (r0, r1, r2), (e0, e1, e2) = _time_sums(r, Z, cell, starts, n_times, X.shape[1], pairs)
    # Efron: the k-th of d tied churns sees A_k = R - (k / d) E. With R and E constant within a
    # time, every sum over k needs only per-time sums of 1 / A0_k and 1 / A0_k² times 1, f, f².
    a0 = r0[jj] - frac * e0[jj]
    inv_a = 1.0 / a0
    inv_a2 = inv_a * inv_a
    bounds = np.flatnonzero(np.r_[True, jj[1:] != jj[:-1]])
    t_idx = jj[bounds]
    u0, u1 = np.add.reduceat(inv_a, bounds), np.add.reduceat(frac * inv_a, bounds)
    v0 = np.add.reduceat(inv_a2, bounds)
    v1 = np.add.reduceat(frac * inv_a2, bounds)
    v2 = np.add.reduceat(frac * frac * inv_a2, bounds)
    R1, E1, R2, E2 = r1[t_idx], e1[t_idx], r2[t_idx], e2[t_idx]
    ll = float(lp[event].sum() - np.log(a0).sum() - shift * jj.size)
    grad = x_dead - (R1 * u0[:, None] - E1 * u1[:, None]).sum(axis=0)
    outer = (
        np.einsum("t,ta,tb->ab", v0, R1, R1)
        - np.einsum("t,ta,tb->ab", v1, R1, E1)
        - np.einsum("t,ta,tb->ab", v1, E1, R1)
        + np.einsum("t,ta,tb->ab", v2, E1, E1)
    )
    info = (R2 * u0[:, None, None] - E2 * u1[:, None, None]).sum(axis=0) - outer
    return ll, grad, info


def efron_fit(
    time: np.ndarray, event: np.ndarray, X: np.ndarray, *, tol: float = 1e-9, max_iter: int = 50
) -> np.ndarray:
    """Cox coefficients with Efron ties (no case weights, no strata).

    Examples
    --------
    >>> t = np.array([1.0, 2, 2, 3, 4, 5])
    >>> e = np.array([True, True, True, False, True, False])
    >>> efron_fit(t, e, np.array([[0.5], [1.0], [0.0], [2.0], [0.3], [0.1]])).round(4)
    array([-0.3057])
    """
    X = np.asarray(X, dtype=float)
    event = np.asarray(event, dtype=bool)
    ut, inv, jj, frac = _efron_terms(time, event)
    x_dead = X[event].sum(axis=0)
    key = inv.astype(np.int64) * 2 + event
    order = np.argsort(key, kind="stable")
    X, event, key = X[order], event[order], key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    Z, pairs = _products(X)
    args = (X, Z, pairs, event, key[starts], starts, ut.size, jj, frac, x_dead)
    beta = np.zeros(X.shape[1])
    ll, grad, info = _loglik_derivatives(beta, *args)
    for _ in range(max_iter):
        step = np.linalg.solve(info, grad)
        for _halving in range(30):
            new = beta + step
            ll_new, g_new, i_new = _loglik_derivatives(new, *args)
            if ll_new >= ll - 1e-12 * abs(ll):
                break
            step = step / 2
        converged = abs(ll_new - ll) <= tol * (abs(ll) + 1)
        beta, ll, grad, info = new, ll_new, g_new, i_new
        if converged and np.max(np.abs(step)) < 1e-6 * (np.max(np.abs(beta)) + 1):
            break
    return beta


def efron_baseline_hazard(time: np.ndarray, event: np.ndarray, lp: np.ndarray, t: float) -> float:
    """Efron baseline cumulative hazard at ``t`` (R ``survfit`` of an Efron ``coxph`` fit).

    At a time with ``d`` tied churns, risk-set sum ``R`` and churners' sum ``E`` of
    ``exp(lp)``, the hazard jumps by ``sum_{k<d} 1 / (R - k E / d)``; without ties this is
    Breslow's ``1 / R``.

    Examples
    --------
    >>> efron_baseline_hazard(np.array([1.0, 1, 2]), np.array([True, True, False]),
    ...                       np.zeros(3), 1.0)  # 1/3 + 1/(3 - 1)
    0.8333333333333333
    """
    event = np.asarray(event, dtype=bool)
    r = np.exp(lp)
    ut, inv, jj, frac = _efron_terms(time, event)
    tot = np.bincount(inv, r, ut.size)
    e_sum = np.bincount(inv, r * event, ut.size)
    at_risk = np.cumsum(tot[::-1])[::-1]
    keep = ut[jj] <= t
    return float(np.sum(1.0 / (at_risk[jj][keep] - frac[keep] * e_sum[jj][keep])))
