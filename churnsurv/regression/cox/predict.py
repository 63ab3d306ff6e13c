"""Predictions of a fitted Cox model: functions of its :class:`~.fitted.CoxFit`.

Survival curves (conditional on the tenure already reached, or from signup), restricted expected
lifetimes and the rows drawn by partial-effect plots, all from the Breslow baseline hazard and
the linear predictor. :class:`~churnsurv.CoxModel` exposes them as methods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._validation import check_horizon
from churnsurv.regression.cox.fitted import CoxFit
from churnsurv.regression.design import customer_rows, survival_frame

__all__ = ["expected_lifetime", "survival", "typical_rows"]

#: Cells (customers x times) computed at once: a block that stays in cache.
_CHUNK_CELLS = 1 << 18
#: Cells (customers x baseline jumps) of one block of expected lifetimes, to bound memory.
_LIFETIME_CELLS = 4_000_000


def survival(fit: CoxFit, data, times=None, *, conditional: bool = True) -> pd.DataFrame:
    """Customers x times survival (see :meth:`churnsurv.CoxModel.predict_survival`).

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> cox = cs.CoxModel("Contract").fit(data)
    >>> survival(cox.fit_state_, data.frame.head(1), [1], conditional=False).round(3).values
    array([[0.911]])
    """
    frame = customer_rows(data)
    if times is None:
        times = np.arange(1, int(np.floor(max(fit.max_time.values()))) + 1)
    times = np.atleast_1d(np.asarray(times, float))
    if not np.isfinite(times).all() or (times < 0).any():
        raise ValueError(f"times must be finite and >= 0; got {times.tolist()[:5]}.")
    lp, labels = fit.linear_predictor(frame)
    if conditional:
        if "duration" not in frame.columns:
            raise ValueError(
                "conditional=True needs each customer's tenure: pass ChurnData (or a frame "
                "with 'duration' and 'event'), or conditional=False."
            )
        tenure = frame["duration"].to_numpy(float)
        churned = frame["event"].to_numpy(bool) if "event" in frame else np.zeros(len(lp), bool)
    else:
        tenure, churned = np.zeros(len(lp)), np.zeros(len(lp), bool)
    out = np.empty((len(lp), times.size))
    for label, rows in fit.groups(labels, len(lp)):
        _fill_survival(fit, label, out, rows, tenure, lp, times)
    out[churned] = np.nan
    return survival_frame(out, frame.index, times, conditional=conditional, time_unit=fit.time_unit)


def _fill_survival(fit: CoxFit, label, out, rows, tenure, lp, times) -> None:
    """Write ``exp(-(H(tenure + t) - H(tenure)) exp(lp))`` of ``rows`` into ``out``.

    The increments of the baseline cumulative hazard depend on the tenure only: computed once
    per distinct tenure (whole months: a few dozen), then gathered into ``out`` a block of rows
    at a time and scaled and exponentiated in place (no customers x times temporary).
    """
    distinct_code, distinct = pd.factorize(tenure[rows])
    distinct = np.asarray(distinct, float)
    h_now = fit.cumulative_hazard(label, distinct)
    increments = fit.cumulative_hazard(label, distinct[:, None] + times[None, :])
    increments -= h_now[:, None]
    chunk = max(1, _CHUNK_CELLS // max(times.size, 1))
    contiguous = rows.size == len(out)  # every row, in order (no strata): write in place
    for start in range(0, rows.size, chunk):
        stop = min(start + chunk, rows.size)
        block = out[start:stop] if contiguous else np.empty((stop - start, times.size))
        np.take(increments, distinct_code[start:stop], axis=0, out=block)
        block *= -np.exp(lp[start:stop] if contiguous else lp[rows[start:stop]])[:, None]
        np.exp(block, out=block)
        if not contiguous:
            out[rows[start:stop]] = block


def expected_lifetime(fit: CoxFit, data, *, horizon, conditional: bool = True) -> pd.Series:
    """Restricted expected (remaining) lifetime (see
    :meth:`churnsurv.CoxModel.predict_expected_lifetime`).

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> cox = cs.CoxModel("Contract").fit(data)
    >>> expected_lifetime(cox.fit_state_, data.frame.head(1), horizon=12).round(2).tolist()
    [10.54]
    """
    horizon = check_horizon(horizon, whole=False)
    frame = customer_rows(data)
    lp, labels = fit.linear_predictor(frame)
    tenure = frame["duration"].to_numpy(float) if conditional else np.zeros(len(lp))
    churned = frame["event"].to_numpy(bool) if conditional else np.zeros(len(lp), bool)
    out = np.empty(len(lp))
    for label, rows in fit.groups(labels, len(lp)):
        jumps, cum = fit.baseline[label]
        chunk = max(1, _LIFETIME_CELLS // 2 // (jumps.size + 1))
        for start in range(0, rows.size, chunk):
            r = rows[start : start + chunk]
            knots = np.clip(jumps[None, :] - tenure[r, None], 0, horizon)  # ends of pieces
            knots = np.concatenate([knots, np.full((len(r), 1), horizon)], axis=1)
            lengths = np.diff(knots, axis=1, prepend=0.0)
            level = np.r_[0.0, cum][None, :] - fit.cumulative_hazard(label, tenure[r])[:, None]
            piece = np.exp(-np.maximum(level, 0) * np.exp(lp[r])[:, None])
            area = (lengths * piece).sum(axis=1)
            out[r] = np.where(tenure[r] + horizon > fit.max_time[label] + 1e-9, np.nan, area)
    out[churned] = np.nan
    return pd.Series(out, index=frame.index, name=f"expected_lifetime_{horizon:g}")


def typical_rows(fit: CoxFit, data, term: str, values) -> pd.DataFrame:
    """One row per value of ``term``, the other covariates at their typical values in ``data``.

    Typical: the most frequent level of a categorical covariate or stratum, the median of a
    numeric one.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> cox = cs.CoxModel("Contract + MonthlyCharges").fit(data)
    >>> typical_rows(cox.fit_state_, data, "Contract", ["Two year"])["MonthlyCharges"].tolist()
    [70.35]
    """
    frame = customer_rows(data)
    design = fit.design
    if term not in design.variables:
        raise ValueError(
            f"{term!r} is not a covariate of the formula; covariates: {design.variables}."
        )
    typical = {}
    for v in design.variables + fit.strata_columns:
        col = frame[v]
        categorical = v in design.levels or v in fit.strata_columns
        typical[v] = col.mode().iloc[0] if categorical else col.median()
    rows = pd.DataFrame([{**typical, term: value} for value in values])
    for v in design.levels:
        if isinstance(frame[v].dtype, pd.CategoricalDtype):
            rows[v] = pd.Categorical(rows[v], categories=frame[v].cat.categories)
    rows.index = pd.Index([f"{term} = {value}" for value in values])
    return rows
