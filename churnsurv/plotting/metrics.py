"""Figures of prediction metrics: calibration plot and gains chart."""

from __future__ import annotations

from typing import Any

from churnsurv._typing import Axes
from churnsurv.plotting._axes import new_or_given

__all__ = ["plot_calibration", "plot_gains"]


def plot_calibration(result: Any, *, ax: Axes | None = None) -> Axes:
    """Calibration plot: observed against predicted P(churn <= t), groups and smoothed curve.

    Parameters
    ----------
    result : Calibration
        From :func:`churnsurv.metrics.calibration`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, churnsurv as cs
    >>> c = cs.simulate_customers(1000, rng=1).customers
    >>> p = np.clip(c["monthly_charges"].to_numpy() / 200, 0.05, 0.95)
    >>> ax = plot_calibration(cs.metrics.calibration(c["tenure"], c["churned"], p, 12))
    >>> len(ax.lines), ax.get_xlabel()
    (3, 'predicted P(churn ≤ 12)')
    """
    ax = new_or_given(ax, figsize=(5.0, 5.0))
    s = result.summary
    top = float(max(s["predicted"].max(), s["observed"].max(), 1e-9)) * 1.05
    ax.plot([0, top], [0, top], color="0.6", lw=1, ls="--", label="perfect calibration")
    ax.plot(s["predicted"], s["observed"], "o", label="risk groups (observed = 1 − KM)")
    sm = result.smoothed
    ax.plot(
        sm["predicted"], sm["observed"], lw=1.5, label=f"smoothed (ICI {result.indices['ICI']:.3f})"
    )
    ax.set_xlabel(f"predicted P(churn ≤ {result.time:g})")
    ax.set_ylabel("observed")
    ax.legend(loc="upper left", frameon=False)
    return ax


def plot_gains(result: Any, *, ax: Axes | None = None) -> Axes:
    """Cumulative gains: share of churners within t caught against share of customers called.

    Parameters
    ----------
    result : Gains
        From :func:`churnsurv.metrics.gains`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import churnsurv as cs
    >>> c = cs.simulate_customers(1000, rng=1).customers
    >>> ax = plot_gains(cs.metrics.gains(c["tenure"], c["churned"], c["monthly_charges"], 12))
    >>> len(ax.lines), ax.get_ylabel()
    (2, 'share of churners within 12 caught')
    """
    ax = new_or_given(ax, figsize=(5.0, 5.0))
    s = result.curve
    ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="random order")
    ax.plot(s["fraction"], s["captured"], lw=1.5, label="by score")
    ax.set_xlabel("share of customers contacted (highest scores first)")
    ax.set_ylabel(f"share of churners within {result.time:g} caught")
    ax.legend(loc="lower right", frameon=False)
    return ax
