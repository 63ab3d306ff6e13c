"""Time units and exact calendar arithmetic (see :mod:`churnsurv.data`, "Time units").

The public names are re-exported by :mod:`churnsurv.data`; the unit check itself is
:func:`churnsurv._validation.check_unit`, shared with the CLI.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._typing import ArrayLike
from churnsurv._validation import TIME_UNITS, check_unit

__all__ = ["TIME_UNITS", "YEARS_PER_UNIT", "elapsed"]

#: Length of each supported time unit in years (mean Gregorian year of 365.2425 days).
YEARS_PER_UNIT: dict[str, float] = {
    "day": 1.0 / 365.2425,
    "week": 7.0 / 365.2425,
    "month": 1.0 / 12.0,
    "year": 1.0,
}


def _add_months(start: np.ndarray, months: np.ndarray) -> np.ndarray:
    """``start`` (datetime64[D]) plus whole ``months``, clipped to the end of shorter months."""
    start_month = start.astype("datetime64[M]")
    day0 = (start - start_month.astype("datetime64[D]")).astype(np.int64)  # day of month - 1
    target = start_month + months.astype(np.int64)
    days_in_target = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    return target.astype("datetime64[D]") + np.minimum(day0, days_in_target - 1)


def elapsed(start: ArrayLike, end: ArrayLike, time_unit: str) -> np.ndarray:
    """Exact elapsed time between dates in a calendar unit.

    Parameters
    ----------
    start, end : array-like of datetime
        Dates (time of day is ignored); ``end`` must not be before ``start``.
    time_unit : {"day", "week", "month", "year"}
        Unit of the result. Months and years count completed calendar anniversaries plus the
        elapsed fraction of the current month (year); see the module docstring.

    Returns
    -------
    numpy.ndarray of float
        NaN where either date is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.to_datetime(["2020-01-15", "2020-01-31", "2020-01-01"])
    >>> e = pd.to_datetime(["2020-03-15", "2020-02-29", "2020-01-16"])
    >>> elapsed(s, e, "month").round(4).tolist()
    [2.0, 1.0, 0.4839]
    >>> elapsed(s, e, "day").tolist()
    [60.0, 29.0, 15.0]
    """
    check_unit(time_unit)
    s = pd.DatetimeIndex(pd.to_datetime(np.asarray(start))).values.astype("datetime64[D]")
    e = pd.DatetimeIndex(pd.to_datetime(np.asarray(end))).values.astype("datetime64[D]")
    out = np.full(s.shape, np.nan)
    ok = ~(np.isnat(s) | np.isnat(e))
    s, e = s[ok], e[ok]
    days = (e - s).astype(np.int64).astype(float)
    if time_unit in ("day", "week"):
        out[ok] = days if time_unit == "day" else days / 7.0
        return out
    step = 1 if time_unit == "month" else 12
    months = (e.astype("datetime64[M]") - s.astype("datetime64[M]")).astype(np.int64)
    k = np.floor_divide(months, step)
    k = np.where(_add_months(s, k * step) > e, k - 1, k)
    a0 = _add_months(s, k * step)
    a1 = _add_months(s, (k + 1) * step)
    frac = (e - a0).astype(np.int64) / (a1 - a0).astype(np.int64)
    out[ok] = k + frac
    return out
