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
    "MAX_CURVES",
    "draw_risk_table",
    "plot_churn_rates",
    "plot_cohort_heatmap",
    "plot_survival_curves",
    "tick_positions",
]

#: Most curves one retention plot draws; more cannot be told apart (survminer's palettes stop
#: near 10 too). A column with more levels should be binned or grouped first.
MAX_CURVES = 12

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

    Raises
    ------
    ValueError
        With more than :data:`MAX_CURVES` segments: the curves could not be told apart.

    Notes
    -----
    With several segments the legend sits outside the curves, at the right of the axes (the
    risk table beneath names the segments in the same colours), so it never hides a curve.

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

    segments = list(dict.fromkeys(curves["segment"]))
    if len(segments) > MAX_CURVES:
        raise ValueError(
            f"{len(segments)} segments are too many curves for one plot (at most {MAX_CURVES} "
            "can be told apart): group the levels or bin the column, e.g. pd.cut, then fit "
            "again; the estimates (.summary) are unaffected."
        )
    ax = new_or_given(ax, figsize=(7.5, 5.0))
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
    if len(segments) > 1:
        ax.legend(
            title=title.strip("; ") or None,
            fontsize="small",
            title_fontsize="small",
            frameon=False,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            borderaxespad=0.0,
        )
    elif title:
        ax.legend(title=title.strip("; "), fontsize="small", title_fontsize="small")
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


def plot_churn_rates(
    rates: pd.DataFrame,
    *,
    by: str = "by",
    axes: list[Axes] | None = None,
    time_unit: str | None = None,
) -> list[Axes]:
    """Churn rate per period with its interval, one panel per block of ``rates``.

    Each panel has its own x labels; the interval is a band; periods with a small risk set are
    drawn as open circles (their rate rests on fewer than 30 customers).

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`churnsurv.churn_rates` output (``segment`` optional), several blocks stacked with a
        column ``by`` naming each block (one panel each); without that column, one panel.
    by : str, default "by"
        The column naming the panels.
    axes : list of matplotlib Axes, optional
        One per panel.
    time_unit : str, optional
        For the x labels (default ``rates.attrs["time_unit"]``).

    Returns
    -------
    list of matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> rates = cs.churn_rates(data, by="Contract")
    >>> ax = plot_churn_rates(rates)[0]
    >>> ax.get_xlabel(), len(ax.collections) >= 3
    ('tenure (months since signup)', True)
    """
    calendar = rates.attrs.get("basis") == "calendar"
    unit = time_unit or rates.attrs.get("time_unit") or "period"
    blocks = list(rates.groupby(by, sort=False)) if by in rates.columns else [(None, rates)]
    if axes is None:
        import matplotlib.pyplot as plt

        _, grid = plt.subplots(
            len(blocks), 1, figsize=(8, 3.2 * len(blocks)), squeeze=False, layout="constrained"
        )
        axes = list(grid[:, 0])
    periods = list(dict.fromkeys(rates["period"]))
    position = {p: i for i, p in enumerate(periods)}
    for ax, (name, block) in zip(axes, blocks, strict=False):
        note = f"band: {100 * rates.attrs.get('conf_level', 0.95):g}% CI; o: < 30 at start"
        _churn_rate_panel(ax, block, position if calendar else None, note)
        ax.set_ylabel("churn rate (%)")
        if name is not None:
            ax.set_title(plain_text(name))
        if calendar:
            ticks = list(range(0, len(periods), max(1, int(np.ceil(len(periods) / 8)))))
            ax.set_xticks(ticks, [plain_text(periods[i]) for i in ticks])
            ax.set_xlabel(f"calendar {rates.attrs.get('period', unit)}")
        else:
            ax.set_xlabel(f"tenure ({unit}s since signup)")
        ax.set_ylim(0, _rate_top(block))
        ax.grid(True, alpha=0.3)
    return list(axes[: len(blocks)])


def _rate_top(block: pd.DataFrame) -> float:
    """Top of the y axis: every rate, and the bands of periods that are not small risk sets
    (the band of a handful of customers would flatten everything else; it is cut off)."""
    tops = [block["churn_rate_pct"].max()]
    if "churn_rate_upper_pct" in block.columns:
        big = ~block.get("small_risk_set", pd.Series(False, index=block.index)).astype(bool)
        tops.append(block.loc[big, "churn_rate_upper_pct"].max())
    top = np.nanmax(np.asarray(tops, dtype=float))
    return float(1.08 * top) if np.isfinite(top) and top > 0 else 1.0


def _churn_rate_panel(ax: Axes, block: pd.DataFrame, position: dict | None, note: str) -> None:
    """One panel: a line per segment, its interval as a band, small risk sets as open circles."""
    groups = list(block.groupby("segment", sort=False)) if "segment" in block else [(None, block)]
    for seg, part in groups:
        x = part["period"].map(position) if position is not None else part["tenure_start"]
        x = x.to_numpy(dtype=float)
        label = plain_text(seg) if seg is not None else None
        (line,) = ax.plot(x, part["churn_rate_pct"], marker=".", linewidth=1.2, label=label)
        if {"churn_rate_lower_pct", "churn_rate_upper_pct"} <= set(part.columns):
            ax.fill_between(x, part["churn_rate_lower_pct"], part["churn_rate_upper_pct"],
                            color=line.get_color(), alpha=0.15, linewidth=0)  # fmt: skip
        if "small_risk_set" in part.columns and part["small_risk_set"].any():
            small = part["small_risk_set"].to_numpy(dtype=bool)
            ax.plot(x[small], part["churn_rate_pct"].to_numpy()[small], linestyle="none",
                    marker="o", markerfacecolor="white", color=line.get_color())  # fmt: skip
    if ax.get_legend_handles_labels()[1]:
        ax.legend(fontsize="small", title=note, title_fontsize="x-small",
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # fmt: skip
    else:
        ax.text(1.01, 1.0, note, transform=ax.transAxes, va="top", fontsize="x-small")
