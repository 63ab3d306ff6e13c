"""Drawing for :mod:`churnsurv.reasons`: stacked cumulative incidence, incidence by segment.

Functions here only draw what :class:`~churnsurv.CumulativeIncidence` computed (its tidy
``curves_`` and ``survival_`` tables). Each takes an optional ``ax`` and returns the
:class:`matplotlib.axes.Axes` it drew on; none calls ``plt.show()`` or changes rcParams.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._typing import Axes
from churnsurv.plotting._axes import new_or_given

__all__ = ["plot_incidence_by_segment", "plot_stacked_incidence", "plot_value_lost"]


def _xlabel(time_unit: str | None) -> str:
    return f"Tenure ({time_unit}s)" if time_unit else "Tenure"


def plot_stacked_incidence(
    curves: pd.DataFrame,
    survival: pd.DataFrame,
    *,
    time_unit: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Cumulative incidence of each reason stacked from the bottom, the share active on top.

    At every tenure the bands add to 1: the height of each reason's band is the share of
    customers who have left for it, the top band the share still active.

    Parameters
    ----------
    curves : pandas.DataFrame
        ``CumulativeIncidence.curves_`` of one segment: ``reason, time, incidence``.
    survival : pandas.DataFrame
        ``CumulativeIncidence.survival_`` of the same segment: ``time, survival``.
    time_unit : str, optional
        For the x-axis label.
    title : str, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> curves = pd.DataFrame({"reason": ["a", "a", "b", "b"], "time": [1.0, 2.0] * 2,
    ...                        "incidence": [0.1, 0.2, 0.0, 0.3]})
    >>> surv = pd.DataFrame({"time": [1.0, 2.0], "survival": [0.9, 0.5]})
    >>> ax = plot_stacked_incidence(curves, surv, time_unit="month")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['still active', 'b', 'a']
    """
    from matplotlib.ticker import PercentFormatter

    ax = new_or_given(ax, figsize=(7.5, 4.8))
    times = np.concatenate([[0.0], survival["time"].to_numpy(float)])
    bottom = np.zeros(times.size)
    handles = []
    for reason in dict.fromkeys(curves["reason"]):
        c = curves[curves["reason"] == reason]
        height = np.concatenate([[0.0], c["incidence"].to_numpy(float)])
        h = ax.fill_between(
            times, bottom, bottom + height, step="post", label=str(reason), linewidth=0
        )
        handles.append(h)
        bottom = bottom + height
    top = ax.fill_between(
        times, bottom, 1.0, step="post", color="0.92", label="still active", linewidth=0
    )
    ax.step(times, bottom, where="post", color="0.3", linewidth=1.0)
    ax.set_ylim(0, 1)
    ax.set_xlim(0, times[-1])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(_xlabel(time_unit))
    ax.set_ylabel("Share of customers")
    ax.legend(handles=[top, *handles[::-1]], loc="upper left", frameon=False)
    if title:
        ax.set_title(title)
    return ax


def plot_incidence_by_segment(
    curves: pd.DataFrame,
    *,
    reason: str,
    ci: bool = True,
    time_unit: str | None = None,
    ci_label: str = "95% CI",
    ax: Axes | None = None,
) -> Axes:
    """One reason's cumulative incidence per segment: step curves with confidence bands.

    Parameters
    ----------
    curves : pandas.DataFrame
        ``CumulativeIncidence.curves_`` of one reason: ``segment, time, incidence, ci_lower,
        ci_upper``.
    reason : str
        For the axis label.
    ci : bool, default True
        Shade the pointwise confidence band.
    time_unit : str, optional
    ci_label : str
        Describes the band in the legend title.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> curves = pd.DataFrame({"segment": ["x", "x", "y", "y"], "time": [1.0, 2.0] * 2,
    ...                        "incidence": [0.1, 0.2, 0.0, 0.3], "ci_lower": [0.0] * 4,
    ...                        "ci_upper": [0.4] * 4})
    >>> plot_incidence_by_segment(curves, reason="price").get_ylabel()
    'Left for price (cumulative incidence)'
    """
    from matplotlib.ticker import PercentFormatter

    ax = new_or_given(ax, figsize=(7.5, 4.8))
    for segment in dict.fromkeys(curves["segment"]):
        c = curves[curves["segment"] == segment]
        x = np.concatenate([[0.0], c["time"].to_numpy(float)])
        y = np.concatenate([[0.0], c["incidence"].to_numpy(float)])
        (line,) = ax.step(x, y, where="post", label=str(segment), linewidth=1.6)
        if ci:
            lo = np.concatenate([[0.0], c["ci_lower"].to_numpy(float)])
            hi = np.concatenate([[0.0], c["ci_upper"].to_numpy(float)])
            ax.fill_between(x, lo, hi, step="post", alpha=0.15, color=line.get_color())
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(_xlabel(time_unit))
    ax.set_ylabel(f"Left for {reason} (cumulative incidence)")
    ax.legend(title=ci_label if ci else None, frameon=False)
    return ax


def plot_value_lost(table: pd.DataFrame, *, currency: str = "", ax: Axes | None = None) -> Axes:
    """Horizontal bars of the value lost to each reason (one bar group per segment).

    Parameters
    ----------
    table : pandas.DataFrame
        ``ValueLost.summary``: indexed by ``(segment, reason)`` with a ``value_lost`` column.
    currency : str
        Appended to the axis label.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> t = pd.DataFrame({"segment": ["all", "all"], "reason": ["price", "service"],
    ...                   "value_lost": [120.0, 80.0]}).set_index(["segment", "reason"])
    >>> [float(p.get_width()) for p in plot_value_lost(t).patches]
    [120.0, 80.0]
    """
    ax = new_or_given(ax, figsize=(7.0, 4.0))
    flat = table.reset_index()
    segments = list(dict.fromkeys(flat["segment"]))
    reasons = list(dict.fromkeys(flat["reason"]))
    height = 0.8 / len(segments)
    y = np.arange(len(reasons), dtype=float)
    for i, segment in enumerate(segments):
        rows = flat[flat["segment"] == segment].set_index("reason").reindex(reasons)
        label = None if segments == ["all"] else str(segment)
        ax.barh(y + i * height, rows["value_lost"].to_numpy(float), height=height, label=label)
    ax.set_yticks(y + height * (len(segments) - 1) / 2, [str(r) for r in reasons])
    ax.invert_yaxis()
    ax.set_xlabel(f"Value lost{' (' + currency + ')' if currency else ''}")
    if len(segments) > 1:
        ax.legend(frameon=False)
    return ax
