"""Churn defined by inactivity, from an activity log: :func:`churn_from_events`.

The whole computation runs in the engine that holds the log (DuckDB by default, Spark when a
Spark DataFrame is passed; see :mod:`churnsurv.events.engine`) as one Ibis expression:

1. rows are classified (used, or excluded with a reason: missing id, missing or unparseable
   timestamp, missing segment or amount, activity after the cutoff);
2. the log is reduced to one row per customer and active day (time of day is ignored);
3. a window over each customer's days marks a new episode where the gap since the previous
   active day reaches the rule (``day >= previous day + rule``; months are calendar months with
   the end-of-month clipping of :func:`churnsurv.elapsed`, which DuckDB's and Spark's
   ``date + INTERVAL n MONTH`` share);
4. episodes are summarised (first and last active day, active days, transactions, amount).

Only the episode table (one row per customer or episode) comes back to Python, where durations
are measured with :func:`churnsurv.elapsed`, the one calendar rule of churnsurv.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from churnsurv._typing import DateLike
from churnsurv._validation import (
    Violations,
    as_list,
    check_choice,
    check_inactivity,
    check_unit,
)
from churnsurv.data.rules import numeric_column, parse_cutoff, parse_dates
from churnsurv.data.units import elapsed
from churnsurv.events.engine import EventLog, as_table, engine_name, to_pandas
from churnsurv.events.result import EventChurn
from churnsurv.exceptions import DataValidationError

__all__ = ["churn_from_events", "episode_frame", "CHURN_TIMES", "AFTER_CUTOFF"]

#: The two definitions of the churn time (see :func:`churn_from_events`).
CHURN_TIMES = ("last_activity", "rule_reached")
#: The exclusion reason of activity after the cutoff (never an error: the log may run on).
AFTER_CUTOFF = "activity after cutoff"


def _clean_frame(log: pd.DataFrame, cid: str, ts: str, amount, segs, on_invalid):
    """Row rules on an in-memory log (as :func:`prepare` does): parsed frame + excluded rows."""
    tx = log.reset_index(drop=True)
    v = Violations(len(tx), tx[cid], hint=True)
    v.add(cid, "missing customer id", tx[cid].isna().to_numpy())
    parsed = parse_dates(tx[ts], ts, v, required=True)
    for s in segs:
        v.add(s, "missing segment value", tx[s].isna().to_numpy())
    amt = None
    if amount is not None:
        amt = numeric_column(tx[amount], amount, v, "amount")
    keep = v.keep_mask(on_invalid) if v.records else np.ones(len(tx), dtype=bool)
    excluded = v.excluded_frame(cid) if v.records else None
    frame = pd.DataFrame({cid: tx[cid], ts: parsed})
    for s in segs:
        frame[s] = tx[s]
    if amount is not None:
        frame[amount] = amt
    return frame[keep].reset_index(drop=True), excluded, tx[cid]


def _classify(t, cid, ts, amount, segs, cutoff):
    """The log as (cid, day, n, amt, s0, s1, …) with an exclusion ``reason`` (NULL: used)."""
    import ibis

    col = t[ts]
    stamp = col.try_cast("timestamp") if col.type().is_string() else col
    cols = {"cid": t[cid], "day": stamp.cast("date"), "amt": t[amount] if amount else 0.0}
    cols.update({f"s{i}": t[s] for i, s in enumerate(segs)})
    cases = [(t[cid].isnull(), "missing customer id"), (col.isnull(), "missing timestamp")]
    cases.append((stamp.isnull(), "unparseable timestamp"))
    cases += [(t[s].isnull(), "missing segment value") for s in segs]
    if amount:
        cases.append((t[amount].isnull(), "missing amount"))
    if cutoff is not None:
        cases.append((stamp.cast("date") > ibis.date(cutoff.date()), AFTER_CUTOFF))
    return t.select(reason=ibis.cases(*cases, else_=ibis.null("string")), **cols)


def _plus(day, unit: str, n: int):
    import ibis

    step = ibis.interval(days=n) if unit == "day" else ibis.interval(months=n)
    return (day + step).cast("date")


def _episodes(valid, rule, n_segs: int, cutoff: pd.Timestamp, churn_time: str, episodes: bool):
    """One row per (customer, episode): start, last, end, churned, active days, amount."""
    import ibis

    segs = [f"s{i}" for i in range(n_segs)]
    days = valid.group_by(["cid", "day"]).agg(
        n=valid.count(), amt=valid.amt.sum(), **{s: valid[s].min() for s in segs}
    )
    prev = days.day.lag().over(ibis.window(group_by="cid", order_by="day"))
    new = ibis.ifelse(prev.isnull() | (days.day >= _plus(prev, *rule)), 1, 0)
    days = days.mutate(new=new)
    running = ibis.cumulative_window(group_by="cid", order_by="day")
    days = days.mutate(episode=days.new.sum().over(running))
    ep = days.group_by(["cid", "episode"]).agg(
        start=days.day.min(),
        last=days.day.max(),
        active_days=days.count(),
        transactions=days.n.sum(),
        amount=days.amt.sum(),
        **{s: days[s].min() for s in segs},
    )
    ep = ep.mutate(returned=ep.episode < ep.episode.max().over(ibis.window(group_by="cid")))
    reached = _plus(ep["last"], *rule)
    ep = ep.mutate(churned=ep.returned | (reached <= ibis.date(cutoff.date())))
    if churn_time == "rule_reached":
        end = ibis.ifelse(ep.churned, reached, ibis.date(cutoff.date()))
    else:
        end = ep["last"]
    ep = ep.mutate(end=end)
    return ep if episodes else ep.filter(ep.episode == 1)


def _mixed_segments(valid, segs: list[str]) -> None:
    """Refuse a segment whose value changes within a customer (which value would it be?)."""
    for i, s in enumerate(segs):
        per = valid.group_by("cid").agg(k=valid[f"s{i}"].nunique())
        bad = to_pandas(per.filter(per.k > 1).cid.name("cid").as_table().limit(5))
        if len(bad):
            raise DataValidationError(
                f"column {s!r}: a segment must be constant within a customer, but it changes "
                f"for some customers; example ids: {bad['cid'].tolist()}. Give the segment at "
                "signup (e.g. a join with a customer table) or leave it out.",
                column=s,
                rule="segment changes within customer",
                examples=bad["cid"].tolist(),
            )


def churn_from_events(
    log: EventLog,
    *,
    customer_id: str = "customer_id",
    timestamp: str = "timestamp",
    inactivity: str = "180D",
    cutoff: DateLike | None = None,
    amount: str | None = None,
    segments: str | Sequence[str] | None = None,
    churn_time: str = "last_activity",
    episodes: bool = False,
    time_unit: str = "month",
    on_invalid: str = "raise",
) -> EventChurn:
    """Churn defined by inactivity: one row per customer (or per episode) from an activity log.

    A customer churns when a gap without activity reaches ``inactivity``; the churn time is the
    last activity before that gap (``churn_time="last_activity"``) or the day the gap reached
    the rule (``"rule_reached"`` = last activity + rule). Censoring is honest: a customer whose
    current gap at ``cutoff`` is shorter than the rule has not churned *yet* and is censored —
    at the cutoff under ``"rule_reached"``, and at the last activity under ``"last_activity"``
    (all that is known is that the churn time is at or after it). A customer who returns after
    a qualifying gap starts a new episode (``episodes=True`` lists every episode, for win-back
    analysis; otherwise each customer's first episode, the time to first churn).

    The computation runs where the log lives: DuckDB (embedded, the default, also for pandas
    and for Parquet/CSV files larger than memory) or Spark (a Spark DataFrame), through one Ibis
    expression (see :mod:`churnsurv.events`). Only the episode table comes back to Python.

    Parameters
    ----------
    log : pandas.DataFrame, str or Path, ibis.Table or pyspark.sql.DataFrame
        One row per activity (purchase, visit, login). A path is read by DuckDB (``.parquet``,
        a folder of Parquet files, or ``.csv``).
    customer_id, timestamp : str
        Column names. Time of day is ignored: activity is counted per calendar day.
    inactivity : str, default "180D"
        The rule: ``"180D"`` (days), ``"26W"`` (weeks), ``"6M"`` (calendar months), ``"1Y"``.
    cutoff : date-like, optional
        End of observation (that day included). Default: the last active day in the log.
        Activity after it is excluded and listed (reason ``"activity after cutoff"``).
    amount : str, optional
        Spend column, summed per episode.
    segments : str or list of str, optional
        Columns constant within a customer (e.g. acquisition channel), carried to the result.
    churn_time : {"last_activity", "rule_reached"}, default "last_activity"
    episodes : bool, default False
    time_unit : {"day", "week", "month", "year"}, default "month"
        Unit of the durations, measured exactly by :func:`churnsurv.elapsed`.
    on_invalid : {"raise", "drop"}, default "raise"
        Rows with a missing id, a missing or unparseable timestamp, a missing segment or amount
        raise a :class:`DataValidationError`; with ``"drop"`` they are excluded and listed.

    Returns
    -------
    EventChurn
        ``.frame`` (one row per customer or episode), ``.exclusions`` (rows excluded per
        reason; rows in = rows used + rows excluded), ``.to_data()`` (a :class:`ChurnData`).

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> log = pd.DataFrame({"id": [1, 1, 1, 2, 2],
    ...     "day": ["2020-01-10", "2020-02-10", "2020-12-01", "2020-06-01", "2020-11-15"]})
    >>> res = cs.churn_from_events(log, customer_id="id", timestamp="day", inactivity="6M",
    ...                            cutoff="2020-12-31", episodes=True)
    >>> res.frame[["id", "episode", "start", "end", "churned"]]
       id  episode       start         end  churned
    0   1        1  2020-01-10  2020-02-10     True
    1   1        2  2020-12-01  2020-12-01    False
    2   2        1  2020-06-01  2020-11-15    False
    >>> res.frame["duration"].round(3).tolist()
    [1.0, 0.0, 5.467]
    """
    check_choice("churn_time", churn_time, CHURN_TIMES)
    check_choice("on_invalid", on_invalid, ("raise", "drop"))
    check_unit(time_unit)
    rule = check_inactivity(inactivity)
    segs = as_list(segments)
    columns = [customer_id, timestamp, *segs] + ([amount] if amount else [])
    cut = parse_cutoff(cutoff) if cutoff is not None else None
    excluded_rows = None
    n_pre_excluded: dict[tuple[str, str], int] = {}
    if isinstance(log, pd.DataFrame):
        as_table(log.head(0), columns)  # the same missing-column message as for engine tables
        frame, excluded_rows, _ = _clean_frame(
            log, customer_id, timestamp, amount, segs, on_invalid
        )
        if excluded_rows is not None:
            for (c, r), n in excluded_rows.groupby(["column", "reason"]).size().items():
                n_pre_excluded[(str(c), str(r))] = int(n)
        table = as_table(frame, columns)
    else:
        table = as_table(log, columns)
    rows = _classify(table, customer_id, timestamp, amount, segs, cut)
    counts = to_pandas(rows.group_by("reason").agg(rows=rows.count()))
    exclusions = _exclusions(counts, n_pre_excluded, customer_id, timestamp, amount, segs)
    invalid = exclusions[exclusions["reason"] != AFTER_CUTOFF]
    if on_invalid == "raise" and len(invalid) and excluded_rows is None:
        first = invalid.iloc[0]
        raise DataValidationError(
            f"column {first['column']!r}: {first['reason']} in {first['rows']} row(s) of the "
            "event log.\nPass on_invalid='drop' to exclude these rows and list them in "
            ".exclusions.",
            column=str(first["column"]),
            rule=str(first["reason"]),
            n_rows=int(first["rows"]),
        )
    valid = rows.filter(rows.reason.isnull())
    if cut is None:
        last_day = to_pandas(valid.day.max().name("d").as_table())["d"].iloc[0]
        if pd.isna(last_day):
            raise DataValidationError("the event log has no usable rows.", rule="empty table")
        cut = pd.Timestamp(last_day)
    _mixed_segments(valid, segs)
    if int(counts.loc[counts["reason"].isna(), "rows"].sum()) == 0:
        raise DataValidationError(
            f"the event log has no usable rows: {int(counts['rows'].sum())} row(s), all excluded.",
            rule="empty table",
        )
    return EventChurn(
        _episodes(valid, rule, len(segs), cut, churn_time, episodes),
        rows_table=valid,
        amount=amount,
        exclusions=exclusions,
        excluded_rows=excluded_rows,
        n_input=int(counts["rows"].sum()) + sum(n_pre_excluded.values()),
        customer_id=customer_id,
        segments=segs,
        inactivity=inactivity,
        rule=rule,
        cutoff=cut,
        churn_time=churn_time,
        episodes=episodes,
        time_unit=time_unit,
        engine=engine_name(table),
    )


def _exclusions(counts, pre, cid, ts, amount, segs) -> pd.DataFrame:
    """Rows excluded per (column, reason): those of the engine and those of the pandas rules."""
    column_of = {
        "missing customer id": cid,
        "missing timestamp": ts,
        "unparseable timestamp": ts,
        AFTER_CUTOFF: ts,
        "missing amount": amount,
        "missing segment value": ", ".join(segs),
    }
    recs = [
        {"column": column_of[str(r)], "reason": str(r), "rows": int(n)}
        for r, n in zip(counts["reason"], counts["rows"], strict=True)
        if isinstance(r, str)
    ]
    recs += [{"column": c, "reason": r, "rows": n} for (c, r), n in pre.items()]
    frame = pd.DataFrame(recs, columns=["column", "reason", "rows"])
    return frame.sort_values(["reason", "column"], ignore_index=True).astype({"rows": np.int64})


def episode_frame(ep: pd.DataFrame, time_unit: str, cid: str, amount, segs) -> pd.DataFrame:
    """The fetched episode table with exact durations and the user's column names.

    ``ep`` is consumed: each column is popped once copied, so a long table is not held twice.
    """

    def take(name: str, dtype=None) -> np.ndarray:
        column = ep.pop(name)
        if dtype == "datetime64[ns]":
            column = pd.to_datetime(column)
        return column.to_numpy() if dtype is None else column.to_numpy(dtype=dtype)

    out = pd.DataFrame({cid: take("cid"), "episode": take("episode", np.int64)})
    out["start"] = take("start", "datetime64[ns]")
    out["last_activity"] = take("last", "datetime64[ns]")
    out["end"] = take("end", "datetime64[ns]")
    out["duration"] = elapsed(out["start"], out["end"], time_unit)
    out["churned"] = take("churned", bool)
    out["returned"] = take("returned", bool)
    out["active_days"] = take("active_days", np.int64)
    out["transactions"] = take("transactions", np.int64)
    if amount:
        out[amount] = take("amount", float)
    for i, s in enumerate(segs):
        out[s] = take(f"s{i}")
    return out
