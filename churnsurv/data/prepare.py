"""The one door through which data enters churnsurv: :func:`prepare` and :func:`prepare_panel`.

:func:`prepare` validates a customer table into a :class:`~churnsurv.data.ChurnData` object that
every estimator takes; :func:`prepare_panel` does the same for customer-period panels
(time-varying covariates) and returns a :class:`~churnsurv.data.PanelData`.

Row rules live in :mod:`churnsurv.data.rules`, the violation collector and the argument rules
(rates, horizons, units, choices) in :mod:`churnsurv._validation`, the calendar arithmetic in
:mod:`churnsurv.data.units`. A broken rule raises
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
:data:`~churnsurv.data.YEARS_PER_UNIT`: a month is 1/12 year, a day 1/365.2425 year (the mean
Gregorian year), a week 7/365.2425 year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from churnsurv._typing import DateLike, Label
from churnsurv._validation import (
    Violations,
    as_list,
    check_choice,
    check_date_format,
    check_unit,
)
from churnsurv.data.churn_data import ChurnData, PanelData
from churnsurv.data.reasons import check_reason_arguments, parse_reasons, reason_missing
from churnsurv.data.rules import (
    id_problems,
    numeric_column,
    parse_cutoff,
    parse_dates,
    parse_events,
    require_table_columns,
    require_unique_columns,
)
from churnsurv.data.units import elapsed
from churnsurv.exceptions import DataValidationError

__all__ = ["prepare", "prepare_panel"]


_RESERVED = ("duration", "event", "entry", "start_date", "end_date")


# --------------------------------------------------------------------------------------------
# prepare
# --------------------------------------------------------------------------------------------
def prepare(
    df: pd.DataFrame,
    *,
    duration: str | None = None,
    event: str | None = None,
    event_value: Label = None,
    censor_value: Label = None,
    start_date: str | None = None,
    end_date: str | None = None,
    cutoff: DateLike | None = None,
    date_format: str | None = None,
    entry: str | None = None,
    entry_date: str | DateLike | None = None,
    time_unit: str = "month",
    id: str | None = None,  # noqa: A002 - the natural name for users
    covariates: Sequence[str] | None = None,
    segments: str | Sequence[str] | None = None,
    margin: str | None = None,
    allow_negative_margin: bool = False,
    reason: str | None = None,
    reason_values: Sequence[Label] | None = None,
    reason_groups: Mapping[Label, str] | None = None,
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
        ``duration`` unless ``reason`` is given; optional with dates (then a customer churned
        iff the end date is present and not after the cutoff).
    event_value : scalar, optional
        The label meaning "churned" (e.g. ``"Yes"``). Required for text labels.
    censor_value : scalar, optional
        The label meaning "still active". If omitted, the most frequent other label is taken and
        any third value is an error. With ``reason`` and no ``event``: the reason label meaning
        "still active" (e.g. ``"active"``), read as no reason.
    start_date, end_date : str, optional
        Columns of signup and churn dates: datetime values, or text in ISO 8601 (``2023-11-25``,
        with or without a time and a UTC offset) or in ``date_format``.
    cutoff : date-like, optional
        End of observation; required with ``start_date``. Text is read as ISO 8601 or in
        ``date_format``.
    date_format : str, optional
        The format of text dates (and of ``cutoff``), as :func:`pandas.to_datetime` takes it:
        ``"%d/%m/%Y"`` for 25/11/2023, ``"%m/%d/%Y"`` for 11/25/2023. Required for dates written
        as numbers in an order the text does not say (``02/11/2023``: 2 November or
        11 February?): without it they are refused, never guessed. With it, a date in another
        format is an "unparseable date".
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
    reason : str, optional
        Column of churn reasons (competing risks, :mod:`churnsurv.reasons`): one label per
        churned row (``"price"``, ``"payment_failure"``, ...), none (missing or empty) on rows
        still active. A churned row without a reason, a reason on a row that did not churn and
        a label outside ``reason_values`` are rule violations. Without ``event``, a row churned
        if and only if it has a reason (one status column holding the reasons). From dates, a
        churn after the cutoff is censored there and its reason dropped. The validated labels
        are ``frame["reason"]`` (categorical; NaN on censored rows); ``ChurnData.reasons`` lists
        them.
    reason_values : list, optional
        The allowed reason labels, in the order results show them. Default: the labels seen
        (a categorical column's category order, else sorted); with ``reason_groups``, its keys.
    reason_groups : dict, optional
        Each reason's group, e.g. ``{"price": "voluntary", "payment_failure": "involuntary"}``;
        :meth:`ChurnData.group_reasons` then analyses the groups instead of the reasons.
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
        missing, non-numeric or negative margin; churned row without a reason, reason on a
        censored row, unknown reason; empty table.

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

    Day-first dates need their format (without it they are refused, never guessed):

    >>> raw = pd.DataFrame({"start": ["15/01/2020", "01/02/2020"], "end": ["15/03/2020", None]})
    >>> data = cs.prepare(raw, start_date="start", end_date="end", cutoff="01/12/2020",
    ...                   date_format="%d/%m/%Y")
    >>> data.frame[["duration", "event"]].values.tolist()
    [[2.0, True], [10.0, False]]

    With churn reasons (a competing-risks table):

    >>> raw = pd.DataFrame({"t": [3, 12, 5, 7], "churned": [1, 0, 1, 1],
    ...                     "why": ["price", None, "payment_failure", "price"]})
    >>> data = cs.prepare(raw, duration="t", event="churned", reason="why",
    ...                   reason_groups={"price": "voluntary", "payment_failure": "involuntary"})
    >>> data.reasons, data.frame["reason"].tolist()
    (['price', 'payment_failure'], ['price', nan, 'payment_failure', 'price'])
    """
    _check_arguments(
        df, duration, event, start_date, cutoff, entry, entry_date, time_unit, reason, date_format
    )
    check_choice("on_invalid", on_invalid, ("raise", "drop"))
    reason_labels, groups = check_reason_arguments(reason, reason_values, reason_groups)
    segments = as_list(segments)
    entry_date_col = (
        entry_date if isinstance(entry_date, str) and entry_date in df.columns else None
    )
    require_table_columns(
        df,
        [
            duration,
            event,
            start_date,
            end_date,
            entry,
            entry_date_col,
            id,
            margin,
            reason,
            *segments,
            *as_list(covariates),
        ],
    )
    if len(df) == 0:
        raise DataValidationError("the table is empty (0 rows).", rule="empty table")
    core = {duration, event, start_date, end_date, entry, entry_date_col, id, reason} - {None}
    reserved = _RESERVED + (("reason",) if reason is not None else ())
    carried = _carried_columns(df, core, covariates, segments, margin, reserved)

    if not df.index.equals(pd.RangeIndex(len(df))):
        df = df.reset_index(drop=True)  # positions are the row numbers of every message
    ids = df[id] if id is not None else None
    v = Violations(len(df), ids)
    if ids is not None and id is not None:
        missing, duplicate = id_problems(ids)
        v.add(id, "missing id", missing)
        v.add(id, "duplicate id", duplicate)
    reason_raw = _raw_reasons(df, reason, event, censor_value)
    if duration is not None:
        out = _from_durations(df, v, duration, event, event_value, censor_value, entry, reason_raw)
    else:
        out, exit_date = _from_dates(
            df,
            v,
            (start_date, end_date, cutoff, date_format),
            event,
            event_value,
            censor_value,
            time_unit,
        )
        if entry_date is not None:
            _entry_from_date(
                df, v, out, exit_date, entry_date, entry_date_col, time_unit, date_format
            )
    reason_labels = _attach_reasons(out, v, reason, reason_raw, reason_labels)
    _check_carried(df, v, segments, covariates, margin, allow_negative_margin)
    for col in carried:
        out[col] = df[col] if col != margin else _numeric_quiet(df[col])

    excluded = v.excluded_frame(id or "row")
    keep = v.keep_mask(on_invalid)
    if not keep.all():
        out = out[keep]
    # already float and bool when built here: no copy unless a dtype really changes
    out = out.astype({"duration": float, "event": bool}, copy=False)
    if id is not None:  # every row kept: a copy of the column (Arrow text: a new view), no take
        whole = len(out) == len(df)
        out.index = pd.Index(df[id] if whole else df[id][out.index], name=id, copy=whole)
    else:
        out.index.name = "row"
    return ChurnData(
        out,
        time_unit=time_unit,
        excluded=excluded,
        n_input=len(df),
        id_col=id,
        covariates=[c for c in carried if c != margin],
        segments=segments,
        margin=margin,
        cutoff=parse_cutoff(cutoff, date_format=date_format) if cutoff is not None else None,
        reasons=reason_labels,
        reason_groups=groups,
    )


def _raw_reasons(df, reason, event, censor_value) -> pd.Series | None:
    """The reason column as given (a status column's "still active" label read as missing)."""
    if reason is None:
        return None
    raw = df[reason]
    if event is None and censor_value is not None:
        raw = raw.astype(object).mask(raw.astype(object) == censor_value)
    return raw


def _attach_reasons(out, v, reason, reason_raw, labels) -> list | None:
    """Validate the reasons against the churn indicator into ``out["reason"]``; the labels."""
    later = out.pop("_churned_after_cutoff") if "_churned_after_cutoff" in out else None
    if reason is None or reason_raw is None:
        return None
    out["reason"], labels = parse_reasons(
        reason_raw,
        reason,
        v,
        out["event"].to_numpy(bool),
        labels,
        censored_later=None if later is None else later.to_numpy(bool),
    )
    return labels


def _check_arguments(
    df, duration, event, start_date, cutoff, entry, entry_date, time_unit, reason, date_format
):
    """The argument rules of :func:`prepare` (which columns must be named together)."""
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(
            f"expected a pandas DataFrame, got {type(df).__name__}.", rule="not a DataFrame"
        )
    check_unit(time_unit)
    check_date_format(date_format)
    require_unique_columns(df)
    if (duration is None) == (start_date is None):
        raise DataValidationError(
            "give exactly one of duration= (a tenure column) or start_date= (with end_date= "
            "and cutoff=).",
            rule="duration or dates",
        )
    if duration is not None and event is None and reason is None:
        raise DataValidationError(
            "event= is required with duration=: name the churn indicator column (or give "
            "reason=, a column of churn reasons that is empty for customers still active).",
            column="event",
            rule="missing argument",
        )
    if start_date is not None and cutoff is None:
        raise DataValidationError(
            "cutoff= (the end of observation) is required with start_date=.",
            column="cutoff",
            rule="missing argument",
        )
    if cutoff is not None:
        parse_cutoff(cutoff, date_format=date_format)
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


def _carried_columns(
    df, core: set, covariates, segments: list, margin, reserved: tuple = _RESERVED
) -> list:
    """The columns carried into ChurnData: declared ones, or every non-core column."""
    if covariates is None:
        carried = [c for c in df.columns if c not in core]
    else:
        carried = list(dict.fromkeys(list(covariates) + segments + ([margin] if margin else [])))
    clash = [c for c in carried if c in reserved]
    if clash:
        raise DataValidationError(
            f"column {clash[0]!r}: this name is reserved for churnsurv's own columns "
            f"{list(reserved)}; rename it (churnsurv report: in the file) or leave it out with "
            "covariates=[...].",
            column=str(clash[0]),
            rule="reserved column name",
        )
    return carried


def _from_durations(
    df, v, duration, event, event_value, censor_value, entry, reason_raw=None
) -> pd.DataFrame:
    """Tenure and churn columns (and entry times) with their row rules.

    Without an event column, a row churned if and only if it has a reason.
    """
    out = pd.DataFrame(index=df.index)
    dur = numeric_column(df[duration], duration, v, "duration")
    v.add(duration, "negative duration", dur < 0)
    out["duration"] = dur
    if event is not None:
        out["event"] = parse_events(df[event], event, v, event_value, censor_value)
    else:
        out["event"] = ~reason_missing(reason_raw)
    if entry is not None:
        ent = numeric_column(df[entry], entry, v, "entry")
        v.add(entry, "negative entry", ent < 0)
        v.add(entry, "entry not before exit (entry >= duration)", ent >= dur)
        out["entry"] = ent
    return out


def _from_dates(
    df, v, dates: tuple, event, event_value, censor_value, time_unit
) -> tuple[pd.DataFrame, pd.Series]:
    """Durations from signup and churn dates, censored at the cutoff, with their row rules.

    ``dates`` is ``(start_date, end_date, cutoff, date_format)``. Returns the columns and each
    row's exit date (churn date, or the cutoff when censored).
    """
    start_date, end_date, cutoff, date_format = dates
    out = pd.DataFrame(index=df.index)
    cut = parse_cutoff(cutoff, date_format=date_format)
    start = parse_dates(df[start_date], start_date, v, required=True, date_format=date_format)
    if end_date is not None:
        end = parse_dates(df[end_date], end_date, v, required=False, date_format=date_format)
    else:
        end = pd.Series(pd.NaT, index=df.index)
    v.add(end_date or start_date, "end before start", (end < start).to_numpy())
    v.add(start_date, f"start after cutoff {cut.date()}", (start > cut).to_numpy())
    ended = (end.notna() & (end <= cut)).to_numpy()
    if event is not None:
        flag = parse_events(df[event], event, v, event_value, censor_value)
        v.add(event, "event without an end date", flag & end.isna().to_numpy())
        events = flag & ended
    else:
        events = ended
    exit_date = end.where(pd.Series(ended, index=df.index), cut)
    out["duration"] = elapsed(start, exit_date, time_unit)
    out["event"] = events
    # recorded as churned, but after the cutoff: censored there (a reason is not known yet)
    recorded = end.notna().to_numpy() & (flag if event is not None else True)
    out["_churned_after_cutoff"] = recorded & ~ended
    out["start_date"] = start
    out["end_date"] = end.where(pd.Series(ended, index=df.index))
    return out, exit_date


def _entry_from_date(
    df, v, out, exit_date, entry_date, entry_date_col, time_unit, date_format=None
) -> None:
    """Entry times (tenure reached when observation began) from an entry date or column."""
    start = out["start_date"]
    obs = df[entry_date_col] if entry_date_col else pd.Series(entry_date, index=df.index)
    name = entry_date_col or "entry_date"
    obs = parse_dates(obs, name, v, required=True, date_format=date_format)
    begin = pd.Series(np.maximum(start.values, obs.values), index=df.index)
    out["entry"] = elapsed(start, begin, time_unit)
    v.add(
        name,
        "exit before entry date (churned before observation began)",
        (exit_date < obs).to_numpy(),
    )
    v.add(
        name,
        "entry not before exit",
        (out["entry"] >= out["duration"]).to_numpy() & (exit_date >= obs).to_numpy(),
    )


def _check_carried(df, v, segments, covariates, margin, allow_negative_margin) -> None:
    """No missing segment or covariate values; a numeric, non-negative margin."""
    for seg in segments:
        v.add(seg, "missing segment value", df[seg].isna().to_numpy())
    for cov in as_list(covariates):
        if cov not in segments and cov != margin:
            v.add(cov, "missing covariate value", df[cov].isna().to_numpy())
    if margin is not None:
        m = numeric_column(df[margin], margin, v, "margin")
        if not allow_negative_margin:
            v.add(margin, "negative margin (pass allow_negative_margin=True to allow)", m < 0)


def _numeric_quiet(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype(float)


def prepare_panel(
    df: pd.DataFrame,
    *,
    id: str,  # noqa: A002
    start: str,
    stop: str,
    event: str,
    event_value: Label = None,
    censor_value: Label = None,
    time_unit: str = "month",
    covariates: Sequence[str] | None = None,
    on_invalid: str = "raise",
) -> PanelData:
    """Validate a customer-period panel (time-varying covariates) into :class:`PanelData`.

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
    PanelData

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> panel = pd.DataFrame({"id": [1, 1, 2], "start": [0, 3, 0], "stop": [3, 5, 4],
    ...                       "churn": [0, 1, 0], "price": [10.0, 12.0, 9.0]})
    >>> d = cs.prepare_panel(panel, id="id", start="start", stop="stop", event="churn")
    >>> d.n, d.n_events, d.panel
    (3, 1, True)
    """
    check_unit(time_unit)
    check_choice("on_invalid", on_invalid, ("raise", "drop"))
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(
            f"expected a pandas DataFrame, got {type(df).__name__}.", rule="not a DataFrame"
        )
    require_unique_columns(df)
    require_table_columns(df, [id, start, stop, event] + as_list(covariates))
    if len(df) == 0:
        raise DataValidationError("the table is empty (0 rows).", rule="empty table")
    core = {id, start, stop, event}
    carried = [c for c in df.columns if c not in core] if covariates is None else list(covariates)
    clash = [c for c in carried if c in (*_RESERVED, "start")]
    if clash:
        raise DataValidationError(
            f"column {clash[0]!r}: this name is reserved for churnsurv's own columns "
            f"{[*_RESERVED, 'start']}; rename it or leave it out with covariates=[...].",
            column=str(clash[0]),
            rule="reserved column name",
        )
    df = df.reset_index(drop=True)
    n = len(df)
    ids = df[id]
    v = Violations(n, ids)
    v.add(id, "missing id", ids.isna().to_numpy())
    t0 = numeric_column(df[start], start, v, "start time")
    t1 = numeric_column(df[stop], stop, v, "stop time")
    v.add(start, "negative start time", t0 < 0)
    v.add(stop, "stop not after start", t1 <= t0)
    events = parse_events(df[event], event, v, event_value, censor_value)
    for col in carried:
        v.add(col, "missing covariate value", df[col].isna().to_numpy())
    sid_all = pd.factorize(ids)[0]  # ids as they are: 1 and "1" are two customers
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
    if v.records and on_invalid == "drop":
        # a partial history would bias the fit: drop every interval of a customer with a
        # broken rule, and say why for the intervals that broke none
        others = ids.isin(set(ids[v.bad_mask()])).to_numpy() & ~v.bad_mask()
        v.add(id, "another interval of this customer broke a rule", others)
    excluded = v.excluded_frame(id)
    keep = v.keep_mask(on_invalid)
    frame = pd.DataFrame({"start": t0, "duration": t1, "event": events}, index=df.index)
    for col in carried:
        frame[col] = df[col]
    frame = frame[keep]
    frame.index = pd.Index(ids[keep].to_numpy(), name=id)
    return PanelData(
        frame,
        time_unit=time_unit,
        excluded=excluded,
        n_input=n,
        id_col=id,
        covariates=carried,
        segments=[],
        margin=None,
    )
