"""The helpers every plotting function uses (private): the Axes to draw on, and text from data."""

from __future__ import annotations

from churnsurv._typing import Axes

__all__ = ["new_or_given", "plain_text"]


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
