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

:class:`RiskSets` builds what does not depend on ``beta`` once per fit; each Newton step then needs
scalar work per death and a few passes over ``X``, so memory is O(n p) and time O(n p^2) per step.
The diagnostics (:func:`pairs`) keep per-death risk-set means, which the Schoenfeld residuals need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

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


def _strata_rows(strata: np.ndarray | None, n: int) -> list[np.ndarray]:
    if strata is None:
        return [np.arange(n)]
    _, codes = np.unique(strata, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


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
    for rows in _strata_rows(strata, len(time)):
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


@dataclass
class _Stratum:
    """What :class:`RiskSets` keeps of one stratum (all of it independent of ``beta``)."""

    rows: np.ndarray | None  # positions of the stratum's rows (None: all rows, in order)
    times: np.ndarray  # unique event times (K,)
    hi: np.ndarray  # per row: one past the last event-time index at which it is at risk
    lo: np.ndarray | None  # per row: first event-time index at risk (None: no entry times)
    dead: np.ndarray  # positions (within the stratum) of the deaths
    dk: np.ndarray  # event-time index of each death
    d: np.ndarray  # summed death weight per event time (K,)
    k: np.ndarray  # event-time index of each Efron step (one step per death)
    frac: np.ndarray  # Efron fraction of each step, r / m (0 for Breslow)
    wk: np.ndarray  # mean death weight at the step's time (R's meanwt)
    xd: np.ndarray  # sum of w x over the deaths (p,)
    g_hi: tuple  # CSR (indices, indptr) grouping the rows by hi, lo and the deaths by dk
    g_lo: tuple | None
    g_d: tuple


def _grouping(codes, positions, size):
    """``(indices, indptr)`` of a CSR matrix whose row ``k`` holds the rows with code ``k``."""
    order = np.argsort(codes, kind="stable")
    indptr = np.r_[0, np.cumsum(np.bincount(codes, minlength=size))]
    return positions[order], indptr


class RiskSets:
    """The part of the partial likelihood that does not depend on ``beta``, built once per fit.

    For each stratum: the unique event times, each row's first and one-past-last event-time index
    at risk, the deaths per time and the Efron steps. :meth:`evaluate` then needs only scalar
    work per death and a few passes over ``X``: risk-set sums ``S1`` come from one sparse
    (event time x row) product with the weights ``r = w exp(eta)`` as its entries, and the
    second moments from one weighted ``X.T @ X`` (in row chunks, so no ``n x p`` temporary
    beyond a chunk). With ``m`` tied deaths at a time, the Efron sums over its ``m`` steps are
    accumulated as scalars (``sum 1/den``, ``sum f/den``, ...) and combined with the ``p``-vectors
    ``S1`` and ``D1`` once per time.

    ``counts`` (optional) is the number of original rows each row stands for when identical rows
    were merged (``w`` then holds the same numbers): Efron's ``m`` is the number of tied deaths
    among the original rows, so the merged fit equals the fit on the original rows.
    """

    _CHUNK = 1 << 17

    def __init__(self, X, time, event, w, *, entry=None, strata=None, ties="efron", counts=None):
        self.X, self.w, self.ties = np.ascontiguousarray(X, dtype=float), w, ties
        self.n, self.p = X.shape
        self.labels = None if strata is None else np.asarray(strata)
        self.strata: list[_Stratum] = []
        for rows in _strata_rows(strata, len(time)):
            t, e = time[rows], event[rows]
            times = np.unique(t[e])
            if times.size == 0:
                continue
            K = times.size
            # rows at risk at times[k]: entry < times[k] <= t, i.e. lo <= k < hi
            hi = np.searchsorted(times, t, side="right")
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
            self.strata.append(
                _Stratum(
                    rows=None if strata is None else rows,
                    times=times,
                    hi=hi,
                    lo=lo,
                    dead=dead,
                    dk=dk,
                    d=d,
                    k=k,
                    frac=step / m[k] if ties == "efron" else np.zeros(k.size),
                    wk=(d / m)[k],
                    xd=w[rows][dead] @ X[rows[dead]],
                    g_hi=_grouping(hi, rows, K + 1),
                    g_lo=None if lo is None else _grouping(lo, rows, K + 1),
                    g_d=_grouping(dk, rows[dead], K),
                )
            )

    def _group_sum(self, grouping, r_all):
        """``sum of r_i x_i`` over the rows of each group, as a ``(groups, p)`` array."""
        idx, ptr = grouping
        mat = sparse.csr_matrix((r_all[idx], idx, ptr), shape=(len(ptr) - 1, self.n))
        return np.asarray(mat @ self.X)

    def _blocks(self, rows):
        """``(slice into the stratum's rows, those rows of X)``, a chunk at a time."""
        n = self.n if rows is None else len(rows)
        for i in range(0, n, self._CHUNK):
            sl = slice(i, i + self._CHUNK)
            yield sl, (self.X[sl] if rows is None else self.X[rows[sl]])

    def _gram(self, v, rows):
        """``sum of v_i x_i x_i'`` over ``rows`` (all rows when None), chunk by chunk."""
        out = np.zeros((self.p, self.p))
        for sl, xs in self._blocks(rows):
            out += (xs * v[sl, None]).T @ xs
        return out

    @staticmethod
    def _s0(st, r):
        """``S0``: the summed ``r`` of the rows at risk at each event time."""
        K = st.times.size
        if st.lo is None:  # everyone is at risk from the start
            add = np.zeros(K + 1)
            add[0] = r.sum()
        else:
            add = np.bincount(st.lo, r, K + 1)
        return np.cumsum(add - np.bincount(st.hi, r, K + 1))[:K]

    def _risk_sums(self, st, r_all):
        """``r`` of the stratum's rows, ``S0``, ``S1`` at each event time, ``D0``, ``D1``."""
        K = st.times.size
        r = r_all if st.rows is None else r_all[st.rows]
        if st.lo is None:
            add1 = np.zeros((K + 1, self.p))
            add1[0] = sum(r[sl] @ xs for sl, xs in self._blocks(st.rows))
        else:
            add1 = self._group_sum(st.g_lo, r_all)
        s1 = np.cumsum(add1 - self._group_sum(st.g_hi, r_all), axis=0)[:K]
        d0 = np.bincount(st.dk, r[st.dead], K)
        return r, self._s0(st, r), s1, d0, self._group_sum(st.g_d, r_all)

    def evaluate(self, beta):
        """Log partial likelihood, gradient and Hessian at ``beta``."""
        p = self.p
        ll, grad, hess = 0.0, np.zeros(p), np.zeros((p, p))
        r_all = self.w * np.exp(self.X @ beta)
        for st in self.strata:
            K, k, frac, wk = st.times.size, st.k, st.frac, st.wk
            r, s0, s1, d0, d1 = self._risk_sums(st, r_all)
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
            # sum_k [a_k S2_k - b_k D2_k] as one weighted Gram matrix over the rows
            cum = np.r_[0.0, np.cumsum(a)]
            at_risk = cum[st.hi] - (0.0 if st.lo is None else cum[st.lo])
            v = r * at_risk
            v[st.dead] -= r[st.dead] * b[st.dk]
            cross = s1.T @ (e[:, None] * d1)
            outer = s1.T @ (c[:, None] * s1) - cross - cross.T + d1.T @ (g[:, None] * d1)
            hess -= self._gram(v, st.rows) - outer
        return ll, grad, hess

    def baseline(self, beta):
        """Breslow baseline hazard increments ``d_k / S0_k`` per stratum (``X @ beta == 0``)."""
        r_all = self.w * np.exp(self.X @ beta)
        out = []
        for st in self.strata:
            r = r_all if st.rows is None else r_all[st.rows]
            first = 0 if st.rows is None else st.rows[0]
            out.append((first, st.times, st.d / self._s0(st, r)))
        return out


def partial_likelihood(X, time, event, w, beta, *, entry=None, strata=None, ties="efron"):
    """Log partial likelihood, gradient and Hessian at ``beta``.

    Returns
    -------
    loglik : float
    grad : ndarray (p,)
    hess : ndarray (p, p)
    """
    return RiskSets(X, time, event, w, entry=entry, strata=strata, ties=ties).evaluate(beta)


def fit_newton(risk: RiskSets, *, penalty=None, max_iter=50, tol=1e-10):
    """Maximise the (optionally ridge-penalised) partial likelihood by Newton-Raphson.

    ``penalty`` is a vector ``lam``: the objective is ``loglik - 0.5 * sum(lam * beta**2)``.
    Step halving guards against overshooting. Returns ``(beta, loglik, hess, converged)`` with
    the unpenalised log-likelihood and the penalised Hessian.
    """
    p = risk.p
    lam = np.zeros(p) if penalty is None else np.asarray(penalty, float)
    beta = np.zeros(p)

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
    labels = risk.labels
    return {
        (None if labels is None else labels[first]): (times, inc)
        for first, times, inc in risk.baseline(beta)
    }


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
