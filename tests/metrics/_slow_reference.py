"""The straightforward per-customer implementations of the IPCW AUC / Brier influence functions
that churnsurv used before the speed work of issue 13 (checked then against riskRegression::Score
to 1e-10 on tests/reference/riskregression_score.json). Kept here as the reference path the fast
table-based code in churnsurv/metrics/influence.py is compared with on random data: every array
is per customer, nothing is shared between horizons, searches are plain ``np.searchsorted``.
"""

from __future__ import annotations

import numpy as np


def reverse_km(time, event):
    """prodlim's reverse Kaplan–Meier: distinct times and G just after each."""
    ut, inv = np.unique(time, return_inverse=True)
    d = np.bincount(inv, weights=event, minlength=ut.size)
    c = np.bincount(inv, weights=~event, minlength=ut.size)
    at_risk = time.size - np.concatenate(([0], np.cumsum(d + c)[:-1]))
    factor = np.ones_like(ut)
    ok = at_risk - d > 0
    factor[ok] = 1.0 - c[ok] / (at_risk - d)[ok]
    return ut, np.cumprod(factor)


def weights(time, event, t, g_times, g_surv):
    case, ctrl = event & (time <= t), time > t
    surv = np.concatenate(([1.0], g_surv))
    w = np.zeros(time.size)
    w[case] = 1.0 / surv[np.searchsorted(g_times, time[case], side="left")]
    w[ctrl] = 1.0 / surv[np.searchsorted(g_times, t, side="right")]
    return w, case, ctrl


def censoring_influence(time, event, t):
    n = time.size
    ut, inv = np.unique(time, return_inverse=True)
    count = np.bincount(inv, minlength=ut.size)
    cens = np.bincount(inv, weights=~event, minlength=ut.size)
    at_risk = n - np.concatenate(([0], np.cumsum(count)[:-1]))
    mc = np.cumsum(cens * n / at_risk.astype(float) ** 2)
    k_tau = int(np.searchsorted(ut, t, side="right")) - 1
    mc_tau = mc[k_tau] if k_tau >= 0 else 0.0
    f = np.where(time <= t, (~event) * n / at_risk[inv] - mc[inv], -mc_tau)
    return f, np.concatenate(([0.0], mc))[inv], inv, ut


def censoring_term(f, mc_left, inv, k, case, values, control_total):
    n = f.size
    v = np.where(case, values, 0.0)
    per_time = np.bincount(inv, weights=v, minlength=k)
    after = per_time.sum() - np.cumsum(per_time)
    paid = np.cumsum(np.bincount(inv, weights=v * mc_left, minlength=k))
    return (f * after[inv] - paid[inv]) / n + f * control_total / n


def auc_and_se(time, event, risk, t, g_times, g_surv, censoring_fixed=False):
    """AUC(t) (two binary searches per case) and sd(IF) / sqrt(n)."""
    n = time.size
    w, case, ctrl = weights(time, event, t, g_times, g_surv)
    rc = np.sort(risk[ctrl])
    less = np.searchsorted(rc, risk[case], side="left")
    eq = np.searchsorted(rc, risk[case], side="right") - less
    auc = float(np.sum(w[case] * (less + 0.5 * eq)) / (np.sum(w[case]) * rc.size))
    won, lost = np.zeros(n), np.zeros(n)
    ctrl_w, case_w = np.where(ctrl, w, 0.0), np.where(case, w, 0.0)
    for i in range(n):  # per customer, O(n^2): the definition itself
        won[i] = ctrl_w[risk < risk[i]].sum() + 0.5 * ctrl_w[risk == risk[i]].sum()
        lost[i] = case_w[risk > risk[i]].sum() + 0.5 * case_w[risk == risk[i]].sum()
    mu_case, mu_ctrl = float(w[case].sum()), float(w[ctrl].sum())
    mu = mu_case * mu_ctrl / n**2
    nu = auc * mu
    num = np.where(case, w * won, np.where(ctrl, w * lost, 0.0)) / n
    den = np.where(case, w * mu_ctrl, np.where(ctrl, w * mu_case, 0.0)) / n
    out = (num * mu - den * nu) / mu**2
    if not censoring_fixed:
        f, mc_left, inv, ut = censoring_influence(time, event, t)
        k = ut.size
        if_num = censoring_term(f, mc_left, inv, k, case, w * won, float(w[ctrl] @ lost[ctrl]))
        if_den = mu_ctrl * censoring_term(f, mc_left, inv, k, case, w, 0.0)
        if_den += mu_case * f * mu_ctrl / n
        out += (if_num * mu - if_den * nu) / (n * mu**2)
    return auc, float(np.std(out, ddof=1) / np.sqrt(n))


def brier_and_se(time, event, prob, t, g_times, g_surv, censoring_fixed=False):
    w, case, ctrl = weights(time, event, t, g_times, g_surv)
    res = w * ((time <= t) - prob) ** 2
    out = res - res.mean()
    if not censoring_fixed:
        f, mc_left, inv, ut = censoring_influence(time, event, t)
        out += censoring_term(f, mc_left, inv, ut.size, case, res, res[ctrl].sum())
    return float(res.mean()), float(np.std(out, ddof=1) / np.sqrt(time.size))
