"""The one axes helper every plotting function uses (private)."""

from __future__ import annotations

from churnsurv._typing import Axes

__all__ = ["new_or_given"]


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
