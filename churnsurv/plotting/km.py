"""Drawing for :mod:`churnsurv.km`: retention curves with a risk table, cohort heatmaps.

Functions here only draw what the estimators computed (tidy DataFrames from
:class:`~churnsurv.km.KaplanMeier` and :func:`~churnsurv.km.cohort_table`). Each takes an
optional ``ax`` and returns the :class:`matplotlib.axes.Axes` it drew on; none calls
``plt.show()`` or changes rcParams.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._typing import Axes
from churnsurv.plotting._axes import new_or_given, plain_text

__all__ = [
    "draw_risk_table",
    "plot_cohort_heatmap",
    "plot_survival_curves",
    "tick_positions",
]

_RISK_ROW_PT = 13.0  # vertical spacing of risk-table rows, in points
_RISK_TOP_PT = 42.0  # distance from the x axis to the risk-table title, in points
_LABEL_GAP_PT = 20.0  # least gap between the row labels and the axes' left edge, in points


def plot_survival_curves(
    curves: pd.DataFrame,
    *,
    ax: Axes | None = None,
    ci: bool = True,
    censor_marks: bool = True,
    time_unit: str | None = None,
    ci_label: str = "95% CI",
) -> Axes:
    """Kaplan–Meier step curves, one per segment, with confidence bands and censor marks.

    Parameters
    ----------
    curves : pandas.DataFrame
        ``KaplanMeier.curves_``: columns ``segment, time, survival, ci_lower, ci_upper,
        censored``.
    ax : matplotlib.axes.Axes, optional
    ci : bool, default True
        Shade the pointwise confidence band.
    censor_marks : bool, default True
        Mark censoring times with ``|`` on the curve.
    time_unit : str, optional
        For the x-axis label.
    ci_label : str
        Describes the band in the legend title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> curves = pd.DataFrame({"segment": "all", "time": [1.0, 2.0], "survival": [0.8, 0.5],
    ...                        "ci_lower": [0.6, 0.3], "ci_upper": [0.95, 0.7],
    ...                        "censored": [0, 1]})
    >>> ax = plot_survival_curves(curves, time_unit="month")
    >>> ax.get_xlabel()
    'Tenure (months)'
    """
    from matplotlib.ticker import PercentFormatter

    ax = new_or_given(ax, figsize=(7.5, 5.0))
    segments = list(dict.fromkeys(curves["segment"]))
    for segment in segments:
        c = curves[curves["segment"] == segment]
        x = np.concatenate([[0.0], c["time"].to_numpy()])
        y = np.concatenate([[1.0], c["survival"].to_numpy()])
        (line,) = ax.step(x, y, where="post", label=plain_text(segment), linewidth=1.6)
        color = line.get_color()
        if ci:
            lo = np.concatenate([[1.0], c["ci_lower"].to_numpy()])
            hi = np.concatenate([[1.0], c["ci_upper"].to_numpy()])
            ax.fill_between(x, lo, hi, step="post", color=color, alpha=0.18, linewidth=0)
        if censor_marks:
            cens = c[c["censored"] > 0]
            ax.plot(
                cens["time"],
                cens["survival"],
                linestyle="none",
                marker="|",
                markersize=6,
                color=color,
                alpha=0.8,
            )
    ax.set_xlim(left=0, right=float(curves["time"].max()) if len(curves) else 1.0)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_xlabel(f"Tenure ({time_unit}s)" if time_unit else "Tenure")
    ax.set_ylabel("Retention (share still active)")
    ax.grid(True, alpha=0.3)
    title = (ci_label + " shaded" if ci else "") + ("; | censored" if censor_marks else "")
    if len(segments) > 1 or title:
        ax.legend(title=title.strip("; ") or None, fontsize="small", title_fontsize="small")
    return ax


def tick_positions(ax: Axes) -> np.ndarray:
    """The x tick positions inside the current limits, fixed on the axis so they stay put.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> _, ax = plt.subplots()
    >>> ax.set_xlim(0, 70)
    (0.0, 70.0)
    >>> tick_positions(ax).tolist()
    [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]
    """
    lo, hi = ax.get_xlim()
    ticks = np.asarray([t for t in ax.get_xticks() if lo - 1e-9 <= t <= hi + 1e-9], dtype=float)
    ax.set_xticks(ticks)
    return ticks


def draw_risk_table(ax: Axes, table: pd.DataFrame, *, title: str = "Number at risk") -> Axes:
    """Write a number-at-risk table beneath ``ax``, one row per segment, aligned with the ticks.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes holding the curves; rows are coloured like the line labelled with the segment.
    table : pandas.DataFrame
        ``KaplanMeier.at_risk(ticks)``: columns ``segment, time, at_risk``.
    title : str

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt, pandas as pd
    >>> _, ax = plt.subplots()
    >>> t = pd.DataFrame({"segment": "all", "time": [0.0, 5.0], "at_risk": [10.0, 4.0]})
    >>> [x.get_text() for x in draw_risk_table(ax, t).texts]
    ['Number at risk', 'all', '10', '4']
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.transforms import ScaledTranslation, blended_transform_factory

    fig = ax.figure
    colors = {line.get_label(): line.get_color() for line in ax.get_lines()}
    texts = [f"{n:.0f}" if float(n).is_integer() else f"{n:.1f}" for n in table["at_risk"]]
    # the numbers are centred on their ticks: keep the labels clear of half the widest one
    # (a digit is about 0.6 em wide)
    size = FontProperties(size="small").get_size_in_points()
    gap = max(_LABEL_GAP_PT, 0.5 * 0.62 * size * max(map(len, texts), default=0) + 8.0)
    table = table.assign(_text=texts)

    def place(i: int, x_coords: str, dx_pt: float = 0.0):
        base = blended_transform_factory(
            ax.transData if x_coords == "data" else ax.transAxes, ax.transAxes
        )
        dy = -(_RISK_TOP_PT + _RISK_ROW_PT * i) / 72.0
        return base + ScaledTranslation(dx_pt / 72.0, dy, fig.dpi_scale_trans)

    ax.text(
        0.0,
        0.0,
        title,
        transform=place(0, "axes"),
        ha="left",
        va="top",
        fontsize="small",
        fontweight="bold",
        clip_on=False,
    )
    for i, (segment, rows) in enumerate(table.groupby("segment", sort=False), start=1):
        color = colors.get(plain_text(segment), "black")
        ax.text(  # left of the axes, clear of the numbers centred on the first tick
            0.0,
            0.0,
            plain_text(segment),
            transform=place(i, "axes", -gap),
            ha="right",
            va="top",
            fontsize="small",
            color=color,
            clip_on=False,
        )
        for t, text in zip(rows["time"], rows["_text"], strict=True):
            ax.text(
                t,
                0.0,
                text,
                transform=place(i, "data"),
                ha="center",
                va="top",
                fontsize="small",
                color=color,
                clip_on=False,
            )
    return ax


def plot_cohort_heatmap(
    table: pd.DataFrame,
    *,
    sizes: pd.Series | None = None,
    ax: Axes | None = None,
    annotate: bool | None = None,
    period: str = "month",
    cmap: str = "viridis",
) -> Axes:
    """Heatmap of a signup-cohort table; unobserved cells (NaN) stay blank, not coloured as 0.

    Parameters
    ----------
    table : pandas.DataFrame
        ``CohortTable.table``: cohorts × periods since signup, shares in [0, 1].
    sizes : pandas.Series, optional
        Customers per cohort, appended to the row labels.
    ax : matplotlib.axes.Axes, optional
    annotate : bool, optional
        Write the percentages in the cells (default: only when the table is at most 24 × 24).
    period : str
        Cohort period, for the axis label.
    cmap : str
        Matplotlib colormap.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> t = pd.DataFrame([[1.0, 0.8], [1.0, np.nan]], index=["2020-01", "2020-02"])
    >>> plot_cohort_heatmap(t).get_ylabel()
    'Signup cohort'
    """
    ax = new_or_given(ax, figsize=(9, 6))
    values = np.ma.masked_invalid(table.to_numpy(dtype=float))
    image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_facecolor("white")
    n_rows, n_cols = values.shape
    step_y = max(1, int(np.ceil(n_rows / 30)))
    labels = [
        plain_text(f"{c} (n={int(sizes[c])})" if sizes is not None else c) for c in table.index
    ]
    ax.set_yticks(range(0, n_rows, step_y), labels[::step_y], fontsize="small")
    step_x = max(1, int(np.ceil(n_cols / 25)))
    ax.set_xticks(range(0, n_cols, step_x), [plain_text(c) for c in table.columns[::step_x]])
    ax.set_xlabel(f"{period.capitalize()}s since signup")
    ax.set_ylabel("Signup cohort")
    ax.figure.colorbar(image, ax=ax, label="Share still active")
    if annotate is None:
        annotate = n_rows <= 24 and n_cols <= 24
    if annotate:
        for i in range(n_rows):
            for j in range(n_cols):
                if not np.ma.getmaskarray(values)[i, j]:
                    v = values[i, j]
                    ax.text(
                        j,
                        i,
                        f"{100 * v:.0f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if v < 0.6 else "black",
                    )
    return ax
