"""The one violation collector and the shared argument rules (private).

Everything that checks an *argument* (a choice among options, a time unit, an annual discount
rate, a horizon, margins, survival curves, survivor counts, float arrays) lives here and is used
by the library and the ``churnsurv report`` command alike, so both refuse the same values with
the same message. Row-by-row rules on a user's table are in :mod:`churnsurv.data.rules`; both
raise :class:`~churnsurv.exceptions.DataValidationError` (a ``ValueError``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from churnsurv._categories import distinct_count
from churnsurv._typing import ArrayLike, Columns
from churnsurv.exceptions import DataValidationError, NotFittedError

__all__ = [
    "check_penalizer",
    "check_conf_level",
    "check_is_fitted",
    "as_float_array",
    "check_annual_rate",
    "check_choice",
    "check_cost",
    "check_count",
    "check_date_format",
    "check_fraction",
    "check_horizon",
    "check_inactivity",
    "check_margin_values",
    "check_memory_limit",
    "check_probability",
    "check_seed",
    "check_segment_levels",
    "check_survival_curve",
    "check_survivor_counts",
    "check_unit",
]

#: Annual discount rates above this (1 = 100% a year) are refused as almost certainly a unit
#: mistake, such as 10 written for 10%.
MAX_ANNUAL_RATE = 1.0

#: Horizons (CLV, value at risk) longer than this many periods are refused: 10,000 months is
#: over 800 years, and value at risk holds customers × horizon numbers in memory.
MAX_HORIZON = 10_000

#: Seeds are whole numbers in numpy's legacy range, ``0 <= seed < 2**32`` (``np.random.seed``).
MAX_SEED = 2**32 - 1

#: Segment columns (``by``) with more levels than this are refused: a plot of more curves cannot be
#: read, and a test across that many groups (most of them small) is no answer to "do segments
#: differ?". A continuous column (a price, a number of seats) is the usual mistake.
MAX_SEGMENT_LEVELS = 20

#: How many example ids an error message names.
N_EXAMPLES = 5


def _label(ids: pd.Series | None, positions: np.ndarray) -> list:
    """Up to five example ids (or row positions when there is no id column)."""
    positions = np.asarray(positions)[:N_EXAMPLES]
    if ids is None:
        return [int(p) for p in positions]
    return [_py(ids.iloc[int(p)]) for p in positions]


def _py(value):
    """A numpy scalar as a plain Python value (messages read ``[3]``, not ``[np.int64(3)]``)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass
class Violations:
    """Collects broken rules row by row, then raises or drops."""

    n_rows: int
    ids: pd.Series | None
    records: list = field(default_factory=list)  # (column, rule, positions, detail)
    hint: bool = True  # suggest on_invalid='drop' (only where that option exists)

    def add(self, column: str, rule: str, mask: ArrayLike, detail: str = "") -> None:
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if positions.size:
            self.records.append((column, rule, positions, detail))

    def bad_mask(self) -> np.ndarray:
        mask = np.zeros(self.n_rows, dtype=bool)
        for _, _, positions, _ in self.records:
            mask[positions] = True
        return mask

    def message(self) -> str:
        who = "ids" if self.ids is not None else "row positions"
        lines = []
        for column, rule, positions, detail in self.records:
            examples = _label(self.ids, positions)
            lines.append(
                f"column {column!r}: {rule} in {positions.size} row(s){detail}; "
                f"example {who}: {examples}"
            )
        hint = "\nPass on_invalid='drop' to exclude these rows and see them in ChurnData.excluded."
        return "\n".join(lines) + (hint if self.hint and lines else "")

    def raise_first(self) -> None:
        column, rule, positions, _ = self.records[0]
        raise DataValidationError(
            self.message(),
            column=column,
            rule=rule,
            n_rows=int(positions.size),
            examples=_label(self.ids, positions),
        )

    def keep_mask(self, on_invalid: str) -> np.ndarray:
        """Rows to keep: raise on any broken rule (``"raise"``), else drop the broken rows.

        Dropping every row is an error too: there would be nothing left to analyse.
        """
        if not self.records:
            return np.ones(self.n_rows, dtype=bool)
        if on_invalid == "raise":
            self.raise_first()
        keep = ~self.bad_mask()
        if not keep.any():
            self.hint = False
            raise DataValidationError(
                f"all {self.n_rows} rows broke a rule and were excluded:\n{self.message()}",
                rule="empty table",
                n_rows=self.n_rows,
            )
        return keep

    def excluded_frame(self, index_name: str) -> pd.DataFrame:
        rows: dict[int, list[str]] = {}
        columns: dict[int, list[str]] = {}
        for column, rule, positions, _ in self.records:
            for p in positions:
                rows.setdefault(int(p), []).append(rule)
                columns.setdefault(int(p), []).append(column)
        pos = sorted(rows)
        frame: dict[str, list] = {"row": pos}
        if self.ids is not None:
            # an id column named like one of this table's own columns is listed as "id"
            name = "id" if index_name in ("row", "column", "reason") else index_name
            frame[name] = [_py(self.ids.iloc[p]) for p in pos]
        frame["column"] = ["; ".join(dict.fromkeys(columns[p])) for p in pos]
        frame["reason"] = ["; ".join(dict.fromkeys(rows[p])) for p in pos]
        return pd.DataFrame(frame).astype({"column": object, "reason": object})


def as_list(value: Columns) -> list:
    """One column name or several as a list (a single name may be any hashable, e.g. ``0``).

    Examples
    --------
    >>> as_list("plan"), as_list(["plan", "channel"]), as_list(0), as_list(None)
    (['plan'], ['plan', 'channel'], [0], [])
    """
    if value is None:
        return []
    if isinstance(value, str | int | np.integer) or not hasattr(value, "__iter__"):
        return [value]
    return list(value)


#: The time units every duration may carry.
TIME_UNITS: tuple[str, ...] = ("day", "week", "month", "year")


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> None:
    """Raise :class:`DataValidationError` unless ``value`` is one of ``allowed``.

    Examples
    --------
    >>> check_choice("conf_type", "plain", ("log", "log-log"))
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: conf_type='plain' is not understood; use one of ...
    """
    if value not in allowed:
        raise DataValidationError(
            f"{name}={value!r} is not understood; use one of {list(allowed)}.",
            column=name,
            rule="unknown option",
        )


def check_unit(time_unit: Any, *, name: str = "time_unit") -> str:
    """Validate a time unit: one of :data:`TIME_UNITS`.

    Examples
    --------
    >>> check_unit("month")
    'month'
    >>> check_unit("fortnight")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: time_unit='fortnight' is not understood; ...
    """
    if time_unit not in TIME_UNITS:
        raise DataValidationError(
            f"{name}={time_unit!r} is not understood; use one of {list(TIME_UNITS)}.",
            column=name,
            rule="unknown time unit",
        )
    return time_unit


def check_date_format(date_format: Any, *, name: str = "date_format") -> str | None:
    """Validate a date format: None, ``"ISO8601"``, or a strftime format with a day, month, year.

    The format is the one :func:`pandas.to_datetime` takes (``"%d/%m/%Y"`` for 25/11/2023); it
    must name the day (``%d``), the month (``%m``, ``%b`` or ``%B``) and the year (``%Y`` or
    ``%y``), and read back what it writes.

    Examples
    --------
    >>> check_date_format("%d/%m/%Y")
    '%d/%m/%Y'
    >>> check_date_format("dd/mm/yyyy")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: date_format='dd/mm/yyyy' is not a date format; ...
    """
    if date_format is None or date_format == "ISO8601":
        return date_format
    has = (
        isinstance(date_format, str)
        and "%d" in date_format
        and any(m in date_format for m in ("%m", "%b", "%B"))
        and any(y in date_format for y in ("%Y", "%y"))
    )
    if has:
        sample = pd.Timestamp("2023-11-25 10:30:45")
        try:
            back = pd.to_datetime(sample.strftime(date_format), format=date_format)
        except (ValueError, TypeError):
            has = False
        else:
            has = back.date() == sample.date()
    if not has:
        raise DataValidationError(
            f"{name}={date_format!r} is not a date format; give the day, month and year as "
            "strftime codes, e.g. '%d/%m/%Y' for 25/11/2023, '%m/%d/%Y' for 11/25/2023, "
            "'%d.%m.%y %H:%M' for 25.11.23 10:30, or 'ISO8601'.",
            column=name,
            rule="bad date format",
        )
    return date_format


def check_segment_levels(
    frame: pd.DataFrame,
    columns: Iterable[str],
    *,
    max_levels: int = MAX_SEGMENT_LEVELS,
    name: str = "by",
) -> None:
    """Refuse segment columns (``by``) with more than ``max_levels`` levels, before any fit.

    One curve, one row of a table and one log-rank group per level: with hundreds of levels
    (a price or any continuous column) the plot is unreadable and the test degenerate. The
    message gives the number of levels and the way out: bin the column (``pd.qcut``, or
    ``--bins`` on the command line) or choose a categorical column. Several columns together
    may not form more than ``max_levels`` groups either. ``name`` is the argument named in the
    message (``"--by"`` on the command line).

    Examples
    --------
    >>> frame = pd.DataFrame({"plan": ["a", "b"] * 50, "fee": np.linspace(10, 99, 100)})
    >>> check_segment_levels(frame, ["plan"])
    >>> check_segment_levels(frame, ["fee"])
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: by='fee': 100 levels (numbers with many distinct ...
    """
    cols = list(columns)
    for col in cols:
        values = frame[col]
        levels = distinct_count(values)  # a categorical's levels from its codes
        if levels <= max_levels:
            continue
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        what = (
            "numbers with many distinct values: a continuous column"
            if numeric and not isinstance(values.dtype, pd.CategoricalDtype)
            else "labels"
        )
        if what == "labels":
            fix = "group the rare levels into one (e.g. 'other') or choose a column with fewer"
        elif name.startswith("--"):  # the command line
            fix = "compare it in quantile bins with --bins 4, or choose a categorical column"
        else:
            fix = (
                f"bin it first, e.g. df[{col!r}] = pd.qcut(df[{col!r}], 4) (command line: "
                "--bins 4), or choose a categorical column"
            )
        raise DataValidationError(
            f"{name}={col!r}: {levels:,} levels ({what}); segments are compared one curve and "
            f"one test group per level, at most {max_levels}. {fix[:1].upper() + fix[1:]}.",
            column=str(col),
            rule="too many segment levels",
            n_rows=len(values),
        )
    if len(cols) > 1:
        groups = int(frame.groupby(cols, observed=True).ngroups)
        if groups > max_levels:
            raise DataValidationError(
                f"{name}={cols}: the columns together form {groups:,} segments, more than "
                f"{max_levels}; compare them one at a time or combine fewer columns.",
                column=str(cols[0]),
                rule="too many segment levels",
                n_rows=len(frame),
            )


def check_fraction(value: Any, *, name: str) -> float:
    """Validate a share: a number from 0 to 1 (0.05 = 5%).

    Examples
    --------
    >>> check_fraction(0.05, name="max_excluded")
    0.05
    >>> check_fraction(5, name="max_excluded")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: max_excluded=5 must be a share from 0 to 1 ...
    """
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if not ok or not 0 <= float(value) <= 1:
        raise DataValidationError(
            f"{name}={value!r} must be a share from 0 to 1 (0.05 = 5%).",
            column=name,
            rule="not a share",
        )
    return float(value)


#: Units of an inactivity rule (``"180D"``, ``"26W"``, ``"6M"``, ``"1Y"``): days or months.
INACTIVITY_UNITS = {"D": ("day", 1), "W": ("day", 7), "M": ("month", 1), "Y": ("month", 12)}


def check_inactivity(rule: Any, *, name: str = "inactivity") -> tuple[str, int]:
    """Parse an inactivity rule into ``("day", n_days)`` or ``("month", n_months)``.

    A whole number followed by ``D`` (days), ``W`` (weeks of 7 days), ``M`` (calendar months)
    or ``Y`` (12 calendar months). Months are calendar-exact: a gap of ``"6M"`` after 31 August
    is reached on 28 (29) February, the rule of :func:`churnsurv.elapsed`.

    Examples
    --------
    >>> check_inactivity("180D"), check_inactivity("6M"), check_inactivity("1y")
    (('day', 180), ('month', 6), ('month', 12))
    >>> check_inactivity("six months")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: inactivity='six months' is not understood; ...
    """
    match = re.fullmatch(r"\s*(\d+)\s*([DWMY])\s*", rule.upper()) if isinstance(rule, str) else None
    if match is None or int(match.group(1)) < 1:
        raise DataValidationError(
            f"{name}={rule!r} is not understood; give a positive whole number and a unit, "
            "e.g. '180D' (days), '26W' (weeks), '6M' (calendar months) or '1Y'.",
            column=name,
            rule="unknown inactivity rule",
        )
    unit, factor = INACTIVITY_UNITS[match.group(2)]
    return unit, int(match.group(1)) * factor


def check_annual_rate(rate: Any, *, name: str = "annual_discount_rate") -> float:
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


def _is_whole(value) -> bool:
    """An int (not a bool), or a float with no fractional part."""
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, int | np.integer) or (
        isinstance(value, float | np.floating) and float(value).is_integer()
    )


def check_horizon(horizon: Any, *, name: str = "horizon", whole: bool = True) -> Any:
    """Validate a horizon: a positive number of periods, at most :data:`MAX_HORIZON`.

    Whole unless ``whole=False``; returns an ``int`` for whole horizons, a ``float`` otherwise.
    Booleans are refused.

    Examples
    --------
    >>> check_horizon(60)
    60
    >>> check_horizon(2.5, whole=False)
    2.5
    >>> check_horizon(0)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: horizon=0 must be a positive whole number ...
    >>> check_horizon(10**8)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: horizon=100000000 is too long: at most 10,000 ...
    """
    number = isinstance(horizon, int | float | np.integer | np.floating) and not isinstance(
        horizon, bool | np.bool_
    )
    kind = "whole number" if whole else "number"
    if not number or not np.isfinite(horizon) or horizon <= 0:
        raise DataValidationError(
            f"{name}={horizon!r} must be a positive {kind} of periods.",
            column=name,
            rule="horizon <= 0" if number else "not a number",
        )
    if whole and not _is_whole(horizon):
        raise DataValidationError(
            f"{name}={horizon!r} must be a positive whole number of periods.",
            column=name,
            rule="not a whole number",
        )
    if horizon > MAX_HORIZON:
        raise DataValidationError(
            f"{name}={horizon!r} is too long: at most {MAX_HORIZON:,} periods (10,000 months is "
            "over 800 years; use a coarser time unit for longer horizons).",
            column=name,
            rule="horizon too long",
        )
    return int(horizon) if whole else float(horizon)


def check_count(value: Any, *, name: str, minimum: int = 1) -> int:
    """Validate a count (customers listed, events required): a whole number >= ``minimum``.

    Examples
    --------
    >>> check_count(20, name="n")
    20
    >>> check_count(-1, name="min_events", minimum=0)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: min_events=-1 must be a whole number >= 0.
    """
    if not _is_whole(value) or value < minimum:
        raise DataValidationError(
            f"{name}={value!r} must be a whole number >= {minimum}.",
            column=name,
            rule="bad count",
        )
    return int(value)


def check_seed(seed: Any, *, name: str = "seed") -> int:
    """Validate a random seed: a whole number from 0 to :data:`MAX_SEED` (``2**32 - 1``).

    The range is numpy's for ``np.random.seed``, which the report notebook calls.

    Examples
    --------
    >>> check_seed(42)
    42
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: seed=-1 must be a whole number from 0 to 2**32 - 1.
    """
    if not _is_whole(seed) or not 0 <= seed <= MAX_SEED:
        raise DataValidationError(
            f"{name}={seed!r} must be a whole number from 0 to 2**32 - 1.",
            column=name,
            rule="bad seed",
        )
    return int(seed)


def check_margin_values(
    values: ArrayLike, name: str, allow_negative: bool, *, ids: Iterable[object] | None = None
) -> np.ndarray:
    """Validate margins: numeric, finite, and non-negative unless allowed.

    Examples
    --------
    >>> check_margin_values([10.0, -1.0], "margin", False)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: column 'margin': negative margin ...
    """
    arr = np.asarray(values, dtype=float)
    if np.isfinite(arr).all() and (allow_negative or not (arr < 0).any()):
        return arr  # valid: the ids (examples for the message) are not needed
    ids = pd.Series(list(ids)) if ids is not None else None
    v = Violations(arr.size, ids, hint=False)
    v.add(name, "missing or infinite margin", ~np.isfinite(arr))
    if not allow_negative:
        v.add(name, "negative margin (pass allow_negative_margin=True to allow)", arr < 0)
    if v.records:
        v.raise_first()
    return arr


def check_survival_curve(values: ArrayLike, name: str = "curve") -> np.ndarray:
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
            f"{pos[:N_EXAMPLES].tolist()}.",
            column=name,
            rule="survival outside [0, 1]",
            n_rows=int(pos.size),
            examples=pos[:N_EXAMPLES].tolist(),
        )
    up = np.flatnonzero(np.diff(arr) > 1e-12) + 1
    if up.size:
        raise DataValidationError(
            f"{name}: survival increases at {up.size} point(s) (positions "
            f"{up[:N_EXAMPLES].tolist()}); a survival curve never goes up.",
            column=name,
            rule="survival increases",
            n_rows=int(up.size),
            examples=up[:N_EXAMPLES].tolist(),
        )
    return arr


def as_float_array(values: ArrayLike, name: str) -> np.ndarray:
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


def check_survivor_counts(survivors: ArrayLike) -> np.ndarray:
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


def check_is_fitted(model: Any, attribute: str = "params_") -> None:
    """Raise :class:`~churnsurv.exceptions.NotFittedError` unless ``model`` has ``attribute``.

    Examples
    --------
    >>> class M:
    ...     pass
    >>> check_is_fitted(M())
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.NotFittedError: this M is not fitted yet; call .fit(...) first.
    """
    if not hasattr(model, attribute):
        raise NotFittedError(
            f"this {type(model).__name__} is not fitted yet; call .fit(...) first."
        )


def check_conf_level(conf_level: Any, *, name: str = "conf_level") -> float:
    """Validate a confidence level: a number strictly between 0 and 1 (0.95 for 95%).

    Examples
    --------
    >>> check_conf_level(0.9)
    0.9
    >>> check_conf_level(95)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: conf_level=95 must be between 0 and 1 ...
    """
    try:
        value = float(conf_level)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(conf_level, bool) or not 0.0 < value < 1.0:
        raise DataValidationError(
            f"{name}={conf_level!r} must be between 0 and 1 (0.95 for 95% intervals).",
            column=name,
            rule="confidence level outside (0, 1)",
        )
    return value


def z_quantile(conf_level: float) -> float:
    """The standard-normal quantile of a two-sided interval at ``conf_level``.

    Examples
    --------
    >>> round(z_quantile(0.95), 4)
    1.96
    """
    from scipy import stats

    return float(stats.norm.ppf(0.5 + conf_level / 2.0))


def check_penalizer(penalizer: Any, *, name: str = "penalizer") -> float:
    """Validate a ridge penalizer: a finite number >= 0.

    Examples
    --------
    >>> check_penalizer(-1)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: penalizer=-1 must be a finite number >= 0 ...
    """
    ok = isinstance(penalizer, int | float | np.integer | np.floating) and not isinstance(
        penalizer, bool
    )
    if not ok or not np.isfinite(penalizer) or penalizer < 0:
        raise DataValidationError(
            f"{name}={penalizer!r} must be a finite number >= 0 (0 = no penalty).",
            column=name,
            rule="penalizer < 0",
        )
    return float(penalizer)


def check_cost(value: Any, *, name: str = "cost") -> float:
    """Validate an amount of money spent (an offer's or a campaign's cost): finite and >= 0.

    Examples
    --------
    >>> check_cost(40)
    40.0
    >>> check_cost(-5, name="offer_cost")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: offer_cost=-5 must be a finite amount >= 0.
    """
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    if not ok or not np.isfinite(value) or value < 0:
        raise DataValidationError(
            f"{name}={value!r} must be a finite amount >= 0.",
            column=name,
            rule="bad cost",
        )
    return float(value)


def check_probability(value: Any, *, name: str = "probability") -> float:
    """Validate a probability (a success rate): a number in [0, 1].

    Examples
    --------
    >>> check_probability(0.25, name="success_rate")
    0.25
    >>> check_probability(25, name="success_rate")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: success_rate=25 must be a probability in [0, 1] ...
    """
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    if not ok or not 0 <= value <= 1:
        raise DataValidationError(
            f"{name}={value!r} must be a probability in [0, 1] (0.25 for 1 in 4).",
            column=name,
            rule="not a probability",
        )
    return float(value)


_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


def check_memory_limit(value: Any, *, name: str = "memory_limit") -> str:
    """``value`` as a DuckDB memory size (``"2GB"``, ``"500MB"``, ``"1.5GiB"``), or an error.

    Examples
    --------
    >>> check_memory_limit("1.5GB")
    '1.5GB'
    >>> check_memory_limit("lots", name="--memory-limit")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: --memory-limit='lots' is not a memory size; ...
    """
    if not isinstance(value, str) or not _SIZE.match(value):
        raise DataValidationError(
            f"{name}={value!r} is not a memory size; give a number and a unit, e.g. '2GB', "
            "'500MB' or '1.5GiB'.",
            column=name,
            rule="not a memory size",
        )
    return value.strip()
