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

    As survminer's ``ggforest``: plain tick labels on the log axis (0.5, 1, 2, 4: powers of two;
    decades for very wide ranges; no minor labels), a dashed line at HR = 1, and each row's
    "HR (lower–upper)" printed at the right of the axes.

    Examples
    --------
    >>> ax = forest_plot(["a", "b"], [0.5, 2.0], [0.4, 1.5], [0.7, 2.6])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['a', 'b']
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['0.25', '0.5', '1', '2', '4']
    >>> [t.get_text() for t in ax.texts]
    ['HR (95% CI)', '0.50 (0.40–0.70)', '2.00 (1.50–2.60)']
    """
    from matplotlib.ticker import NullFormatter, NullLocator
    from matplotlib.transforms import blended_transform_factory

    ax = new_or_given(ax, figsize=(7.5, 0.4 * len(labels) + 1.4))
    y = np.arange(len(labels))[::-1]
    hr, lower, upper = (np.asarray(v, dtype=float) for v in (hr, lower, upper))
    ax.errorbar(hr, y, xerr=[hr - lower, upper - hr], fmt="o", color="C0", ecolor="C0", capsize=3)
    ax.axvline(1.0, color="0.4", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ticks = _log2_ticks(np.r_[lower, 1.0], np.r_[upper, 1.0])
    ax.set_xlim(ticks[0] / 1.15, ticks[-1] * 1.15)
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y, [plain_text(label) for label in labels])
    ax.set_xlabel(f"hazard ratio ({100 * ci_level:g}% CI), log scale; < 1 = churns less")
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.grid(True, axis="x", alpha=0.3)
    right = blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(1.03, len(labels) - 0.45, f"HR ({100 * ci_level:g}% CI)", transform=right,
            ha="left", va="bottom", fontsize="small", fontweight="bold")  # fmt: skip
    for yi, h, lo, hi in zip(y, hr, lower, upper, strict=True):
        ax.text(1.03, yi, f"{h:.2f} ({lo:.2f}–{hi:.2f})", transform=right, ha="left",
                va="center", fontsize="small")  # fmt: skip
    return ax


def _log2_ticks(lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    """Powers of two (1/16 … 16) covering the data; decades (0.01, 0.1, 1, 10) beyond that."""
    lo = np.nanmin(lows[np.isfinite(lows) & (lows > 0)], initial=1.0)
    hi = np.nanmax(highs[np.isfinite(highs)], initial=1.0)
    if lo < 1 / 16 or hi > 16:  # more doublings than fit as plain labels
        return 10.0 ** np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
    return 2.0 ** np.arange(np.floor(np.log2(lo)), np.ceil(np.log2(hi)) + 1)


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


#: Residuals drawn per panel at most (a seeded random sample of them beyond; see below).
MAX_POINTS = 5_000


def plot_schoenfeld(
    panels: list[tuple],
    *,
    xlabel: str = "tenure",
    axes: list[Axes] | None = None,
    max_points: int | None = MAX_POINTS,
    seed: int = 0,
) -> list[Axes]:
    """Scaled Schoenfeld residuals per term, as R's ``plot(cox.zph(fit))``.

    Points, the spline smooth with its ±2 SE band (dashed) and the fitted log-HR (a flat line:
    what proportional hazards predicts), on the transformed time of the test with the x axis
    labelled in tenure.

    With more than ``max_points`` residuals (one per churn) a panel draws a random sample of
    ``max_points`` of them and says so in its lower left corner ("5,000 of 120,000 points"):
    hundreds of thousands of points are one grey cloud, and drawing them (with the legend
    placed where they are fewest) takes seconds per panel. The spline, its band and the axis
    limits use every residual, so the figure's statements do not depend on the sample.

    Parameters
    ----------
    panels : list of tuple
        ``(label, g, residuals, smooth, log_hr, band, ticks)`` per term, from
        ``schoenfeld_panels`` (``band`` and ``ticks`` may be None): ``smooth`` is a (k, 2) array
        of x and fitted values, ``band`` a (k, 2) array of lower and upper limits, ``ticks`` the
        positions on ``g`` and their tenure labels.
    xlabel : str
    axes : sequence of matplotlib Axes, optional
        One per panel.
    max_points : int or None, default 5,000
        Residuals drawn per panel at most; None draws all.
    seed : int, default 0
        Seeds the sample of drawn residuals (the same figure each time).

    Returns
    -------
    list of matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> g = np.linspace(0, 1, 20)
    >>> band = np.c_[g - 0.2, g + 0.2]
    >>> axes = plot_schoenfeld([("x", g, g, np.c_[g, g], 0.5, band, ([0.1, 0.9], ["3", "60"]))])
    >>> axes[0].get_title(), [t.get_text() for t in axes[0].get_xticklabels()]
    ('x', ['3', '60'])
    """
    if axes is None:
        import matplotlib.pyplot as plt

        ncol = min(3, len(panels))
        nrow = int(np.ceil(len(panels) / ncol))
        fig, grid = plt.subplots(
            nrow, ncol, figsize=(4.2 * ncol, 3.4 * nrow), squeeze=False, layout="constrained"
        )
        axes = list(grid.ravel())
        for extra in axes[len(panels) :]:
            extra.set_visible(False)
    axes = list(np.atleast_1d(np.asarray(axes, dtype=object)))
    for ax, panel in zip(axes, panels, strict=False):
        label, g, resid, smooth, coef = panel[:5]
        band, ticks = (tuple(panel[5:7]) + (None, None))[:2]
        g, resid = np.asarray(g, dtype=float), np.asarray(resid, dtype=float)
        drawn = np.arange(g.size)
        if max_points is not None and g.size > max_points:
            drawn = np.sort(np.random.default_rng(seed).choice(g.size, max_points, replace=False))
            ax.text(0.01, 0.01, f"{max_points:,} of {g.size:,} points", transform=ax.transAxes,
                    fontsize="x-small", color="0.3", ha="left", va="bottom")  # fmt: skip
        ax.scatter(g[drawn], resid[drawn], s=4, alpha=0.25, color="0.4")
        ax.plot(smooth[:, 0], smooth[:, 1], color="C3", label="spline fit")
        shown = [np.quantile(resid, [0.02, 0.98]), [coef]]
        if band is not None:
            ax.plot(smooth[:, 0], band[:, 0], color="C3", linestyle="--", linewidth=1,
                    label="±2 SE")  # fmt: skip
            ax.plot(smooth[:, 0], band[:, 1], color="C3", linestyle="--", linewidth=1)
            shown.append(band.ravel())
        ax.axhline(coef, color="C0", linestyle=":", linewidth=1.2, label="fitted log-HR")
        lo, hi = np.min(np.concatenate(shown)), np.max(np.concatenate(shown))
        pad = 0.1 * (hi - lo + 1e-12)
        ax.set_ylim(lo - pad, hi + pad)
        if ticks is not None:
            ax.set_xticks(np.asarray(ticks[0], dtype=float), list(ticks[1]))
        ax.set_title(plain_text(label), fontsize="medium")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("beta(t)")
    if len(panels):
        axes[0].legend(fontsize="x-small", loc="best", frameon=False)
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
