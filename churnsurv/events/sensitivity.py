"""Sensitivity of churn to the inactivity rule: :func:`inactivity_sensitivity`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from churnsurv._render import Result
from churnsurv._typing import Axes
from churnsurv.events.engine import EventLog
from churnsurv.events.inactivity import churn_from_events

__all__ = ["InactivitySensitivity", "inactivity_sensitivity"]


class InactivitySensitivity(Result):
    """Churn rate and median lifetime per inactivity rule.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per rule: ``inactivity``, ``customers``, ``churned``, ``censored``,
        ``churn_rate_pct`` (churned by the cutoff, % of customers), Kaplan–Meier ``median``
        lifetime with ``median_lower`` / ``median_upper`` (NaN when not reached).
    results : dict
        The :class:`EventChurn` of each rule.
    """

    _title = "Sensitivity of churn to the inactivity rule"

    def __init__(self, summary: pd.DataFrame, results: dict) -> None:
        self.summary = summary
        self.results = results

    def plot(self, *, ax: Axes | None = None) -> Axes:
        """Churn rate and median lifetime per rule (:func:`plot_inactivity_sensitivity`)."""
        from churnsurv.plotting.events import plot_inactivity_sensitivity

        return plot_inactivity_sensitivity(self.summary, ax=ax)

    def _note(self) -> str:
        return (
            "Longer rules call fewer customers churned and censor more of them; the median "
            "is Kaplan-Meier's, so censoring is honest under every rule."
        )


def inactivity_sensitivity(
    log: EventLog, inactivity: Sequence[str] = ("90D", "180D", "365D"), **kwargs: Any
) -> InactivitySensitivity:
    """Churn rate and median lifetime under several inactivity rules, in one call.

    The threshold is a choice; this shows how much the answer depends on it. Each rule runs
    :func:`churnsurv.churn_from_events` in the engine (same ``kwargs``) and fits Kaplan–Meier
    from the engine's counts.

    Parameters
    ----------
    log
        As :func:`churnsurv.churn_from_events`.
    inactivity : sequence of str
        The rules to compare, e.g. ``["90D", "6M", "12M"]``.
    **kwargs
        Passed to :func:`churnsurv.churn_from_events` (``customer_id``, ``timestamp``,
        ``cutoff``, ``churn_time``, ``time_unit``, ...).

    Returns
    -------
    InactivitySensitivity

    Examples
    --------
    >>> import churnsurv as cs
    >>> s = cs.inactivity_sensitivity(cs.datasets.load_cdnow(), ["3M", "6M", "12M"],
    ...                               customer_id="customer_id", timestamp="date",
    ...                               cutoff="1998-06-30", churn_time="rule_reached")
    >>> s.summary[["inactivity", "customers", "churned", "median"]]
      inactivity  customers  churned  median
    0         3M       2357     2326     3.0
    1         6M       2357     2179     6.0
    2        12M       2357     1634    12.0
    """
    from churnsurv.km.estimator import KaplanMeier

    rows, results = [], {}
    for rule in inactivity:
        res = churn_from_events(log, inactivity=rule, **kwargs)
        km = KaplanMeier().fit(res)
        c = res._counts()
        med = km.median_.iloc[0]
        rows.append(
            {
                "inactivity": rule,
                "customers": c["customers"],
                "churned": c["churned"],
                "censored": c["rows"] - c["churned"],
                "churn_rate_pct": 100.0 * c["churned"] / c["rows"],
                "median": med["median"],
                "median_lower": med["median_lower"],
                "median_upper": med["median_upper"],
            }
        )
        results[rule] = res
    summary = pd.DataFrame(rows)
    summary.attrs["time_unit"] = res.time_unit
    return InactivitySensitivity(summary, results)
