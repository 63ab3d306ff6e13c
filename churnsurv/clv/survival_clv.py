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

from typing import Any

import numpy as np
import pandas as pd

from churnsurv._render import Result, facts_frame
from churnsurv._typing import ArrayLike, Axes, Seed
from churnsurv._validation import check_conf_level, check_count
from churnsurv.clv._bootstrap import _bootstrap
from churnsurv.clv._bootstrap import _refit as _refit  # used by metrics.warning
from churnsurv.clv._valuation import (
    _curve_values,
    _customer_values,
    _grid,
    _is_cox,
    _is_km,
    _km_segments,
    _segment_values,
    _tail_name,
    _Valuation,
)
from churnsurv.clv._valuation import _weighted as _weighted  # used by benchmarks/bench_clv.py
from churnsurv.clv.discount import discount_factors
from churnsurv.clv.value_at_risk import ValueAtRisk, value_at_risk
from churnsurv.data import YEARS_PER_UNIT, ChurnData, check_annual_rate, check_horizon

__all__ = ["CLVResult", "ValueAtRisk", "clv", "value_at_risk"]


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
        refitted, CLV recomputed ``n_boot`` times. Seeded through ``rng``. An unweighted
        Kaplan–Meier fit without entry times is refitted from integer counts per (segment,
        tenure, churned) cell, which gives the values of a full refit (1M customers, 50
        resamples: seconds instead of minutes). With an integer ``rng`` the resamples
        depend only on the seed and the data, so such fits of the same data by different
        segment columns share them: counted once on the combinations of the data's
        ``segments``, kept weakly with the data (the intervals are unchanged).
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
