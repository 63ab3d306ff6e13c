"""Figures of inactivity-defined churn: how the answer moves with the inactivity rule.

Draws the table :func:`churnsurv.inactivity_sensitivity` computed (a table in, ``ax=None``, the
Axes out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._typing import Axes
from churnsurv.plotting._axes import new_or_given, plain_text

__all__ = ["plot_inactivity_sensitivity"]


def plot_inactivity_sensitivity(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Churn rate (bars, left axis) and median lifetime with its CI (line, right axis) per rule.

    Parameters
    ----------
    table : pandas.DataFrame
        ``InactivitySensitivity.summary``: ``inactivity``, ``churn_rate_pct``, ``median``,
        ``median_lower``, ``median_upper`` (``attrs["time_unit"]`` labels the right axis).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The left axis (churn rate); the median is on its twin.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"inactivity": ["3M", "6M"], "churn_rate_pct": [60.0, 40.0],
    ...                   "median": [4.0, 9.0], "median_lower": [3.0, 7.0],
    ...                   "median_upper": [5.0, 12.0]})
    >>> ax = plot_inactivity_sensitivity(t)
    >>> [float(p.get_height()) for p in ax.patches], ax.get_xlabel()
    ([60.0, 40.0], 'Inactivity rule')
    """
    ax = new_or_given(ax)
    x = np.arange(len(table))
    ax.bar(x, table["churn_rate_pct"], color="0.75", label="churned (% of customers)")
    ax.set_xticks(x, [plain_text(v) for v in table["inactivity"]])
    ax.set_xlabel("Inactivity rule")
    ax.set_ylabel("Churned by the cutoff (%)")
    right = ax.twinx()
    med = table["median"].to_numpy(dtype=float)
    err = np.vstack(
        [med - table["median_lower"].to_numpy(float), table["median_upper"].to_numpy(float) - med]
    )
    right.errorbar(x, med, yerr=np.nan_to_num(err), color="C0", marker="o", capsize=3)
    unit = table.attrs.get("time_unit", "time units")
    right.set_ylabel(f"Median lifetime ({unit}s), 95% CI" if unit != "time units" else unit)
    ax.set_title("How the churn definition moves the answer")
    return ax
