"""Row rules behind :func:`churnsurv.prepare`: columns present, numbers, dates, event labels.

Each rule records the offending row positions in a :class:`churnsurv._validation.Violations`
collector, which then raises one :class:`~churnsurv.exceptions.DataValidationError` naming the
column, rule, count and example ids, or (``on_invalid="drop"``) lists the rows as excluded with
their reasons.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from churnsurv._typing import Label
from churnsurv._validation import Violations
from churnsurv.exceptions import DataValidationError


def require_unique_columns(df: pd.DataFrame) -> None:
    """Refuse a table whose header names a column twice (which one would be meant?)."""
    dup = df.columns[df.columns.duplicated()].unique().tolist()
    if dup:
        raise DataValidationError(
            f"column {dup[0]!r}: the table has {len(dup)} duplicate column name(s) {dup[:5]}; "
            "rename them so that each name means one column.",
            column=str(dup[0]),
            rule="duplicate column name",
        )


def require_table_columns(df: pd.DataFrame, names: Iterable[str | None]) -> None:
    for name in names:
        if name is None:
            continue
        if name not in df.columns:
            close = difflib.get_close_matches(str(name), [str(c) for c in df.columns], n=3)
            hint = f" Did you mean {close}?" if close else ""
            raise DataValidationError(
                f"column {name!r}: missing column; the table has {len(df.columns)} columns "
                f"{list(df.columns)[:12]}{'...' if len(df.columns) > 12 else ''}.{hint}",
                column=str(name),
                rule="missing column",
            )


def _kind(series: pd.Series) -> str:
    """What a column holds, as pandas infers it (``"boolean"``, ``"timedelta"``, ...)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return pd.api.types.infer_dtype(series.cat.categories, skipna=True)
    return pd.api.types.infer_dtype(series, skipna=True)


#: Column kinds that are never numbers of time units or of money, whatever numpy could make of
#: them, with the advice given.
_NOT_NUMBERS = {
    "boolean": "True/False values are not amounts; give numbers",
    "complex": "complex numbers are not amounts; give real numbers",
    "timedelta": "time spans (timedelta) carry no unit churnsurv can trust; convert them, e.g. "
    "df[col].dt.days, and say the unit with time_unit=",
    "timedelta64": "time spans (timedelta) carry no unit churnsurv can trust; convert them, e.g. "
    "df[col].dt.days, and say the unit with time_unit=",
    "datetime64": "dates are not durations; give signup and churn dates with start_date= and "
    "end_date=",
    "datetime": "dates are not durations; give signup and churn dates with start_date= and "
    "end_date=",
    "date": "dates are not durations; give signup and churn dates with start_date= and end_date=",
    "period": "periods are not durations; give numbers of time units",
}


def numeric_column(series: pd.Series, column: str, v: Violations, what: str) -> np.ndarray:
    """Coerce to float, recording non-numeric, missing and infinite values.

    A column that is booleans, complex numbers, time spans or dates as a whole is refused at
    once (numpy would silently read them as 0/1, drop imaginary parts or count nanoseconds).
    """
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf":
        return _numpy_numbers(series.to_numpy(), column, v, what)
    kind = _kind(series)
    if kind in _NOT_NUMBERS:
        raise DataValidationError(
            f"column {column!r}: a {what} must be a number, but the column holds {kind} "
            f"values: {_NOT_NUMBERS[kind]}.",
            column=column,
            rule=f"{kind} {what}",
            n_rows=len(series),
        )
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    values = pd.to_numeric(series, errors="coerce")
    if pd.api.types.is_complex_dtype(values):  # an object column with some complex cells
        values = pd.Series(np.where(np.imag(values) == 0, np.real(values), np.nan))
    values = values.to_numpy(dtype=float, na_value=np.nan)
    missing = series.isna().to_numpy()
    v.add(column, f"missing {what}", missing)
    v.add(column, f"non-numeric {what}", np.isnan(values) & ~missing)
    v.add(column, f"infinite {what}", np.isinf(values))
    return values


def _numpy_numbers(values: np.ndarray, column: str, v: Violations, what: str) -> np.ndarray:
    """A float or integer column: numpy's checks, and no copy of a float64 column."""
    values = values.astype(float, copy=False)
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        v.add(column, f"missing {what}", nan)
        v.add(column, f"infinite {what}", np.isinf(values))
    return values


#: ISO 8601 dates (with or without a time and a UTC offset).
_ISO_DATE = r"^\s*\d{4}-\d{2}-\d{2}([T ][0-9:.]+)?(Z|[+-]\d{2}:?\d{2})?\s*$"


def to_naive_utc(parsed: pd.Series) -> pd.Series:
    """Timestamps with a UTC offset as naive UTC timestamps (naive ones are left as they are).

    Durations are differences of dates, so every date of a table must be on one clock; an offset
    (``+02:00``, ``Z``, a tz-aware column) is converted to UTC and dropped.
    """
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def parse_dates(series: pd.Series, column: str, v: Violations, *, required: bool) -> pd.Series:
    """Dates of a column as naive (UTC) timestamps, recording missing and unparseable cells.

    Text (ISO 8601, with or without a UTC offset) and datetime columns are read; a column of
    numbers is refused (``20200115`` would be read as nanoseconds since 1970).
    """
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        example = series.dropna().iloc[0] if series.notna().any() else None
        raise DataValidationError(
            f"column {column!r}: dates are numbers (e.g. {example!r}); "
            "numbers would be read as nanoseconds since 1970. Give dates as text "
            "('2020-01-15') or datetime values, e.g. pd.to_datetime(df[col].astype(str), "
            "format='%Y%m%d').",
            column=column,
            rule="numeric dates",
            n_rows=len(series),
        )
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series
    else:
        with warnings.catch_warnings():
            # pandas warns when it cannot infer one format and parses element by element; that
            # is what we want for user files, and bad cells become NaT and are reported below.
            warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
            # utc=True puts every value on one clock: an offset is converted to UTC, a naive
            # value is taken as it is (and is naive again after to_naive_utc). ISO 8601 text
            # may mix dates, times and offsets from row to row.
            text = series.dropna().astype(str)
            iso = bool(len(text)) and bool(text.str.match(_ISO_DATE).all())
            fmt = "ISO8601" if iso else None
            parsed = pd.to_datetime(series, errors="coerce", utc=True, format=fmt)
    parsed = to_naive_utc(parsed)
    missing = series.isna().to_numpy()
    if required:
        v.add(column, "missing date", missing)
    v.add(column, "unparseable date", parsed.isna().to_numpy() & ~missing)
    return parsed


def parse_cutoff(cutoff: object, *, name: str = "cutoff") -> pd.Timestamp:
    """One date (the observation cutoff) as a naive UTC timestamp; anything else is refused.

    Examples
    --------
    >>> parse_cutoff("2024-12-31T00:00:00+02:00")
    Timestamp('2024-12-30 22:00:00')
    >>> parse_cutoff("soon")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: cutoff='soon' is not a date; ...
    """
    try:
        value = pd.Timestamp(cutoff)
    except (ValueError, TypeError):
        value = pd.NaT
    if value is pd.NaT or pd.isna(value):
        raise DataValidationError(
            f"{name}={cutoff!r} is not a date; give the end of observation, e.g. '2024-12-31'.",
            column=name,
            rule="not a date",
        )
    if value.tzinfo is not None:
        value = value.tz_convert("UTC").tz_localize(None)
    return value


def parse_events(
    series: pd.Series, column: str, v: Violations, event_value: Label, censor_value: Label
) -> np.ndarray:
    """The churn indicator of an event column, recording missing and undeclared values.

    Numeric and boolean columns without ``event_value`` take numpy's path (one pass per rule:
    the values must be 0/1 or booleans); labels are factorized once (``pandas.factorize``, or the
    codes of a categorical) and every rule is decided on the few distinct labels, then mapped to
    the rows through the codes.

    Examples
    --------
    >>> import pandas as pd
    >>> from churnsurv._validation import Violations
    >>> v = Violations(4, None)
    >>> parse_events(pd.Series(["Yes", "No", None, "No"]), "e", v, "Yes", None).tolist()
    [True, False, False, False]
    >>> [(rule, pos.tolist()) for _, rule, pos, _ in v.records]
    [('missing event', [2])]
    """
    if event_value is None and isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":
        return _numeric_events(series.to_numpy(), column, v)
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        uniques = np.asarray(series.cat.categories, dtype=object)
    else:
        codes, uniques_index = pd.factorize(series, use_na_sentinel=True)
        uniques = np.asarray(uniques_index, dtype=object)
    missing = codes < 0
    v.add(column, "missing event", missing)
    counts = np.bincount(codes[~missing], minlength=len(uniques))
    seen = uniques[counts > 0]  # a categorical's unused categories are not values seen
    if event_value is None:
        return _unlabelled_events(series, codes, uniques, seen, column, v)
    is_event = np.array([u == event_value for u in uniques], dtype=bool)
    if censor_value is not None:
        declared = np.array([u == event_value or u == censor_value for u in uniques], dtype=bool)
    else:
        # the most common other label is the censoring label
        counts[is_event] = -1
        declared = is_event.copy()
        if len(uniques) and counts.max() > 0:
            declared[int(np.argmax(counts))] = True
    if not any(u == event_value for u in seen):
        detail = f" (values seen: {sorted(map(str, seen))[:10]})"
        v.add(column, f"event_value {event_value!r} never occurs", ~missing, detail)
    labels = {event_value} | (
        {censor_value} if censor_value is not None else set(uniques[declared])
    )
    shown = sorted(map(repr, labels))
    outside = ~missing & ~_lookup(declared, codes)
    v.add(column, f"event value outside the declared set {{{', '.join(shown)}}}", outside)
    return _lookup(is_event, codes)


def _lookup(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``table[codes]`` with code -1 (missing) mapped to False."""
    return np.append(table, False)[codes]


def _numeric_events(values: np.ndarray, column: str, v: Violations) -> np.ndarray:
    """0/1 or boolean events: numpy only (no copy of a boolean column)."""
    if values.dtype.kind == "b":
        return values
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        v.add(column, "missing event", missing)
        v.add(
            column,
            "event value outside the declared set {0, 1}",
            ~missing & (values != 0) & (values != 1),
        )
    else:
        v.add(column, "event value outside the declared set {0, 1}", (values != 0) & (values != 1))
    return values == 1


def _unlabelled_events(series, codes, uniques, seen, column: str, v: Violations) -> np.ndarray:
    """Events without ``event_value``: booleans (with missing cells) or 0/1 numbers as text."""
    if all(isinstance(x, bool | np.bool_) for x in seen):
        return _lookup(np.array([bool(u) for u in uniques], dtype=bool), codes)
    numeric = pd.to_numeric(pd.Series(seen, dtype=object), errors="coerce")
    if numeric.notna().all():
        as_number = pd.to_numeric(series, errors="coerce")
        bad = ~series.isna() & ~as_number.isin([0, 1])
        v.add(column, "event value outside the declared set {0, 1}", bad.to_numpy())
        return (as_number == 1).to_numpy()
    raise DataValidationError(
        f"column {column!r}: event labels {sorted(map(str, seen))[:10]} need "
        "event_value= to say which label means churned (e.g. event_value='Yes').",
        column=column,
        rule="event labels without event_value",
    )
