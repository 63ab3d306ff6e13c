"""Drawing for customer lifetime value results (the computation lives in :mod:`churnsurv.clv`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from churnsurv._typing import Axes
from churnsurv.plotting._axes import new_or_given, plain_text

__all__ = ["plot_clv", "plot_value_at_risk"]


def plot_clv(summary: pd.DataFrame, assumptions: dict, *, ax: Axes | None = None) -> Axes:
    """Bars of CLV per segment (with interval whiskers when present), or a per-customer histogram.

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
    >>> len(ax.patches)
    2
    """
    ax = new_or_given(ax, figsize=(6, 3.5))
    label = plain_text(f"CLV over {assumptions.get('horizon')} {assumptions.get('time_unit')}s")
    per_customer = str(assumptions.get("kind", "")).startswith(("per", "residual"))
    if per_customer:
        ax.hist(summary["clv"].to_numpy(), bins=40, color="C0", alpha=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel("customers")
        return ax
    x = np.arange(len(summary))
    y = summary["clv"].to_numpy(dtype=float)
    ax.bar(x, y, color="C0", alpha=0.85)
    if {"clv_lower", "clv_upper"} <= set(summary.columns):
        err = np.vstack([y - summary["clv_lower"].to_numpy(), summary["clv_upper"].to_numpy() - y])
        ax.errorbar(x, y, yerr=err, fmt="none", ecolor="black", capsize=4)
    ax.set_xticks(x, [plain_text(i) for i in summary.index], rotation=0)
    ax.set_ylabel(label)
    return ax


def plot_value_at_risk(top: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Horizontal bars of value at risk for the given (top) customers, coloured by value tier.

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
    >>> len(ax.patches)
    2
    """
    ax = new_or_given(ax, figsize=(6, max(2.5, 0.25 * len(top))))
    tiers = list(dict.fromkeys(top["value_tier"]))
    colours = {t: f"C{i}" for i, t in enumerate(tiers)}
    y = np.arange(len(top))[::-1]
    ax.barh(y, top["value_at_risk"].to_numpy(), color=[colours[t] for t in top["value_tier"]])
    ax.set_yticks(y, [plain_text(i) for i in top.index])
    ax.set_xlabel("value at risk = P(churn) × residual CLV")
    handles = [Rectangle((0, 0), 1, 1, color=colours[t]) for t in tiers]
    ax.legend(handles, [plain_text(t) for t in tiers], title="value tier", loc="lower right")
    return ax
