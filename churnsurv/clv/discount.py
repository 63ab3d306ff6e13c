"""The one discount rule: annual rates converted exactly to the data's time unit.

A rate ``d`` is always **annual** (0.10 = 10% a year) and passes
:func:`churnsurv._validation.check_annual_rate` (finite, > -1, at most 100% a year). A time
``t`` in a unit of length ``y`` years is discounted by ``(1 + d) ** (-t * y)``, with ``y`` from
:data:`churnsurv.data.YEARS_PER_UNIT` (a month is 1/12 year, a week 7/365.2425 year): no
conversion tables, no "months regardless of time_unit".
"""

from __future__ import annotations

import numpy as np

from churnsurv._typing import ArrayLike
from churnsurv._validation import check_annual_rate, check_unit
from churnsurv.data.units import YEARS_PER_UNIT
from churnsurv.exceptions import DataValidationError

__all__ = ["discount_factors", "per_period_rate"]


def discount_factors(
    times: ArrayLike, *, annual_discount_rate: float, time_unit: str
) -> np.ndarray:
    """Exact discount factors :math:`(1+d)^{-t \\cdot y}` for times in ``time_unit``.

    Parameters
    ----------
    times : array-like of float
        Times from now, in ``time_unit``.
    annual_discount_rate : float
        Annual rate ``d`` (0.10 = 10% a year); must be > -1 and ≤ 1.
    time_unit : {"day", "week", "month", "year"}

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> discount_factors([0, 12], annual_discount_rate=0.10, time_unit="month").round(6).tolist()
    [1.0, 0.909091]
    """
    d = check_annual_rate(annual_discount_rate)
    check_unit(time_unit)
    t = np.asarray(times, dtype=float)
    return np.power(1.0 + d, -t * YEARS_PER_UNIT[time_unit])


def per_period_rate(annual_discount_rate: float, time_unit: str) -> float:
    """Exact rate per ``time_unit`` equivalent to an annual rate: ``(1 + d) ** y - 1``.

    ``y`` is the unit's length in years (:data:`churnsurv.data.YEARS_PER_UNIT`). The rate passes
    :func:`churnsurv._validation.check_annual_rate` (the rule every CLV uses) and must also be
    positive: the BTYD models' discounted expected lifetimes are infinite series that a zero rate
    need not make converge.

    Examples
    --------
    >>> round(per_period_rate(0.10, "month"), 6)
    0.007974
    >>> per_period_rate(0.10, "year")
    0.1
    """
    d = check_annual_rate(annual_discount_rate)
    check_unit(time_unit)
    if d <= 0.0:
        raise DataValidationError(
            f"annual_discount_rate must be a positive number (e.g. 0.10 for 10% a year), "
            f"got {annual_discount_rate!r}.",
            column="annual_discount_rate",
            rule="non-positive discount rate",
        )
    return float(np.expm1(np.log1p(d) * YEARS_PER_UNIT[time_unit]))
