"""Figures of a retention experiment: the RMST-difference curve and the hazard ratio over time
(as steps per tenure interval, or as a smooth curve from a ``tt()``-style fit).

Each draws a table that :mod:`churnsurv.experiments` computed (a result in, ``ax=None``, the Axes
out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._typing import Axes
from churnsurv.plotting._axes import new_or_given

__all__ = ["plot_hazard_ratio_curve", "plot_hazard_ratios", "plot_rmst_difference"]


def plot_rmst_difference(curve: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The RMST difference over the horizon τ with its pointwise band.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :meth:`churnsurv.ArmComparison.rmst_curve` (``tau``, ``difference``,
        ``ci_lower``, ``ci_upper``).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> curve = pd.DataFrame({"tau": [1, 2], "difference": [-0.1, 0.2],
    ...                       "ci_lower": [-0.3, 0.0], "ci_upper": [0.1, 0.4]})
    >>> ax = plot_rmst_difference(curve)
    >>> ax.lines[0].get_ydata().tolist()
    [-0.1, 0.2]
    """
    ax = _curve_with_band(
        new_or_given(ax),
        curve["tau"],
        curve["difference"],
        curve["ci_lower"],
        curve["ci_upper"],
        label="RMST difference",
        no_effect=0.0,
    )
    ax.set_xlabel("horizon τ")
    ax.set_ylabel("RMST difference")
    return ax


def plot_hazard_ratios(hazard_ratios: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The hazard ratio per tenure interval as steps with their confidence limits (log scale).

    Parameters
    ----------
    hazard_ratios : pandas.DataFrame
        :attr:`churnsurv.ArmComparison.hazard_ratios` or the output of
        :func:`churnsurv.piecewise_hazard_ratios` (``start``, ``stop``, ``hr``, ``hr_lower``,
        ``hr_upper``); the last, open interval is drawn up to 1.25 × its start.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> hr = pd.DataFrame({"start": [0.0, 6.0], "stop": [6.0, np.inf], "hr": [0.5, 2.0],
    ...                    "hr_lower": [0.3, 1.5], "hr_upper": [0.8, 2.6]})
    >>> ax = plot_hazard_ratios(hr)
    >>> ax.lines[0].get_ydata().tolist()
    [0.5, 0.5]
    """
    ax = new_or_given(ax)
    start = hazard_ratios["start"].to_numpy(dtype=float)
    stop = hazard_ratios["stop"].to_numpy(dtype=float)
    stop = np.where(np.isfinite(stop), stop, np.maximum(1.25 * start, start + 1))
    for i, (a, b) in enumerate(zip(start, stop, strict=True)):
        row = hazard_ratios.iloc[i]
        ax.plot([a, b], [row["hr"], row["hr"]], color="C0", linewidth=2)
        ax.fill_between([a, b], row["hr_lower"], row["hr_upper"], color="C0", alpha=0.2)
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("tenure")
    ax.set_ylabel("hazard ratio (treated / reference)")
    return ax


def plot_hazard_ratio_curve(curve: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The hazard ratio as a smooth function of tenure with its pointwise band (log scale).

    Parameters
    ----------
    curve : pandas.DataFrame
        From :meth:`churnsurv.TimeVaryingHazardRatio.hazard_ratio` (``time``, ``hr``,
        ``hr_lower``, ``hr_upper``).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> curve = pd.DataFrame({"time": [1.0, 12.0], "hr": [0.5, 2.0],
    ...                       "hr_lower": [0.3, 1.5], "hr_upper": [0.8, 2.6]})
    >>> ax = plot_hazard_ratio_curve(curve)
    >>> ax.lines[0].get_ydata().tolist()
    [0.5, 2.0]
    """
    ax = _curve_with_band(
        new_or_given(ax),
        curve["time"],
        curve["hr"],
        curve["hr_lower"],
        curve["hr_upper"],
        label="hazard ratio",
        no_effect=1.0,
        linewidth=2,
    )
    ax.set_yscale("log")
    ax.set_xlabel("tenure")
    ax.set_ylabel("hazard ratio (treated / reference)")
    return ax


def _curve_with_band(ax, x, y, lower, upper, *, label, no_effect, linewidth=1.5) -> Axes:
    """A curve, its pointwise band, the no-effect line and the legend."""
    ax.plot(x, y, color="C0", linewidth=linewidth, label=label)
    ax.fill_between(x, lower, upper, color="C0", alpha=0.2, label="pointwise band")
    ax.axhline(no_effect, color="grey", linewidth=0.8)
    ax.legend(loc="best")
    return ax
