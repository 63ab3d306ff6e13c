"""The valuation arithmetic behind :func:`~churnsurv.clv.clv` and value at risk.

Survival at the valuation grid (a curve, a Kaplan–Meier segment spliced onto a ``tail``, a
model's per-customer curves continued past follow-up), the margin as (per-customer factor,
per-period schedule), and the discounted sum. Private: the public functions are in
:mod:`churnsurv.clv.survival_clv` and :mod:`churnsurv.clv.value_at_risk`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from churnsurv.clv.customer_blocks import splice_rows, survival_blocks
from churnsurv.data import ChurnData, check_margin_values, check_survival_curve

_TIMINGS = ("start", "end")


def _grid(horizon: int, timing: str) -> np.ndarray:
    if timing not in _TIMINGS:
        raise ValueError(f"timing={timing!r} is not understood; use 'start' or 'end'.")
    return np.arange(horizon, dtype=float) + (0.0 if timing == "start" else 1.0)


# ------------------------------------------------------------------------------- survival input
def _curve_at(curve: pd.Series, times: np.ndarray) -> np.ndarray:
    """Evaluate a right-continuous step curve given at sorted times (S = 1 before the first)."""
    idx = np.searchsorted(curve.index.to_numpy(dtype=float), times, side="right") - 1
    values = curve.to_numpy(dtype=float)
    return np.where(idx >= 0, values[np.clip(idx, 0, None)], 1.0)


def _tail_survival(tail, times: np.ndarray, data: ChurnData | None, weights=None) -> np.ndarray:
    """Marginal survival of a tail model at ``times`` (1-D).

    A parametric tail is averaged over the customers of ``data``, each counted ``weights``
    times when given (a bootstrap resample's distinct customers with their multiplicities).
    """
    if hasattr(tail, "survival") and callable(tail.survival):  # e.g. ShiftedBetaGeometric
        return np.asarray(tail.survival(times), dtype=float)
    if hasattr(tail, "predict_survival"):  # parametric model: average over the customers
        if data is None:
            raise ValueError("a parametric tail needs data= to average its predictions over.")
        pred = tail.predict_survival(data, times=times, conditional=False).to_numpy(dtype=float)
        return pred.mean(axis=0) if weights is None else np.average(pred, axis=0, weights=weights)
    if isinstance(tail, pd.Series):
        curve = tail.sort_index()
        check_survival_curve(curve.to_numpy(dtype=float), "tail")
        return _curve_at(curve, times)
    raise TypeError(
        f"tail= must be a fitted parametric model, a ShiftedBetaGeometric fit or a pd.Series "
        f"curve, got {type(tail).__name__}."
    )


def _tail_name(tail) -> str:
    if tail is None:
        return "none"
    if isinstance(tail, pd.Series):
        return "a given survival curve"
    name = getattr(tail, "name", None)
    return str(name) if isinstance(name, str) else type(tail).__name__


def _splice(km_times, km_surv, times, tail, data, label, weights=None) -> np.ndarray:
    """Kaplan–Meier curve at ``times``, extended past its last time with ``tail``.

    ``data`` (and ``weights``, see :func:`_tail_survival`) are the customers a parametric tail
    is averaged over; ``data`` may be a callable returning ``(data, weights)``, called only when
    the horizon reaches past the curve.
    """
    curve = pd.Series(km_surv, index=km_times)
    out = _curve_at(curve, times)
    t_max = float(km_times[-1]) if len(km_times) else 0.0
    beyond = times > t_max
    if beyond.any():
        if tail is None:
            raise ValueError(
                f"{label}: the Kaplan-Meier curve ends at the last observed tenure {t_max:g}, "
                f"but the horizon needs S(t) up to {times.max():g}. Pass tail= (a fitted "
                "parametric model, e.g. cs.WeibullAFT, or a ShiftedBetaGeometric fit) to "
                "extrapolate, or shorten the horizon (churnsurv report: --horizon). churnsurv "
                "never truncates silently."
            )
        if callable(data):
            data, weights = data()
        s_tail = _tail_survival(tail, np.r_[t_max, times[beyond]], data, weights)
        if s_tail[0] <= 0:
            raise ValueError(f"{label}: the tail model gives S({t_max:g}) = 0; cannot splice.")
        out[beyond] = _curve_at(curve, np.array([t_max]))[0] * s_tail[1:] / s_tail[0]
    return out


def _km_segments(km) -> dict:
    """{segment label: (times, survival)} from a fitted KaplanMeier."""
    curves = km.curves_
    seg_col = "segment" if "segment" in curves.columns else None
    out = {}
    groups = curves.groupby(seg_col, sort=False, observed=True) if seg_col else [("all", curves)]
    for label, c in groups:
        c = c.sort_values("time")
        out[label] = (c["time"].to_numpy(dtype=float), c["survival"].to_numpy(dtype=float))
    return out


def _is_km(model) -> bool:
    return hasattr(model, "curves_") and not hasattr(model, "predict_survival")


def _is_cox(model) -> bool:
    return type(model).__name__ == "CoxModel"


def _resolve_margin(margin, data: ChurnData | None, horizon: int, allow_negative: bool):
    """Margin as (per-customer factor, per-period schedule): value = (S @ (disc*schedule))*factor.

    A constant c gives (c, 1); a column name gives (column values, 1); an array of length
    ``horizon`` is a per-period schedule (1, array).
    """
    if margin is None:
        margin = data.margin if data is not None else None
        if margin is None:
            raise ValueError(
                "margin= is needed: a constant, a column of data, or a per-period schedule "
                "(prepare(..., margin=COLUMN) sets a default)."
            )
    if isinstance(margin, str):
        if data is None:
            raise ValueError(f"margin={margin!r} names a column, so data= is needed.")
        data.require_columns([margin], purpose="CLV", numeric=True)
        values = data.frame[margin].to_numpy(dtype=float)
        return check_margin_values(values, margin, allow_negative, ids=data.frame.index), 1.0
    arr = np.atleast_1d(np.asarray(margin, dtype=float))
    if arr.size == 1:
        return check_margin_values(arr, "margin", allow_negative)[0], 1.0
    if arr.size != horizon:
        raise ValueError(
            f"margin has {arr.size} values: give a constant, a column name (per customer) or a "
            f"per-period schedule of length horizon={horizon}."
        )
    return 1.0, check_margin_values(arr, "margin", allow_negative)


#: Customers whose survival matrix (customers x periods) is computed at once, to bound memory
#: (clv per customer and value_at_risk).
_CUSTOMER_BLOCK = 100_000


def _weighted(surv: np.ndarray, disc: np.ndarray, factor, schedule):
    """CLV and expected periods from a survival matrix (rows × periods)."""
    return _discounted(surv, disc, factor, schedule), surv.sum(axis=1)


def _discounted(surv: np.ndarray, disc: np.ndarray, factor, schedule) -> np.ndarray:
    """CLV alone from a survival matrix (rows × periods): :func:`_weighted`'s first value."""
    return (surv @ (disc * schedule)) * factor


def _curve_values(curve, grid, margin, disc, allow_negative) -> pd.DataFrame:
    if isinstance(curve, pd.Series):
        curve = curve.sort_index()
        check_survival_curve(curve.to_numpy(dtype=float), "curve")
        surv = _curve_at(curve, grid)
        if grid.max() > float(curve.index.max()):
            raise ValueError(
                f"the curve ends at t = {curve.index.max():g} but the horizon needs "
                f"S({grid.max():g}); extend it (e.g. with a parametric model) or shorten the "
                "horizon."
            )
    else:
        arr = check_survival_curve(np.asarray(curve, dtype=float), "curve")
        if arr.size <= grid.max():
            raise ValueError(
                f"the curve has S at t = 0..{arr.size - 1} but the horizon needs "
                f"S({grid.max():g}); pass a longer curve or shorten the horizon."
            )
        surv = arr[grid.astype(int)]
    factor, schedule = _resolve_margin(margin, None, grid.size, allow_negative)
    per, periods = _weighted(surv[None, :], disc, factor, schedule)
    return pd.DataFrame({"expected_periods": periods, "clv": per}, index=pd.Index(["curve"]))


@dataclass(frozen=True)
class _Valuation:
    """How values are computed: periods, their discount factors, the margin and the tail."""

    grid: np.ndarray
    disc: np.ndarray
    margin: Any
    tail: Any
    residual: bool
    allow_negative: bool


def _segment_values(km, data, how: _Valuation) -> pd.DataFrame:
    segs = _km_segments(km)
    rows = {}
    by = getattr(km, "by_", None) or []
    # each segment's rows, from one grouping pass (not a text comparison per segment)
    members = (
        data.frame.groupby(list(by), sort=False, observed=True).indices
        if data is not None and by
        else {}
    )
    # a parametric tail reads the segment's rows (its covariates): take them; otherwise only
    # the margin column is read, at the rows (_rows_margin)
    taken = _parametric_tail(how.tail)
    for label, (times, surv) in segs.items():
        sub, members_of = data, None
        if data is not None and by:
            value = tuple(km.segment_values_.loc[label, col] for col in by)
            rows_of = members.get(value if len(by) > 1 else value[0], np.array([], dtype=np.intp))
            members_of = rows_of if _ascending(rows_of) else np.sort(rows_of)
            sub = data.take(members_of) if taken else None
        # a per-customer tail model is averaged over the segment's own customers
        s = _splice(times, surv, how.grid, how.tail, sub, f"segment {label!r}")
        if members_of is None or taken:
            factor, schedule = _resolve_margin(how.margin, sub, how.grid.size, how.allow_negative)
        else:
            factor, schedule = _rows_margin(how, data, members_of)
        # a segment's CLV uses the segment's mean margin per period
        per, periods = _weighted(s[None, :], how.disc, np.mean(factor), schedule)
        rows[label] = {"expected_periods": periods[0], "clv": per[0]}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "segment"
    return out


def _ascending(rows: np.ndarray) -> bool:
    """True when ``rows`` are already in order (a groupby's indices are): one comparison
    pass instead of a sort of millions of rows per segment."""
    return bool(np.all(rows[1:] >= rows[:-1]))


def _parametric_tail(tail) -> bool:
    """True for a tail averaged over customers' own predictions (it reads their rows)."""
    return hasattr(tail, "predict_survival") and not hasattr(tail, "survival")


def _rows_margin(how: _Valuation, data: ChurnData, rows: np.ndarray):
    """``_resolve_margin(how.margin, data.take(rows), ...)`` without taking the rows (a take
    of the frame copies its index too: text ids at 10 million customers): the margin column's
    values at ``rows``, the same numbers in the same order, checked by the same rule; the
    rows' ids are looked up only for an error message."""
    column = data.margin if how.margin is None else how.margin
    if not isinstance(column, str):  # a constant, a schedule or no margin: no rows read
        return _resolve_margin(how.margin, data, how.grid.size, how.allow_negative)
    data.require_columns([column], purpose="CLV", numeric=True)
    values = data.frame[column].to_numpy(dtype=float)[rows]
    ids = _ids_at(data.frame.index, rows)
    return check_margin_values(values, column, how.allow_negative, ids=ids), 1.0


def _ids_at(index: pd.Index, rows: np.ndarray):
    """The ids at ``rows``, taken when first iterated (a generator: not taken at all when
    every margin is valid)."""
    yield from index.take(rows)


def _not_identified(model, n_customers: int, grid: np.ndarray) -> NoReturn:
    raise ValueError(
        f"{type(model).__name__}: survival is not identified beyond the last follow-up time "
        f"for {n_customers} customer(s) within horizon={grid.size}. "
        "Pass tail= (a fitted parametric model, e.g. cs.WeibullAFT) to extrapolate, "
        "shorten the horizon (churnsurv report: --horizon), or use a parametric model "
        "instead."
    )


def _spliced(surv, missing, data, grid, residual, tail) -> np.ndarray:
    """``surv`` continued with ``tail`` where it is NaN.

    The Cox baseline is not identified past the last follow-up time (its predictions are NaN
    there). With a ``tail``, each customer's curve continues from the last grid point inside
    follow-up as S(t) = S_cox(t_last) · S_tail(t) / S_tail(t_last).
    """
    if hasattr(tail, "predict_survival"):  # per-customer parametric model
        ext = tail.predict_survival(data, times=grid, conditional=residual).to_numpy(dtype=float)
    else:  # a marginal curve (Series, sBG): its shape from each customer's tenure on
        frame = data.frame if hasattr(data, "frame") else data  # ChurnData or a block of it
        start = frame["duration"].to_numpy(dtype=float)[:, None] if residual else 0.0
        absolute = np.broadcast_to(start + grid[None, :], surv.shape)
        ext = _tail_survival(tail, absolute.ravel(), data).reshape(surv.shape)
    return splice_rows(surv, missing, ext)


def _customer_values(model, data, how: _Valuation) -> pd.DataFrame:
    """Values of each customer of ``data`` (active customers only for residual values)."""
    if how.residual:
        data = data.take(np.flatnonzero(~data.events))
    factor, schedule = _resolve_margin(how.margin, data, how.grid.size, how.allow_negative)
    per, periods = np.empty(data.n), np.empty(data.n)
    n_missing = 0
    # a block of customers at a time: their survival matrix is never all in memory at once
    blocks = survival_blocks(
        model, data, how.grid, conditional=how.residual, tail=how.tail, size=_CUSTOMER_BLOCK
    )
    for pos, surv in blocks:
        if how.tail is None:  # count them all for the message
            missing_rows = int(np.isnan(surv).any(axis=1).sum())
            if missing_rows:
                n_missing += missing_rows
                continue
        f = factor[pos] if np.ndim(factor) else factor
        per[pos], periods[pos] = _weighted(surv, how.disc, f, schedule)
    if n_missing:
        _not_identified(model, n_missing, how.grid)
    frame = data.frame
    out = pd.DataFrame({"expected_periods": periods, "clv": per}, index=frame.index)
    if how.residual:
        tenure = frame["duration"].to_numpy()
        out.insert(0, "tenure", tenure)
        # realised: the margin per period (its mean for a schedule) times the tenure reached
        out["realised_value"] = np.broadcast_to(factor * np.mean(schedule), tenure.shape) * tenure
    return out
