"""Customer lifetime value from survival: CLV, residual CLV of active customers, value at risk.

CLV is the net present value of the margin a customer brings over the relationship:

.. math::

    \\mathrm{CLV} = \\sum_t m_t \\, S(t) \\, (1 + d)^{-t \\cdot y}

where :math:`S(t)` is the probability of still being a customer at time :math:`t` (in the data's
time unit), :math:`m_t` the margin per period, :math:`d` the **annual** discount rate and
:math:`y` the length of one time unit in years (:data:`churnsurv.data.YEARS_PER_UNIT`: a month is
exactly 1/12 year), so discounting is exact whatever the unit.

``timing="start"`` (default) books each period's margin at its start, to customers alive then:
:math:`t = 0, 1, \\dots, H-1`, with :math:`S(0) = 1`. ``timing="end"`` books it at the end of the
period to customers who survived it: :math:`t = 1, \\dots, H`. With a constant retention rate
:math:`r` per period and an infinite horizon these give the textbook margin multiples
:math:`m(1+d')/(1+d'-r)` and :math:`m\\,r/(1+d'-r)` (:math:`d'` the per-period rate).

**Residual** CLV of an active customer who has reached tenure :math:`\\tau` uses the conditional
survival :math:`S(\\tau + t)/S(\\tau)` from now on; the value already realised (margin × tenure,
undiscounted history) is reported separately, never added in.

Kaplan–Meier curves end at the last observed tenure. A horizon beyond it needs an explicit
``tail`` (a fitted parametric model or sBG), spliced on as
:math:`S(t) = S_{KM}(t_{max}) \\, S_{tail}(t)/S_{tail}(t_{max})`; the result says which tail was
used. Nothing is silently truncated.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from churnsurv._render import Result, facts_frame
from churnsurv._typing import ArrayLike, Axes, Seed
from churnsurv._validation import check_conf_level, check_count
from churnsurv.clv.customer_blocks import splice_rows, survival_blocks
from churnsurv.clv.discount import discount_factors
from churnsurv.data import (
    YEARS_PER_UNIT,
    ChurnData,
    check_annual_rate,
    check_horizon,
    check_margin_values,
    check_survival_curve,
)
from churnsurv.exceptions import DataValidationError

__all__ = ["CLVResult", "ValueAtRisk", "clv", "value_at_risk"]

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


def _tail_survival(tail, times: np.ndarray, data: ChurnData | None) -> np.ndarray:
    """Marginal survival of a tail model at ``times`` (1-D)."""
    if hasattr(tail, "survival") and callable(tail.survival):  # e.g. ShiftedBetaGeometric
        return np.asarray(tail.survival(times), dtype=float)
    if hasattr(tail, "predict_survival"):  # parametric model: average over the customers
        if data is None:
            raise ValueError("a parametric tail needs data= to average its predictions over.")
        pred = tail.predict_survival(data, times=times, conditional=False)
        return pred.to_numpy(dtype=float).mean(axis=0)
    if isinstance(tail, pd.Series):
        curve = tail.sort_index()
        check_survival_curve(curve.to_numpy(dtype=float), "tail")
        return _curve_at(curve, times)
    raise TypeError(
        f"tail= must be a fitted parametric model, a ShiftedBetaGeometric fit or a pd.Series "
        f"curve, got {type(tail).__name__}."
    )


def _check_tiers(tiers) -> tuple[float, float]:
    """Value-tier cut points: two shares with 0 < top < top + next < 1."""
    try:
        lo, hi = (float(t) for t in tiers)
    except (TypeError, ValueError):
        lo, hi = np.nan, np.nan
    if not (0 < lo < hi < 1):
        raise DataValidationError(
            f"tiers={tiers!r} must be two increasing shares between 0 and 1, e.g. (0.2, 0.5): "
            "the top 20% of residual value, then the next 30%.",
            column="tiers",
            rule="bad tiers",
        )
    return lo, hi


def _tail_name(tail) -> str:
    if tail is None:
        return "none"
    if isinstance(tail, pd.Series):
        return "a given survival curve"
    name = getattr(tail, "name", None)
    return str(name) if isinstance(name, str) else type(tail).__name__


def _splice(km_times, km_surv, times, tail, data, label) -> np.ndarray:
    """Kaplan–Meier curve at ``times``, extended past its last time with ``tail``."""
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
        s_tail = _tail_survival(tail, np.r_[t_max, times[beyond]], data)
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


# ------------------------------------------------------------------------------------- result
class CLVResult(Result):
    """Customer lifetime values with the assumptions that produced them.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per segment (Kaplan–Meier or curve input) or per customer (model input):
        ``expected_periods`` (expected number of margin periods within the horizon,
        discounting aside), ``clv``, and with bootstrap ``clv_lower``/``clv_upper``; for
        residual values also ``tenure`` and ``realised_value``.
    assumptions : dict
        Horizon, time unit, annual and per-period discount rate, timing, tail, kind.

    Examples
    --------
    >>> import pandas as pd
    >>> res = clv(pd.Series([1.0, 0.9, 0.8], index=[0, 1, 2]), margin=10,
    ...           annual_discount_rate=0.0, horizon=3, time_unit="month")
    >>> res.summary[["expected_periods", "clv"]].round(2).values.tolist()
    [[2.7, 27.0]]
    """

    def __init__(self, summary: pd.DataFrame, assumptions: dict) -> None:
        self.summary = summary
        self.assumptions = assumptions

    _title = "Customer lifetime value"

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("Assumptions", facts_frame(self.assumptions)), ("", self.summary.head(50))]

    def _note(self) -> str:
        n = len(self.summary)
        return f"{n} rows; the first 50 shown." if n > 50 else ""

    def plot(self, *, ax: Axes | None = None) -> Axes:
        """Horizontal bars of CLV per segment (with bootstrap CIs), or a histogram per customer.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import pandas as pd
        >>> res = clv(pd.Series([1.0, 0.9], index=[0, 1]), margin=10, annual_discount_rate=0.1,
        ...           horizon=2, time_unit="month")
        >>> ax = res.plot()
        >>> [round(float(b.get_width()), 2) for b in ax.patches]
        [18.93]
        """
        from churnsurv.plotting.clv import plot_clv

        return plot_clv(self.summary, self.assumptions, ax=ax)


# ------------------------------------------------------------------------------------------ clv
def clv(
    model_or_curve: Any,
    data: ChurnData | None = None,
    *,
    margin: float | str | ArrayLike | None = None,
    annual_discount_rate: float,
    horizon: int,
    timing: str = "start",
    time_unit: str | None = None,
    residual: bool = False,
    tail: Any = None,
    ci: bool = False,
    n_boot: int = 200,
    conf_level: float = 0.95,
    rng: Seed = None,
    progress: bool = False,
    allow_negative_margin: bool = False,
) -> CLVResult:
    """Customer lifetime value from a survival model or curve.

    Parameters
    ----------
    model_or_curve : KaplanMeier, CoxModel, parametric model, pandas.Series or array-like
        * a fitted :class:`~churnsurv.KaplanMeier` → CLV per segment (the fit's ``by``);
        * a fitted Cox or parametric model → CLV per customer of ``data``;
        * a survival curve: a Series of S(t) indexed by time (a step function), or an array of
          S at t = 0, 1, 2, … periods.
    data : ChurnData, optional
        Required for models (whose customers are valued) and for a per-customer ``margin``
        column; for Kaplan–Meier it supplies the margin column and is what the bootstrap
        resamples.
    margin : float, str, or array-like
        Margin per period: a constant; the name of a ``data`` column (per customer; default
        ``data.margin``); or a schedule of length ``horizon`` (per period).
    annual_discount_rate : float
        Annual rate (0.10 = 10% a year), converted exactly to the data's time unit.
    horizon : int
        Number of periods (in the time unit) to value.
    timing : {"start", "end"}, default "start"
        Margin booked at the start of each period (to customers alive then) or at its end.
    time_unit : str, optional
        Time unit of a curve given without data (default: ``data.time_unit``).
    residual : bool, default False
        For models: value of each **active** customer from now on, conditioned on the tenure
        reached (S(t | T > tenure)); the summary adds ``tenure`` and ``realised_value``.
    tail : fitted model or pandas.Series, optional
        Extrapolation beyond the end of a Kaplan–Meier curve, or of a Cox model's curves (its
        baseline is not identified after the last follow-up time): a fitted parametric model
        (per customer), a ShiftedBetaGeometric fit, or a survival curve as a Series indexed by
        tenure (marginal shape). Spliced on at the last point inside follow-up.
    ci : bool, default False
        Bootstrap percentile intervals: customers resampled (within ``data``), the model
        refitted, CLV recomputed ``n_boot`` times. Seeded through ``rng``.
    n_boot : int, default 200
    conf_level : float, default 0.95
        Confidence level of the bootstrap percentile intervals.
    rng : int or numpy.random.Generator, optional
    progress : bool, default False
        Show a tqdm progress bar during the bootstrap.
    allow_negative_margin : bool, default False

    Returns
    -------
    CLVResult

    Raises
    ------
    DataValidationError
        Negative or missing margins, a survival curve that increases or leaves [0, 1].
    ValueError
        Discount rate ≤ −1 or > 1 (100% a year), horizon ≤ 0, a horizon beyond a Kaplan–Meier
        curve without ``tail``.

    Examples
    --------
    Constant retention r = 0.8 per month, margin 10, booked at period ends, discount 0:
    the margin multiple r/(1 − r) = 4.

    >>> import numpy as np
    >>> curve = 0.8 ** np.arange(400)
    >>> res = clv(curve, margin=10, annual_discount_rate=0.0, horizon=399, timing="end",
    ...           time_unit="month")
    >>> round(float(res.summary["clv"].iloc[0]), 4)
    40.0
    """
    check_horizon(horizon)
    check_annual_rate(annual_discount_rate)
    if data is not None:
        data.require_customer_rows(purpose="clv")
    unit = time_unit or (data.time_unit if data is not None else None)
    if unit is None:
        raise ValueError("time_unit= is needed for a curve given without data=.")
    grid = _grid(int(horizon), timing)
    disc = discount_factors(grid, annual_discount_rate=annual_discount_rate, time_unit=unit)
    tail_used = "none"
    how = _Valuation(grid, disc, margin, tail, residual, allow_negative_margin)
    if _is_km(model_or_curve):
        segs = _km_segments(model_or_curve)
        t_max = max(t[-1] for t, _ in segs.values())
        tail_used = _tail_name(tail) if grid.max() > t_max else "none (horizon within follow-up)"
        values = _segment_values(model_or_curve, data, how)
        kind = "Kaplan-Meier by segment"
    elif hasattr(model_or_curve, "predict_survival"):
        if data is None:
            raise ValueError("clv() from a model needs data= (the customers to value).")
        values = _customer_values(model_or_curve, data, how)
        kind = "residual, per active customer" if residual else "per customer"
        if tail is not None:
            tail_used = f"{_tail_name(tail)} (spliced where the model's curve ends)"
        elif _is_cox(model_or_curve):
            tail_used = "none (horizon within follow-up)"
        else:
            tail_used = "the model's own parametric form"
    else:
        values = _curve_values(model_or_curve, grid, margin, disc, allow_negative_margin)
        kind = "survival curve"
    if ci:
        check_count(n_boot, name="n_boot", minimum=2)
        if data is None or isinstance(model_or_curve, pd.Series | np.ndarray | list):
            raise ValueError(
                "ci=True needs a fitted model or Kaplan-Meier and its data= to resample."
            )
        level = check_conf_level(conf_level)
        lower, upper = _bootstrap(
            model_or_curve, data, values.index, how, n_boot, level, rng, progress
        )
        values["clv_lower"] = lower
        values["clv_upper"] = upper
    per_period = (1 + annual_discount_rate) ** YEARS_PER_UNIT[unit] - 1
    assumptions = {
        "kind": kind,
        "horizon": int(horizon),
        "time_unit": unit,
        "annual_discount_rate": float(annual_discount_rate),
        f"discount rate per {unit}": per_period,
        "timing": timing,
        "tail": tail_used,
    }
    if ci:
        assumptions["bootstrap"] = f"{n_boot} resamples, {conf_level:.0%} percentile intervals"
    return CLVResult(values, assumptions)


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
    return (surv @ (disc * schedule)) * factor, surv.sum(axis=1)


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
    for label, (times, surv) in segs.items():
        sub = data
        if data is not None and by:
            value = tuple(km.segment_values_.loc[label, col] for col in by)
            rows_of = members.get(value if len(by) > 1 else value[0], np.array([], dtype=np.intp))
            sub = data.take(np.sort(rows_of))
        # a per-customer tail model is averaged over the segment's own customers
        s = _splice(times, surv, how.grid, how.tail, sub, f"segment {label!r}")
        factor, schedule = _resolve_margin(how.margin, sub, how.grid.size, how.allow_negative)
        # a segment's CLV uses the segment's mean margin per period
        per, periods = _weighted(s[None, :], how.disc, np.mean(factor), schedule)
        rows[label] = {"expected_periods": periods[0], "clv": per[0]}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "segment"
    return out


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


def _refit(model, sample: ChurnData, positions: np.ndarray):
    """The same model, with every fit-time setting (``fit_params_``), fitted to a resample.

    Constructor settings travel with the copy; fit-time settings (``by``, case weights,
    clusters) are repeated, and those given as one value per row are resampled with the rows.
    """
    params = dict(getattr(model, "fit_params_", {}))
    for key, value in params.items():
        if value is not None and not isinstance(value, str):
            params[key] = np.asarray(value)[positions]
    return copy.copy(model).fit(sample, **params)


def _bootstrap(model, data, index, how, n_boot, conf_level, rng, progress):
    """Percentile interval of each value: customers resampled, the model refitted."""
    rng = np.random.default_rng(rng)
    is_km = _is_km(model)
    draws = []
    iterator: Callable = range
    if progress:
        from tqdm.auto import trange

        iterator = trange
    for _ in iterator(int(n_boot)):
        idx = rng.integers(0, data.n, data.n)
        sample = data.take(idx)
        fit = _refit(model, sample, idx)
        if is_km:
            v = _segment_values(fit, sample, how)
        else:
            # per-customer values of the ORIGINAL customers under the refitted model
            v = _customer_values(fit, data, how)
        draws.append(v["clv"].reindex(index))
    boot = np.vstack([d.to_numpy(dtype=float) for d in draws])
    lower = np.nanquantile(boot, (1 - conf_level) / 2, axis=0)
    upper = np.nanquantile(boot, (1 + conf_level) / 2, axis=0)
    return lower, upper


# ------------------------------------------------------------------------------- value at risk
class ValueAtRisk(Result):
    """Active customers ranked by value at risk = P(churn within k periods) × residual CLV.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per active customer, highest value at risk first: ``tenure``,
        ``p_churn``, ``residual_clv``, ``value_at_risk``, ``value_tier``, ``rank``.
    assumptions : dict

    Examples
    --------
    See :func:`value_at_risk`.
    """

    def __init__(self, summary: pd.DataFrame, assumptions: dict) -> None:
        self.summary = summary
        self.assumptions = assumptions

    def top(self, n: int = 20) -> pd.DataFrame:
        """The ``n`` customers with the highest value at risk (``n`` a whole number >= 1).

        Examples
        --------
        See :func:`value_at_risk`.
        """
        return self.summary.head(check_count(n, name="n"))

    _title = "Value at risk"

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("Assumptions", facts_frame(self.assumptions)), ("", self.summary.head(20))]

    def _note(self) -> str:
        total = self.summary["value_at_risk"].sum()
        return (
            f"{len(self.summary)} active customers, top 20 shown; total value at risk {total:,.2f}."
        )

    def plot(self, n: int = 20, *, ax: Axes | None = None) -> Axes:
        """Horizontal bars of the top-``n`` customers' value at risk, coloured by tier.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        See :func:`value_at_risk`.
        """
        from churnsurv.plotting.clv import plot_value_at_risk

        return plot_value_at_risk(self.summary.head(n), ax=ax)


def value_at_risk(
    model: Any,
    data: ChurnData,
    *,
    within: int,
    annual_discount_rate: float,
    horizon: int,
    margin: float | str | ArrayLike | None = None,
    timing: str = "start",
    tiers: tuple[float, float] = (0.2, 0.5),
    tail: Any = None,
    allow_negative_margin: bool = False,
) -> ValueAtRisk:
    """Rank active customers by P(churn within ``within`` periods) × residual CLV.

    For each active (censored) customer at tenure τ, the model's conditional survival
    S(τ + t)/S(τ) gives both the probability of churning within ``within`` periods,
    1 − S(τ + within)/S(τ), and the residual CLV over ``horizon`` periods (see :func:`clv`).

    Parameters
    ----------
    model : fitted Cox or parametric model
    data : ChurnData
    within : int
        Periods ahead for the churn probability (e.g. 6 months).
    annual_discount_rate, horizon, margin, timing, allow_negative_margin
        As in :func:`clv`.
    tiers : tuple of float, default (0.2, 0.5)
        Value tiers by residual CLV: top 20% → "top 20%", next 30% → "next 30%", rest →
        "bottom 50%".
    tail : fitted parametric model, sBG fit or pandas.Series curve, optional
        Continues a Cox model's curves past the last follow-up time (see :func:`clv`).

    Returns
    -------
    ValueAtRisk

    Examples
    --------
    The Cox baseline ends at the last observed tenure (72 months), so residual value needs
    an explicit tail; here an assumed 2% monthly churn after the observed range:

    >>> import numpy as np, pandas as pd
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
    ...                   event="Churn", event_value="Yes", margin="MonthlyCharges")
    >>> cox = cs.CoxModel("Contract + InternetService").fit(data)
    >>> tail = pd.Series(0.98 ** np.arange(200.0))
    >>> var = cs.value_at_risk(cox, data, within=6, annual_discount_rate=0.1, horizon=60,
    ...                        tail=tail)
    >>> len(var.summary) == data.n_censored, var.summary["value_at_risk"].is_monotonic_decreasing
    (True, True)
    """
    check_horizon(within, name="within")
    check_horizon(horizon)
    data.require_customer_rows(purpose="value_at_risk")
    if not hasattr(model, "predict_survival"):
        raise TypeError("value_at_risk needs a fitted Cox or parametric model (per customer).")
    grid = _grid(int(horizon), timing)
    disc = discount_factors(
        grid, annual_discount_rate=annual_discount_rate, time_unit=data.time_unit
    )
    sub = data.take(np.flatnonzero(~data.events))
    factor, schedule = _resolve_margin(margin, sub, grid.size, allow_negative_margin)
    times = np.union1d(grid, [float(within)])
    cols, at = np.searchsorted(times, grid), np.searchsorted(times, float(within))
    per, p_churn = np.empty(sub.n), np.empty(sub.n)
    n_missing = 0
    # customers in blocks: each one's curve is its own, and a block's matrices stay small
    blocks = survival_blocks(model, sub, times, conditional=True, tail=tail, size=_CUSTOMER_BLOCK)
    for rows, surv in blocks:
        if tail is None:  # count them all for the message
            missing_rows = int(np.isnan(surv).any(axis=1).sum())
            if missing_rows:
                n_missing += missing_rows
                continue
        f = factor[rows] if np.ndim(factor) else factor
        on_grid = surv if cols.size == times.size else surv[:, cols]
        per[rows] = _weighted(on_grid, disc, f, schedule)[0]
        p_churn[rows] = 1.0 - surv[:, at]
    if n_missing:
        _not_identified(model, n_missing, grid)
    out = pd.DataFrame(
        {
            "tenure": sub.frame["duration"].to_numpy(),
            "p_churn": p_churn,
            "residual_clv": per,
            "value_at_risk": p_churn * per,
        },
        index=sub.frame.index,
    )
    q = out["residual_clv"].rank(ascending=False, pct=True, method="first")
    lo, hi = _check_tiers(tiers)
    out["value_tier"] = np.select(
        [q <= lo, q <= hi], [f"top {lo:.0%}", f"next {hi - lo:.0%}"], f"bottom {1 - hi:.0%}"
    )
    out = out.sort_values("value_at_risk", ascending=False, kind="mergesort")
    out["rank"] = np.arange(1, len(out) + 1)
    assumptions = {
        "within": f"{within} {data.time_unit}s",
        "horizon": f"{horizon} {data.time_unit}s",
        "annual_discount_rate": annual_discount_rate,
        "timing": timing,
        "model": type(model).__name__,
        "tail": _tail_name(tail),
    }
    return ValueAtRisk(out, assumptions)
