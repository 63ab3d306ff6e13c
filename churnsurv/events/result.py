"""The result of :func:`churnsurv.churn_from_events`: :class:`EventChurn`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from churnsurv._render import Result, facts_frame
from churnsurv.data import ChurnData, prepare

__all__ = ["EventChurn"]


class EventChurn(Result):
    """Inactivity-defined churn: one row per customer (or episode), and what was excluded.

    Built by :func:`churnsurv.churn_from_events`; do not construct it directly.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns: the customer id, ``episode`` (with ``episodes=True``), ``start`` (first
        activity), ``last_activity``, ``end`` (the churn time, or the censoring time),
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
    table : ibis.Table
        The used rows in the engine (columns ``cid``, ``day``, ``amt``, segments ``s0``…), from
        which :mod:`churnsurv.events.summaries` computes counts without leaving the engine.
    inactivity, cutoff, churn_time, time_unit, engine
        What the result was computed with.
    """

    _title = "Churn from an activity log"

    def __init__(self, frame: pd.DataFrame, **info: Any) -> None:
        self.frame = frame
        self.table = info["table"]
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

    @property
    def n_customers(self) -> int:
        """Distinct customers."""
        return int(self.frame[self.customer_id].nunique())

    @property
    def summary(self) -> pd.DataFrame:
        """Rows used and excluded, customers, episodes, churned and censored (one column)."""
        churned = int(self.frame["churned"].sum())
        facts = {
            "rule": f"churn after {self.inactivity} without activity",
            "churn time": self.churn_time.replace("_", " "),
            "cutoff": self.cutoff.date(),
            "engine": self.engine,
            "rows in log": self.n_input,
            "rows used": self.n_used,
            "rows excluded": self.n_input - self.n_used,
            "customers": self.n_customers,
            "rows (customers or episodes)": len(self.frame),
            "churned": churned,
            "censored (gap shorter than the rule at cutoff)": len(self.frame) - churned,
        }
        return facts_frame(facts)

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        frames = [("", self.summary)]
        if len(self.exclusions):
            frames.append(("Excluded rows by reason", self.exclusions))
        return frames

    def to_data(self, *, covariates: list[str] | None = None) -> ChurnData:
        """The table as :class:`ChurnData` through :func:`churnsurv.prepare` (the one door).

        Indexed by customer id (by row for episodes, with the id as a column). ``segments`` are
        declared as segments; ``covariates`` (default: ``active_days``, ``transactions``, the
        amount and, for episodes, ``episode``) are carried.

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
        carried = covariates
        if carried is None:
            carried = [c for c in self.frame.columns if c not in reserved | set(self.segments)]
        frame = self.frame.rename(columns={"start": "start_day", "end": "end_day"})
        return prepare(
            frame,
            duration="duration",
            event="churned",
            time_unit=self.time_unit,
            id=None if self.episodes else self.customer_id,
            covariates=list(carried) + ([self.customer_id] if self.episodes else []),
            segments=self.segments or None,
        )
