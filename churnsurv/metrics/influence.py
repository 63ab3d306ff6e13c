"""Standard errors of the IPCW AUC(t) and Brier(t) from their influence functions, as
riskRegression::Score(..., se.fit = TRUE, cens.model = "km") computes them.

For each evaluation customer ``i`` the influence function ``IF_i`` of the estimate is the sum of

* the part with the censoring distribution held fixed (Score's ``IC0``): for the Brier score the
  customer's weighted squared residual minus the mean; for the AUC the customer's share of the
  weighted case–control comparisons (a U-statistic's Hájek projection);
* the part from estimating ``G`` by Kaplan–Meier on the same customers: every weight ``1 / G(s)``
  moves with the influence of customer ``i`` on the censoring cumulative hazard up to ``s``,
  ``f_i(s) = n [(1 - δ_i) 1{T_i <= s} / Y(T_i) - Σ_{u <= min(T_i, s)} dN_C(u) / Y(u)²]`` with
  ``Y(u)`` the customers observed at ``u`` or later and ``dN_C(u)`` the censorings at ``u``
  (riskRegression's ``getInfluenceFunctionKM``, the Nelson–Aalen form).

The standard error is ``sd(IF) / sqrt(n)`` (``sd`` with ``n - 1``), as in Score; the interval
``estimate ± z se`` is clipped to [0, 1] as Score clips it. Everything is O(n log n): sums over
"later" or "earlier" customers are cumulative sums over the sorted distinct times.

When the censoring distribution comes from *other* customers (``train_data``), the second part
is left out (Score's ``conservative = TRUE``): the weights are then fixed numbers for these
customers.
"""

from __future__ import annotations

import numpy as np

from churnsurv._validation import z_quantile

__all__ = ["auc_influence", "brier_influence", "censoring_influence", "se_and_interval"]


def censoring_influence(
    time: np.ndarray, event: np.ndarray, t: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Influence of each customer on the censoring cumulative hazard.

    Returns ``(f_tau, mc_left, inv, ut)``: ``f_i(min(T_i, t))`` per customer (riskRegression's
    ``fihattau``), ``Σ_{u < T_i} dN_C(u) n / Y(u)²`` per customer (the hazard term of the
    influence at ``T_i-``), the index of each customer's time among the sorted distinct times
    ``ut``.

    Examples
    --------
    >>> f, mc, inv, ut = censoring_influence(np.array([1.0, 2, 3]), np.array([1, 0, 1], bool), 2.5)
    >>> f.round(4).tolist(), mc.round(4).tolist()
    ([0.0, 0.75, -0.75], [0.0, 0.0, 0.75])
    """
    n = time.size
    ut, inv = np.unique(time, return_inverse=True)
    inv = inv.ravel()
    count = np.bincount(inv, minlength=ut.size)
    cens = np.bincount(inv, weights=~event, minlength=ut.size)
    at_risk = n - np.concatenate(([0], np.cumsum(count)[:-1]))
    mc = np.cumsum(cens * n / at_risk.astype(float) ** 2)
    k_tau = int(np.searchsorted(ut, t, side="right")) - 1
    mc_tau = mc[k_tau] if k_tau >= 0 else 0.0
    f = np.where(
        time <= t,
        (~event) * n / at_risk[inv] - mc[inv],
        -mc_tau,
    )
    mc_left = np.concatenate(([0.0], mc))[inv]
    return f, mc_left, inv, ut


def _censoring_term(f, mc_left, inv, k, case, values, control_total):
    """``(1/n) [f_i Σ_{cases T_j > T_i} v_j - Σ_{cases T_j <= T_i} v_j mc_left_j] + f_i C / n``.

    How each customer moves the estimate through the weights ``1 / G(T_j-)`` of the cases
    (values ``v_j``) and ``1 / G(t)`` of the controls (summed values ``C``).
    """
    n = f.size
    v = np.where(case, values, 0.0)
    per_time = np.bincount(inv, weights=v, minlength=k)
    after = per_time.sum() - np.cumsum(per_time)  # strictly later distinct times
    paid = np.cumsum(np.bincount(inv, weights=v * mc_left, minlength=k))
    return (f * after[inv] - paid[inv]) / n + f * control_total / n


def brier_influence(
    time: np.ndarray,
    event: np.ndarray,
    prob: np.ndarray,
    w: np.ndarray,
    case: np.ndarray,
    ctrl: np.ndarray,
    t: float,
    censoring_fixed: bool,
    cens: tuple | None = None,
) -> np.ndarray:
    """Influence function of the IPCW Brier score at ``t`` (Score's ``IF.Brier``); ``cens``:
    :func:`censoring_influence` at ``t`` if already computed.

    Examples
    --------
    One case (weight 1), one customer censored before 2.5 (weight 0), two controls (weight
    1 / G(2.5) = 1.5), everyone predicted 0.5: the residuals are 0.25, 0, 0.375, 0.375.

    >>> time, event = np.array([1.0, 2, 3, 4]), np.array([1, 0, 1, 0], bool)
    >>> w = np.array([1.0, 0, 1.5, 1.5])
    >>> case, ctrl = np.array([1, 0, 0, 0], bool), np.array([0, 0, 1, 1], bool)
    >>> p = np.full(4, 0.5)
    >>> brier_influence(time, event, p, w, case, ctrl, 2.5, True).round(4).tolist()
    [0.0, -0.25, 0.125, 0.125]
    >>> brier_influence(time, event, p, w, case, ctrl, 2.5, False).round(4).tolist()
    [0.0, -0.0833, 0.0417, 0.0417]
    """
    y = (time <= t).astype(float)
    res = w * (y - prob) ** 2
    out = res - res.mean()
    if not censoring_fixed:
        f, mc_left, inv, ut = cens if cens is not None else censoring_influence(time, event, t)
        out += _censoring_term(f, mc_left, inv, ut.size, case, res, res[ctrl].sum())
    return out


def _comparisons(risk, w_case, w_ctrl):
    """Per customer: the control weight scored below it plus half the tied (``won``), and the
    case weight scored above it plus half the tied (``lost``); one sort, O(n log n)."""
    o = np.argsort(risk, kind="stable")
    rs = risk[o]
    first = np.flatnonzero(np.r_[True, rs[1:] != rs[:-1]])
    size = np.diff(np.r_[first, rs.size])
    run = np.repeat(np.arange(first.size), size)
    out = []
    for v in (w_ctrl[o], w_case[o]):
        per = np.add.reduceat(v, first)
        before = np.cumsum(per) - per
        out.append((before, per, per.sum() - before - per))
    (c_below, c_tied, _), (_, k_tied, k_above) = out
    won, lost = np.empty(risk.size), np.empty(risk.size)
    won[o] = (c_below + 0.5 * c_tied)[run]
    lost[o] = (k_above + 0.5 * k_tied)[run]
    return won, lost


def auc_influence(
    time: np.ndarray,
    event: np.ndarray,
    risk: np.ndarray,
    w: np.ndarray,
    case: np.ndarray,
    ctrl: np.ndarray,
    t: float,
    auc: float,
    censoring_fixed: bool,
) -> np.ndarray:
    """Influence function of the IPCW AUC at ``t`` (Score's ``IF.AUC``: ``getIC0AUC`` plus the
    Kaplan–Meier censoring term).

    Examples
    --------
    >>> time, event = np.array([1.0, 2, 3, 4]), np.array([1, 1, 0, 0], bool)
    >>> case, ctrl = time <= 2.5, time > 2.5
    >>> w = np.ones(4)
    >>> auc_influence(time, event, np.array([0.9, 0.4, 0.5, 0.3]), w, case, ctrl, 2.5, 0.75,
    ...               True).round(4).tolist()
    [0.5, -0.5, -0.5, 0.5]
    """
    n = time.size
    mu_case, mu_ctrl = float(w[case].sum()), float(w[ctrl].sum())
    mu = mu_case * mu_ctrl / n**2
    nu = auc * mu
    won, lost = _comparisons(risk, np.where(case, w, 0.0), np.where(ctrl, w, 0.0))
    num = np.where(case, w * won, np.where(ctrl, w * lost, 0.0)) / n
    den = np.where(case, w * mu_ctrl, np.where(ctrl, w * mu_case, 0.0)) / n
    out = (num * mu - den * nu) / mu**2
    if not censoring_fixed:
        f, mc_left, inv, ut = censoring_influence(time, event, t)
        k = ut.size
        if_num = _censoring_term(f, mc_left, inv, k, case, w * won, float(w[ctrl] @ lost[ctrl]))
        if_den = mu_ctrl * _censoring_term(f, mc_left, inv, k, case, w, 0.0)
        if_den += mu_case * f * mu_ctrl / n
        out += (if_num * mu - if_den * nu) / (n * mu**2)
    return out


def se_and_interval(
    influence: np.ndarray, estimate: float, conf_level: float
) -> tuple[float, float, float]:
    """``(std_err, ci_lower, ci_upper)``: ``sd(IF) / sqrt(n)`` and ``estimate ± z std_err``
    clipped to [0, 1] (riskRegression::Score's interval).

    Examples
    --------
    >>> se, lower, upper = se_and_interval(np.array([0.5, -0.5, 0.5, -0.5]), 0.8, 0.95)
    >>> round(se, 4), round(lower, 4), upper
    (0.2887, 0.2342, 1.0)
    """
    n = influence.size
    if n < 2 or not np.isfinite(estimate):
        return float("nan"), float("nan"), float("nan")
    se = float(np.std(influence, ddof=1) / np.sqrt(n))
    z = z_quantile(conf_level)
    lower, upper = np.clip([estimate - z * se, estimate + z * se], 0.0, 1.0)
    return se, float(lower), float(upper)
