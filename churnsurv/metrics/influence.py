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

A customer's weight, case / control flag, ``f_i`` and hazard term depend on it only through its
(distinct time, churned) pair (:class:`~churnsurv.metrics.ipcw.TimeIndex`), so they, and the
whole censoring part of each influence function, are tables of that size looked up through one
integer key per customer; only the score-dependent comparisons and residuals are per customer.

When the censoring distribution comes from *other* customers (``train_data``), the second part
is left out (Score's ``conservative = TRUE``): the weights are then fixed numbers for these
customers.
"""

from __future__ import annotations

import numpy as np

from churnsurv._validation import z_quantile
from churnsurv.metrics.ipcw import IpcwTable, TimeIndex

__all__ = [
    "auc_influence",
    "brier_influence",
    "censoring_tables",
    "se_and_interval",
    "sort_order",
]


def censoring_tables(
    index: TimeIndex, t: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Influence of each customer on the censoring cumulative hazard, per (distinct time,
    churned) pair.

    Returns ``(f, mc_left, inv, ut)``: ``f_i(min(T_i, t))`` (riskRegression's ``fihattau``) by
    ``index.key``, ``Σ_{u < T_i} dN_C(u) n / Y(u)²`` (the hazard term of the influence at
    ``T_i-``) by the index of the customer's time, and the customers' time indexes and the
    sorted distinct times ``ut``.

    Examples
    --------
    >>> ix = TimeIndex(np.array([1.0, 2, 3]), np.array([1, 0, 1], bool))
    >>> f, mc_left, _, _ = censoring_tables(ix, 2.5)
    >>> f.round(4).tolist(), mc_left.round(4).tolist()
    ([1.0, 0.0, 0.75, -0.75, -0.75, -0.75], [0.0, 0.0, 0.75, 0.75])
    """
    n, ut, at_risk = index.n, index.ut, index.at_risk
    mc = np.cumsum(index.censored * n / at_risk.astype(float) ** 2)
    k_tau = int(np.searchsorted(ut, t, side="right")) - 1
    mc_tau = mc[k_tau] if k_tau >= 0 else 0.0
    before = ut <= t
    table = np.empty((ut.size, 2))  # by (time index, churned)
    table[:, 0] = np.where(before, n / at_risk - mc, -mc_tau)
    table[:, 1] = np.where(before, 0.0 - mc, -mc_tau)
    return table.ravel(), np.concatenate(([0.0], mc)), index.inv, ut


def _censoring_table(index, t, case, per_key, control_total):
    """The censoring part of an influence function per (distinct time, churned) pair: for a
    customer with time index ``j`` and ``f = f_i(min(T_i, t))``,
    ``(1/n) [f Σ_{cases T_l > T_j} v_l - Σ_{cases T_l <= T_j} v_l mc_left_l] + f C / n``.

    How each customer moves the estimate through the weights ``1 / G(T_l-)`` of the cases
    (values ``v_l``, summed per pair in ``per_key``) and ``1 / G(t)`` of the controls (summed
    values ``C``). Every term depends on the customer only through its pair, so the whole
    term is a table indexed by :attr:`TimeIndex.key`.
    """
    f, mc_left, _, ut = censoring_tables(index, t)
    k, n = ut.size, index.n
    per_time = np.where(case, per_key, 0.0).reshape(k, 2).sum(axis=1)
    after = per_time.sum() - np.cumsum(per_time)  # strictly later distinct times
    paid = np.cumsum(per_time * mc_left[:k])
    j = np.arange(2 * k) >> 1
    return (f * after[j] - paid[j]) / n + f * control_total / n


def brier_influence(
    index: TimeIndex, prob: np.ndarray | float, table: IpcwTable, censoring_fixed: bool
) -> tuple[float, np.ndarray]:
    """The IPCW Brier score at ``table.t`` and its influence function (Score's ``IF.Brier``).

    ``prob``: each customer's predicted ``P(churn <= t)``, or one number for everyone (the
    null model). A customer's weight, outcome and censoring influence depend only on its
    (distinct time, churned) pair, so they are tables indexed by ``index.key``; with one
    prediction for everyone the whole influence function is.

    Examples
    --------
    One case (weight 1), one customer censored before 2.5 (weight 0), two controls (weight
    1 / G(2.5) = 1.5), everyone predicted 0.5: the residuals are 0.25, 0, 0.375, 0.375.

    >>> from churnsurv.metrics.ipcw import censoring_survival, ipcw_table
    >>> ix = TimeIndex(np.array([1.0, 2, 3, 4]), np.array([1, 0, 1, 0], bool))
    >>> tab = ipcw_table(ix, 2.5, censoring_survival(ix.time, ix.event))
    >>> tab.w[ix.key].tolist()
    [1.0, 0.0, 1.5, 1.5]
    >>> brier, infl = brier_influence(ix, np.full(4, 0.5), tab, True)
    >>> brier, infl.round(4).tolist()
    (0.25, [0.0, -0.25, 0.125, 0.125])
    >>> brier_influence(ix, 0.5, tab, False)[1].round(4).tolist()
    [0.0, -0.0833, 0.0417, 0.0417]
    """
    key, n = index.key, index.n
    y = np.repeat(index.ut <= table.t, 2).astype(float)
    if np.ndim(prob) == 0:
        res_tab = table.w * (y - prob) ** 2
        per_key = index.key_count * res_tab
        brier = float(per_key.sum() / n)
        tab = res_tab - brier
    else:
        res = table.w[key] * (y[key] - prob) ** 2
        brier = float(np.mean(res))
        per_key = np.bincount(key, res, y.size)
        tab = np.zeros(y.size)
    if not censoring_fixed:
        tab = tab + _censoring_table(index, table.t, table.case, per_key, per_key[table.ctrl].sum())
    out = tab[key] if np.ndim(prob) == 0 else res - brier + tab[key]
    return brier, out


def sort_order(x: np.ndarray, order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A permutation sorting ``x`` and ``x`` sorted by it: ``order`` itself when it still sorts
    ``x`` (a proportional hazards model ranks customers the same at every horizon, so one sort
    serves all its columns), ``order`` refined by a stable sort when it nearly does (ties of the
    previous column broken in this one), else a fresh ``argsort``. Any sorting permutation
    serves: tied values are always handled as a group.

    Examples
    --------
    >>> o, xs = sort_order(np.array([0.3, 0.1, 0.2]))
    >>> o.tolist(), sort_order(np.array([3.0, 1.0, 2.0]), o)[0] is o
    ([1, 2, 0], True)
    >>> sort_order(np.array([0.1, 0.3, 0.2]), o)[0].tolist()
    [0, 2, 1]
    """
    if order is not None:
        xs = x[order]
        descents = np.count_nonzero(xs[1:] < xs[:-1])
        if descents == 0:
            return order, xs
        if descents < xs.size // 100:  # nearly sorted: a merge sort finishes it in ~O(n)
            fix = np.argsort(xs, kind="stable")
            return order[fix], xs[fix]
    order = np.argsort(x)
    return order, x[order]


def _runs(sorted_values):
    """Start and end (exclusive) of each run of equal values, and each element's run."""
    n = sorted_values.size
    start = np.empty(n, bool)
    start[:1] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=start[1:])
    first = np.flatnonzero(start)
    return first, np.append(first[1:], n), np.cumsum(start) - 1


def auc_influence(
    index: TimeIndex,
    risk: np.ndarray,
    table: IpcwTable,
    censoring_fixed: bool,
    *,
    order: np.ndarray | None = None,
    key_sorted: np.ndarray | None = None,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The IPCW AUC at ``table.t`` and its influence function (Score's ``IF.AUC``:
    ``getIC0AUC`` plus the Kaplan–Meier censoring term).

    The customers are sorted by score once (``order``, reused while it still sorts ``risk``:
    :func:`sort_order`) and everything else is computed in that order: each customer's
    weight, case / control flag and censoring influence depend only on its (distinct time,
    churned) pair ``index.key``, so they are looked up in tables of that size through
    ``key_sorted = index.key[order]`` (pass both back for the next horizon). Per customer:
    the controls scored below it plus half the tied (``won``, controls all weigh
    ``1 / G(t)``), and the case weight scored above it plus half the tied (``lost``), by
    cumulative sums over the runs of equal scores. The AUC is
    ``Σ_cases w_i won_i / (Σ_cases w_i × controls)``; the influence function is
    ``(w_i won_i + w_i lost_i) / (n μ)`` plus a table of the customer's pair.

    Returns ``(auc, influence, order, key_sorted)``, the influence function in the sorted
    order (its standard deviation is all that is used). ``auc`` is NaN without cases or
    controls.

    Examples
    --------
    >>> from churnsurv.metrics.ipcw import censoring_survival, ipcw_table
    >>> ix = TimeIndex(np.array([1.0, 2, 3, 4]), np.array([1, 1, 0, 0], bool))
    >>> tab = ipcw_table(ix, 2.5, censoring_survival(ix.time, ix.event))
    >>> auc, infl, order, _ = auc_influence(ix, np.array([0.9, 0.4, 0.5, 0.3]), tab, True)
    >>> auc, order.tolist(), infl.round(4).tolist()
    (0.75, [3, 1, 2, 0], [0.5, -0.5, -0.5, 0.5])
    """
    n = index.n
    o, rs = sort_order(risk, order)
    if key_sorted is None or o is not order:
        key_sorted = index.key[o]
    if table.n_cases == 0 or table.n_controls == 0:
        return float("nan"), np.full(n, np.nan), o, key_sorted
    w_case = np.where(table.case, table.w, 0.0)  # per pair
    w_ctrl = np.where(table.ctrl, table.w, 0.0)
    wk = w_case[key_sorted]
    ctrl = table.ctrl[key_sorted]
    cc = np.cumsum(ctrl)
    ck = np.cumsum(wk)
    mu_case, n_ctrl = float(wk.sum()), table.n_controls  # pairwise sums: exact to ~1e-16
    first, end, run = _runs(rs)
    if first.size == n:  # no tied scores
        won_count, lost = cc - ctrl, ck[-1] - ck
    else:
        c0 = np.concatenate(([0], cc))
        k0 = np.concatenate(([0.0], ck))
        won_count = (c0[first] + 0.5 * (c0[end] - c0[first]))[run]
        lost = ((k0[-1] - k0[end]) + 0.5 * (k0[end] - k0[first]))[run]
    auc = float(np.sum(wk * won_count)) / (mu_case * n_ctrl)
    g_weight = table.control_weight
    mu_ctrl = g_weight * n_ctrl
    mu = mu_case * mu_ctrl / n**2
    nu = auc * mu
    v_case = wk * (won_count * g_weight)  # cases: w_i won_i
    lost *= g_weight * ctrl  # controls: w_i lost_i
    # per pair: the denominator part of Score's IC0 (and below, the censoring part)
    tab = -(w_case * mu_ctrl + w_ctrl * mu_case) / n * nu / mu**2
    if not censoring_fixed:
        pairs = 2 * index.ut.size
        per_key = np.bincount(key_sorted, v_case, pairs)
        if_num = _censoring_table(index, table.t, table.case, per_key, float(lost.sum()))
        f = censoring_tables(index, table.t)[0]
        if_den = mu_ctrl * _censoring_table(
            index, table.t, table.case, index.key_count * w_case, 0.0
        )
        if_den += mu_case * f * mu_ctrl / n
        tab += (if_num * mu - if_den * nu) / (n * mu**2)
    out = (v_case + lost) / (n * mu)
    out += tab[key_sorted]
    return auc, out, o, key_sorted


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
