"""Cumulative/dynamic time-dependent AUC with IPCW (Uno et al. 2007; Blanche et al. 2013).

At a horizon ``t`` cases are customers who churned by ``t`` (weight ``1 / G(time-)``) and
controls those still customers after ``t`` (weight ``1 / G(t)``); censored-before-``t``
customers are left out by weight 0. ``AUC(t)`` is the weighted share of case–control pairs in
which the case has the higher score, score ties counting 1/2. These are riskRegression::Score's
conventions (``metrics = "auc"``, ``cens.model = "km"``), reproduced to 1e-15 in the tests.

Counting is O(n log n): one sort of the scores, then cumulative sums over it (controls share
one weight, so each case needs only the number of controls scored below and tied with it). The
sort is reused across horizons while it still sorts the next column, and everything that depends
on a customer only through its (distinct time, churned) pair -- weights, the censoring part of
the influence function -- is computed once per pair (:mod:`churnsurv.metrics.influence`): a
million customers at one horizon cost a few passes over the data besides the sort.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._render import Result
from churnsurv._typing import ArrayLike
from churnsurv._validation import check_conf_level
from churnsurv.metrics.influence import auc_influence, se_and_interval
from churnsurv.metrics.ipcw import (
    CensoringSurvival,
    TimeIndex,
    as_risk_matrix,
    censoring_survival,
    check_horizons,
    check_survival_outcome,
    ipcw_table,
    kaplan_meier_at,
)

__all__ = ["TimeDependentAUC", "time_dependent_auc"]


class TimeDependentAUC(Result):
    """Time-dependent AUC per horizon (``summary``) and its mean over the horizons.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per horizon: ``time``, ``auc``, ``std_err``, ``ci_lower``, ``ci_upper`` (at
        ``.attrs["conf_level"]``), ``n_cases``, ``n_controls``. ``auc`` is NaN at a horizon
        without cases (no churn yet) — the AUC is not defined there.
    mean_auc : float
        Mean AUC over the horizons, weighted by the Kaplan–Meier churn probability mass
        between them (scikit-survival's ``cumulative_dynamic_auc`` definition).
    censoring_source : str
        Which data the censoring distribution came from.
    """

    _title = "Time-dependent AUC (cumulative cases / dynamic controls, IPCW)"

    def __init__(self, summary: pd.DataFrame, mean_auc: float, censoring_source: str) -> None:
        self.summary = summary
        self.mean_auc = mean_auc
        self.censoring_source = censoring_source

    def _note(self) -> str:
        return (
            f"mean AUC {self.mean_auc:.4g}; censoring distribution: reverse Kaplan–Meier of "
            f"the {self.censoring_source}."
        )


def auc_values(
    time: np.ndarray,
    event: np.ndarray,
    risk: np.ndarray,
    times: np.ndarray,
    censoring: CensoringSurvival,
    *,
    conf_level: float = 0.95,
    censoring_fixed: bool = False,
) -> dict[str, np.ndarray]:
    """AUC, its standard error and interval, number of cases and of controls at each horizon
    (checked inputs; private use). ``censoring_fixed``: ``G`` came from other customers, so its
    estimation is left out of the standard error (:mod:`churnsurv.metrics.influence`).

    The distinct times are found once for all horizons, and the sort of the scores is reused
    from one horizon to the next while it still sorts them (the same ranking at every horizon,
    as a proportional hazards model gives)."""
    out = {k: np.full(times.size, np.nan) for k in ("auc", "std_err", "ci_lower", "ci_upper")}
    out["n_cases"] = np.empty(times.size, dtype=int)
    out["n_controls"] = np.empty(times.size, dtype=int)
    index = TimeIndex(time, event)
    order = key_sorted = None
    for k, t in enumerate(times):
        table = ipcw_table(index, float(t), censoring)
        out["n_cases"][k], out["n_controls"][k] = table.n_cases, table.n_controls
        auc, infl, order, key_sorted = auc_influence(
            index, risk[:, k], table, censoring_fixed, order=order, key_sorted=key_sorted
        )
        out["auc"][k] = auc
        if np.isfinite(auc):
            se, lo, hi = se_and_interval(infl, auc, conf_level)
            out["std_err"][k], out["ci_lower"][k], out["ci_upper"][k] = se, lo, hi
    return out


def time_dependent_auc(
    time: ArrayLike,
    event: ArrayLike,
    risk: ArrayLike,
    times: ArrayLike,
    *,
    censoring: CensoringSurvival | None = None,
    conf_level: float = 0.95,
) -> TimeDependentAUC:
    """Cumulative/dynamic AUC(t) at each horizon, with inverse probability of censoring weights.

    Parameters
    ----------
    time, event : array-like
        Observed tenure and churn indicator (1 = churned) of the evaluation customers.
    risk : array-like
        Scores, higher = more likely to churn: one value per customer (used at every horizon,
        e.g. a linear predictor or a classifier's score) or an ``n × len(times)`` matrix such
        as predicted ``P(churn <= t)``.
    times : array-like
        Increasing horizons, each before the largest observed time.
    censoring : CensoringSurvival, optional
        The censoring distribution, e.g. ``censoring_survival(train_time, train_event,
        source="training data")``. Default: estimated from these customers.
    conf_level : float, default 0.95
        Level of the confidence interval of each AUC.

    Returns
    -------
    TimeDependentAUC

    Raises
    ------
    DataValidationError
        A horizon at or beyond the end of follow-up, or where the censoring distribution is 0.

    Notes
    -----
    Ties: a churn at exactly ``t`` is a case; a censoring at exactly ``t`` is left out;
    churns tied with censorings leave the censoring risk set first (prodlim); equal scores
    count 1/2. The largest observed time may be censored. A horizon with no churn up to it
    gives ``auc = NaN`` (not an error: other horizons may still be defined).

    Standard errors are riskRegression::Score's (``se.fit = TRUE``, ``cens.model = "km"``):
    ``sd`` of the influence function over ``sqrt(n)``, including the estimation of ``G`` when
    it is estimated here; with a ``censoring`` from other customers ``G`` is taken as fixed
    (Score's ``conservative = TRUE``). The interval is ``auc ± z std_err`` clipped to [0, 1]
    (:mod:`churnsurv.metrics.influence`).

    Examples
    --------
    Two churns by 2.5 (scores 0.9, 0.4) against three customers still active (0.5, 0.3, 0.1):
    5 of the 6 pairs are ranked right.

    >>> res = time_dependent_auc([1, 2, 3, 4, 5], [1, 1, 0, 1, 0], [0.9, 0.4, 0.5, 0.3, 0.1], 2.5)
    >>> round(float(res.summary["auc"].iloc[0]), 4)
    0.8333
    """
    t, e = check_survival_outcome(time, event)
    h = check_horizons(times, t)
    r = as_risk_matrix(risk, t.size, h.size)
    conf = check_conf_level(conf_level)
    g = censoring if censoring is not None else censoring_survival(t, e)
    v = auc_values(t, e, r, h, g, conf_level=conf, censoring_fixed=censoring is not None)
    auc = v["auc"]
    s = kaplan_meier_at(t, e, h)
    d = -np.diff(np.concatenate(([1.0], s)))
    ok = np.isfinite(auc)
    mass = float(d[ok].sum())
    mean = float(np.sum(auc[ok] * d[ok]) / mass) if mass > 0 else float("nan")
    cols = ["auc", "std_err", "ci_lower", "ci_upper", "n_cases", "n_controls"]
    summary = pd.DataFrame({"time": h, **{c: v[c] for c in cols}})
    summary.attrs["conf_level"] = conf
    return TimeDependentAUC(summary, mean, g.source)
