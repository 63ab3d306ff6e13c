"""Standard Fader-Hardie diagnostic charts for the sBG, BG/NBD and Gamma-Gamma models.

The estimators in :mod:`churnsurv.clv.btyd` compute; the functions here only draw. Each takes an
optional ``ax`` and returns the :class:`matplotlib.axes.Axes` it drew on; none calls ``plt.show()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from churnsurv._typing import ArrayLike, Axes, DateLike
from churnsurv.plotting._axes import new_or_given, plain_text

__all__ = [
    "plot_calibration_purchases",
    "plot_cumulative_tracking",
    "plot_sbg_projection",
]


def plot_sbg_projection(
    model: Any, survivors: ArrayLike, *, n_fit_periods: int, ax: Axes | None = None
) -> Axes:
    """Actual vs sBG-projected % of a cohort still active (Fader & Hardie 2007).

    Parameters
    ----------
    model : ShiftedBetaGeometric
        A fitted model.
    survivors : array-like of int
        Observed survivor counts for periods ``0..T``; ``survivors[0]`` is the cohort size.
    n_fit_periods : int
        Last period of the calibration sample; a dashed line marks the calibration/holdout
        split.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created if omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from churnsurv.clv.btyd.sbg import ShiftedBetaGeometric
    >>> n = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]
    >>> m = ShiftedBetaGeometric().fit(n, n_fit_periods=7)
    >>> ax = plot_sbg_projection(m, n, n_fit_periods=7)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['Actual', 'sBG model']
    """
    ax = new_or_given(ax, figsize=(7, 4.5))
    counts = np.asarray(survivors, dtype=float)
    periods = np.arange(counts.size)
    ax.plot(periods, 100 * counts / counts[0], "o-", color="black", label="Actual")
    ax.plot(periods, 100 * model.survival(periods), "--", color="tab:blue", label="sBG model")
    ax.axvline(n_fit_periods, color="grey", linestyle=":", linewidth=1)
    ax.annotate(
        "calibration | holdout",
        xy=(n_fit_periods, 98),
        ha="center",
        va="top",
        fontsize=9,
        color="grey",
    )
    ax.set_xlabel("Period")
    ax.set_ylabel("% of cohort still active")
    ax.set_ylim(0, 102)
    ax.set_xlim(0, periods[-1])
    ax.legend(loc="upper right", bbox_to_anchor=(1, 0.9))
    return ax


def plot_calibration_purchases(
    model: Any, rfm: pd.DataFrame, *, max_frequency: int = 7, ax: Axes | None = None
) -> Axes:
    """Actual vs expected holdout transactions by calibration frequency (FHL 2005a).

    Draws the table from :meth:`churnsurv.BetaGeoNBD.expected_repeat_by_frequency`.

    Parameters
    ----------
    model : BetaGeoNBD
        A fitted model.
    rfm : pandas.DataFrame
        Calibration summary with ``frequency``, ``recency``, ``T`` and holdout columns
        ``frequency_holdout`` and ``duration_holdout``.
    max_frequency : int, default 7
        Frequencies at or above this are pooled into one ``"7+"`` group.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from churnsurv.clv.btyd.bgnbd import BetaGeoNBD
    >>> rfm = pd.DataFrame({"frequency": [0, 1, 2, 0], "recency": [0.0, 5.0, 20.0, 0.0],
    ...                     "T": [30.0, 30.0, 35.0, 25.0], "frequency_holdout": [0, 1, 2, 1],
    ...                     "duration_holdout": [39.0] * 4})
    >>> m = BetaGeoNBD()
    >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> plot_calibration_purchases(m, rfm).get_xlabel()
    'Number of repeat transactions in calibration period'
    """
    ax = new_or_given(ax, figsize=(7, 4.5))
    table = model.expected_repeat_by_frequency(rfm, max_frequency=max_frequency)
    x = np.arange(len(table))
    ax.plot(x, table["actual"], "o-", color="black", label="Actual")
    ax.plot(x, table["expected"], "s--", color="tab:blue", label="BG/NBD")
    ax.set_xticks(x, [plain_text(i) for i in table.index])
    ax.set_xlabel("Number of repeat transactions in calibration period")
    ax.set_ylabel("Mean repeat transactions in holdout")
    ax.legend(loc="upper left")
    return ax


def plot_cumulative_tracking(
    model: Any,
    transactions: pd.DataFrame,
    *,
    observation_end: DateLike,
    calibration_end: DateLike | None = None,
    customer_id: str = "customer_id",
    date: str = "date",
    time_unit: str = "week",
    ax: Axes | None = None,
) -> Axes:
    """Cumulative repeat transactions, actual vs BG/NBD expected (FHL 2005a).

    Draws the table from :meth:`churnsurv.BetaGeoNBD.cumulative_repeat_transactions`
    (same arguments) and marks the end of the calibration period.

    Parameters
    ----------
    model : BetaGeoNBD
        A fitted model.
    transactions : pandas.DataFrame
        The transaction log.
    observation_end, calibration_end, customer_id, date, time_unit
        As in :meth:`~churnsurv.BetaGeoNBD.cumulative_repeat_transactions`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from churnsurv.clv.btyd.bgnbd import BetaGeoNBD
    >>> m = BetaGeoNBD()
    >>> m.params_ = pd.Series({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "date": pd.to_datetime(["2020-01-01", "2020-01-09", "2020-01-02"])})
    >>> ax = plot_cumulative_tracking(m, tx, observation_end="2020-01-21",
    ...                               calibration_end="2020-01-10")
    >>> ax.get_xlabel()
    'week'
    """
    tracking = model.cumulative_repeat_transactions(
        transactions,
        observation_end=observation_end,
        calibration_end=calibration_end,
        customer_id=customer_id,
        date=date,
        time_unit=time_unit,
    )
    ax = new_or_given(ax, figsize=(7, 4.5))
    ax.plot(tracking.index, tracking["actual"], "-", color="black", label="Actual")
    ax.plot(tracking.index, tracking["expected"], "--", color="tab:blue", label="BG/NBD")
    if "calibration_end" in tracking.attrs:
        cal = tracking.attrs["calibration_end"]
        ax.axvline(cal, color="grey", linestyle=":", linewidth=1)
        ax.annotate(
            "end of calibration",
            xy=(cal, 0.98),
            xycoords=("data", "axes fraction"),
            ha="right",
            va="top",
            rotation=90,
            fontsize=9,
            color="grey",
        )
    ax.set_xlabel(plain_text(time_unit))
    ax.set_ylabel("Cumulative repeat transactions")
    ax.set_xlim(0, tracking.index.max())
    ax.legend(loc="upper left")
    return ax
