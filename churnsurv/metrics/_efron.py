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
from scipy import special

from churnsurv.metrics.ipcw import distinct_times

__all__ = ["efron_baseline_hazard", "efron_fit"]


# Tied groups with more churns than this are summed in closed form (digamma / trigamma /
# log-gamma); smaller ones term by term. Both are exact; the closed form loses at most
# ~1e-15 x (risk set / churners) relative precision to cancellation.
_EXPAND_MAX = 64
# Up to this many (time, churned) cells the per-time sums are BLAS products cell by cell.
_FEW_CELLS = 4096


def _efron_terms(time, event):
    """Sorted distinct times, each row's time index, the churns per time, and for every churn
    of the small tied groups (``d <= _EXPAND_MAX``) its time index and Efron fraction ``k / d``.
    """
    ut, inv = distinct_times(np.asarray(time, dtype=float))
    d = np.bincount(inv, event, ut.size)
    small = np.where(d <= _EXPAND_MAX, d, 0).astype(np.int64)
    jj = np.repeat(np.arange(ut.size), small)
    first = np.concatenate(([0], np.cumsum(small)[:-1]))
    k = np.arange(jj.size) - np.repeat(first, small)
    frac = k / np.maximum(d, 1)[jj]
    return ut, inv, d, jj, frac


def _efron_sums(r0, e0, d, jj, frac):
    """Per distinct time with churns: ``Σ_k log A_k`` and the sums of ``1/A_k``, ``f/A_k``,
    ``1/A_k²``, ``f/A_k²``, ``f²/A_k²`` over the ``d`` tied churns, ``A_k = R - f E``,
    ``f = k / d``.

    Small groups term by term; large ones with ``A_k = (E/d)(a - k)``, ``a = d R / E``:
    ``Σ 1/(a-k) = ψ(a+1) - ψ(a-d+1)``, ``Σ 1/(a-k)² = ψ'(a-d+1) - ψ'(a+1)``,
    ``Σ log(a-k) = lnΓ(a+1) - lnΓ(a-d+1)``, and ``k = a - (a - k)`` for the rest.
    """
    out = np.zeros((6, d.size))
    if jj.size:
        a0 = r0[jj] - frac * e0[jj]
        inv_a = 1.0 / a0
        inv_a2 = inv_a * inv_a
        for row, v in enumerate(
            (np.log(a0), inv_a, frac * inv_a, inv_a2, frac * inv_a2, frac * frac * inv_a2)
        ):
            out[row] = np.bincount(jj, v, d.size)
    big = np.flatnonzero(d > _EXPAND_MAX)
    if big.size:
        dd, ee = d[big], e0[big]
        a = dd * r0[big] / ee
        h1 = special.digamma(a + 1) - special.digamma(a - dd + 1)
        h2 = special.polygamma(1, a - dd + 1) - special.polygamma(1, a + 1)
        out[0, big] = dd * np.log(ee / dd) + special.gammaln(a + 1) - special.gammaln(a - dd + 1)
        out[1, big] = dd / ee * h1
        out[2, big] = (a * h1 - dd) / ee
        out[3, big] = (dd / ee) ** 2 * h2
        out[4, big] = dd / ee**2 * (a * h2 - h1)
        out[5, big] = (a * a * h2 - 2 * a * h1 + dd) / ee**2
    return out


def _products(X):
    """Columns ``1, x_a, x_a x_b (a <= b)`` of the design, computed once per fit."""
    n, p = X.shape
    pairs = [(a, b) for a in range(p) for b in range(a, p)]
    Z = np.empty((n, 1 + p + len(pairs)), order="F")  # contiguous columns
    Z[:, 0] = 1.0
    Z[:, 1 : 1 + p] = X
    for c, (a, b) in enumerate(pairs):
        np.multiply(X[:, a], X[:, b], out=Z[:, 1 + p + c])
    return Z, pairs


def _time_sums(r, Z, cell, starts, n_times, p, pairs):
    """Sums of ``r``, ``r x``, ``r x xᵀ`` per distinct time over the risk set (time >= t) and
    over the churners at t. Rows are sorted by (time, churned); ``cell`` of each run is
    ``2 * time index + churned``, so one ``reduceat`` does all sums."""
    if starts.size <= _FEW_CELLS:  # one matrix-vector product per cell, no n x p temporary
        ends = np.append(starts[1:], r.size)
        sums = np.array([r[a:b] @ Z[a:b] for a, b in zip(starts, ends, strict=True)])
    else:
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


def _loglik_derivatives(beta, X, Z, pairs, cell, starts, n_times, d, jj, frac, x_dead):
    """Efron log partial likelihood, gradient and information matrix at ``beta``."""
    lp = X @ beta
    shift = float(lp.max())
    r = np.exp(lp - shift)
    (r0, r1, r2), (e0, e1, e2) = _time_sums(r, Z, cell, starts, n_times, X.shape[1], pairs)
    # Efron: the k-th of d tied churns sees A_k = R - (k / d) E. With R and E constant within a
    # time, every sum over k needs only per-time sums of 1 / A_k and 1 / A_k² times 1, f, f².
    t_idx = np.flatnonzero(d > 0)
    log_a, u0, u1, v0, v1, v2 = _efron_sums(r0, e0, d, jj, frac)[:, t_idx]
    R1, E1, R2, E2 = r1[t_idx], e1[t_idx], r2[t_idx], e2[t_idx]
    ll = float(x_dead @ beta - log_a.sum() - shift * d.sum())
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
    time: np.ndarray,
    event: np.ndarray,
    X: np.ndarray,
    *,
    tol: float = 1e-9,
    max_iter: int = 50,
) -> np.ndarray:
    """Cox coefficients with Efron ties (no case weights, no strata), by Newton–Raphson with
    step halving from 0.

    Examples
    --------
    >>> t = np.array([1.0, 2, 2, 3, 4, 5])
    >>> e = np.array([True, True, True, False, True, False])
    >>> efron_fit(t, e, np.array([[0.5], [1.0], [0.0], [2.0], [0.3], [0.1]])).round(4)
    array([-0.3057])
    """
    X = np.asarray(X, dtype=float)
    event = np.asarray(event, dtype=bool)
    ut, inv, d, jj, frac = _efron_terms(time, event)
    x_dead = np.take(X, np.flatnonzero(event), axis=0).sum(axis=0)
    key = inv.astype(np.int64) * 2 + event
    small = np.int16 if 2 * ut.size < 2**15 else np.int64
    order = np.argsort(key.astype(small), kind="stable")  # a radix sort for few times
    X = np.take(X, order, axis=0)  # (much faster than X[order] for rows)
    per_cell = np.bincount(key, minlength=2 * ut.size)
    cell = np.flatnonzero(per_cell)  # the (time, churned) cells present, in sorted order
    starts = np.concatenate(([0], np.cumsum(per_cell[cell])[:-1]))
    Z, pairs = _products(X)
    args = (X, Z, pairs, cell, starts, ut.size, d, jj, frac, x_dead)
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
    ut, inv, d, jj, frac = _efron_terms(time, event)
    tot = np.bincount(inv, r, ut.size)
    e_sum = np.bincount(inv, r * event, ut.size)
    at_risk = np.cumsum(tot[::-1])[::-1]
    sums = _efron_sums(at_risk, e_sum, d, jj, frac)[1]  # Σ_k 1 / A_k per time
    return float(sums[ut <= t].sum())
