"""Drawing for customer lifetime value results (the computation lives in :mod:`churnsurv.clv`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from churnsurv._typing import Axes
from churnsurv.plotting._axes import TIER_COLOURS, new_or_given, plain_text, tier_colour

__all__ = ["plot_clv", "plot_value_at_risk"]


def plot_clv(summary: pd.DataFrame, assumptions: dict, *, ax: Axes | None = None) -> Axes:
    """Bars of CLV per segment (with interval whiskers when present), or a per-customer histogram.

    Segments are horizontal bars, the first segment on top, so labels of any number or length
    never overlap.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``CLVResult.summary``.
    assumptions : dict
        ``CLVResult.assumptions`` (used for the axis labels).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"clv": [100.0, 250.0]}, index=["a", "b"])
    >>> ax = plot_clv(s, {"horizon": 60, "time_unit": "month", "kind": "segments"})
    >>> len(ax.patches), [t.get_text() for t in ax.get_yticklabels()]
    (2, ['a', 'b'])
    """
    ax = new_or_given(ax, figsize=(6, max(3.5, 0.3 * len(summary) + 1.2)))
    label = plain_text(f"CLV over {assumptions.get('horizon')} {assumptions.get('time_unit')}s")
    per_customer = str(assumptions.get("kind", "")).startswith(("per", "residual"))
    if per_customer:
        ax.hist(summary["clv"].to_numpy(), bins=40, color="C0", alpha=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel("customers")
        return ax
    y = np.arange(len(summary))[::-1]
    x = summary["clv"].to_numpy(dtype=float)
    ax.barh(y, x, color="C0", alpha=0.85)
    if {"clv_lower", "clv_upper"} <= set(summary.columns):
        err = np.vstack([x - summary["clv_lower"].to_numpy(), summary["clv_upper"].to_numpy() - x])
        ax.errorbar(x, y, xerr=err, fmt="none", ecolor="black", capsize=4)
    ax.set_yticks(y, [plain_text(i) for i in summary.index])
    ax.set_xlabel(label)
    return ax


def plot_value_at_risk(top: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars of value at risk for the given (top) customers, coloured by value tier.

    Tier colours are fixed (:data:`churnsurv.plotting._axes.TIER_COLOURS`): the same tier has
    the same colour in every figure, whichever tiers the shown customers fall in.

    Parameters
    ----------
    top : pandas.DataFrame
        Rows of ``ValueAtRisk.summary``.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> top = pd.DataFrame({"value_at_risk": [30.0, 20.0], "value_tier": ["top 20%", "next 30%"]},
    ...                    index=["c1", "c2"])
    >>> ax = plot_value_at_risk(top)
    >>> len(ax.patches), [tuple(round(c, 3) for c in p.get_facecolor()[:3]) for p in ax.patches]
    (2, [(0.698, 0.094, 0.169), (0.937, 0.541, 0.384)])
    """
    ax = new_or_given(ax, figsize=(6, max(2.5, 0.25 * len(top))))
    order = {name: i for i, name in enumerate(TIER_COLOURS)}
    tiers = sorted(
        dict.fromkeys(top["value_tier"]), key=lambda t: order.get(str(t).split(" ")[0], 9)
    )
    colours = {t: tier_colour(t) for t in tiers}
    y = np.arange(len(top))[::-1]
    ax.barh(y, top["value_at_risk"].to_numpy(), color=[colours[t] for t in top["value_tier"]])
    ax.set_yticks(y, [plain_text(i) for i in top.index])
    ax.set_xlabel("value at risk = P(churn) × residual CLV")
    handles = [Rectangle((0, 0), 1, 1, color=colours[t]) for t in tiers]
    ax.legend(
        handles,
        [plain_text(t) for t in tiers],
        title="value tier",
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )  # beside the bars, never over them
    return ax
