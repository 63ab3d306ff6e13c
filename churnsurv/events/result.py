"""The result of :func:`churnsurv.churn_from_events`: :class:`EventChurn`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from churnsurv._render import Result, facts_frame
from churnsurv.data import ChurnData, prepare
from churnsurv.data.units import elapsed

__all__ = ["EventChurn", "counted_data"]


class EventChurn(Result):
    """Inactivity-defined churn: one row per customer (or episode), and what was excluded.

    Built by :func:`churnsurv.churn_from_events`; do not construct it directly.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns: the customer id, ``episode`` (with ``episodes=True``), ``start`` (first
        activity; dates are datetime64 at midnight), ``last_activity``, ``end`` (the churn
        time, or the censoring time),
        ``duration`` (``start`` → ``end`` in ``time_unit``), ``churned``, ``returned`` (active
        again after a qualifying gap), ``active_days``, ``transactions``, the amount (summed)
        and the segment columns.
    exclusions : pandas.DataFrame
        Rows of the log not used, per ``column`` and ``reason``, with their number ``rows``.
    excluded_rows : pandas.DataFrame or None
        For an in-memory log dropped with ``on_invalid="drop"``: each excluded row (position,
        id, column, reason), as :attr:`ChurnData.excluded`. Activity after the cutoff is only
        counted in :attr:`exclusions`.
    n_input, n_used : int
        Rows of the log, and rows used; ``n_input == n_used + exclusions["rows"].sum()``.
    episodes_table : ibis.Table
        The lazy episode table in the engine (columns ``cid``, ``episode``, ``start``,
        ``last``, ``end``, ``churned``, ``returned``, segments ``s0``…); :meth:`counts` and
        :attr:`summary` aggregate it without fetching a row per customer.
    rows_table : ibis.Table
        The used rows of the log in the engine (``cid``, ``day``, ``amt``, segments), which
        :func:`churnsurv.rfm_summary` summarises when given this result.
    inactivity, cutoff, churn_time, time_unit, engine
        What the result was computed with.
    """

    _title = "Churn from an activity log"

    def __init__(self, episodes_table: Any, **info: Any) -> None:
        self.episodes_table = episodes_table
        self.rows_table = info["rows_table"]
        self.amount: str | None = info["amount"]
        self.exclusions: pd.DataFrame = info["exclusions"]
        self.excluded_rows: pd.DataFrame | None = info["excluded_rows"]
        self.n_input: int = info["n_input"]
        self.n_used = self.n_input - int(self.exclusions["rows"].sum())
        self.customer_id: str = info["customer_id"]
        self.segments: list[str] = info["segments"]
        self.inactivity: str = info["inactivity"]
        self.rule: tuple[str, int] = info["rule"]
        self.cutoff: pd.Timestamp = info["cutoff"]
        self.churn_time: str = info["churn_time"]
        self.episodes: bool = info["episodes"]
        self.time_unit: str = info["time_unit"]
        self.engine: str = info["engine"]
        self._frame: pd.DataFrame | None = None
        self._totals: dict | None = None
        self._count_frame: pd.DataFrame | None = None

    @property
    def frame(self) -> pd.DataFrame:
        """One row per customer (or episode), fetched from the engine on first use."""
        if self._frame is None:
            from churnsurv.events.engine import fetch_frame
            from churnsurv.events.inactivity import episode_frame

            ep = fetch_frame(self.episodes_table.order_by(["cid", "episode"]))
            out = episode_frame(ep, self.time_unit, self.customer_id, self.amount, self.segments)
            self._frame = out if self.episodes else out.drop(columns="episode")
        return self._frame

    def _counts(self) -> dict:
        """Customers, rows and churned, counted in the engine (the frame is not fetched)."""
        if self._totals is None:
            ep = self.episodes_table
            agg = ep.aggregate(
                rows=ep.count(), churned=ep.churned.sum(), customers=ep.cid.nunique()
            ).to_pandas()
            self._totals = {k: int(agg[k].iloc[0]) for k in ("rows", "churned", "customers")}
        return self._totals

    @property
    def n_customers(self) -> int:
        """Distinct customers."""
        return self._counts()["customers"]

    @property
    def summary(self) -> pd.DataFrame:
        """Rows used and excluded, customers, episodes, churned and censored (one column)."""
        c = self._counts()
        facts = {
            "rule": f"churn after {self.inactivity} without activity",
            "churn time": self.churn_time.replace("_", " "),
            "cutoff": self.cutoff.date(),
            "engine": self.engine,
            "rows in log": self.n_input,
            "rows used": self.n_used,
            "rows excluded": self.n_input - self.n_used,
            "customers": c["customers"],
            "rows (customers or episodes)": c["rows"],
            "churned": c["churned"],
            "censored (gap shorter than the rule at cutoff)": c["rows"] - c["churned"],
        }
        return facts_frame(facts)

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        frames = [("", self.summary)]
        if len(self.exclusions):
            frames.append(("Excluded rows by reason", self.exclusions))
        return frames

    def _dated(self, data: ChurnData, start, end) -> ChurnData:
        """``data`` with its start and end dates and the cutoff (for calendar tables)."""
        frame = data.frame.copy()
        frame["start_date"] = pd.to_datetime(np.asarray(start))
        frame["end_date"] = pd.to_datetime(np.asarray(end))
        return data._with(frame, cutoff=self.cutoff)

    def to_data(self, *, covariates: list[str] | None = None) -> ChurnData:
        """The table as :class:`ChurnData` through :func:`churnsurv.prepare` (the one door).

        Indexed by customer id (by row for episodes, with the id as a column), with the
        ``start_date`` and ``end_date`` of each row and the cutoff, so calendar tables work.
        ``segments`` are declared as segments; ``covariates`` (default: ``active_days``,
        ``transactions``, ``returned``, the amount and, for episodes, ``episode``) are carried.
        For large logs, :meth:`count_data` gives the same estimates from counts made in
        the engine.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> log = pd.DataFrame({"id": [1, 1, 2], "day": ["2020-01-01", "2020-01-20", "2020-03-01"]})
        >>> data = cs.churn_from_events(log, customer_id="id", timestamp="day",
        ...                             inactivity="30D", cutoff="2020-03-15").to_data()
        >>> data.n, data.n_events, data.time_unit
        (2, 1, 'month')
        """
        reserved = {self.customer_id, "start", "last_activity", "end", "duration", "churned"}
        frame = self.frame
        carried = covariates
        if carried is None:
            carried = [c for c in frame.columns if c not in reserved | set(self.segments)]
        data = prepare(
            frame.drop(columns=["start", "end", "last_activity"]),
            duration="duration",
            event="churned",
            time_unit=self.time_unit,
            id=None if self.episodes else self.customer_id,
            covariates=list(carried) + ([self.customer_id] if self.episodes else []),
            segments=self.segments or None,
        )
        return self._dated(data, frame["start"], frame["end"])

    def counts(self) -> pd.DataFrame:
        """Customers (episodes) per segment, start day, end day and status, counted in the engine.

        The sufficient statistic of Kaplan–Meier, the log-rank test, life tables, churn rates
        and cohort tables: one row per distinct ``(segments, start, end, churned)`` with its
        number ``n`` and the exact ``duration`` (:func:`churnsurv.elapsed`). It is computed by
        a GROUP BY in the engine, so only these few rows leave it.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> log = pd.DataFrame({"id": [1, 2, 3], "day": ["2020-01-01", "2020-01-01", "2020-02-01"]})
        >>> res = cs.churn_from_events(log, customer_id="id", timestamp="day",
        ...                            inactivity="30D", cutoff="2020-02-15", time_unit="day")
        >>> res.counts()[["start", "end", "churned", "n", "duration"]]
                start         end  churned  n  duration
        0  2020-01-01  2020-01-01     True  2       0.0
        1  2020-02-01  2020-02-01    False  1       0.0
        """
        if self._count_frame is not None:
            return self._count_frame.copy()
        ep = self.episodes_table
        keys = [f"s{i}" for i in range(len(self.segments))] + ["start", "end", "churned"]
        out = ep.group_by(keys).agg(n=ep.count()).order_by(keys).to_pandas()
        out = out.rename(columns={f"s{i}": s for i, s in enumerate(self.segments)})
        out["start"] = pd.to_datetime(out["start"]).astype("datetime64[ns]")
        out["end"] = pd.to_datetime(out["end"]).astype("datetime64[ns]")
        out["churned"] = out["churned"].astype(bool)
        out["n"] = out["n"].astype(np.int64)
        out["duration"] = elapsed(out["start"], out["end"], self.time_unit)
        self._count_frame = out
        return out.copy()

    def count_data(self) -> tuple[ChurnData, np.ndarray]:
        """:meth:`counts` as :class:`ChurnData` (one row per count) and the counts ``n``.

        What :func:`~churnsurv.life_table`, :func:`~churnsurv.churn_rates` and
        :func:`~churnsurv.cohort_table` use when given this result (Kaplan–Meier and the
        log-rank tests sum it further, :meth:`survival_counts`): each row stands for ``n``
        identical customers (same segments, start, end and status), so memory grows with the
        distinct rows, not with customers; the estimates equal those of :meth:`to_data`
        (tested).

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> log = pd.DataFrame({"id": [1, 2, 3], "day": ["2020-01-01", "2020-01-01", "2020-02-01"]})
        >>> res = cs.churn_from_events(log, customer_id="id", timestamp="day",
        ...                            inactivity="30D", cutoff="2020-02-15")
        >>> data, n = res.count_data()
        >>> data.n, n.tolist()
        (2, [2, 1])
        """
        return self._rows(expand=False)

    def survival_data(self) -> ChurnData:
        """:class:`ChurnData` rebuilt from :meth:`counts` (one row per customer, no ids).

        For estimators that need one row per customer: the engine does the heavy work
        (reading, windows, GROUP BY) and Python holds only durations, events, dates and
        segments, a fraction of the memory of the per-customer frame but still one row per
        customer. Kaplan–Meier, the log-rank tests and the period tables do not need it:
        they read :meth:`survival_counts` and :meth:`count_data`.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> log = pd.DataFrame({"id": [1, 2, 3], "day": ["2020-01-01", "2020-01-01", "2020-02-01"]})
        >>> res = cs.churn_from_events(log, customer_id="id", timestamp="day",
        ...                            inactivity="30D", cutoff="2020-02-15")
        >>> d = res.survival_data()
        >>> d.n, d.n_events, d.has_dates
        (3, 2, True)
        """
        return self._rows(expand=True)[0]

    def survival_counts(self) -> tuple[ChurnData, np.ndarray]:
        """:meth:`counts` summed per distinct (segments, duration, status), and the counts ``n``.

        What :class:`~churnsurv.KaplanMeier`, :func:`~churnsurv.logrank` and
        :func:`~churnsurv.pairwise_logrank` use when given this result: they need no dates,
        so customers with the same segments, tenure and status are one row, each weighted
        by its number of customers (R ``survfit(weights = n)`` on aggregated rows). Its size
        is bounded by the distinct tenures, whatever the number of customers; the estimates
        equal those of :meth:`to_data` (tested).

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> log = pd.DataFrame({"id": [1, 2, 3], "day": ["2020-01-01", "2020-01-02", "2020-02-01"]})
        >>> res = cs.churn_from_events(log, customer_id="id", timestamp="day",
        ...                            inactivity="30D", cutoff="2020-02-15", time_unit="day")
        >>> data, n = res.survival_counts()
        >>> data.n, n.tolist(), data.has_dates
        (2, [1, 2], False)
        """
        return self._rows(expand=False, dates=False)

    def _rows(self, *, expand: bool, dates: bool = True) -> tuple[ChurnData, np.ndarray]:
        """:meth:`counts` as ChurnData: one row per count, or per customer (``expand``).

        Without ``dates`` the counts are first summed per (segments, duration, status).
        """
        c = self.counts()
        if not dates:
            keys = [*self.segments, "duration", "churned"]
            c = c.groupby(keys, sort=True, observed=True, dropna=False, as_index=False)["n"].sum()
        n = c["n"].to_numpy(dtype=np.int64)
        rep = n if expand else 1

        def col(name: str) -> np.ndarray:
            return np.repeat(c[name].to_numpy(), rep)

        frame = pd.DataFrame({"duration": col("duration"), "event": col("churned")})
        for s in self.segments:
            frame[s] = col(s)
        data = prepare(
            frame,
            duration="duration",
            event="event",
            time_unit=self.time_unit,
            segments=self.segments or None,
        )
        return (self._dated(data, col("start"), col("end")) if dates else data), n


def counted_data(
    data: ChurnData | EventChurn, weights: Any = None, *, dates: bool = True
) -> tuple[ChurnData, np.ndarray | None]:
    """``data`` and how many customers each of its rows stands for (None: one each).

    An :class:`EventChurn` gives its engine counts (:meth:`EventChurn.count_data`): one row
    per distinct (segments, start, end, status) with its number of customers, never expanded
    to one row per customer; without ``dates`` (estimators that need tenure only) they are
    summed per distinct (segments, duration, status) (:meth:`EventChurn.survival_counts`).
    Estimators weight each row by its count; with integer frequency weights Kaplan–Meier,
    Greenwood's variance and the log-rank test are exactly those of the expanded rows (R
    ``survfit(weights = n)`` on the aggregated rows equals the expanded fit).
    Case ``weights`` are refused with an :class:`EventChurn`: its rows are counts carrying
    only durations, status, dates and segments, so weights given per customer (or a column
    of the per-customer table) cannot be matched to them; use :meth:`EventChurn.to_data`.

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> log = pd.DataFrame({"id": [1, 2, 3], "day": ["2020-01-01", "2020-01-01", "2020-02-01"]})
    >>> res = cs.churn_from_events(log, customer_id="id", timestamp="day",
    ...                            inactivity="30D", cutoff="2020-02-15")
    >>> data, n = counted_data(res)
    >>> data.n, n.tolist()
    (2, [2, 1])
    >>> counted_data(data)[1] is None
    True
    """
    if not isinstance(data, EventChurn):
        return data, None
    if weights is not None:
        raise ValueError(
            "weights: case weights cannot be used with the result of churn_from_events: it is "
            "used through its engine counts (one row per distinct segments, start, end and "
            "status, weighted by its number of customers), which per-customer weights cannot "
            "be matched to. Fit on EventChurn.to_data() to weight customers."
        )
    return data.count_data() if dates else data.survival_counts()
