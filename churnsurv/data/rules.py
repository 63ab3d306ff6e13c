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


def numeric_column(series: pd.Series, column: str, v: Violations, what: str) -> np.ndarray:
    """Coerce to float, recording non-numeric, missing and infinite values."""
    if pd.api.types.is_bool_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = series.isna().to_numpy()
    v.add(column, f"missing {what}", missing)
    v.add(column, f"non-numeric {what}", np.isnan(values) & ~missing)
    v.add(column, f"infinite {what}", np.isinf(values))
    return values


def parse_dates(series: pd.Series, column: str, v: Violations, *, required: bool) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series
    else:
        with warnings.catch_warnings():
            # pandas warns when it cannot infer one format and parses element by element; that
            # is what we want for user files, and bad cells become NaT and are reported below.
            warnings.filterwarnings("ignore", "Could not infer format", UserWarning)
            parsed = pd.to_datetime(series, errors="coerce")
    missing = series.isna().to_numpy()
    if required:
        v.add(column, "missing date", missing)
    v.add(column, "unparseable date", parsed.isna().to_numpy() & ~missing)
    return parsed


def parse_events(
    series: pd.Series, column: str, v: Violations, event_value: Label, censor_value: Label
) -> np.ndarray:
    missing = series.isna().to_numpy()
    v.add(column, "missing event", missing)
    present = series[~missing]
    values = pd.unique(present.astype(object))
    if event_value is None:
        if pd.api.types.is_bool_dtype(series) or all(
            isinstance(x, bool | np.bool_) for x in values
        ):
            return series.fillna(False).astype(bool).to_numpy()
        numeric = pd.to_numeric(present, errors="coerce")
        if numeric.notna().all():
            bad = ~series.isna() & ~pd.to_numeric(series, errors="coerce").isin([0, 1])
            v.add(column, "event value outside the declared set {0, 1}", bad.to_numpy())
            return (pd.to_numeric(series, errors="coerce") == 1).to_numpy()
        raise DataValidationError(
            f"column {column!r}: event labels {sorted(map(str, values))[:10]} need "
            "event_value= to say which label means churned (e.g. event_value='Yes').",
            column=column,
            rule="event labels without event_value",
        )
    obj = series.astype(object)
    if censor_value is not None:
        declared = {event_value, censor_value}
    else:
        others = obj[~missing & (obj != event_value)]
        declared = {event_value}
        if len(others):
            declared.add(others.value_counts().index[0])
    if event_value not in set(values):
        detail = f" (values seen: {sorted(map(str, values))[:10]})"
        v.add(column, f"event_value {event_value!r} never occurs", ~missing, detail)
    outside = ~missing & ~obj.isin(list(declared)).to_numpy()
    shown = sorted(map(repr, declared))
    v.add(column, f"event value outside the declared set {{{', '.join(shown)}}}", outside)
    return (obj == event_value).to_numpy()
