"""Drawing for the Cox and parametric models: forest plot, curves, Schoenfeld residuals.

These functions only draw what the models computed. Each takes ``ax=None`` (a new figure is made
when missing) and returns the Axes; none calls ``plt.show()`` or changes rcParams.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._typing import ArrayLike, Axes
from churnsurv.plotting._axes import new_or_given, plain_text

__all__ = ["forest_plot", "plot_curves", "plot_schoenfeld", "plot_model_comparison"]


def forest_plot(
    labels: list[str],
    hr: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    *,
    ci_level: float = 0.95,
    ax: Axes | None = None,
) -> Axes:
    """Hazard ratios with confidence intervals on a log axis, the top term first.

    Examples
    --------
    >>> ax = forest_plot(["a", "b"], [0.5, 2.0], [0.4, 1.5], [0.7, 2.6])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['a', 'b']
    """
    ax = new_or_given(ax, figsize=(6.5, 0.45 * len(labels) + 1.2))
    y = np.arange(len(labels))[::-1]
    hr, lower, upper = map(np.asarray, (hr, lower, upper))
    ax.errorbar(hr, y, xerr=[hr - lower, upper - hr], fmt="o", color="C0", ecolor="C0", capsize=3)
    ax.axvline(1.0, color="0.4", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(y, [plain_text(label) for label in labels])
    ax.set_xlabel(f"hazard ratio ({100 * ci_level:g}% CI), log scale; < 1 = churns less")
    ax.set_ylim(-0.7, len(labels) - 0.3)
    return ax


def plot_curves(
    frame: pd.DataFrame,
    *,
    xlabel: str = "time",
    ylabel: str = "survival probability",
    title: str | None = None,
    ax: Axes | None = None,
    step: bool = False,
) -> Axes:
    """One curve per row of a customers × times frame (as returned by ``predict_survival``).

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame([[1.0, 0.8, 0.6], [1.0, 0.9, 0.85]], index=["a", "b"], columns=[0, 1, 2])
    >>> len(plot_curves(f).get_lines())
    2
    """
    ax = new_or_given(ax, figsize=(6.5, 4.0))
    x = np.asarray(frame.columns, float)
    for label, row in frame.iterrows():
        if step:
            ax.step(x, row.to_numpy(), where="post", label=plain_text(label))
        else:
            ax.plot(x, row.to_numpy(), label=plain_text(label))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    if title:
        ax.set_title(plain_text(title))
    ax.legend(frameon=False, fontsize="small")
    return ax


def plot_schoenfeld(
    panels: list[tuple], *, xlabel: str = "g(t)", axes: list[Axes] | None = None
) -> list[Axes]:
    """Scaled Schoenfeld residuals per term: points, lowess smooth, the fitted log-HR.

    ``panels`` is a list of ``(label, g, residuals, smooth, coef)`` with ``smooth`` a (k, 2)
    array of x and fitted values.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.linspace(0, 1, 20)
    >>> axes = plot_schoenfeld([("x", g, g, np.c_[g, g], 0.5)])
    >>> axes[0].get_title()
    'x'
    """
    if axes is None:
        import matplotlib.pyplot as plt

        ncol = min(3, len(panels))
        nrow = int(np.ceil(len(panels) / ncol))
        fig, grid = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.2 * nrow), squeeze=False)
        axes = list(grid.ravel())
        for extra in axes[len(panels) :]:
            extra.set_visible(False)
    axes = list(np.atleast_1d(np.asarray(axes, dtype=object)))
    for ax, (label, g, resid, smooth, coef) in zip(axes, panels, strict=False):
        ax.scatter(g, resid, s=4, alpha=0.25, color="0.4")
        ax.plot(smooth[:, 0], smooth[:, 1], color="C3", label="lowess")
        ax.axhline(coef, color="C0", linestyle="--", linewidth=1, label="fitted log-HR")
        lo, hi = np.quantile(resid, [0.02, 0.98])
        pad = 0.1 * (hi - lo + 1e-12)
        ax.set_ylim(min(lo, coef) - pad, max(hi, coef) + pad)
        ax.set_title(plain_text(label))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("beta(t): scaled Schoenfeld residual")
    return axes[: len(panels)]


def plot_model_comparison(
    km_times: ArrayLike,
    km_surv: ArrayLike,
    curves: dict,
    *,
    xlabel: str = "tenure",
    ax: Axes | None = None,
) -> Axes:
    """Kaplan-Meier (step) against fitted marginal survival curves of several models.

    ``curves`` maps a model name to ``(times, survival)``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(5.0)
    >>> ax = plot_model_comparison(t, np.exp(-t / 4), {"Weibull": (t, np.exp(-t / 4))})
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['Kaplan-Meier', 'Weibull']
    """
    ax = new_or_given(ax, figsize=(6.5, 4.0))
    ax.step(km_times, km_surv, where="post", color="black", linewidth=1.5, label="Kaplan-Meier")
    for name, (t, s) in curves.items():
        ax.plot(t, s, label=plain_text(name))
    km_times = np.asarray(km_times, dtype=float)
    if km_times.size:
        ax.axvline(np.max(km_times), color="0.6", linestyle=":", linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("survival probability")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize="small")
    return ax
