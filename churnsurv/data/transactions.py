"""Transaction logs: :func:`rfm_summary` (re-exported by :mod:`churnsurv.data`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from churnsurv._typing import DateLike
from churnsurv._validation import Violations, check_date_format, check_unit
from churnsurv.data.rules import (
    numeric_column,
    parse_cutoff,
    parse_dates,
    require_table_columns,
)
from churnsurv.data.units import elapsed
from churnsurv.exceptions import DataValidationError

#: A transaction log held by an engine (see :mod:`churnsurv.events`).
EventLog = Any

__all__ = ["rfm_summary"]


def _check_ends(
    calibration_end: DateLike | None, observation_end: DateLike | None, date_format: str | None
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The calibration and observation ends as timestamps (read with ``date_format``), checked."""
    cal_end = (
        parse_cutoff(calibration_end, name="calibration_end", date_format=date_format)
        if calibration_end is not None
        else None
    )
    if observation_end is None:
        return cal_end, None
    if cal_end is None:
        raise DataValidationError(
            "observation_end= needs calibration_end=.",
            column="observation_end",
            rule="missing argument",
        )
    obs_end = parse_cutoff(observation_end, name="observation_end", date_format=date_format)
    if obs_end <= cal_end:
        raise DataValidationError(
            f"observation_end {obs_end.date()} must be after calibration_end {cal_end.date()}.",
            column="observation_end",
            rule="observation_end not after calibration_end",
        )
    return cal_end, obs_end


def rfm_summary(
    transactions: pd.DataFrame | EventLog,
    *,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    calibration_end: DateLike | None = None,
    observation_end: DateLike | None = None,
    time_unit: str = "week",
    date_format: str | None = None,
) -> pd.DataFrame:
    """Per-customer frequency, recency, T and mean repeat spend from a transaction log.

    Purchases on the same day by the same customer are merged into one transaction (amounts
    summed). With ``calibration_end``, only purchases up to and including that day are used for
    the summary, and with ``observation_end`` the holdout period after it is summarised too.

    Parameters
    ----------
    transactions : pandas.DataFrame, path, Ibis table, Spark DataFrame or EventChurn
        One row per purchase. A log that is not a DataFrame (a Parquet/CSV path, an Ibis
        table, a Spark DataFrame, or the result of :func:`churnsurv.churn_from_events`) is
        summarised in its engine (DuckDB or Spark) by one GROUP BY, with the same rules;
        only one row per customer comes back.
    customer_id, date, amount : str
        Column names; ``amount`` may be None for count-only data.
    calibration_end : date-like, optional
        Last day of the calibration period (default: the last purchase date).
    observation_end : date-like, optional
        Last day of the holdout period (requires ``calibration_end``).
    time_unit : {"day", "week", "month", "year"}, default "week"
    date_format : str, optional
        The format of text dates and of the two ends, e.g. ``"%d/%m/%Y"``; required for dates
        such as ``02/11/2023`` whose day and month order the text does not say (refused
        without it, never guessed), as in :func:`churnsurv.prepare`.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id: ``frequency`` (repeat transactions in calibration), ``recency``
        (first to last calibration purchase), ``T`` (first purchase to ``calibration_end``),
        ``monetary_value`` (mean value of the repeat transactions, 0 without any), and with a
        holdout ``frequency_holdout``, ``monetary_value_holdout``, ``duration_holdout``.
        Customers whose first purchase is after ``calibration_end`` are not in the calibration
        cohort: they are left out and listed in ``result.attrs["excluded_customers"]``.

    Raises
    ------
    DataValidationError
        Missing column, missing customer id, unparseable or missing date, non-numeric, missing
        or negative amount, observation_end not after calibration_end.

    Examples
    --------
    >>> import churnsurv as cs
    >>> rfm = cs.rfm_summary(cs.datasets.load_cdnow(), calibration_end="1997-09-30",
    ...                      observation_end="1998-06-30")
    >>> len(rfm), int(rfm["frequency"].sum()), int((rfm["frequency"] > 0).sum())
    (2357, 2457, 946)
    """
    check_unit(time_unit)
    check_date_format(date_format)
    cal_end_given, obs_end = _check_ends(calibration_end, observation_end, date_format)
    if not isinstance(transactions, pd.DataFrame):
        from churnsurv.events.summaries import engine_rfm

        return engine_rfm(
            transactions,
            customer_id=customer_id,
            date=date,
            amount=amount,
            calibration_end=cal_end_given,
            observation_end=obs_end,
            time_unit=time_unit,
        )
    require_table_columns(transactions, [customer_id, date, amount])
    if len(transactions) == 0:
        raise DataValidationError("the transaction log is empty.", rule="empty table")
    tx = transactions.reset_index(drop=True)
    v = Violations(len(tx), None, hint=False)
    v.add(customer_id, "missing customer id", tx[customer_id].isna().to_numpy())
    dates = parse_dates(tx[date], date, v, required=True, date_format=date_format)
    if amount is not None:
        amt = numeric_column(tx[amount], amount, v, "amount")
        v.add(amount, "negative amount", amt < 0)
    else:
        amt = np.zeros(len(tx))
    if v.records:
        v.raise_first()
    cal_end = cal_end_given if cal_end_given is not None else dates.max()
    daily = (
        pd.DataFrame({"cid": tx[customer_id].to_numpy(), "day": dates.dt.normalize(), "amt": amt})
        .groupby(["cid", "day"], sort=True)["amt"]
        .sum()
        .reset_index()
    )
    first = daily.groupby("cid")["day"].transform("min")
    daily["is_first"] = daily["day"] == first
    cohort_first = daily.groupby("cid")["day"].min()
    excluded = cohort_first.index[cohort_first > cal_end]
    daily = daily[~daily["cid"].isin(excluded)]
    cal = daily[daily["day"] <= cal_end]
    g = cal.groupby("cid")
    first_day = g["day"].min()
    last_day = g["day"].max()
    repeat = cal[~cal["is_first"]].groupby("cid")["amt"]
    out = pd.DataFrame(index=first_day.index)
    out["frequency"] = (g.size() - 1).astype(np.int64)
    out["recency"] = elapsed(first_day, last_day, time_unit)
    out["T"] = elapsed(first_day, pd.Series(cal_end, index=first_day.index), time_unit)
    out["monetary_value"] = repeat.mean().reindex(out.index).fillna(0.0)
    if observation_end is not None:
        hold = daily[(daily["day"] > cal_end) & (daily["day"] <= obs_end)].groupby("cid")["amt"]
        out["frequency_holdout"] = hold.size().reindex(out.index).fillna(0).astype(np.int64)
        out["monetary_value_holdout"] = hold.mean().reindex(out.index).fillna(0.0)
        out["duration_holdout"] = float(
            elapsed(pd.Series([cal_end]), pd.Series([obs_end]), time_unit)[0]
        )
    out.index.name = customer_id
    out.attrs["excluded_customers"] = list(excluded)
    out.attrs["time_unit"] = time_unit
    return out
