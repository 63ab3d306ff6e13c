"""Summaries of an event log computed in its engine: RFM for BG/NBD + Gamma-Gamma.

:func:`churnsurv.rfm_summary` calls :func:`engine_rfm` when given a log that is not a pandas
DataFrame (a Parquet/CSV path, an Ibis table, a Spark DataFrame, or an :class:`EventChurn`),
so a log larger than memory is reduced in DuckDB (or Spark) to one row per customer. The
per-customer recency and T are then measured with :func:`churnsurv.elapsed`, as in memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._typing import DateLike
from churnsurv.data.units import elapsed
from churnsurv.events.engine import EventLog, as_table, fetch_frame
from churnsurv.events.result import EventChurn
from churnsurv.exceptions import DataValidationError

__all__ = ["engine_rfm"]


def _daily(log: EventLog, customer_id: str, date: str, amount: str | None):
    """(cid, day, amt) per customer and active day, after the row checks of rfm_summary."""
    import ibis

    if isinstance(log, EventChurn):
        t = log.rows_table
        return t.group_by(["cid", "day"]).agg(amt=t.amt.sum())
    t = as_table(log, [c for c in (customer_id, date, amount) if c])
    col = t[date]
    stamp = col.try_cast("timestamp") if col.type().is_string() else col
    amt = t[amount].cast("float64") if amount else ibis.literal(0.0)
    checks = {
        (customer_id, "missing customer id"): t[customer_id].isnull(),
        (date, "missing or unparseable date"): stamp.isnull(),
    }
    if amount:
        checks[(amount, "missing or negative amount")] = amt.isnull() | (amt < 0)
    agg = t.aggregate(**{f"c{i}": m.sum() for i, m in enumerate(checks.values())}).to_pandas()
    for i, (column, rule) in enumerate(checks):
        n_bad = int(agg[f"c{i}"].iloc[0] or 0)
        if n_bad:
            raise DataValidationError(
                f"column {column!r}: {rule} in {n_bad} row(s) of the transaction log.",
                column=column,
                rule=rule,
                n_rows=n_bad,
            )
    rows = t.select(cid=t[customer_id], day=stamp.cast("date"), amt=amt)
    return rows.group_by(["cid", "day"]).agg(amt=rows.amt.sum())


def engine_rfm(
    log: EventLog,
    *,
    customer_id: str,
    date: str,
    amount: str | None,
    calibration_end: DateLike | None,
    observation_end: DateLike | None,
    time_unit: str,
) -> pd.DataFrame:
    """:func:`churnsurv.rfm_summary` of a log held by an engine (same columns, same rules).

    Examples
    --------
    >>> import churnsurv as cs
    >>> rfm = engine_rfm(cs.datasets.load_cdnow().pipe(lambda d: d.astype({"date": str})),
    ...                  customer_id="customer_id", date="date", amount="amount",
    ...                  calibration_end="1997-09-30", observation_end=None, time_unit="week")
    >>> len(rfm), int(rfm["frequency"].sum())
    (2357, 2457)
    """
    import ibis

    daily = _daily(log, customer_id, date, amount)
    if calibration_end is None:
        cal_end = pd.Timestamp(daily.day.max().to_pandas())
    else:
        cal_end = pd.Timestamp(calibration_end)
    first = daily.group_by("cid").agg(first=daily.day.min())
    d = daily.join(first, "cid")
    cal_day = ibis.date(cal_end.date())
    cal = d.filter((d["first"] <= cal_day) & (d.day <= cal_day))
    repeat = cal.day > cal["first"]
    per = cal.group_by("cid").agg(
        first_day=cal.day.min(),
        last_day=cal.day.max(),
        n=cal.count(),
        rep_sum=repeat.ifelse(cal.amt, 0.0).sum(),
    )
    keys = ["cid"]
    if observation_end is not None:
        obs_day = ibis.date(pd.Timestamp(observation_end).date())
        hold = d.filter((d["first"] <= cal_day) & (d.day > cal_day) & (d.day <= obs_day))
        h = hold.group_by("cid").agg(h_n=hold.count(), h_mean=hold.amt.mean())
        per = per.left_join(h, "cid").drop("cid_right")
    out_raw = fetch_frame(per.order_by(keys))
    excluded = first.filter(first["first"] > cal_day).cid.to_pandas().tolist()
    return _assemble(out_raw, excluded, cal_end, observation_end, customer_id, time_unit)


def _assemble(raw, excluded, cal_end, observation_end, customer_id, time_unit) -> pd.DataFrame:
    first = pd.to_datetime(raw["first_day"])
    out = pd.DataFrame(index=pd.Index(raw["cid"].to_numpy(), name=customer_id))
    freq = raw["n"].to_numpy(dtype=np.int64) - 1
    out["frequency"] = freq
    out["recency"] = elapsed(first, pd.to_datetime(raw["last_day"]), time_unit)
    out["T"] = elapsed(first, pd.Series(cal_end, index=raw.index), time_unit)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["monetary_value"] = np.where(freq > 0, raw["rep_sum"].to_numpy() / freq, 0.0)
    if observation_end is not None:
        obs_end = pd.Timestamp(observation_end)
        out["frequency_holdout"] = raw["h_n"].fillna(0).to_numpy(dtype=np.int64)
        out["monetary_value_holdout"] = raw["h_mean"].fillna(0.0).to_numpy(dtype=float)
        out["duration_holdout"] = float(
            elapsed(pd.Series([cal_end]), pd.Series([obs_end]), time_unit)[0]
        )
    out.attrs["excluded_customers"] = sorted(excluded)
    out.attrs["time_unit"] = time_unit
    return out
