"""Row rules for churn reasons (competing risks), used by :func:`churnsurv.prepare`.

A churn reason is a label on each churned row ("price", "service", "payment_failure", ...); a
customer still active has none. ``prepare(..., reason="churn_reason")`` reads such a column and
checks, row by row:

* a churned row without a reason (missing, empty text) → ``"churned row without a reason"``;
* a reason on a row that did not churn → ``"reason on a censored row"``;
* a label outside the declared ones (``reason_values=`` or the keys of ``reason_groups=``) →
  ``"unknown reason"``.

A reason column beside the churn indicator is one of two layouts ``prepare`` reads; the other is
one status column holding the reasons, with the customers still active left empty or given one
label of their own: ``prepare(df, duration="tenure", reason="status", censor_value="active")``
(no ``event=``: a row churned if and only if it has a reason). We kept the churn indicator
``event`` a plain churned/not-churned flag everywhere, so every estimator that ignores reasons
reads the same data as before, and a reason is one more validated column.

From dates, a customer whose churn date lies after the cutoff is censored at the cutoff; the
reason recorded for that later churn is then dropped (it is not yet known at the cutoff), not
counted as an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from churnsurv._validation import Violations
from churnsurv.exceptions import DataValidationError

__all__ = ["ReasonsMixin", "check_reason_arguments", "parse_reasons", "reason_missing"]


def reason_missing(series: pd.Series) -> np.ndarray:
    """Missing labels: NA, or text that is empty or only blanks (vectorised, no row loop)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        blank = np.array([isinstance(c, str) and not c.strip() for c in cats] + [True])
        return blank[series.cat.codes.to_numpy()]  # code -1 (NA) takes the last entry
    missing = series.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return missing
    try:
        stripped = series.astype(object).str.strip()
    except AttributeError:  # no text at all (e.g. integer codes in an object column)
        return missing
    return missing | stripped.eq("").fillna(False).to_numpy(dtype=bool)


def check_reason_arguments(
    reason: str | None,
    reason_values: Sequence[Any] | None,
    reason_groups: Mapping[Any, Any] | None,
) -> tuple[list | None, dict | None]:
    """The declared reason labels and their groups, from ``prepare``'s arguments.

    Returns ``(values, groups)``: the declared labels in order (None: take the observed ones)
    and the label → group mapping (None without grouping).

    Examples
    --------
    >>> check_reason_arguments("why", None, {"price": "voluntary", "card": "involuntary"})
    (['price', 'card'], {'price': 'voluntary', 'card': 'involuntary'})
    >>> check_reason_arguments(None, ["price"], None)
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: reason_values= needs reason= ...
    """
    if reason is None:
        if reason_values is not None or reason_groups is not None:
            which = "reason_values=" if reason_values is not None else "reason_groups="
            raise DataValidationError(
                f"{which} needs reason= (the column of churn reasons).",
                column="reason",
                rule="missing argument",
            )
        return None, None
    values = None
    if reason_values is not None:
        if isinstance(reason_values, str) or not hasattr(reason_values, "__iter__"):
            raise DataValidationError(
                f"reason_values={reason_values!r} must be a list of labels, e.g. "
                "['price', 'service'].",
                column="reason_values",
                rule="not a list",
            )
        values = list(dict.fromkeys(reason_values))
        if not values or any(pd.isna(v) for v in values):
            raise DataValidationError(
                f"reason_values={list(reason_values)!r} must name at least one label and no "
                "missing value.",
                column="reason_values",
                rule="bad labels",
            )
    groups = None
    if reason_groups is not None:
        if not isinstance(reason_groups, Mapping) or not reason_groups:
            raise DataValidationError(
                f"reason_groups={reason_groups!r} must map each reason to its group, e.g. "
                "{'price': 'voluntary', 'payment_failure': 'involuntary'}.",
                column="reason_groups",
                rule="not a mapping",
            )
        groups = dict(reason_groups)
        if values is None:
            values = list(groups)
        unmapped = [v for v in values if v not in groups]
        if unmapped:
            raise DataValidationError(
                f"reason_groups: no group for reason(s) {unmapped[:5]}; map every reason "
                "(e.g. to 'voluntary' or 'involuntary').",
                column="reason_groups",
                rule="reason without a group",
            )
        groups = {v: groups[v] for v in values}
    return values, groups


def parse_reasons(
    series: pd.Series,
    column: str,
    v: Violations,
    churned: np.ndarray,
    values: list | None,
    *,
    censored_later: np.ndarray | None = None,
) -> tuple[pd.Series, list]:
    """Validate a reason column against the churn indicator; return the labels and their order.

    Parameters
    ----------
    series : pandas.Series
        The raw reason column.
    column : str
        Its name (for messages).
    v : Violations
        The collector of broken rules.
    churned : numpy.ndarray of bool
        The churn indicator of each row (as ``prepare`` read it).
    values : list or None
        Declared labels; None takes the labels seen on churned rows (a categorical column's
        categories order, else sorted).
    censored_later : numpy.ndarray of bool, optional
        Rows that churned after the cutoff (from dates): censored, and their reason dropped.

    Returns
    -------
    (pandas.Series, list)
        The reason of each row as a categorical over the labels (NaN on censored rows), and
        the labels.
    """
    missing = reason_missing(series)
    later = np.zeros(len(series), dtype=bool) if censored_later is None else censored_later
    present = ~missing & ~later
    v.add(column, "churned row without a reason", churned & missing)
    v.add(column, "reason on a censored row", ~churned & present)
    obj = series.astype(object)
    if values is None:
        seen = obj[present & churned]
        if isinstance(series.dtype, pd.CategoricalDtype):
            used = set(seen)
            values = [c for c in series.cat.categories if c in used]
        else:
            try:
                values = sorted(pd.unique(seen))
            except TypeError:  # labels of mixed types: keep the order of first appearance
                values = list(pd.unique(seen))
    else:
        known = obj.isin(values).to_numpy()
        detail = f" (declared: {list(map(str, values))[:10]})"
        v.add(column, "unknown reason", present & ~known, detail)
    labels = obj.where(pd.Series(churned & present, index=series.index))
    return pd.Series(pd.Categorical(labels, categories=values), index=series.index), values


_D = TypeVar("_D", bound="ReasonsMixin")


class ReasonsMixin:
    """The churn-reason methods of :class:`~churnsurv.ChurnData` (a base class of it).

    ``frame["reason"]`` holds each churned row's reason as a categorical over ``reasons`` (NaN
    on censored rows); ``reason_groups`` maps each reason to its group.
    """

    frame: pd.DataFrame
    reasons: list | None
    reason_groups: dict | None

    if TYPE_CHECKING:  # ChurnData defines it; declared here for the type checker only

        def _with(self: _D, frame: pd.DataFrame, **changes: Any) -> _D: ...

    @property
    def has_reasons(self) -> bool:
        """True when built with ``prepare(reason=...)``."""
        return self.reasons is not None and "reason" in self.frame.columns

    @property
    def reason_codes(self) -> np.ndarray:
        """Each row's reason as an integer: 0 censored, ``k`` the ``k``-th of :attr:`reasons`.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> raw = pd.DataFrame({"t": [1, 2, 3], "why": ["price", None, "service"]})
        >>> cs.prepare(raw, duration="t", reason="why").reason_codes.tolist()
        [1, 0, 2]
        """
        self.require_reasons()
        return self.frame["reason"].cat.codes.to_numpy().astype(np.int64) + 1

    def require_reasons(self, *, purpose: str = "this estimator") -> None:
        """Raise :class:`DataValidationError` unless the data carry churn reasons.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> d = cs.prepare(pd.DataFrame({"t": [1, 2], "e": [0, 1]}), duration="t", event="e")
        >>> d.require_reasons(purpose="cumulative incidence")
        Traceback (most recent call last):
        ...
        churnsurv.exceptions.DataValidationError: cumulative incidence needs churn reasons: ...
        """
        if not self.has_reasons:
            raise DataValidationError(
                f"{purpose} needs churn reasons: build the data with prepare(..., "
                "reason='<column of churn reasons>').",
                column="reason",
                rule="no reasons",
            )

    def group_reasons(self: _D, groups: dict | None = None) -> _D:
        """The same data with each reason replaced by its group (e.g. voluntary / involuntary).

        Parameters
        ----------
        groups : dict, optional
            Reason → group; default the ``reason_groups`` given to :func:`churnsurv.prepare`.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> raw = pd.DataFrame({"t": [1, 2, 3], "why": ["price", "card", "service"]})
        >>> d = cs.prepare(raw, duration="t", reason="why",
        ...                reason_groups={"price": "voluntary", "service": "voluntary",
        ...                               "card": "involuntary"})
        >>> g = d.group_reasons()
        >>> g.reasons, g.frame["reason"].tolist()
        (['voluntary', 'involuntary'], ['voluntary', 'involuntary', 'voluntary'])
        """
        self.require_reasons(purpose="group_reasons()")
        groups = self.reason_groups if groups is None else dict(groups)
        if not groups:
            raise DataValidationError(
                "group_reasons() needs the groups: pass reason_groups= to prepare() or a dict "
                "here, e.g. {'price': 'voluntary', 'payment_failure': 'involuntary'}.",
                column="reason_groups",
                rule="missing argument",
            )
        unmapped = [r for r in self.reasons or [] if r not in groups]
        if unmapped:
            raise DataValidationError(
                f"reason_groups: no group for reason(s) {unmapped[:5]}.",
                column="reason_groups",
                rule="reason without a group",
            )
        labels = list(dict.fromkeys(groups[r] for r in self.reasons or []))
        frame = self.frame.copy()
        mapped = frame["reason"].astype(object).map(groups)
        frame["reason"] = pd.Categorical(mapped, categories=labels)
        return self._with(frame, reasons=labels, reason_groups=None)

    def for_reason(self: _D, reason: object) -> _D:
        """The data with churn for ``reason`` as the event and churn for other reasons censored.

        The input of a cause-specific model (e.g. :class:`~churnsurv.CoxModel` of leaving for
        price): it estimates the rate of leaving for that reason among customers still here.
        Its ``1 - Kaplan-Meier`` is **not** the probability of leaving for that reason (it
        overstates it; use :class:`~churnsurv.CumulativeIncidence`).

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> raw = pd.DataFrame({"t": [1, 2, 3], "why": ["price", None, "service"]})
        >>> cs.prepare(raw, duration="t", reason="why").for_reason("price").events.tolist()
        [True, False, False]
        """
        self.require_reasons(purpose="for_reason()")
        if reason not in (self.reasons or []):
            raise DataValidationError(
                f"reason={reason!r} is not one of the data's reasons {self.reasons}.",
                column="reason",
                rule="unknown reason",
            )
        frame = self.frame.copy()
        frame["event"] = (frame["reason"] == reason).to_numpy()
        return self._with(frame)
