"""Numerical core of the Cox model: the partial likelihood and what is computed from it.

Private to :mod:`churnsurv.regression.cox`. One vectorised implementation of the (weighted,
stratified, left-truncated) Cox partial likelihood with Breslow or Efron ties, in the form R
``survival`` uses (``coxfit6.c``, ``agfit4.c``): with ``m`` tied deaths (rows) at a time, the Efron
step ``r = 0, ..., m - 1`` removes the fraction ``r / m`` of the deaths' risk from the
denominator and carries the mean death weight (R's ``meanwt``). With case weights the steps are
therefore counted in *rows*, not in weight, so merging identical rows into one weighted row
changes Efron's correction unless the number of rows each merged row stands for is kept:
:class:`RiskSets` takes it as ``counts`` (see ``engines._collapsed``), which makes collapsing exact
for Efron as it is for Breslow.

It supplies what lifelines and statsmodels do not: a weighted Breslow fit (used for case weights,
penalised Breslow fits and collapsed rows), an Efron fit within the project's memory budget at a
million customers (:class:`RiskSets` + :func:`fit_newton`), the score test, the Breslow baseline
hazard, the Schoenfeld residuals, the score residuals and sandwich covariance of R
``coxph(robust = TRUE)`` (:func:`robust_covariance`, Efron or Breslow) and the ``cox.zph`` score
test of proportional hazards.

:class:`RiskSets` (:mod:`~churnsurv.regression.cox.risksets`) builds what does not depend on
``beta`` once per fit; each Newton step then needs scalar work per death and two sequential
passes over the sorted ``X``, so memory is O(n p) and time O(n p^2) per step.
The diagnostics (:func:`pairs`) keep per-death risk-set means, which the Schoenfeld residuals need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churnsurv.regression.cox.risksets import RiskSets, strata_rows

__all__ = [
    "Pairs",
    "RiskSets",
    "baseline_hazard",
    "fit_newton",
    "partial_likelihood",
    "pairs",
    "robust_covariance",
    "schoenfeld",
    "score_residuals",
    "zph_test",
]


@dataclass
class Pairs:
    """Risk-set summaries of one stratum at each (event time k, Efron step r) pair."""

    rows: np.ndarray  # positions (in the full data) of this stratum's rows
    times: np.ndarray  # unique event times (K,)
    k: np.ndarray  # event-time index of each pair (P,)
    dbar: np.ndarray  # mean death weight at that time (P,)
    frac: np.ndarray  # Efron fraction r / m (0 for Breslow) (P,)
    den: np.ndarray  # risk-set denominator S0 - frac * D0 (P,)
    mean: np.ndarray  # risk-set mean of x, (S1 - frac * D1) / den (P, p)
    lo: np.ndarray  # per row: first event-time index at which it is at risk
    hi: np.ndarray  # per row: one past the last event-time index at which it is at risk
    death_k: np.ndarray  # per row: event-time index of its death (-1 if censored)
    r: np.ndarray  # w * exp(eta) for the stratum's rows


def _bincount2(idx: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Column-wise ``np.bincount`` of a 2-D array (much faster than ``np.add.at``)."""
    return (
        np.column_stack([np.bincount(idx, values[:, j], size) for j in range(values.shape[1])])
        if values.shape[1]
        else np.zeros((size, 0))
    )


def pairs(X, time, event, w, beta, *, entry=None, strata=None, ties="efron") -> list[Pairs]:
    """Risk-set summaries at every (event time, Efron step) pair, stratum by stratum."""
    eta = X @ beta
    out = []
    for rows in strata_rows(strata, len(time)):
        t, e, ww, xs = time[rows], event[rows], w[rows], X[rows]
        ent = None if entry is None else entry[rows]
        r = ww * np.exp(eta[rows])
        times = np.unique(t[e])
        if times.size == 0:
            continue
        K = times.size
        # rows at risk at times[k]: entry < times[k] <= t, i.e. lo <= k < hi
        hi = np.searchsorted(times, t, side="right")
        lo = (
            np.zeros(len(t), dtype=np.int64)
            if ent is None
            else np.searchsorted(times, ent, "right")
        )
        # S0, S1 at each event time: add r at lo, remove it at hi, cumulate over k
        s0 = np.bincount(lo, r, K + 1) - np.bincount(hi, r, K + 1)
        rx = r[:, None] * xs
        s1 = _bincount2(lo, rx, K + 1) - _bincount2(hi, rx, K + 1)
        s0, s1 = np.cumsum(s0)[:K], np.cumsum(s1, axis=0)[:K]
        death_k = np.where(e, hi - 1, -1)
        dk = death_k[e]
        m = np.bincount(dk, minlength=K).astype(float)
        d = np.bincount(dk, ww[e], K)
        d0 = np.bincount(dk, r[e], K)
        d1 = _bincount2(dk, rx[e], K)
        k = np.repeat(np.arange(K), m.astype(np.int64))
        step = np.arange(k.size) - np.repeat(np.cumsum(m) - m, m.astype(np.int64))
        frac = step / m[k] if ties == "efron" else np.zeros(k.size)
        den = s0[k] - frac * d0[k]
        mean = (s1[k] - frac[:, None] * d1[k]) / den[:, None]
        out.append(Pairs(rows, times, k, d[k] / m[k], frac, den, mean, lo, hi, death_k, r))
    return out


def _second_moment(X, P: Pairs, c: np.ndarray) -> np.ndarray:
    """sum over pairs of c_kr * (S2_kr / den_kr), where S2_kr excludes frac of the deaths."""
    K = P.times.size
    per_k = np.bincount(P.k, c / P.den, K)  # risk members count fully
    cum = np.r_[0.0, np.cumsum(per_k)]
    a = cum[P.hi] - cum[P.lo]
    dead = P.death_k >= 0
    if dead.any():  # a death at k is down-weighted by (1 - frac) at its own time
        corr = np.bincount(P.k, c * P.frac / P.den, K)
        a[dead] -= corr[P.death_k[dead]]
    xs = X[P.rows]
    return (xs * (P.r * a)[:, None]).T @ xs


def partial_likelihood(X, time, event, w, beta, *, entry=None, strata=None, ties="efron"):
    """Log partial likelihood, gradient and Hessian at ``beta``.

    Returns
    -------
    loglik : float
    grad : ndarray (p,)
    hess : ndarray (p, p)
    """
    return RiskSets(X, time, event, w, entry=entry, strata=strata, ties=ties).evaluate(beta)


def fit_newton(risk: RiskSets, *, penalty=None, max_iter=50, tol=1e-10, start=None):
    """Maximise the (optionally ridge-penalised) partial likelihood by Newton-Raphson.

    ``penalty`` is a vector ``lam``: the objective is ``loglik - 0.5 * sum(lam * beta**2)``.
    Step halving guards against overshooting. The steps start from ``start`` (zero by
    default). Returns ``(beta, loglik, hess, converged)`` with the unpenalised log-likelihood
    and the penalised Hessian.
    """
    p = risk.p
    lam = np.zeros(p) if penalty is None else np.asarray(penalty, float)
    beta = np.zeros(p) if start is None else np.array(start, dtype=float)

    def objective(b):
        # a diverging fit (separation) overflows; such steps are rejected by step halving
        with np.errstate(all="ignore"):
            ll, g, h = risk.evaluate(b)
        return ll - 0.5 * lam @ b**2, g - lam * b, h - np.diag(lam), ll

    obj, g, h, ll = objective(beta)
    converged = False
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(-h, g)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        for _ in range(30):  # step halving
            new = objective(beta + step)
            if np.isfinite(new[0]) and new[0] >= obj - 1e-12 * abs(obj):
                break
            step = step / 2
        beta = beta + step
        # the step measured in standard errors (scale-free: a covariate in units of 1e-12 has a
        # coefficient of 1e12 times the usual, and so have its steps and its SE)
        with np.errstate(all="ignore"):
            se = np.sqrt(np.abs(np.diag(np.linalg.pinv(-h))))
        small = np.all(np.abs(step) <= 1e-7 * np.maximum(se, 1e-300))
        done = abs(new[0] - obj) <= tol * max(1.0, abs(obj)) and (
            np.max(np.abs(step)) < 1e-7 or small
        )
        obj, g, h, ll = new
        if done:
            converged = True
            break
    return beta, ll, h, converged


def baseline_hazard(risk: RiskSets, beta):
    """Breslow estimator of the baseline hazard, per stratum: ``{label: (times, increments)}``.

    Baseline means ``X @ beta == 0``; the increments are ``d_k / S0_k`` (whatever the ties of
    ``risk``, as in lifelines and R ``basehaz``).
    """
    return {label: (times, inc) for label, times, inc in risk.baseline(beta)}


def schoenfeld(X, time, event, w, beta, *, entry=None, strata=None, ties="efron"):
    """Schoenfeld residuals (rows = deaths, in data order) and the death times.

    As in R ``residuals(fit, "schoenfeld")``: ``x_i`` minus the risk-set mean at its death
    time, the mean averaged over the Efron steps.
    """
    idx, res, tim = [], [], []
    for P in pairs(X, time, event, w, beta, entry=entry, strata=strata, ties=ties):
        K = P.times.size
        m = np.bincount(P.k, minlength=K).astype(float)
        xbar = np.zeros((K, X.shape[1]))
        np.add.at(xbar, P.k, P.mean)
        xbar /= m[:, None]
        dead = np.flatnonzero(P.death_k >= 0)
        idx.append(P.rows[dead])
        res.append(X[P.rows[dead]] - xbar[P.death_k[dead]])
        tim.append(P.times[P.death_k[dead]])
    order = np.argsort(np.concatenate(idx))
    return np.concatenate(res)[order], np.concatenate(tim)[order], np.concatenate(idx)[order]


def zph_test(X, time, event, w, beta, g_of_time, groups, *, entry=None, strata=None, ties="efron"):
    """Score test of ``beta_j(t) = beta_j + gamma_j g(t)`` at ``(beta, gamma=0)`` (R ``cox.zph``).

    ``g_of_time`` maps event times to the transformed time ``g``; ``groups`` is a list of column
    index lists (one per term). Returns ``(chisq per group, chisq global)``.
    """
    p = X.shape[1]
    u = np.zeros(p)
    info = np.zeros((2 * p, 2 * p))
    for P in pairs(X, time, event, w, beta, entry=entry, strata=strata, ties=ties):
        g = g_of_time(P.times)[P.k]
        e = event[P.rows]
        we = w[P.rows][e]
        ge = g_of_time(time[P.rows][e])
        u += (we * ge) @ X[P.rows][e] - (P.dbar * g) @ P.mean
        for a, b, c in ((0, 0, P.dbar), (0, 1, P.dbar * g), (1, 1, P.dbar * g * g)):
            block = _second_moment(X, P, c) - (P.mean * c[:, None]).T @ P.mean
            info[a * p : (a + 1) * p, b * p : (b + 1) * p] = (
                info[a * p : (a + 1) * p, b * p : (b + 1) * p] + block
            )
    info[p:, :p] = info[:p, p:].T
    score = np.r_[np.zeros(p), u]
    stats = []
    for cols in groups:
        jj = np.r_[np.arange(p), p + np.asarray(cols)]
        stats.append(float(score[jj] @ np.linalg.solve(info[np.ix_(jj, jj)], score[jj])))
    return np.array(stats), float(score @ np.linalg.solve(info, score))


def score_residuals(X, time, event, w, beta, *, entry=None, strata=None, ties="efron"):
    """Score residuals ``U_i`` (rows in data order), as R ``residuals(fit, "score")``.

    ``U_i = d_i (x_i - xbar_i) - exp(eta_i) sum_k sum_r c_ikr (dbar_k / den_kr) (x_i - xbar_kr)``
    over the event times ``k`` at which row ``i`` is at risk and their Efron steps ``r`` (one step
    for Breslow), with ``xbar_kr`` the step's risk-set mean and ``xbar_i`` the mean of those over
    the steps at ``i``'s death. A row dying at ``k`` is in step ``r`` with ``c = 1 - r/m`` (it
    leaves the risk set gradually, as in R's ``coxscore2.c``); every other row with ``c = 1``.
    ``sum_i w_i U_i`` is the gradient of the log partial likelihood.
    """
    n, p = X.shape
    U = np.zeros((n, p))
    for P in pairs(X, time, event, w, beta, entry=entry, strata=strata, ties=ties):
        K = P.times.size
        c = P.dbar / P.den
        a = np.bincount(P.k, c, K)  # per event time: sum over steps of c
        b = _bincount2(P.k, c[:, None] * P.mean, K)  # ... of c * xbar
        ca = np.r_[0.0, np.cumsum(a)]
        cb = np.vstack([np.zeros((1, p)), np.cumsum(b, axis=0)])
        xs = X[P.rows]
        risk = P.r / w[P.rows]  # exp(eta)
        u = xs * (ca[P.hi] - ca[P.lo])[:, None] - (cb[P.hi] - cb[P.lo])
        dead = np.flatnonzero(P.death_k >= 0)
        m = np.bincount(P.k, minlength=K).astype(float)
        xbar = _bincount2(P.k, P.mean, K) / m[:, None]
        if dead.size:
            # at its own death time a dying row is in step r with weight 1 - r/m only
            fa = np.bincount(P.k, c * P.frac, K)
            fb = _bincount2(P.k, (c * P.frac)[:, None] * P.mean, K)
            kd = P.death_k[dead]
            u[dead] -= xs[dead] * fa[kd][:, None] - fb[kd]
        u *= -risk[:, None]
        u[dead] += xs[dead] - xbar[P.death_k[dead]]
        U[P.rows] = u
    return U


def robust_covariance(X, time, event, w, beta, hess, groups, *, entry=None, strata=None, ties):
    """Sandwich covariance ``H^-1 (sum_c U_c U_c') H^-1`` (Lin & Wei 1989), as R ``coxph``
    with ``robust = TRUE`` or ``cluster =``.

    ``U_c`` sums ``w_i U_i`` (:func:`score_residuals`, Efron or Breslow as ``ties``) over the rows
    of cluster ``c``; ``hess`` is the Hessian of the log partial likelihood at ``beta``.
    """
    U = score_residuals(X, time, event, w, beta, entry=entry, strata=strata, ties=ties)
    _, codes = np.unique(groups, return_inverse=True)
    Uc = _bincount2(codes.ravel(), w[:, None] * U, int(codes.max()) + 1)
    hinv = np.linalg.inv(hess)
    return hinv @ (Uc.T @ Uc) @ hinv
