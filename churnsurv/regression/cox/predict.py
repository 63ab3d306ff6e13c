"""Predictions of a fitted Cox model: functions of its :class:`~.fitted.CoxFit`.

Survival curves (conditional on the tenure already reached, or from signup), restricted expected
lifetimes and the rows drawn by partial-effect plots, all from the Breslow baseline hazard and
the linear predictor. :class:`~churnsurv.CoxModel` exposes them as methods.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from churnsurv._validation import check_count, check_horizon
from churnsurv.regression.cox.fitted import CoxFit
from churnsurv.regression.design import customer_rows, survival_frame

__all__ = ["CoxCurves", "expected_lifetime", "survival", "typical_rows"]

#: Cells (customers x times) computed at once: a block that stays in cache.
_CHUNK_CELLS = 1 << 18
#: Cells (customers x baseline jumps) of one block of expected lifetimes, to bound memory.
_LIFETIME_CELLS = 4_000_000


def survival(
    fit: CoxFit, data, times=None, *, conditional: bool = True, chunksize: int | None = None
):
    """Customers x times survival (see :meth:`churnsurv.CoxModel.predict_survival`).

    With ``chunksize``, an iterator of DataFrames of at most ``chunksize`` customers each
    (the same numbers as the whole frame, which is never built).

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
    curves = CoxCurves(fit, frame, times, conditional=conditional)

    def labelled(values, rows: slice) -> pd.DataFrame:
        return survival_frame(
            values, frame.index[rows], curves.times, conditional=conditional,
            time_unit=fit.time_unit,
        )  # fmt: skip

    if chunksize is not None:
        return _chunks(curves, check_count(chunksize, name="chunksize"), labelled)
    out = np.empty((curves.n, curves.times.size))
    curves.fill(out, slice(0, curves.n))
    return labelled(out, slice(None))


def _chunks(curves: CoxCurves, size: int, labelled) -> Iterator[pd.DataFrame]:
    """Frames of consecutive ``size`` customers, each filled in its own array (no copy)."""
    for start in range(0, curves.n, size):
        rows = slice(start, min(start + size, curves.n))
        out = np.empty((rows.stop - start, curves.times.size))
        curves.fill(out, rows)
        yield labelled(out, rows)


class CoxCurves:
    """Survival curves of many customers under one fitted Cox model, filled a block at a time.

    ``exp(-(H(tenure + t) - H(tenure)) exp(lp))`` (``tenure`` 0 with ``conditional=False``):
    the linear predictor of every customer once, the increments of the baseline cumulative
    hazard once per distinct (stratum, tenure) (whole months: a few dozen per stratum), then
    for any rows a gather of those increments, scaled and exponentiated in place in cache-sized
    pieces (no customers x times temporary). Churned customers get NaN rows when conditional;
    cells past a stratum's follow-up are NaN.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> cox = cs.CoxModel("Contract").fit(data)
    >>> curves = CoxCurves(cox.fit_state_, data.frame, [1, 12], conditional=False)
    >>> out = np.empty((2, 2))
    >>> curves.fill(out, slice(0, 2))
    >>> out.round(3)
    array([[0.911, 0.72 ],
           [0.99 , 0.964]])
    >>> np.array_equal(out, cox.predict_survival(data.frame.head(2), [1, 12], conditional=False))
    True
    """

    def __init__(self, fit: CoxFit, frame: pd.DataFrame, times, *, conditional: bool) -> None:
        times = np.atleast_1d(np.asarray(times, float))
        if not np.isfinite(times).all() or (times < 0).any():
            raise ValueError(f"times must be finite and >= 0; got {times.tolist()[:5]}.")
        lp, labels = fit.linear_predictor(frame)
        self.n, self.times = len(lp), times
        if conditional:
            if "duration" not in frame.columns:
                raise ValueError(
                    "conditional=True needs each customer's tenure: pass ChurnData (or a frame "
                    "with 'duration' and 'event'), or conditional=False."
                )
            tenure = frame["duration"].to_numpy(float)
            churned = frame["event"].to_numpy(bool) if "event" in frame else np.zeros(self.n, bool)
        else:
            tenure, churned = np.zeros(self.n), np.zeros(self.n, bool)
        self.tenure, self.churned = tenure, churned
        self.scale = np.exp(lp)
        np.negative(self.scale, out=self.scale)  # -exp(lp), as the fill multiplies by it
        # one row of increments per distinct (stratum, tenure); ``group`` picks each row's
        self.group = np.empty(self.n, dtype=np.intp)
        tables, offset = [], 0
        for label, rows in fit.groups(labels, self.n):
            code, distinct = pd.factorize(tenure[rows])
            distinct = np.asarray(distinct, float)
            h_now = fit.cumulative_hazard(label, distinct)
            increments = fit.cumulative_hazard(label, distinct[:, None] + times[None, :])
            increments -= h_now[:, None]
            tables.append(increments)
            self.group[rows] = code + offset
            offset += distinct.size
        self.increments = np.vstack(tables) if tables else np.empty((0, times.size))

    def fill(self, out: np.ndarray, rows: slice) -> None:
        """Write the curves of customers ``rows`` (a slice of positions) into ``out``."""
        start, stop, _ = rows.indices(self.n)
        chunk = max(1, _CHUNK_CELLS // max(self.times.size, 1))
        for lo in range(start, stop, chunk):
            hi = min(lo + chunk, stop)
            block = out[lo - start : hi - start]
            np.take(self.increments, self.group[lo:hi], axis=0, out=block)
            block *= self.scale[lo:hi, None]
            np.exp(block, out=block)
        out[: stop - start][self.churned[start:stop]] = np.nan

    def blocks(self, size: int):
        """``(rows, curves)`` for consecutive slices of at most ``size`` customers; the array
        is reused: the next block overwrites it."""
        buffer = np.empty((min(size, self.n), self.times.size))
        for start in range(0, self.n, size):
            rows = slice(start, min(start + size, self.n))
            block = buffer[: rows.stop - start]
            self.fill(block, rows)
            yield rows, block


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
