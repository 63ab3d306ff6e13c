"""Checks of model-side inputs (private): discount rates, horizons, margins, survival curves,
finite arrays and cohort survivor counts.

Used by :mod:`churnsurv.clv` and the BTYD models; the rate, horizon, margin and curve checks are
re-exported by :mod:`churnsurv.data`, where all validation is documented.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._rules import _N_EXAMPLES, _Violations
from churnsurv.exceptions import DataValidationError

__all__ = [
    "as_float_array",
    "check_annual_rate",
    "check_horizon",
    "check_margin_values",
    "check_survival_curve",
    "check_survivor_counts",
]

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


def as_float_array(values, name: str) -> np.ndarray:
    """1-D float array from an array-like; NaN/inf raise :class:`DataValidationError`.

    Examples
    --------
    >>> as_float_array([1, 2.5], "x").tolist()
    [1.0, 2.5]
    """
    arr = np.asarray(values, dtype=float).ravel()
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataValidationError(
            f"{name}: {int(bad.sum())} value(s) are missing or not finite "
            f"(positions {np.flatnonzero(bad)[:5].tolist()}).",
            column=name,
            rule="non-finite",
            n_rows=int(bad.sum()),
            examples=np.flatnonzero(bad)[:5].tolist(),
        )
    return arr


def check_survivor_counts(survivors) -> np.ndarray:
    """Check a cohort's survivor counts (sBG input) and return them as whole-number floats.

    Examples
    --------
    >>> check_survivor_counts([1000, 631, 468]).tolist()
    [1000.0, 631.0, 468.0]
    >>> check_survivor_counts([1000, 1100])
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: survivor counts cannot increase over time ...
    """
    arr = as_float_array(survivors, "survivors")
    if arr.size < 2:
        raise DataValidationError(
            f"survivors needs the cohort size and at least one later count (>= 2 periods), "
            f"got {arr.size} value(s).",
            column="survivors",
            rule="fewer than 2 periods",
            n_rows=int(arr.size),
        )
    negative = np.flatnonzero(arr < 0)
    if negative.size:
        raise DataValidationError(
            f"survivors must be non-negative counts; {negative.size} negative value(s) at "
            f"period(s) {negative[:5].tolist()}.",
            column="survivors",
            rule="negative count",
            n_rows=int(negative.size),
            examples=negative[:5].tolist(),
        )
    fractional = np.flatnonzero(np.abs(arr - np.round(arr)) > 1e-8)
    if fractional.size:
        raise DataValidationError(
            f"survivors must be whole numbers of customers (not proportions); "
            f"{fractional.size} non-integer value(s) at period(s) {fractional[:5].tolist()}.",
            column="survivors",
            rule="non-integer count",
            n_rows=int(fractional.size),
            examples=fractional[:5].tolist(),
        )
    if arr[0] == 0:
        raise DataValidationError(
            "survivors[0] is the cohort size and must be positive, got 0.",
            column="survivors",
            rule="empty cohort",
        )
    rising = np.flatnonzero(np.diff(arr) > 0) + 1
    if rising.size:
        raise DataValidationError(
            f"survivor counts cannot increase over time (a cohort only loses customers); "
            f"the count rises at period(s) {rising[:5].tolist()}.",
            column="survivors",
            rule="increasing survivors",
            n_rows=int(rising.size),
            examples=rising[:5].tolist(),
        )
    return np.round(arr)
