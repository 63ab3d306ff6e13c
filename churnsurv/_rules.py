"""Row-by-row validation rules behind :func:`churnsurv.prepare` (private).

:class:`_Violations` collects each broken rule with the offending row positions, then raises one
:class:`~churnsurv.exceptions.DataValidationError` naming the column, rule, count and example ids,
or (``on_invalid="drop"``) lists the rows as excluded with their reasons.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from churnsurv.exceptions import DataValidationError

#: How many example ids an error message names.
_N_EXAMPLES = 5


def _label(ids: pd.Series | None, positions: np.ndarray) -> list:
    """Up to five example ids (or row positions when there is no id column)."""
    positions = np.asarray(positions)[:_N_EXAMPLES]
    if ids is None:
        return [int(p) for p in positions]
    return [_py(ids.iloc[int(p)]) for p in positions]


def _py(value):
    """A numpy scalar as a plain Python value (messages read ``[3]``, not ``[np.int64(3)]``)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass
class _Violations:
    """Collects broken rules row by row, then raises or drops."""

    n_rows: int
    ids: pd.Series | None
    records: list = field(default_factory=list)  # (column, rule, positions, detail)
    hint: bool = True  # suggest on_invalid='drop' (only where that option exists)

    def add(self, column: str, rule: str, mask, detail: str = "") -> None:
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

    def excluded_frame(self, index_name: str) -> pd.DataFrame:
        rows: dict[int, list[str]] = {}
        columns: dict[int, list[str]] = {}
        for column, rule, positions, _ in self.records:
            for p in positions:
                rows.setdefault(int(p), []).append(rule)
                columns.setdefault(int(p), []).append(column)
        pos = sorted(rows)
        frame = {"row": pos}
        if self.ids is not None:
            frame[index_name] = [_py(self.ids.iloc[p]) for p in pos]
        frame["column"] = ["; ".join(dict.fromkeys(columns[p])) for p in pos]
        frame["reason"] = ["; ".join(dict.fromkeys(rows[p])) for p in pos]
        return pd.DataFrame(frame).astype({"column": object, "reason": object})


def _require_columns(df: pd.DataFrame, names: Iterable[str | None]) -> None:
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


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _numeric(series: pd.Series, column: str, v: _Violations, what: str) -> np.ndarray:
    """Coerce to float, recording non-numeric, missing and infinite values."""
    if pd.api.types.is_bool_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = series.isna().to_numpy()
    v.add(column, f"missing {what}", missing)
    v.add(column, f"non-numeric {what}", np.isnan(values) & ~missing)
    v.add(column, f"infinite {what}", np.isinf(values))
    return values


def _parse_dates(series: pd.Series, column: str, v: _Violations, *, required: bool):
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


def _parse_events(series: pd.Series, column: str, v: _Violations, event_value, censor_value):
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
