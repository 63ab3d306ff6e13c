"""ChurnData: validated survival data, the input of every estimator.

Built only by :func:`churnsurv.prepare` (one row per customer) or :func:`churnsurv.prepare_panel`
(customer-period intervals, :class:`PanelData`); estimators never re-validate raw input.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

from churnsurv._typing import ArrayLike, Weights
from churnsurv._validation import N_EXAMPLES, Violations, as_list, check_count
from churnsurv.data.reasons import ReasonsMixin
from churnsurv.exceptions import DataValidationError

__all__ = ["ChurnData", "PanelData"]


class ChurnData(ReasonsMixin):
    """Validated survival data: durations, events, optional entry times, and carried columns.

    Built by :func:`prepare` (or :func:`prepare_panel`); do not construct it directly.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per kept customer (per interval for panels), indexed by the id column (or by the
        original row position, index name ``"row"``). Columns ``duration`` (float, in
        ``time_unit``), ``event`` (bool), ``entry`` (float, only with left truncation),
        ``start_date``/``end_date`` (only when built from dates) and the carried columns.
    time_unit : str
        ``"day"``, ``"week"``, ``"month"`` or ``"year"``.
    excluded : pandas.DataFrame
        Rows excluded by ``on_invalid="drop"``: original row position, id, column, reason.
    n_input : int
        Rows in the input table; always ``n_input == n + len(excluded)``.
    covariates, segments : list of str
        Carried columns, and those declared as segments.
    margin : str or None
        Name of the margin column (per period of ``time_unit``).
    cutoff : pandas.Timestamp or None
        Observation cutoff when built from dates.
    reasons : list or None
        The churn reason labels (``prepare(reason=...)``), in display order; ``frame["reason"]``
        holds each churned row's reason (NaN on censored rows). None without reasons.
    reason_groups : dict or None
        Each reason's group (``prepare(reason_groups=...)``), e.g. voluntary / involuntary.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
    ...                   event="Churn", event_value="Yes", time_unit="month")
    >>> data.n, data.n_events, data.time_unit
    (7043, 1869, 'month')
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        time_unit: str,
        excluded: pd.DataFrame,
        n_input: int,
        id_col: str | None,
        covariates: list[str],
        segments: list[str],
        margin: str | None,
        cutoff: pd.Timestamp | None = None,
        reasons: list | None = None,
        reason_groups: dict | None = None,
    ) -> None:
        self.frame = frame
        self.time_unit = time_unit
        self.excluded = excluded
        self.n_input = int(n_input)
        self.id_col = id_col
        self.covariates = covariates
        self.segments = segments
        self.margin = margin
        self.cutoff = cutoff
        self.reasons = reasons
        self.reason_groups = reason_groups

    #: True for :class:`PanelData` (one row per customer-period interval).
    panel = False

    # -- counts ---------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of customers kept (intervals for a panel)."""
        return len(self.frame)

    @property
    def n_events(self) -> int:
        """Number of churn events."""
        return int(self.frame["event"].sum())

    @property
    def n_censored(self) -> int:
        """Number of censored rows (customers still active at the end of follow-up)."""
        return self.n - self.n_events

    @property
    def has_entry(self) -> bool:
        """True when entry times (left truncation) were given."""
        return "entry" in self.frame.columns

    @property
    def has_dates(self) -> bool:
        """True when built from start and end dates."""
        return "start_date" in self.frame.columns

    @property
    def durations(self) -> np.ndarray:
        """Durations (exit times) as a float array, in ``time_unit``."""
        return self.frame["duration"].to_numpy(dtype=float)

    @property
    def events(self) -> np.ndarray:
        """Event indicators as a bool array."""
        return self.frame["event"].to_numpy(dtype=bool)

    @property
    def entries(self) -> np.ndarray:
        """Entry times (0 where there is no left truncation) as a float array."""
        if self.has_entry:
            return self.frame["entry"].to_numpy(dtype=float)
        return np.zeros(self.n)

    def _with(self, frame: pd.DataFrame, **changes) -> ChurnData:
        """A copy of this object's description around another frame (same rows, same ids)."""
        kw = dict(
            time_unit=self.time_unit,
            excluded=self.excluded,
            n_input=self.n_input,
            id_col=self.id_col,
            covariates=self.covariates,
            segments=self.segments,
            margin=self.margin,
            cutoff=self.cutoff,
            reasons=self.reasons,
            reason_groups=self.reason_groups,
        )
        kw.update(changes)
        return type(self)(frame, **kw)

    # -- checks estimators call (validation still lives here) ------------------------------
    def require_events(self, min_events: int = 1, *, purpose: str = "this estimator") -> None:
        """Raise :class:`DataValidationError` unless there are at least ``min_events`` events.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> d = cs.prepare(pd.DataFrame({"t": [1, 2], "e": [0, 0]}), duration="t", event="e")
        >>> d.require_events(purpose="a Cox model")
        Traceback (most recent call last):
        ...
        churnsurv.exceptions.DataValidationError: column 'event': zero events ...
        """
        if self.n_events < check_count(min_events, name="min_events", minimum=0):
            raise DataValidationError(
                f"column 'event': zero events in {self.n} rows; {purpose} needs at least "
                f"{min_events} churn event(s)."
                if self.n_events == 0
                else f"column 'event': too few events ({self.n_events} in {self.n} rows); "
                f"{purpose} needs at least {min_events}.",
                column="event",
                rule="zero events" if self.n_events == 0 else "too few events",
                n_rows=self.n,
            )

    def require_columns(
        self, columns: Sequence[str], *, purpose: str = "this estimator", numeric: bool = False
    ) -> None:
        """Check that carried columns exist and have no missing values (and are numeric).

        Raises
        ------
        DataValidationError
            Naming the column, the rule, the number of rows and example ids.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), id="customerID", duration="tenure",
        ...                   event="Churn", event_value="Yes")
        >>> data.require_columns(["TotalCharges"], purpose="a Cox model")
        Traceback (most recent call last):
        ...
        churnsurv.exceptions.DataValidationError: column 'TotalCharges': missing values in 11 ...
        """
        carried = set(self.frame.columns) - {"duration", "event", "entry"}
        for col in columns:
            if col not in carried:
                close = difflib.get_close_matches(str(col), sorted(map(str, carried)), n=3)
                raise DataValidationError(
                    f"column {col!r}: unknown column for {purpose}; carried columns are "
                    f"{sorted(map(str, carried))[:15]}."
                    + (f" Did you mean {close}?" if close else ""),
                    column=str(col),
                    rule="missing column",
                )
            values = self.frame[col]
            missing = values.isna().to_numpy()
            if missing.any():
                pos = np.flatnonzero(missing)
                ex = list(self.frame.index[pos[:N_EXAMPLES]])
                raise DataValidationError(
                    f"column {col!r}: missing values in {pos.size} row(s) (examples: {ex}); "
                    f"{purpose} cannot use it. Declare it in prepare(covariates=[...]) with "
                    "on_invalid='drop' to exclude those rows (and see them reported), or fill it.",
                    column=str(col),
                    rule="missing values",
                    n_rows=int(pos.size),
                    examples=ex,
                )
            if numeric and not pd.api.types.is_numeric_dtype(values):
                raise DataValidationError(
                    f"column {col!r}: must be numeric for {purpose} (dtype {values.dtype}).",
                    column=str(col),
                    rule="non-numeric",
                )

    def require_dates(self, *, purpose: str = "this table") -> None:
        """Raise :class:`DataValidationError` unless the data were built from dates.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> d = cs.prepare(pd.DataFrame({"t": [1, 2], "e": [0, 1]}), duration="t", event="e")
        >>> d.require_dates(purpose="a cohort table")
        Traceback (most recent call last):
        ...
        churnsurv.exceptions.DataValidationError: a cohort table needs signup and churn dates: ...
        """
        if not self.has_dates:
            raise DataValidationError(
                f"{purpose} needs signup and churn dates: build the data with "
                "prepare(start_date=..., end_date=..., cutoff=...).",
                column="start_date",
                rule="no dates",
            )

    def case_weights(self, weights: Weights, *, purpose: str = "case weights") -> np.ndarray | None:
        """Validated case weights: a carried column's name or one value per row, finite, ≥ 0.

        ``None`` (no weights) is returned as ``None``.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> d = cs.prepare(pd.DataFrame({"t": [1, 2], "e": [0, 1]}), duration="t", event="e")
        >>> d.case_weights([1.0, -2.0])
        Traceback (most recent call last):
        ...
        churnsurv.exceptions.DataValidationError: column 'weights': negative or non-finite ...
        """
        if weights is None:
            return None
        if isinstance(weights, str):
            self.require_columns([weights], purpose=purpose, numeric=True)
            w, name = self.frame[weights].to_numpy(dtype=float), weights
        else:
            w, name = np.asarray(weights, dtype=float), "weights"
            if w.shape != (self.n,):
                raise DataValidationError(
                    f"weights: expected a column name or {self.n} values (one per row), "
                    f"got shape {w.shape}.",
                    column="weights",
                    rule="wrong length",
                )
        v = Violations(self.n, pd.Series(self.frame.index), hint=False)
        v.add(name, "negative or non-finite weight", ~np.isfinite(w) | (w < 0))
        if v.records:
            v.raise_first()
        if not (w > 0).any():
            raise DataValidationError(
                f"column {name!r}: every weight is 0; at least one customer must count.",
                column=name,
                rule="all weights zero",
                n_rows=self.n,
            )
        return w

    def require_customer_rows(self, *, purpose: str = "this estimator") -> None:
        """Raise :class:`DataValidationError` for a panel (one row per interval, not customer).

        Plain customer tables pass; :class:`PanelData` refuses with a message naming the way out.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> d = cs.prepare(pd.DataFrame({"t": [1, 2], "e": [0, 1]}), duration="t", event="e")
        >>> d.require_customer_rows(purpose="a churn table") is None
        True
        """

    def group_sizes(self, codes: np.ndarray | None, n_groups: int) -> np.ndarray:
        """Number of customers in each group of integer ``codes`` (all rows in one without).

        Examples
        --------
        >>> import numpy as np, pandas as pd, churnsurv as cs
        >>> d = cs.prepare(pd.DataFrame({"t": [1, 2, 3], "e": [0, 1, 1]}), duration="t", event="e")
        >>> d.group_sizes(np.array([0, 1, 1]), 2).tolist()
        [1, 2]
        """
        if codes is None:
            return np.array([self.n])
        return np.bincount(codes, minlength=n_groups)

    # -- derived data ----------------------------------------------------------------------
    def with_covariates(
        self, df: pd.DataFrame, covariates: Sequence[str], **prepare_args
    ) -> ChurnData:
        """``prepare(df, covariates=covariates, **prepare_args)``, sharing this data's columns.

        This object must be ``prepare(df, **prepare_args)``: the same table and arguments,
        without ``covariates=`` (so every other column is carried). Declaring covariates adds
        one rule, no missing value in them; when no row of ``df`` breaks it, both calls keep
        and exclude the same rows, so the result is this data with the covariates (and the
        segments and margin) as its columns: nothing validated twice, no column copied (the
        two frames share their columns and index: treat them as read-only). Otherwise, or
        when this object was visibly prepared another way (other rows, id, time unit,
        segments, margin or carried columns), the result is that ``prepare`` call itself.
        Either way it equals ``prepare(df, covariates=covariates, **prepare_args)``.

        Examples
        --------
        >>> import churnsurv as cs
        >>> raw = cs.datasets.load_telco()
        >>> args = dict(id="customerID", duration="tenure", event="Churn", event_value="Yes")
        >>> data = cs.prepare(raw, **args)
        >>> cox_data = data.with_covariates(raw, ["Contract", "MonthlyCharges"], **args)
        >>> cox_data.covariates, cox_data.n, list(cox_data.frame.columns)
        (['Contract', 'MonthlyCharges'], 7043, ['duration', 'event', 'Contract', 'MonthlyCharges'])
        >>> cox_data.frame["Contract"].values is data.frame["Contract"].values
        True

        ``TotalCharges`` misses 11 values: those rows are excluded, as ``prepare`` does.

        >>> data.with_covariates(raw, ["TotalCharges"], on_invalid="drop", **args).n
        7032
        """
        from churnsurv.data.prepare import prepare

        covariates = as_list(covariates)
        carried = self._carried_as_prepared(df, covariates, prepare_args)
        if carried is None:
            return prepare(df, covariates=covariates, **prepare_args)
        margin = self.margin
        own = [c for c in self.frame.columns if c not in set(self.covariates) and c != margin]
        frame = pd.DataFrame({c: self.frame[c] for c in own + carried}, copy=False)
        return self._with(frame, covariates=[c for c in carried if c != margin])

    def _carried_as_prepared(self, df, covariates: list, args: dict) -> list | None:
        """The columns ``prepare(df, covariates=...)`` would carry, when this object is
        ``prepare(df, **args)`` (as far as it shows) and no row misses a covariate value;
        else None (the caller runs ``prepare``)."""
        segments, margin = as_list(args.get("segments")), args.get("margin")
        entry_date = args.get("entry_date")
        core = {args.get(k) for k in ("duration", "event", "start_date", "end_date", "entry")}
        core |= {args.get("id"), args.get("reason")}
        core |= {entry_date} if isinstance(entry_date, str) and entry_date in df.columns else set()
        every = [c for c in df.columns if c not in core]  # carried without covariates=
        same = (
            type(self) is ChurnData
            and isinstance(df, pd.DataFrame)
            and self.n_input == len(df)
            and self.id_col == args.get("id")
            and self.time_unit == args.get("time_unit", "month")
            and self.segments == segments
            and self.margin == margin
            and list(self.covariates) == [c for c in every if c != margin]
            # prepare(..., on_invalid="raise") raises on rows this object excluded
            and (args.get("on_invalid", "raise") == "drop" or len(self.excluded) == 0)
        )
        carried = list(dict.fromkeys(covariates + segments + ([margin] if margin else [])))
        if not same or not set(carried) <= set(every):
            return None
        for col in covariates:  # prepare's rule for declared covariates
            if col not in segments and col != margin and df[col].isna().any():
                return None
        return carried

    def take(self, positions: ArrayLike) -> ChurnData:
        """A new ChurnData with the rows at ``positions`` (e.g. a bootstrap resample).

        Rows may repeat; the index then repeats too.

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> data.take([0, 0, 5]).n
        3
        """
        frame = self.frame.iloc[np.asarray(positions, dtype=np.int64)]
        return type(self)(
            frame,
            time_unit=self.time_unit,
            excluded=self.excluded.iloc[0:0],
            n_input=len(frame),
            id_col=self.id_col,
            covariates=self.covariates,
            segments=self.segments,
            margin=self.margin,
            cutoff=self.cutoff,
            reasons=self.reasons,
            reason_groups=self.reason_groups,
        )

    def describe(self) -> pd.DataFrame:
        """A one-column table of what the object holds (what the HTML repr shows).

        Examples
        --------
        >>> import churnsurv as cs
        >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
        ...                   event_value="Yes")
        >>> data.describe().loc["events", "value"]
        '1869'
        """
        d = self.frame["duration"]
        items = {
            **self._size_items(),
            "events": self.n_events,
            "censored": self.n_censored,
            "time unit": self.time_unit,
            "follow-up": f"{d.min():g} to {d.max():g} {self.time_unit}s" if self.n else "",
            "left truncation": "yes (entry times)" if self.has_entry else "no",
            "rows in input": self.n_input,
            "rows excluded": len(self.excluded),
        }
        if self.cutoff is not None:
            items["cutoff"] = str(self.cutoff.date())
        if self.margin:
            items["margin column"] = self.margin
        if self.segments:
            items["segments"] = ", ".join(self.segments)
        if self.has_reasons:
            counts = self.frame["reason"].value_counts(sort=False)
            items["churn reasons"] = ", ".join(f"{k} {v}" for k, v in counts.items())
        return pd.DataFrame({"value": [str(v) for v in items.values()]}, index=list(items))

    def _size_items(self) -> dict:
        return {"customers": self.n}

    def _reasons(self) -> pd.Series:
        return self.excluded["reason"].str.split("; ").explode().value_counts()

    def __repr__(self) -> str:
        lines = [
            f"{type(self).__name__}: {', '.join(f'{v} {k}' for k, v in self._size_items().items())}"
        ]
        lines += [f"  {k}: {v}" for k, v in self.describe()["value"].items()]
        if len(self.excluded):
            lines += [f"    excluded for {r}: {c}" for r, c in self._reasons().items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in self.describe()["value"].items()
        )
        out = f"<div><strong>{type(self).__name__}</strong><table>{rows}</table>"
        if len(self.excluded):
            reasons = "".join(
                f"<li>{html.escape(str(r))}: {c}</li>" for r, c in self._reasons().items()
            )
            out += f"<p>Excluded rows by reason (see <code>.excluded</code>):</p><ul>{reasons}</ul>"
        return out + "</div>"


class PanelData(ChurnData):
    """Validated customer-period panel: one row per interval ``(start, stop]`` of a customer.

    Built by :func:`churnsurv.prepare_panel`. ``frame`` has columns ``start``, ``duration``
    (= stop), ``event`` and the carried covariates, indexed by customer id. The interval starts
    are the counting-process entry times (R's ``Surv(start, stop, event)``), so estimators that
    honour entry times handle a panel exactly: :class:`~churnsurv.KaplanMeier` and the log-rank
    tests (a customer split into intervals gives the same curve as the unsplit customer), and
    :class:`~churnsurv.CoxModel` (time-varying covariates). Estimators that need one row per
    customer (churn tables, CLV, value at risk, parametric models) refuse a panel with a
    :class:`~churnsurv.exceptions.DataValidationError`; :meth:`customers` gives that table
    (each customer's last interval).

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> panel = pd.DataFrame({"id": [1, 1, 2], "start": [0, 3, 0], "stop": [3, 5, 4],
    ...                       "churn": [0, 1, 0], "price": [10.0, 12.0, 9.0]})
    >>> d = cs.prepare_panel(panel, id="id", start="start", stop="stop", event="churn")
    >>> d.n, d.n_customers, d.n_events, d.panel
    (3, 2, 1, True)
    """

    panel = True

    @property
    def n_customers(self) -> int:
        """Number of distinct customers (``n`` counts intervals)."""
        return int(self.frame.index.nunique())

    @property
    def has_entry(self) -> bool:
        """Always True: interval starts are counting-process entry times."""
        return True

    @property
    def entries(self) -> np.ndarray:
        """Interval starts (counting-process entry times) as a float array."""
        return self.frame["start"].to_numpy(dtype=float)

    def require_customer_rows(self, *, purpose: str = "this estimator") -> None:
        """Refuse: a panel has one row per interval.

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> panel = pd.DataFrame({"id": [1, 1], "start": [0, 3], "stop": [3, 5], "e": [0, 1]})
        >>> d = cs.prepare_panel(panel, id="id", start="start", stop="stop", event="e")
        >>> d.require_customer_rows(purpose="a churn table")
        Traceback (most recent call last):
        ...
        churnsurv.exceptions.DataValidationError: a churn table needs one row per customer, ...
        """
        raise DataValidationError(
            f"{purpose} needs one row per customer, but this is a panel of {self.n} intervals "
            f"of {self.n_customers} customers. Use panel.customers() (each customer's last "
            "interval) or prepare() on a customer table.",
            column="panel",
            rule="panel data",
            n_rows=self.n,
        )

    def group_sizes(self, codes: np.ndarray | None, n_groups: int) -> np.ndarray:
        """Distinct customers in each group (a customer whose group changes counts in each)."""
        ids, _ = pd.factorize(self.frame.index)
        if codes is None:
            return np.array([self.n_customers])
        pairs = pd.DataFrame({"g": codes, "id": ids}).drop_duplicates()
        return np.bincount(pairs["g"].to_numpy(), minlength=n_groups)

    def customers(self) -> ChurnData:
        """One row per customer: the last interval, with its stop as the tenure reached.

        The customer's covariates are those of the last interval; the result has no entry
        times (a customer's first interval starts at the start of the panel's time axis).

        Examples
        --------
        >>> import pandas as pd, churnsurv as cs
        >>> panel = pd.DataFrame({"id": [1, 1, 2], "start": [0, 3, 0], "stop": [3, 5, 4],
        ...                       "e": [0, 1, 0], "price": [10.0, 12.0, 9.0]})
        >>> d = cs.prepare_panel(panel, id="id", start="start", stop="stop", event="e")
        >>> d.customers().frame[["duration", "event", "price"]].values.tolist()
        [[5.0, True, 12.0], [4.0, False, 9.0]]
        """
        order = np.lexsort((self.durations, pd.factorize(self.frame.index)[0]))
        frame = self.frame.iloc[order]
        last = frame[~frame.index.duplicated(keep="last")].drop(columns="start")
        return ChurnData(
            last,
            time_unit=self.time_unit,
            excluded=self.excluded,
            n_input=self.n_input - (self.n - len(last)),
            id_col=self.id_col,
            covariates=self.covariates,
            segments=self.segments,
            margin=self.margin,
            reasons=self.reasons,
            reason_groups=self.reason_groups,
        )

    def _size_items(self) -> dict:
        return {"intervals": self.n, "customers": self.n_customers}
