"""The helpers every plotting function uses (private): the Axes to draw on, text from data, the
value-tier colours and a figure's alt text."""

from __future__ import annotations

from churnsurv._typing import Axes

__all__ = ["TIER_COLOURS", "figure_alt_text", "new_or_given", "plain_text", "tier_colour"]

#: One colour per value tier, by the tier's first word ("top 20%", "next 30%", "bottom 50%"),
#: used by every figure that draws tiers (ColorBrewer RdBu: red = most valuable).
TIER_COLOURS = {"top": "#b2182b", "next": "#ef8a62", "bottom": "#67a9cf"}
_OTHER_TIER = "#999999"


def new_or_given(ax: Axes | None = None, *, figsize: tuple[float, float] = (7.0, 4.5)) -> Axes:
    """``ax`` itself, or the Axes of a new figure of ``figsize`` (constrained layout).

    Never touches rcParams and never shows the figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = new_or_given(figsize=(4, 3))
    >>> ax.figure.get_size_inches().tolist(), new_or_given(ax) is ax
    ([4.0, 3.0], True)
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plain_text(value: object) -> str:
    """A value from the data as matplotlib text that shows literally.

    Matplotlib reads text between two ``$`` as mathtext, so a segment such as ``"$5_$10"``
    would be typeset (or fail to draw, losing the figure). Every ``$`` is escaped; matplotlib
    shows ``\\$`` as ``$``. Every label that comes from data (legend entries, tick labels,
    customer ids, titles naming a column) goes through this function.

    Examples
    --------
    >>> plain_text("$5_$10")
    '\\\\$5_\\\\$10'
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> ax.set_title(plain_text("$5_$10")).get_text() == plain_text("$5_$10")
    True
    >>> fig.canvas.draw()  # draws (mathtext would fail on "$5_$")
    >>> plt.close(fig)
    """
    return str(value).replace("$", r"\$")


def tier_colour(tier: object) -> str:
    """The fixed colour of a value tier (grey for a label that is not a tier).

    Examples
    --------
    >>> tier_colour("top 20%"), tier_colour("bottom 50%"), tier_colour("n/a")
    ('#b2182b', '#67a9cf', '#999999')
    """
    first = str(tier).strip().split(" ")[0].lower()
    return TIER_COLOURS.get(first, _OTHER_TIER)


def figure_alt_text(fig) -> str:
    """A short description of a figure for the ``alt`` attribute of its image.

    The titles, axis labels and legend entries of each visible Axes, in plain words (mathtext
    escapes removed), so a screen reader says what the image shows.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [1, 0], label="$5 plan")
    >>> _ = ax.set(title="Retention", xlabel="Tenure (months)", ylabel="share active")
    >>> _ = ax.legend()
    >>> figure_alt_text(fig)
    'Figure: Retention. x axis: Tenure (months); y axis: share active; legend: $5 plan.'
    >>> plt.close(fig)
    """
    parts = []
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        parts.append(suptitle.get_text() + ".")
    for ax in fig.get_axes():
        if not ax.get_visible() or not ax.has_data() and not ax.texts:
            continue
        bits = []
        if ax.get_xlabel():
            bits.append(f"x axis: {ax.get_xlabel()}")
        if ax.get_ylabel():
            bits.append(f"y axis: {ax.get_ylabel()}")
        rows = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        if rows and not all(_is_number(r) for r in rows):
            bits.append("rows: " + ", ".join(rows[:12]) + (", …" if len(rows) > 12 else ""))
        legend = ax.get_legend()
        if legend is not None:
            entries = [t.get_text() for t in legend.get_texts() if t.get_text()]
            if entries:
                bits.append("legend: " + ", ".join(entries))
        title = ax.get_title()
        parts.append((f"{title}. " if title else "") + "; ".join(bits) + ".")
    text = " ".join(p for p in parts if p.strip(". ")).replace("\\$", "$")
    return f"Figure: {text}" if text else "Figure"


def _is_number(text: str) -> bool:
    try:
        float(text.replace("\u2212", "-").replace("%", "").replace(",", ""))
    except ValueError:
        return False
    return True
