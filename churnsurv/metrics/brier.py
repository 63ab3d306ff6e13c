"""IPCW Brier score at a horizon (Graf et al. 1999), the integrated Brier score, and the
Kaplan–Meier null model beside them.

``Brier(t) = (1/n) Σ_i w_i (1{time_i <= t} - p_i(t))²`` over all ``n`` evaluation customers,
with the weights of :mod:`churnsurv.metrics.ipcw` (customers censored at or before ``t`` add 0
but stay in ``n``) and ``p_i(t)`` the predicted ``P(churn <= t)``. The null model predicts
``1 - KM(t)`` of the evaluation data for everyone; ``IPA = 1 - Brier(model) / Brier(null)``
(Kattan & Gerds 2018) is positive when the model beats knowing nothing. These are
riskRegression::Score's conventions (``metrics = "brier"``, ``null.model = TRUE``,
``summary = c("ipa", "ibs")``), reproduced to 1e-15 in the tests.

The integrated Brier score up to ``τ`` follows Score's ``summary = "ibs"``: the left-point step
integral ``(1/τ) Σ_k Brier(t_k) (t_{k+1} - t_k)`` over the grid ``0 = t_0 < t_1 < ... < τ`` with
``Brier(0) = 0``; pass a fine grid (every distinct churn time) for the integral, the horizons for
Score's number. scikit-survival's ``integrated_brier_score`` uses the trapezoid rule on
``[t_1, τ]`` instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._render import Result
from churnsurv._typing import ArrayLike
from churnsurv._validation import check_conf_level
from churnsurv.metrics.influence import brier_influence, se_and_interval
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

__all__ = ["BrierScore", "brier_score"]


class BrierScore(Result):
    """Brier score per horizon with the Kaplan–Meier null model and IPA.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per horizon: ``time``, ``brier`` with its ``std_err``, ``ci_lower``,
        ``ci_upper`` (at ``.attrs["conf_level"]``), ``null_brier`` with
        ``null_brier_std_err``, ``ipa``, ``ibs``, ``null_ibs`` (integrated Brier score from 0
        to that horizon over the given grid).
    censoring_source : str
        Which data the censoring distribution came from.
    """

    _title = "Brier score (IPCW) with the Kaplan–Meier null model"

    def __init__(self, summary: pd.DataFrame, censoring_source: str) -> None:
        self.summary = summary
        self.censoring_source = censoring_source

    def _note(self) -> str:
        return (
            "null model: 1 - KM(t) of the evaluation data for everyone; ipa = 1 - brier / "
            f"null_brier. Censoring distribution: reverse Kaplan–Meier of the "
            f"{self.censoring_source}."
        )


def brier_values(
    time: np.ndarray,
    event: np.ndarray,
    prob: np.ndarray,
    times: np.ndarray,
    censoring: CensoringSurvival,
    *,
    conf_level: float = 0.95,
    censoring_fixed: bool = False,
) -> dict[str, np.ndarray]:
    """Brier score of the predictions (with standard error and interval) and of the KM null
    model (with standard error) at each horizon (private use); ``censoring_fixed`` as in
    :func:`churnsurv.metrics.td_auc.auc_values`."""
    null_risk = 1.0 - kaplan_meier_at(time, event, times)
    keys = ("brier", "std_err", "ci_lower", "ci_upper", "null_brier", "null_std_err")
    out = {k: np.empty(times.size) for k in keys}
    index = TimeIndex(time, event)  # distinct times found once for all horizons
    for k, t in enumerate(times):
        table = ipcw_table(index, float(t), censoring)
        brier, infl = brier_influence(index, prob[:, k], table, censoring_fixed)
        se, lo, hi = se_and_interval(infl, brier, conf_level)
        out["brier"][k], out["std_err"][k], out["ci_lower"][k], out["ci_upper"][k] = (
            brier,
            se,
            lo,
            hi,
        )
        null, infl = brier_influence(index, float(null_risk[k]), table, censoring_fixed)
        out["null_brier"][k] = null
        out["null_std_err"][k] = se_and_interval(infl, null, conf_level)[0]
    return out


def integrate_steps(times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Score's IBS at each grid point: ``(1/t_k) ∫_0^{t_k}`` of the left-point step function.

    Examples
    --------
    >>> integrate_steps(np.array([1.0, 3.0]), np.array([0.1, 0.2])).tolist()
    [0.0, 0.06666666666666667]
    """
    x = np.concatenate(([0.0], times))
    y = np.concatenate(([0.0], values))
    cum = np.concatenate(([0.0], np.cumsum(y[:-1] * np.diff(x))))
    return cum[1:] / times


def brier_score(
    time: ArrayLike,
    event: ArrayLike,
    churn_probability: ArrayLike,
    times: ArrayLike,
    *,
    censoring: CensoringSurvival | None = None,
    conf_level: float = 0.95,
) -> BrierScore:
    """IPCW Brier score at each horizon, integrated Brier score, and the KM null model.

    Parameters
    ----------
    time, event : array-like
        Observed tenure and churn indicator (1 = churned) of the evaluation customers.
    churn_probability : array-like
        Predicted ``P(churn <= t)`` (from signup): an ``n × len(times)`` matrix, or one
        column used at every horizon. Survival probabilities ``S(t)`` must be passed as
        ``1 - S(t)``.
    times : array-like
        Increasing horizons, each before the largest observed time; also the grid of the
        integrated Brier score.
    censoring : CensoringSurvival, optional
        Censoring distribution (default: estimated from these customers).
    conf_level : float, default 0.95
        Level of the confidence interval of each Brier score.

    Returns
    -------
    BrierScore

    Raises
    ------
    DataValidationError
        Probabilities outside [0, 1], a horizon at or beyond the end of follow-up, or a
        censoring distribution that is 0 at a horizon.

    Notes
    -----
    A horizon before any churn is fine: everyone observed past it is a control. The largest
    observed time may be censored (see :mod:`churnsurv.metrics.ipcw`).

    Standard errors (of the model's and of the null model's Brier score) are
    riskRegression::Score's (``se.fit = TRUE``, ``cens.model = "km"``), with ``G`` taken as
    fixed when it comes from other customers (:mod:`churnsurv.metrics.influence`); the interval
    is ``brier ± z std_err`` clipped to [0, 1].

    Examples
    --------
    >>> res = brier_score([1, 2, 3, 4], [1, 0, 1, 0], [0.6, 0.3, 0.4, 0.2], [2.5])
    >>> res.summary[["brier", "null_brier"]].round(4).values.tolist()
    [[0.115, 0.1875]]
    """
    t, e = check_survival_outcome(time, event)
    h = check_horizons(times, t)
    p = as_risk_matrix(churn_probability, t.size, h.size, name="churn_probability")
    outside = (p < 0) | (p > 1)
    if outside.any():
        from churnsurv.exceptions import DataValidationError

        raise DataValidationError(
            f"churn_probability: {int(outside.any(axis=1).sum())} row(s) outside [0, 1]; pass "
            "probabilities of churn by each horizon (scores belong in time_dependent_auc).",
            column="churn_probability",
            rule="not a probability",
        )
    conf = check_conf_level(conf_level)
    g = censoring if censoring is not None else censoring_survival(t, e)
    v = brier_values(t, e, p, h, g, conf_level=conf, censoring_fixed=censoring is not None)
    model, null = v["brier"], v["null_brier"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ipa = np.where(null > 0, 1.0 - model / null, np.nan)
    summary = pd.DataFrame(
        {
            "time": h,
            "brier": model,
            "std_err": v["std_err"],
            "ci_lower": v["ci_lower"],
            "ci_upper": v["ci_upper"],
            "null_brier": null,
            "null_brier_std_err": v["null_std_err"],
            "ipa": ipa,
            "ibs": integrate_steps(h, model),
            "null_ibs": integrate_steps(h, null),
        }
    )
    summary.attrs["conf_level"] = conf
    return BrierScore(summary, g.source)
