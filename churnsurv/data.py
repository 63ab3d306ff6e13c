"""The one door through which data enters churnsurv.

:func:`prepare` validates a customer table into a :class:`ChurnData` object that every estimator
takes; :func:`prepare_panel` does the same for customer-period panels (time-varying covariates);
:func:`rfm_summary` turns a transaction log into per-customer frequency, recency and T.

All validation lives here, with private helpers re-exported by this module: the row rules in
``_rules``, the checks of rates, horizons, margins and curves in ``_checks``, the calendar
arithmetic in ``_units`` and transaction logs in ``_transactions``. A broken rule raises
:class:`~churnsurv.exceptions.DataValidationError` naming the column, the rule, the number of
offending rows and up to five example ids. With ``on_invalid="drop"`` the offending rows are
excluded instead and reported, with their reasons, in ``ChurnData.excluded``: rows in = rows
kept + rows excluded, always.

Time units
----------
Every duration carries a ``time_unit``: ``"day"``, ``"week"``, ``"month"`` or ``"year"``. From
dates, durations are computed exactly:

* day: calendar days; week: days / 7.
* month: the number of *completed calendar months* (an anniversary rule: 15 Jan → 15 Mar is exactly
  2 months; a start on the 31st anniversaries on the last day of shorter months) plus the elapsed
  fraction of the month-long interval in progress (days elapsed / days in that interval).
* year: the same rule with 12-month steps (29 Feb anniversaries on 28 Feb).

The length of each unit in years (used to convert annual discount rates exactly) is
:data:`YEARS_PER_UNIT`: a month is 1/12 year, a day 1/365.2425 year (the mean Gregorian year),
a week 7/365.2425 year.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

from churnsurv._checks import (
    check_annual_rate,
    check_horizon,
    check_margin_values,
    check_survival_curve,
)
from churnsurv._rules import (
    _N_EXAMPLES,
    _as_list,
    _numeric,
    _parse_dates,
    _parse_events,
    _require_columns,
    _Violations,
)
from churnsurv._transactions import rfm_summary
from churnsurv._units import TIME_UNITS, YEARS_PER_UNIT, _check_unit, elapsed
from churnsurv.exceptions import DataValidationError

__all__ = [
    "TIME_UNITS",
    "YEARS_PER_UNIT",
    "ChurnData",
    "check_annual_rate",
    "check_horizon",
    "check_margin_values",
    "check_survival_curve",
    "elapsed",
    "prepare",
    "prepare_panel",
    "rfm_summary",
]


_RESERVED = ("duration", "event", "entry", "start_date", "end_date")


# --------------------------------------------------------------------------------------------
# ChurnData
# --------------------------------------------------------------------------------------------
class ChurnData:
    """Validated survival data: durations, events, optional entry times, and carried columns.

    Built by :func:`prepare` (or :func:`prepare_panel`); do not construct it directly.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per kept customer (per interval for panels), indexed by the id column (or by the
        original row position, index name ``"row"``). Columns ``duration`` (float, in
        ``time_unit``), ``event`` (bool), ``entry`` (float, only with left truncation),
        ``start_date``/``end_date`` (only when built from dates) and the carried columns.
    time_unit : str
        ``"day"``, ``"week"``, ``"month"`` or ``"year"``.
    excluded : pandas.DataFrame
        Rows excluded by ``on_invalid="drop"``: original row position, id, column, reason.
    n_input : int
        Rows in the input table; always ``n_input == n + len(excluded)``.
    covariates, segments : list of str
        Carried columns, and those declared as segments.
    margin : str or None
        Name of the margin column (per period of ``time_unit``).
    cutoff : pandas.Timestamp or None
        Observation cutoff when built from dates.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
    ...                   event="Churn", event_value="Yes", time_unit="month")
    >>> data.n, data.n_events, data.time_unit
    (7043, 1869, 'month')
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        time_unit: str,
        excluded: pd.DataFrame,
        n_input: int,
        id_col: str | None,
        covariates: list[str],
        segments: list[str],
        margin: str | None,
        cutoff: pd.Timestamp | None = None,
        panel: bool = False,
    ) -> None:
        self.frame = frame
        self.time_unit = time_unit
        self.excluded = excluded
        self.n_input = int(n_input)
        self.id_col = id_col
        self.covariates = covariates
        self.segments = segments
        self.margin = margin
        self.cutoff = cutoff
        self.panel = panel

    # -- counts ---------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of customers kept (intervals for a panel)."""
        return len(self.frame)

    @property
    def n_events(self) -> int:
        """Number of churn events."""
        return int(self.frame["event"].sum())

    @property
    def n_censored(self) -> int:
        """Number of censored rows (customers still active at the end of follow-up)."""
        return self.n - self.n_events

    @property
    def has_entry(self) -> bool:
        """True when entry times (left truncation) were given."""
        return "entry" in self.frame.columns

    @property
    def has_dates(self) -> bool:
        """True when built from start and end dates."""
        return "start_date" in self.frame.columns

    @property
    def durations(self) -> np.ndarray:
        """Durations (exit times) as a float array, in ``time_unit``."""
        return self.frame["duration"].to_numpy(dtype=float)

    @property
    def events(self) -> np.ndarray:
        """Event indicators as a bool array."""
        return self.frame["event"].to_numpy(dtype=bool)

    @property
    def entries(self) -> np.ndarray:
        """Entry times (0 where there is no left truncation) as a float array."""
        if self.has_entry:
            return self.frame["entry"].to_numpy(dtype=float)
        return np.zeros(self.n)

    # -- checks estimators call (validation still lives here) ------------------------------
    def require_events(self, min_events: int = 1, *, purpose: str = "this estimator") -> None:
        """Raise :class:`DataValidationError` unless there are at least ``min_events`` events.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> d = cs.prepare(pd.DataFrame({"t": [1, 2], "e": [0, 0]}), duration="t", event="e")
        >>> d.require_events(purpose="a Cox model")
        Traceback (most recent call last):
        ...
        churnsurv.exceptions.DataValidationError: column 'event': zero events ...
        """
        if self.n_events < min_events:
            raise DataValidationError(
                f"column 'event': zero events in {self.n} rows; {purpose} needs at least "
                f"{min_events} churn event(s)."
                if self.n_events == 0
                else f"column 'event': too few events ({self.n_events} in {self.n} rows); "
                f"{purpose} needs at least {min_events}.",
                column="event",
                rule="zero events" if self.n_events == 0 else "too few events",
                n_rows=self.n,
            )

    def require_columns(
        self, columns: Sequence[str], *, purpose: str = "this estimator", numeric: bool = False
    ) -> None:
        """Check that carried columns exist and have no missing values (and are numeric).

        Raises
        ------
        DataValidationError
            Naming the column, the rule, the number of rows and example ids.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes")
        >>> data.require_columns(["TotalCharges"], purpose="a Cox model")
        Traceback (most recent call last):
        ...
        churnsurv.exceptions.DataValidationError: column 'TotalCharges': missing values in 11 ...
        """
        carried = set(self.frame.columns) - {"duration", "event", "entry"}
        for col in columns:
            if col not in carried:
                close = difflib.get_close_matches(str(col), sorted(map(str, carried)), n=3)
                raise DataValidationError(
                    f"column {col!r}: unknown column for {purpose}; carried columns are "
                    f"{sorted(map(str, carried))[:15]}."
                    + (f" Did you mean {close}?" if close else ""),
                    column=str(col),
                    rule="missing column",
                )
            values = self.frame[col]
            missing = values.isna().to_numpy()
            if missing.any():
                pos = np.flatnonzero(missing)
                ex = list(self.frame.index[pos[:_N_EXAMPLES]])
                raise DataValidationError(
                    f"column {col!r}: missing values in {pos.size} row(s) (examples: {ex}); "
                    f"{purpose} cannot use it. Declare it in prepare(covariates=[...]) with "
                    "on_invalid='drop' to exclude those rows (and see them reported), or fill it.",
                    column=str(col),
                    rule="missing values",
                    n_rows=int(pos.size),
                    examples=ex,
                )
            if numeric and not pd.api.types.is_numeric_dtype(values):
                raise DataValidationError(
                    f"column {col!r}: must be numeric for {purpose} (dtype {values.dtype}).",
                    column=str(col),
                    rule="non-numeric",
                )

    def require_dates(self, *, purpose: str = "this table") -> None:
        """Raise :class:`DataValidationError` unless the data were built from dates.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> d = cs.prepare(pd.DataFrame({"t": [1, 2], "e": [0, 1]}), duration="t", event="e")
        >>> d.require_dates(purpose="a cohort table")
        Traceback (most recent call last):
        ...
        churnsurv.exceptions.DataValidationError: a cohort table needs signup and churn dates: ...
        """
        if not self.has_dates:
            raise DataValidationError(
                f"{purpose} needs signup and churn dates: build the data with "
                "prepare(start_date=..., end_date=..., cutoff=...).",
                column="start_date",
                rule="no dates",
            )

    def case_weights(self, weights, *, purpose: str = "case weights") -> np.ndarray:
        """Validated case weights: a carried column's name or one value per row, finite, ≥ 0.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> d = cs.prepare(pd.DataFrame({"t": [1, 2], "e": [0, 1]}), duration="t", event="e")
        >>> d.case_weights([1.0, -2.0])
        Traceback (most recent call last):
        ...
        churnsurv.exceptions.DataValidationError: column 'weights': negative or non-finite ...
        """
        if isinstance(weights, str):
            self.require_columns([weights], purpose=purpose, numeric=True)
            w, name = self.frame[weights].to_numpy(dtype=float), weights
        else:
            w, name = np.asarray(weights, dtype=float), "weights"
            if w.shape != (self.n,):
                raise DataValidationError(
                    f"weights: expected a column name or {self.n} values (one per row), "
                    f"got shape {w.shape}.",
                    column="weights",
                    rule="wrong length",
                )
        v = _Violations(self.n, pd.Series(self.frame.index), hint=False)
        v.add(name, "negative or non-finite weight", ~np.isfinite(w) | (w < 0))
        if v.records:
            v.raise_first()
        return w

    # -- derived data ----------------------------------------------------------------------
    def take(self, positions) -> ChurnData:
        """A new ChurnData with the rows at ``positions`` (e.g. a bootstrap resample).

        Rows may repeat; the index then repeats too.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> data.take([0, 0, 5]).n
        3
        """
        frame = self.frame.iloc[np.asarray(positions, dtype=np.int64)]
        return ChurnData(
            frame,
            time_unit=self.time_unit,
            excluded=self.excluded.iloc[0:0],
            n_input=len(frame),
            id_col=self.id_col,
            covariates=self.covariates,
            segments=self.segments,
            margin=self.margin,
            cutoff=self.cutoff,
            panel=self.panel,
        )

    def describe(self) -> pd.DataFrame:
        """A one-column table of what the object holds (what the HTML repr shows).

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> data.describe().loc["events", "value"]
        '1869'
        """
        d = self.frame["duration"]
        items = {
            "customers" if not self.panel else "intervals": self.n,
            "events": self.n_events,
            "censored": self.n_censored,
            "time unit": self.time_unit,
            "follow-up": f"{d.min():g} to {d.max():g} {self.time_unit}s" if self.n else "",
            "left truncation": "yes (entry times)" if self.has_entry else "no",
            "rows in input": self.n_input,
            "rows excluded": len(self.excluded),
        }
        if self.cutoff is not None:
            items["cutoff"] = str(self.cutoff.date())
        if self.margin:
            items["margin column"] = self.margin
        if self.segments:
            items["segments"] = ", ".join(self.segments)
        return pd.DataFrame({"value": [str(v) for v in items.values()]}, index=list(items))

    def _reasons(self) -> pd.Series:
        return self.excluded["reason"].str.split("; ").explode().value_counts()

    def __repr__(self) -> str:
        lines = [f"ChurnData: {self.n} {'intervals' if self.panel else 'customers'}"]
        lines += [f"  {k}: {v}" for k, v in self.describe()["value"].items()]
        if len(self.excluded):
            lines += [f"    excluded for {r}: {c}" for r, c in self._reasons().items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in self.describe()["value"].items()
        )
        out = f"<div><strong>ChurnData</strong><table>{rows}</table>"
        if len(self.excluded):
            reasons = "".join(
                f"<li>{html.escape(str(r))}: {c}</li>" for r, c in self._reasons().items()
            )
            out += f"<p>Excluded rows by reason (see <code>.excluded</code>):</p><ul>{reasons}</ul>"
        return out + "</div>"


# --------------------------------------------------------------------------------------------
# prepare
# --------------------------------------------------------------------------------------------
def prepare(
    df: pd.DataFrame,
    *,
    duration: str | None = None,
    event: str | None = None,
    event_value=None,
    censor_value=None,
    start_date: str | None = None,
    end_date: str | None = None,
    cutoff=None,
    entry: str | None = None,
    entry_date=None,
    time_unit: str = "month",
    id: str | None = None,  # noqa: A002 - the natural name for users
    covariates: Sequence[str] | None = None,
    segments: str | Sequence[str] | None = None,
    margin: str | None = None,
    allow_negative_margin: bool = False,
    on_invalid: str = "raise",
) -> ChurnData:
    """Validate a customer table into :class:`ChurnData`, the input of every estimator.

    Give either ``duration`` (+ ``event``) columns, or ``start_date`` (+ ``end_date``) columns with
    an observation ``cutoff``. From dates, a customer whose end date is missing or after the
    cutoff is censored at the cutoff, and durations are measured exactly in ``time_unit`` (see
    :func:`elapsed`).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per customer.
    duration : str, optional
        Column of tenures (time to churn or to censoring), in ``time_unit``; numeric, ≥ 0.
    event : str, optional
        Churn indicator column: bool, 0/1, or labels with ``event_value``. Required with
        ``duration``; optional with dates (then a customer churned iff the end date is present and
        not after the cutoff).
    event_value : scalar, optional
        The label meaning "churned" (e.g. ``"Yes"``). Required for text labels.
    censor_value : scalar, optional
        The label meaning "still active". If omitted, the most frequent other label is taken and
        any third value is an error.
    start_date, end_date : str, optional
        Columns of signup and churn dates (parsable by :func:`pandas.to_datetime`).
    cutoff : date-like, optional
        End of observation; required with ``start_date``.
    entry : str, optional
        Column of tenure at which each customer entered observation (left truncation, e.g. a
        snapshot that misses customers who left earlier). Must be below the duration.
    entry_date : str or date-like, optional
        With dates: a column, or one date for all, at which observation began; the entry time is
        the tenure reached then (0 for customers who signed up later).
    time_unit : {"day", "week", "month", "year"}, default "month"
    id : str, optional
        Customer id column; must be unique and non-missing. It becomes the index of ``frame``.
    covariates : list of str, optional
        Columns to carry and validate (missing values are then a rule violation). By default every
        other column is carried unvalidated; estimators check the columns they use.
    segments : str or list of str, optional
        Segment columns (e.g. ``"Contract"``); missing values are a rule violation.
    margin : str, optional
        Margin per customer per ``time_unit`` (numeric; negative only if
        ``allow_negative_margin``).
    allow_negative_margin : bool, default False
    on_invalid : {"raise", "drop"}, default "raise"
        ``"raise"``: any broken row rule raises :class:`DataValidationError`. ``"drop"``: the rows
        are excluded and reported in ``ChurnData.excluded`` with their reasons. Table-level
        problems (missing column, empty table, bad arguments) always raise.

    Returns
    -------
    ChurnData

    Raises
    ------
    DataValidationError
        Missing column; missing, non-numeric, infinite or negative duration; unparseable or
        missing date; end before start; start after cutoff; entry not before exit; duplicate or
        missing id; event value outside the declared set; missing segment or covariate values;
        missing, non-numeric or negative margin; empty table.

    Examples
    --------
    >>> import pandas as pd
    >>> import churnsurv as cs
    >>> raw = pd.DataFrame({"id": ["a", "b", "c"], "tenure": [3, 12, -1],
    ...                     "churned": ["Yes", "No", "Yes"]})
    >>> data = cs.prepare(raw, id="id", duration="tenure", event="churned", event_value="Yes",
    ...                   on_invalid="drop")
    >>> data.n, data.excluded[["id", "reason"]].values.tolist()
    (2, [['c', 'negative duration']])

    From dates with a cutoff (the customer without an end date is censored at the cutoff):

    >>> raw = pd.DataFrame({"start": ["2020-01-15", "2020-02-01"], "end": ["2020-03-15", None]})
    >>> data = cs.prepare(raw, start_date="start", end_date="end", cutoff="2020-12-01")
    >>> data.frame[["duration", "event"]].values.tolist()
    [[2.0, True], [10.0, False]]
    """
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(
            f"expected a pandas DataFrame, got {type(df).__name__}.", rule="not a DataFrame"
        )
    _check_unit(time_unit)
    if on_invalid not in ("raise", "drop"):
        raise DataValidationError(
            f"on_invalid={on_invalid!r} is not understood; use 'raise' or 'drop'.",
            column="on_invalid",
            rule="unknown option",
        )
    if (duration is None) == (start_date is None):
        raise DataValidationError(
            "give exactly one of duration= (a tenure column) or start_date= (with end_date= "
            "and cutoff=).",
            rule="duration or dates",
        )
    if duration is not None and event is None:
        raise DataValidationError(
            "event= is required with duration=: name the churn indicator column.",
            column="event",
            rule="missing argument",
        )
    if start_date is not None and cutoff is None:
        raise DataValidationError(
            "cutoff= (the end of observation) is required with start_date=.",
            column="cutoff",
            rule="missing argument",
        )
    if entry is not None and entry_date is not None:
        raise DataValidationError(
            "give entry= (a tenure column) or entry_date=, not both.", rule="entry or entry_date"
        )
    if entry_date is not None and start_date is None:
        raise DataValidationError(
            "entry_date= needs start_date=; with durations use entry= (a tenure column).",
            column="entry_date",
            rule="entry_date without dates",
        )
    segments = _as_list(segments)
    entry_date_col = (
        entry_date if isinstance(entry_date, str) and entry_date in df.columns else None
    )
    _require_columns(
        df,
        [duration, event, start_date, end_date, entry, entry_date_col, id, margin]
        + segments
        + _as_list(covariates),
    )
    if len(df) == 0:
        raise DataValidationError("the table is empty (0 rows).", rule="empty table")

    core = {duration, event, start_date, end_date, entry, entry_date_col, id} - {None}
    if covariates is None:
        carried = [c for c in df.columns if c not in core]
    else:
        carried = list(dict.fromkeys(list(covariates) + segments + ([margin] if margin else [])))
    clash = [c for c in carried if c in _RESERVED]
    if clash:
        raise DataValidationError(
            f"column {clash[0]!r}: this name is reserved for churnsurv's own columns "
            f"{list(_RESERVED)}; rename it or leave it out with covariates=[...].",
            column=str(clash[0]),
            rule="reserved column name",
        )

    df = df.reset_index(drop=True)
    n = len(df)
    ids = df[id] if id is not None else None
    v = _Violations(n, ids)

    if id is not None:
        v.add(id, "missing id", ids.isna().to_numpy())
        v.add(id, "duplicate id", (ids.duplicated(keep=False) & ids.notna()).to_numpy())

    out = pd.DataFrame(index=df.index)
    if duration is not None:
        dur = _numeric(df[duration], duration, v, "duration")
        v.add(duration, "negative duration", dur < 0)
        events = _parse_events(df[event], event, v, event_value, censor_value)
        out["duration"] = dur
        out["event"] = events
        if entry is not None:
            ent = _numeric(df[entry], entry, v, "entry")
            v.add(entry, "negative entry", ent < 0)
            v.add(entry, "entry not before exit (entry >= duration)", ent >= dur)
            out["entry"] = ent
    else:
        cut = pd.Timestamp(cutoff)
        start = _parse_dates(df[start_date], start_date, v, required=True)
        if end_date is not None:
            end = _parse_dates(df[end_date], end_date, v, required=False)
        else:
            end = pd.Series(pd.NaT, index=df.index)
        v.add(end_date or start_date, "end before start", (end < start).to_numpy())
        v.add(start_date, f"start after cutoff {cut.date()}", (start > cut).to_numpy())
        ended = (end.notna() & (end <= cut)).to_numpy()
        if event is not None:
            flag = _parse_events(df[event], event, v, event_value, censor_value)
            v.add(event, "event without an end date", flag & end.isna().to_numpy())
            events = flag & ended
        else:
            events = ended
        exit_date = end.where(pd.Series(ended, index=df.index), cut)
        out["duration"] = elapsed(start, exit_date, time_unit)
        out["event"] = events
        if entry_date is not None:
            obs = df[entry_date_col] if entry_date_col else pd.Series(entry_date, index=df.index)
            obs = _parse_dates(obs, entry_date_col or "entry_date", v, required=True)
            begin = pd.Series(np.maximum(start.values, obs.values), index=df.index)
            out["entry"] = elapsed(start, begin, time_unit)
            v.add(
                entry_date_col or "entry_date",
                "exit before entry date (churned before observation began)",
                (exit_date < obs).to_numpy(),
            )
            v.add(
                entry_date_col or "entry_date",
                "entry not before exit",
                (out["entry"] >= out["duration"]).to_numpy() & (exit_date >= obs).to_numpy(),
            )
        out["start_date"] = start
        out["end_date"] = end.where(pd.Series(ended, index=df.index))

    for seg in segments:
        v.add(seg, "missing segment value", df[seg].isna().to_numpy())
    for cov in _as_list(covariates):
        if cov not in segments and cov != margin:
            v.add(cov, "missing covariate value", df[cov].isna().to_numpy())
    if margin is not None:
        m = _numeric(df[margin], margin, v, "margin")
        if not allow_negative_margin:
            v.add(margin, "negative margin (pass allow_negative_margin=True to allow)", m < 0)

    for col in carried:
        out[col] = df[col] if col != margin else _numeric_quiet(df[col])

    excluded = v.excluded_frame(id or "row")
    if v.records:
        if on_invalid == "raise":
            v.raise_first()
        keep = ~v.bad_mask()
        if not keep.any():
            v.hint = False
            raise DataValidationError(
                f"all {n} rows broke a rule and were excluded:\n{v.message()}",
                rule="empty table",
                n_rows=n,
            )
        out = out[keep]
    out["duration"] = out["duration"].astype(float)
    out["event"] = out["event"].astype(bool)
    if id is not None:
        out.index = pd.Index(df[id][out.index], name=id)
    else:
        out.index.name = "row"
    return ChurnData(
        out,
        time_unit=time_unit,
        excluded=excluded,
        n_input=n,
        id_col=id,
        covariates=[c for c in carried if c != margin],
        segments=segments,
        margin=margin,
        cutoff=pd.Timestamp(cutoff) if cutoff is not None else None,
    )


def _numeric_quiet(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype(float)


def prepare_panel(
    df: pd.DataFrame,
    *,
    id: str,  # noqa: A002
    start: str,
    stop: str,
    event,
    event_value=None,
    censor_value=None,
    time_unit: str = "month",
    covariates: Sequence[str] | None = None,
    on_invalid: str = "raise",
) -> ChurnData:
    """Validate a customer-period panel (time-varying covariates) into :class:`ChurnData`.

    Each row is an interval ``(start, stop]`` of one customer with the covariate values that held
    during it; ``event`` marks a churn at ``stop``. The result's ``frame`` has columns ``start``,
    ``duration`` (= stop), ``event`` and the carried covariates, and ``panel`` is True.

    Rules: ``start`` ≥ 0 and ``start < stop``; a customer's intervals do not overlap; a churn
    event can only be on a customer's last interval; ids are not missing.

    Parameters
    ----------
    df : pandas.DataFrame
    id, start, stop, event : str
        Column names.
    event_value, censor_value : scalar, optional
        As in :func:`prepare`.
    time_unit : {"day", "week", "month", "year"}, default "month"
    covariates : list of str, optional
        Columns to carry (default: all others); missing values are a violation.
    on_invalid : {"raise", "drop"}, default "raise"
        With "drop", every interval of a customer with any broken rule is excluded (a partial
        history would bias the fit).

    Returns
    -------
    ChurnData

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> panel = pd.DataFrame({"id": [1, 1, 2], "start": [0, 3, 0], "stop": [3, 5, 4],
    ...                       "churn": [0, 1, 0], "price": [10.0, 12.0, 9.0]})
    >>> d = cs.prepare_panel(panel, id="id", start="start", stop="stop", event="churn")
    >>> d.n, d.n_events, d.panel
    (3, 1, True)
    """
    _check_unit(time_unit)
    if on_invalid not in ("raise", "drop"):
        raise DataValidationError(
            f"on_invalid={on_invalid!r} is not understood; use 'raise' or 'drop'.",
            column="on_invalid",
            rule="unknown option",
        )
    _require_columns(df, [id, start, stop, event] + _as_list(covariates))
    if len(df) == 0:
        raise DataValidationError("the table is empty (0 rows).", rule="empty table")
    core = {id, start, stop, event}
    carried = [c for c in df.columns if c not in core] if covariates is None else list(covariates)
    df = df.reset_index(drop=True)
    n = len(df)
    ids = df[id]
    v = _Violations(n, ids)
    v.add(id, "missing id", ids.isna().to_numpy())
    t0 = _numeric(df[start], start, v, "start time")
    t1 = _numeric(df[stop], stop, v, "stop time")
    v.add(start, "negative start time", t0 < 0)
    v.add(stop, "stop not after start", t1 <= t0)
    events = _parse_events(df[event], event, v, event_value, censor_value)
    for col in carried:
        v.add(col, "missing covariate value", df[col].isna().to_numpy())
    sid_all = ids.astype(str).to_numpy()
    order = np.lexsort((t0, sid_all))
    sid = sid_all[order]
    same = np.r_[False, sid[1:] == sid[:-1]]  # sorted row has the same id as the one before
    prev_stop = np.r_[np.nan, t1[order][:-1]]
    overlap = np.zeros(n, dtype=bool)
    overlap[order] = same & (t0[order] < prev_stop)
    v.add(start, "overlapping intervals of one customer", overlap)
    not_last = np.zeros(n, dtype=bool)
    not_last[order] = np.r_[sid[1:] == sid[:-1], False]
    v.add(event, "event on an interval that is not the customer's last", events & not_last)
    excluded = v.excluded_frame(id)
    keep = np.ones(n, dtype=bool)
    if v.records:
        if on_invalid == "raise":
            v.raise_first()
        bad_ids = set(ids[v.bad_mask()])
        keep = ~ids.isin(bad_ids).to_numpy()
        extra = np.flatnonzero(~keep & ~v.bad_mask())
        if extra.size:
            v.add(id, "another interval of this customer broke a rule", ~keep & ~v.bad_mask())
            excluded = v.excluded_frame(id)
        if not keep.any():
            v.hint = False
            raise DataValidationError(
                f"all {n} rows broke a rule and were excluded:\n{v.message()}",
                rule="empty table",
                n_rows=n,
            )
    frame = pd.DataFrame({"start": t0, "duration": t1, "event": events}, index=df.index)
    for col in carried:
        frame[col] = df[col]
    frame = frame[keep]
    frame.index = pd.Index(ids[keep].to_numpy(), name=id)
    return ChurnData(
        frame,
        time_unit=time_unit,
        excluded=excluded,
        n_input=n,
        id_col=id,
        covariates=carried,
        segments=[],
        margin=None,
        panel=True,
    )
