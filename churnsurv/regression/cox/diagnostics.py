"""Proportional-hazards diagnostics of a fitted Cox model: functions of its
:class:`~.fitted.CoxFit`.

The ``cox.zph`` score test per term and globally, and scaled Schoenfeld residuals with the
panels their plot draws. The numerical work is in :mod:`churnsurv.regression.cox.likelihood`;
:class:`~churnsurv.CoxModel` exposes these as methods (and turns a violation into one warning).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv._validation import check_choice
from churnsurv.regression.cox import likelihood as core
from churnsurv.regression.cox.fitted import CoxFit, CoxTraining

__all__ = ["TRANSFORMS", "schoenfeld_panels", "schoenfeld_residuals", "time_transform", "zph"]

TRANSFORMS = ("km", "rank", "identity", "log")


def time_transform(train: CoxTraining, transform: str) -> Callable[[np.ndarray], np.ndarray]:
    """The time scale ``g(t)`` of the PH test, as a function of event times (R ``cox.zph``).

    As R ``survival`` 3.x computes ``zph$x`` (``R/cox.zph.R``):

    * ``"km"``: ``1 - KM(t-)``, the left-continuous Kaplan-Meier of all rows (counting process
      with entry times), **without** the case weights: R calls ``survfitKM`` without them, so a
      weighted fit's test uses the unweighted curve (the weights do enter the test statistic;
      ``tests/reference/coxzph.json``, ``km_transform_check``);
    * ``"rank"``: ``rank(y[, ny - 1])``, the rank of the time among the follow-up (stop) times of
      **all** rows, censored ones included, ties averaged -- not among the event times only;
    * ``"identity"``: ``t``; ``"log"``: ``log t``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> g = time_transform(cs.CoxModel("Contract").fit(data).fit_state_.train, "km")
    >>> round(float(g(1.0)), 4)
    0.0
    >>> float(time_transform(cs.CoxModel("Contract").fit(data).fit_state_.train, "rank")(1.0))
    318.0
    """
    check_choice("transform", transform, TRANSFORMS)
    if transform == "identity":
        return lambda t: np.asarray(t, float)
    if transform == "log":
        return lambda t: np.log(np.asarray(t, float))
    if transform == "rank":  # average rank among all rows' times (R: rank(y[, ny - 1]))
        all_t = np.sort(train.time)
        return lambda t: (
            (np.searchsorted(all_t, t, "left") + np.searchsorted(all_t, t, "right") + 1) / 2
        )
    P = core.pairs(
        np.zeros((len(train.time), 1)),
        train.time,
        train.event,
        np.ones(len(train.time)),  # R's km transform ignores the case weights
        np.zeros(1),
        entry=train.entry,
        ties="breslow",
    )[0]
    q = np.bincount(P.k, P.dbar / P.den, P.times.size)  # d_k / n_k
    km_left = np.r_[1.0, np.cumprod(1 - q)]  # S(t-) = product over event times < t
    return lambda t: 1 - km_left[np.searchsorted(P.times, t, side="left")]


def zph(fit: CoxFit, transform: str = "km") -> pd.DataFrame:
    """``cox.zph`` score tests: rows are terms then ``GLOBAL``; ``chisq``, ``df``, ``p_value``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> zph(cs.CoxModel("gender").fit(data).fit_state_).round(3).loc["GLOBAL"].tolist()
    [1.826, 1.0, 0.177]
    """
    g_of_time = time_transform(fit.train, transform)
    names = list(fit.design.terms)
    chisq, glob = fit.train.call(
        core.zph_test, fit.beta, g_of_time, [fit.design.terms[t] for t in names]
    )
    dfs = [len(fit.design.terms[t]) for t in names] + [len(fit.params)]
    out = pd.DataFrame(
        {"chisq": np.r_[chisq, glob], "df": dfs},
        index=pd.Index(names + ["GLOBAL"], name="term"),
    )
    out["p_value"] = stats.chi2.sf(out["chisq"], out["df"])
    out.attrs["transform"] = transform
    return out


def schoenfeld_residuals(
    fit: CoxFit, *, scaled: bool = True, transform: str = "km"
) -> pd.DataFrame:
    """Scaled (or raw) Schoenfeld residuals, one row per churn event, with ``time`` and ``g``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> schoenfeld_residuals(cs.CoxModel("SeniorCitizen").fit(data).fit_state_).shape
    (1869, 3)
    """
    res, times, rows = fit.train.call(core.schoenfeld, fit.beta)
    if scaled:
        hess = fit.train.risk_sets().evaluate(fit.beta)[2]
        res = fit.beta + len(res) * res @ np.linalg.inv(-hess)
    out = pd.DataFrame(res, columns=fit.design.columns)
    out["time"] = times
    out["g"] = time_transform(fit.train, transform)(times)
    out.index = pd.Index(np.asarray(fit.train.index)[rows], name="id")
    return out


def schoenfeld_panels(fit: CoxFit, residuals: pd.DataFrame, terms: list[str]) -> list[tuple]:
    """(label, g, residuals, lowess smooth, log-HR) per term, for the Schoenfeld plot.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> fit = cs.CoxModel("SeniorCitizen").fit(data).fit_state_
    >>> panels = schoenfeld_panels(fit, schoenfeld_residuals(fit), ["SeniorCitizen"])
    >>> panels[0][0], panels[0][3].shape[1]
    ('SeniorCitizen', 2)
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess

    panels = []
    for t in terms:
        if t not in residuals.columns:
            raise ValueError(f"term {t!r} is not in the model; terms: {fit.design.columns}")
        g, r = residuals["g"].to_numpy(), residuals[t].to_numpy()
        smooth = lowess(r, g, frac=2 / 3, it=0)
        panels.append((fit.design.label(t), g, r, smooth, float(fit.params[t])))
    return panels
