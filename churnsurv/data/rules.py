"""Row rules behind :func:`churnsurv.prepare`: columns present, numbers, dates, event labels.

Each rule records the offending row positions in a :class:`churnsurv._validation.Violations`
collector, which then raises one :class:`~churnsurv.exceptions.DataValidationError` naming the
column, rule, count and example ids, or (``on_invalid="drop"``) lists the rows as excluded with
their reasons.
"""

from __future__ import annotations

import calendar
import difflib
import re
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from churnsurv._typing import Label
from churnsurv._validation import Violations
from churnsurv.data._text import duplicated_text
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

#: Dates written as three numbers with day and month in an order only their writer knows:
#: ``02/11/2023``, ``2.11.23``, ``02-11-2023`` (a time may follow). Year-first dates
#: (``2023/11/02``) are read year, month, day, as everyone writes them.
_NUMERIC_DATE = (
    r"^\s*(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})[/.\-](?P<year>\d{4}|\d{2})"
    r"(?P<time>[T ]\d{1,2}:\d{2}(?P<sec>:\d{2})?)?\s*$"
)


def to_naive_utc(parsed: pd.Series) -> pd.Series:
    """Timestamps with a UTC offset as naive UTC timestamps (naive ones are left as they are).

    Durations are differences of dates, so every date of a table must be on one clock; an offset
    (``+02:00``, ``Z``, a tz-aware column) is converted to UTC and dropped.
    """
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed


def _suggested_format(example: str, day_first: bool) -> str:
    """The strftime format of a numeric date such as ``25/11/2023 10:30`` (day first or not)."""
    m = re.match(_NUMERIC_DATE, example)
    if m is None:  # pragma: no cover - only called on matching text
        return "%d/%m/%Y"
    sep = m["sep"]
    order = ("%d", "%m") if day_first else ("%m", "%d")
    year = "%Y" if len(m["year"]) == 4 else "%y"
    time = "" if not m["time"] else (" %H:%M:%S" if m["sec"] else " %H:%M")
    if m["time"] and m["time"].startswith("T"):
        time = "T" + time[1:]
    return f"{order[0]}{sep}{order[1]}{sep}{year}{time}"


def _cli_format(fmt: str) -> str:
    return f"'{fmt}'" if " " in fmt else fmt


def check_date_order(text: pd.Series, column: str, *, argument: bool = False) -> None:
    """Refuse dates whose day and month order the text does not say (``02/11/2023``).

    churnsurv never guesses that order: pandas reads ``02/11/2023`` as 11 February, and a
    column of day-first dates would be read half one way, half "unparseable". The message names
    the evidence (rows whose first number is above 12, say ``25/11/2023``) and the format to
    give with ``date_format=`` (``--date-format`` on the command line). ``argument=True``: the
    text is the value of the argument ``column`` (e.g. ``cutoff``), not a column of a table.

    Examples
    --------
    >>> check_date_order(pd.Series(["2023-11-02", "2023-11-25"]), "signup")  # ISO: no question
    >>> check_date_order(pd.Series(["02/11/2023", "25/11/2023"]), "signup")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: column 'signup': 2 dates such as '02/11/2023' ...
    """
    parts = text.astype(str).str.extract(_NUMERIC_DATE)
    hits = parts["a"].notna().to_numpy()
    if not hits.any():
        return
    first = parts.loc[hits, "a"].astype(int).to_numpy()
    second = parts.loc[hits, "b"].astype(int).to_numpy()
    shown = text[hits]
    day_first, month_first = (first > 12) & (second <= 12), (second > 12) & (first <= 12)
    open_ = (first <= 12) & (second <= 12)
    example = str(shown[open_].iloc[0] if open_.any() else shown.iloc[0])
    evidence = []
    for seen, which in ((day_first, "day"), (month_first, "month")):
        if seen.any():
            evidence.append(f"{seen.sum():,} put the {which} first (e.g. {shown[seen].iloc[0]!r})")
    if day_first.any() and month_first.any():
        evidence.append("two orders in one column: fix the file")
    question = ""
    if open_.any():
        a, b = int(first[open_][0]), int(second[open_][0])
        question = f" ({a} {calendar.month_name[b]} or {b} {calendar.month_name[a]}?)"
    fmt = _suggested_format(example, day_first=bool(day_first.any() or not month_first.any()))
    n = int(hits.sum())
    if argument:
        subject = f"{column}={example!r} gives"
    elif n == 1:
        subject = f"column {column!r}: the date {example!r} gives"
    else:
        subject = f"column {column!r}: {n:,} dates such as {example!r} give"
    said = "; ".join(evidence) + "." if evidence else ""
    raise DataValidationError(
        f"{subject} day and month as numbers in an order the text does not say{question}. "
        f"{said[:1].upper() + said[1:]}{' ' if said else ''}churnsurv never guesses the order: "
        f"give the format, e.g. date_format={fmt!r} (command line: --date-format "
        f"{_cli_format(fmt)}), or write the dates as ISO 8601 (2023-11-02).",
        column=column,
        rule="ambiguous date order",
        n_rows=n,
    )


def _parse_text_dates(series: pd.Series, column: str, date_format: str | None) -> pd.Series:
    """Text dates as timestamps (UTC): with ``date_format``, exactly that format."""
    text = series.dropna().astype(str)
    if date_format is None:
        iso = bool(len(text)) and bool(text.str.match(_ISO_DATE).all())
        if not iso:
            check_date_order(text, column)
        date_format = "ISO8601" if iso else None
    with warnings.catch_warnings():
        # pandas warns when it cannot infer one format and parses element by element; that
        # is what we want for user files, and bad cells become NaT and are reported.
        warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
        # utc=True puts every value on one clock: an offset is converted to UTC, a naive
        # value is taken as it is (and is naive again after to_naive_utc). ISO 8601 text
        # may mix dates, times and offsets from row to row.
        return pd.to_datetime(series, errors="coerce", utc=True, format=date_format)


def parse_dates(
    series: pd.Series,
    column: str,
    v: Violations,
    *,
    required: bool,
    date_format: str | None = None,
) -> pd.Series:
    """Dates of a column as naive (UTC) timestamps, recording missing and unparseable cells.

    Text (ISO 8601, with or without a UTC offset) and datetime columns are read; a column of
    numbers is refused (``20200115`` would be read as nanoseconds since 1970). Text such as
    ``02/11/2023``, whose day and month order only its writer knows, is refused without
    ``date_format`` (:func:`check_date_order`); with it, every cell must have that format
    (others are "unparseable date").
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
        parsed = _parse_text_dates(series, column, date_format)
    parsed = to_naive_utc(parsed)
    missing = series.isna().to_numpy()
    if required:
        v.add(column, "missing date", missing)
    rule = f"unparseable date (not in the format {date_format!r})" if date_format else ""
    v.add(column, rule or "unparseable date", parsed.isna().to_numpy() & ~missing)
    return parsed


def parse_cutoff(
    cutoff: object, *, name: str = "cutoff", date_format: str | None = None
) -> pd.Timestamp:
    """One date (the observation cutoff) as a naive UTC timestamp; anything else is refused.

    Text is read as ISO 8601 or with ``date_format`` (the format of the table's dates); text such
    as ``01/12/2024`` without ``date_format`` is refused, never guessed (1 December or
    12 January?).

    Examples
    --------
    >>> parse_cutoff("2024-12-31T00:00:00+02:00")
    Timestamp('2024-12-30 22:00:00')
    >>> parse_cutoff("01/12/2024", date_format="%d/%m/%Y")
    Timestamp('2024-12-01 00:00:00')
    >>> parse_cutoff("soon")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: cutoff='soon' is not a date; ...
    """
    value = pd.NaT
    text = cutoff.strip() if isinstance(cutoff, str) else None
    if text is not None and date_format is not None and not re.match(_ISO_DATE, text):
        value = pd.to_datetime(text, format=date_format, errors="coerce", utc=True)
    elif text is not None and re.match(_NUMERIC_DATE, text):
        check_date_order(pd.Series([text]), name, argument=True)
    else:
        try:
            value = pd.Timestamp(cutoff)
        except (ValueError, TypeError):
            value = pd.NaT
    if value is pd.NaT or pd.isna(value):
        expected = f" in the format {date_format!r} (nor ISO 8601)" if date_format else ""
        raise DataValidationError(
            f"{name}={cutoff!r} is not a date{expected}; give the end of observation, "
            "e.g. '2024-12-31'.",
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
    counts = _code_counts(codes, missing, len(uniques))
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


#: Up to this many distinct labels, the rows per label are counted by comparing the codes with
#: each label's code (one pass of a small integer comparison each) instead of ``np.bincount``,
#: which first converts every code to a 64-bit index: at 10,000,000 int8 codes the 8 passes take
#: 4 ms, ``bincount`` 29 ms (``benchmarks/RESULTS.md``, prepare). Event columns have two or three
#: labels. Look-ups (:func:`_lookup`) compare when one or two labels are looked for.
_FEW_CODES = 8


def _code_counts(codes: np.ndarray, missing: np.ndarray, k: int) -> np.ndarray:
    """How many rows have each of the codes ``0 .. k - 1`` (code -1, missing, not counted).

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([1, -1, 0, 1], dtype=np.int8)
    >>> _code_counts(codes, codes < 0, 3).tolist()
    [1, 2, 0]
    """
    if k <= _FEW_CODES:
        return np.array([np.count_nonzero(codes == j) for j in range(k)], dtype=np.intp)
    return np.bincount(codes[~missing], minlength=k)


def _lookup(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``table[codes]`` with code -1 (missing) mapped to False.

    Examples
    --------
    >>> import numpy as np
    >>> _lookup(np.array([False, True]), np.array([1, -1, 0], dtype=np.int8)).tolist()
    [True, False, False]
    """
    hits = np.flatnonzero(table)
    if len(hits) == len(table):
        return codes >= 0
    if len(hits) == 1:  # the event label
        return codes == hits[0]
    if len(hits) == 2:  # the event and censoring labels
        return (codes == hits[0]) | (codes == hits[1])
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
        "event_value= to say which label means churned (e.g. event_value='Yes'; "
        "churnsurv report: --event-value Yes).",
        column=column,
        rule="event labels without event_value",
    )


def id_problems(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Missing ids, and ids that occur more than once (every occurrence, missing ones not).

    One hashing pass (``pd.factorize``) gives both; ``ids.isna()`` and
    ``ids.duplicated(keep=False) & ids.notna()`` say the same, in two slower passes. Text ids
    held by pyarrow (the report reads them so) are checked on sorted 64-bit fingerprints of
    their bytes instead, with the rows that share a fingerprint compared as text
    (:func:`churnsurv.data._text.duplicated_text`): the same answer, without a hash table of
    millions of strings.

    Examples
    --------
    >>> missing, duplicate = id_problems(pd.Series(["a", "b", None, "a", 1, "1"]))
    >>> missing.tolist(), duplicate.tolist()
    ([False, False, True, False, False, False], [True, False, False, True, False, False])
    """
    fast = duplicated_text(ids)
    if fast is not None:
        return fast
    codes, uniques = pd.factorize(ids)
    missing = codes < 0
    if len(uniques) == len(codes) - int(missing.sum()):
        return missing, np.zeros(len(codes), dtype=bool)
    counts = np.bincount(codes[~missing], minlength=len(uniques))
    return missing, ~missing & (counts[np.maximum(codes, 0)] > 1)
