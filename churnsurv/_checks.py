"""Checks of model-side inputs: discount rates, horizons, margins, survival curves (private).

Used by :mod:`churnsurv.clv` and the BTYD models; re-exported by :mod:`churnsurv.data`, where all
validation is documented.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._rules import _N_EXAMPLES, _Violations
from churnsurv.exceptions import DataValidationError

__all__ = ["check_annual_rate", "check_horizon", "check_margin_values", "check_survival_curve"]

#: Annual discount rates above this are refused as almost certainly a unit mistake (10 = 1000%).
MAX_ANNUAL_RATE = 1.0


def check_annual_rate(rate, *, name: str = "annual_discount_rate") -> float:
    """Validate an annual discount rate: finite, > -1 and at most 1 (100% a year).

    Examples
    --------
    >>> check_annual_rate(0.1)
    0.1
    >>> check_annual_rate(10)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: annual_discount_rate=10 is absurdly large ...
    """
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise DataValidationError(
            f"{name}={rate!r} must be a number (0.10 = 10% a year).",
            column=name,
            rule="not a number",
        ) from None
    if not np.isfinite(value) or value <= -1:
        raise DataValidationError(
            f"{name}={rate!r} must be finite and greater than -1 (0.10 = 10% a year).",
            column=name,
            rule="rate <= -1",
        )
    if value > MAX_ANNUAL_RATE:
        raise DataValidationError(
            f"{name}={rate!r} is absurdly large (more than 100% a year); rates are annual "
            "fractions: write 0.10 for 10%.",
            column=name,
            rule="rate too large",
        )
    return value


def check_horizon(horizon, *, name: str = "horizon") -> int:
    """Validate a horizon: a positive whole number of periods.

    Examples
    --------
    >>> check_horizon(60)
    60
    >>> check_horizon(0)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: horizon=0 must be a positive whole number ...
    """
    ok = isinstance(horizon, int | np.integer) or (
        isinstance(horizon, float) and float(horizon).is_integer()
    )
    if not ok or horizon <= 0:
        raise DataValidationError(
            f"{name}={horizon!r} must be a positive whole number of periods.",
            column=name,
            rule="horizon <= 0" if ok else "not a whole number",
        )
    return int(horizon)


def check_margin_values(values, name: str, allow_negative: bool, *, ids=None) -> np.ndarray:
    """Validate margins: numeric, finite, and non-negative unless allowed.

    Examples
    --------
    >>> check_margin_values([10.0, -1.0], "margin", False)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: column 'margin': negative margin ...
    """
    arr = np.asarray(values, dtype=float)
    ids = pd.Series(list(ids)) if ids is not None else None
    v = _Violations(arr.size, ids, hint=False)
    v.add(name, "missing or infinite margin", ~np.isfinite(arr))
    if not allow_negative:
        v.add(name, "negative margin (pass allow_negative_margin=True to allow)", arr < 0)
    if v.records:
        v.raise_first()
    return arr


def check_survival_curve(values, name: str = "curve") -> np.ndarray:
    """Validate a survival curve: values in [0, 1] that never increase.

    Examples
    --------
    >>> check_survival_curve([1.0, 0.9, 0.95])
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: curve: survival increases at 1 point(s) ...
    """
    arr = np.asarray(values, dtype=float)
    outside = ~((arr >= 0) & (arr <= 1))
    if outside.any():
        pos = np.flatnonzero(outside)
        raise DataValidationError(
            f"{name}: survival must lie in [0, 1]; {pos.size} value(s) outside, at positions "
            f"{pos[:_N_EXAMPLES].tolist()}.",
            column=name,
            rule="survival outside [0, 1]",
            n_rows=int(pos.size),
            examples=pos[:_N_EXAMPLES].tolist(),
        )
    up = np.flatnonzero(np.diff(arr) > 1e-12) + 1
    if up.size:
        raise DataValidationError(
            f"{name}: survival increases at {up.size} point(s) (positions "
            f"{up[:_N_EXAMPLES].tolist()}); a survival curve never goes up.",
            column=name,
            rule="survival increases",
            n_rows=int(up.size),
            examples=up[:_N_EXAMPLES].tolist(),
        )
    return arr
