"""How result objects show themselves: one HTML and one text rendering for every result (private).

A result lists its tables in :meth:`Result._frames` (caption, DataFrame) with a title and an
optional note; :class:`Result` turns them into ``_repr_html_`` for Jupyter and a plain-text
``__str__``/``__repr__`` for the terminal, so no result prints as ``<object at 0x…>``.
"""

from __future__ import annotations

import html

import pandas as pd

__all__ = ["FittedModel", "Result", "facts_frame", "fmt", "html_block", "text_block"]


def fmt(x: float) -> str:
    """A number in its shortest exact-looking form (``12``, ``0.5``, ``1e+06``).

    Examples
    --------
    >>> fmt(12.0), fmt(0.25)
    ('12', '0.25')
    """
    return f"{x:g}"


def html_block(title: str, frames: list[tuple[str, pd.DataFrame]], note: str = "") -> str:
    """A titled HTML block of tables (4 significant digits, missing shown as an em dash).

    Examples
    --------
    >>> import pandas as pd
    >>> html_block("T", [("cap", pd.DataFrame({"a": [1.23456]}))]).count("<table")
    1
    """
    parts = [f"<div><strong>{html.escape(title)}</strong>"]
    for caption, frame in frames:
        if caption:
            parts.append(f"<p>{html.escape(caption)}</p>")
        parts.append(frame.to_html(float_format=lambda v: f"{v:.4g}", na_rep="—"))
    if note:
        parts.append(f"<p><em>{html.escape(note)}</em></p>")
    return "".join(parts) + "</div>"


def text_block(title: str, frames: list[tuple[str, pd.DataFrame]], note: str = "") -> str:
    """The same block as plain text, for terminals and logs.

    Examples
    --------
    >>> import pandas as pd
    >>> print(text_block("T", [("", pd.DataFrame({"a": [1.23456]}))]))
    T
           a
    0  1.235
    """
    parts = [title]
    for caption, frame in frames:
        if caption:
            parts.append(caption)
        parts.append(frame.to_string(float_format=lambda v: f"{v:.4g}", na_rep="—"))
    if note:
        parts.append(note)
    return "\n".join(parts)


def facts_frame(facts: dict) -> pd.DataFrame:
    """A dict of facts (assumptions, settings) as a one-column table for rendering.

    Examples
    --------
    >>> facts_frame({"horizon": 60}).loc["horizon", "value"]
    '60'
    """
    return pd.DataFrame({"value": [str(v) for v in facts.values()]}, index=list(map(str, facts)))


class Result:
    """Base of result objects: subclasses set ``_title`` and return their tables from ``_frames``.

    Examples
    --------
    >>> import pandas as pd
    >>> class Demo(Result):
    ...     _title = "Demo"
    ...     def _frames(self):
    ...         return [("", pd.DataFrame({"x": [1]}))]
    >>> str(Demo()).splitlines()[0]
    'Demo'
    """

    _title = "Result"

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("", self.summary)]  # type: ignore[attr-defined]

    def _note(self) -> str:
        return ""

    def _repr_html_(self) -> str:
        return html_block(self._title, self._frames(), self._note())

    def __str__(self) -> str:
        return text_block(self._title, self._frames(), self._note())

    def __repr__(self) -> str:
        return self.__str__()


class FittedModel:
    """Rendering of an estimator: its summary once fitted, its constructor call before.

    A subclass sets ``_title`` and ``_fitted_attribute`` and may override ``_note``; its
    ``__repr__`` stays the constructor call (``KaplanMeier(conf_level=0.95, ...)``).

    Examples
    --------
    >>> import pandas as pd
    >>> class Demo(FittedModel):
    ...     _title = "Demo"
    ...     _fitted_attribute = "table_"
    ...     summary = pd.DataFrame({"x": [1]})
    ...     def __repr__(self):
    ...         return "Demo()"
    >>> d = Demo()
    >>> str(d)
    'Demo(), not fitted'
    >>> d.table_ = 1
    >>> str(d).splitlines()[0]
    'Demo'
    """

    _title = "Model"
    _fitted_attribute = "params_"

    def _note(self) -> str:
        return ""

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("", self.summary)]  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        if not hasattr(self, self._fitted_attribute):
            return f"<pre>{html.escape(repr(self))}</pre>"
        return html_block(self._title, self._frames(), self._note())

    def __str__(self) -> str:
        if not hasattr(self, self._fitted_attribute):
            return f"{self!r}, not fitted"
        return text_block(self._title, self._frames(), self._note())
