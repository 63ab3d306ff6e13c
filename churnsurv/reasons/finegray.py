"""Regression on churn reasons: Fine–Gray subdistribution hazards and cause-specific Cox models.

Two models answer two different questions about one reason, say price:

* **Cause-specific Cox** (:class:`CauseSpecificCox`, one :class:`~churnsurv.CoxModel` per reason
  with churn for other reasons censored): *what drives the rate of leaving for price among
  customers still here?* Its hazard ratios are about the mechanism — a covariate that doubles
  the price hazard doubles the rate at which the remaining customers leave for price. They do
  not say who will *in the end* leave for price: a segment with a high price hazard may lose
  its customers to competitors first.
* **Fine–Gray** (:class:`FineGray`): *who will in the end leave for price?* It models the
  subdistribution hazard, whose ratios translate directly into the cumulative incidence
  ``F_price(t | x)`` — the probability of having left for price by tenure ``t`` — which mixes
  the price mechanism with how long customers survive the other reasons. Use it to predict and
  rank (who to protect from price churn); use the cause-specific model to understand (what a
  price change would do to the rate).

No maintained Python library fits Fine–Gray. We fit it as R's ``survival::finegray`` does:
:func:`finegray_data` expands the customers into a weighted counting-process data set — a
customer who left for another reason stays in the risk set after leaving, with the
time-dependent weight ``G(t) / G(T_i)`` (``G`` the Kaplan–Meier of censoring) — on which an
ordinary weighted Cox fit (:class:`~churnsurv.CoxModel` on :func:`~churnsurv.prepare_panel`
data) gives the Fine–Gray estimates. Standard errors are the robust (sandwich) ones clustered on
the customer, which Geskus (2011) showed to match Fine and Gray's variance closely.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._render import text_block
from churnsurv._typing import ArrayLike, Label
from churnsurv._validation import check_choice, check_conf_level, check_is_fitted
from churnsurv.data import ChurnData, prepare_panel
from churnsurv.exceptions import DataValidationError
from churnsurv.regression import CoxModel
from churnsurv.regression.design import Design

__all__ = ["CauseSpecificCox", "FineGray", "finegray_data"]

#: Column names of the expanded Fine–Gray data set (R's ``fgstart``, ``fgstop``, ...).
FG_COLUMNS = ("fg_start", "fg_stop", "fg_event", "fg_weight")
_CENSORING_TIES = ("finegray", "crr")


def _censoring_survival(
    t: np.ndarray, status: np.ndarray, ties: str = "finegray"
) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier of censoring at each distinct censoring time.

    ``ties="finegray"`` (R ``survival::finegray``): churns tied with a censoring time leave the
    risk set just before it (R moves events back by 0.2 on its integer time scale), so at
    censoring time ``c`` the risk set is every customer with ``t > c`` plus those censored at
    ``c``. ``ties="crr"`` (``cmprsk::crr``, an ordinary ``survfit`` of the censorings): everyone
    with ``t >= c``. The two differ only when churns and censorings share a time.
    """
    cens = status == 0
    ctime, n_cens = np.unique(t[cens], return_counts=True)
    if ties == "finegray":
        risk = t.size - np.searchsorted(np.sort(t), ctime, side="right") + n_cens
    else:
        risk = t.size - np.searchsorted(np.sort(t), ctime, side="left")
    return ctime, np.cumprod(1.0 - n_cens / risk)


def finegray_data(
    data: ChurnData,
    reason: Label,
    *,
    columns: list[str] | None = None,
    censoring_ties: str = "finegray",
) -> pd.DataFrame:
    """The weighted counting-process data set of a Fine–Gray model (R ``survival::finegray``).

    Customers who churned for ``reason`` or are still active keep one row ``(start, stop]``
    with weight 1. A customer who churned for another reason at ``T_i`` keeps a row up to the
    end of the censoring interval holding ``T_i`` and then one row per later censoring interval
    that contains a churn for ``reason``, with weight ``G(t-) / G(T_i-)`` (``G``: Kaplan–Meier of
    censoring, churns before censorings at tied times). Only intervals holding a churn for
    ``reason`` are written, as ``finegray`` does; the Cox fit needs no others. The expanded data
    therefore grow with (churns for other reasons) × (later censoring times): with tenure in
    whole periods (months, days) at most the number of distinct periods per customer; with
    continuous tenure (every censoring time distinct) they can be large — round tenure to the
    billing period first.

    Parameters
    ----------
    data : ChurnData
        From :func:`churnsurv.prepare` with ``reason=``, without entry times.
    reason : label
        The reason modelled.
    columns : list of str, optional
        Carried columns to copy onto the expanded rows (default: all carried columns).
    censoring_ties : {"finegray", "crr"}, default "finegray"
        Whether churns tied with a censoring time are at risk of censoring then: no, as in R
        ``survival::finegray`` (censorings happen after churns); yes, as in ``cmprsk::crr``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``data.frame`` (a customer's id repeated on each of its rows), with
        ``fg_start, fg_stop, fg_event, fg_weight`` and the copied columns. As in R, the start
        is 0, or -1 when some tenure is 0.

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> raw = pd.DataFrame({"t": [1, 2, 3, 4, 5], "why": ["price", "card", None, "price", None]})
    >>> d = cs.prepare(raw, duration="t", reason="why")
    >>> finegray_data(d, "price")[["fg_start", "fg_stop", "fg_event", "fg_weight"]]
         fg_start  fg_stop  fg_event  fg_weight
    row
    0         0.0      1.0      True   1.000000
    1         0.0      3.0     False   1.000000
    1         3.0      5.0     False   0.666667
    2         0.0      3.0     False   1.000000
    3         0.0      4.0      True   1.000000
    4         0.0      5.0     False   1.000000
    """
    data.require_reasons(purpose="finegray_data")
    check_choice("censoring_ties", censoring_ties, _CENSORING_TIES)
    data.require_customer_rows(purpose="a Fine–Gray model")
    if data.has_entry:
        raise DataValidationError(
            "a Fine–Gray model with entry times (left truncation) is not available here; "
            "prepare the data without entry=.",
            column="entry",
            rule="entry times",
        )
    reasons = list(data.reasons or [])
    if reason not in reasons:
        raise DataValidationError(
            f"reason={reason!r} is not one of the data's reasons {reasons}.",
            column="reason",
            rule="unknown reason",
        )
    enum = reasons.index(reason) + 1
    t = data.durations
    status = data.reason_codes
    zero = 0.0 if t.min() > 0 else -1.0
    ctime, cprob = _censoring_survival(t, status, censoring_ties)
    ct2 = np.append(ctime, t.max())
    cp2 = np.append(1.0, cprob)
    # intervals (ct2[j-1], ct2[j]] holding a churn for the reason (interval 0: up to ct2[0])
    ev_times = np.unique(t[status == enum])
    keep = np.zeros(ct2.size, dtype=bool)
    keep[np.searchsorted(ct2, ev_times, side="left")] = True
    kept = np.flatnonzero(keep[1:]) + 1
    expand = (status != 0) & (status != enum)
    j = np.searchsorted(ct2, t, side="left")  # the interval holding each exit time
    stop = np.where(expand, ct2[np.minimum(j, ct2.size - 1)], t)
    n_extra = np.where(expand, kept.size - np.searchsorted(kept, j, side="right"), 0)

    rows = np.arange(t.size)
    extra_rows = np.repeat(rows, n_extra)
    # the k-th added row of a customer is kept interval number (first after j) + k
    first = np.searchsorted(kept, j, side="right")
    offset = np.arange(extra_rows.size) - np.repeat(np.cumsum(n_extra) - n_extra, n_extra)
    jj = kept[np.repeat(first, n_extra) + offset]
    all_rows = np.concatenate([rows, extra_rows])
    start = np.concatenate([np.full(t.size, zero), ct2[jj - 1]])
    stop = np.concatenate([stop, ct2[jj]])
    weight = np.concatenate([np.ones(t.size), cp2[jj] / cp2[np.repeat(j, n_extra)]])
    event = np.concatenate([status == enum, np.zeros(extra_rows.size, dtype=bool)])
    order = np.lexsort((start, all_rows))
    all_rows, start, stop, weight, event = (
        all_rows[order],
        start[order],
        stop[order],
        weight[order],
        event[order],
    )
    ok = weight > 0
    cols = list(data.covariates) if columns is None else list(columns)
    out = data.frame.iloc[all_rows[ok]][cols].copy()
    for name, values in zip(FG_COLUMNS, (start, stop, event, weight), strict=True):
        out[name] = values[ok]
    return out[[*FG_COLUMNS, *cols]]


class FineGray:
    """Fine–Gray subdistribution-hazard regression of one churn reason.

    *Who will in the end leave for this reason?* The model is
    ``F_k(t | x) = 1 - exp(-H_k(t) exp(x'beta))``: the hazard ratios (``hr``) are ratios of
    **subdistribution** hazards, and a ratio above 1 means a higher cumulative incidence of
    leaving for the reason at every tenure. For *what drives the rate of leaving for the reason
    among customers still here*, fit :class:`CauseSpecificCox` (see the module docstring).

    Fitted as R's ``survival::finegray`` + ``coxph(..., weights = fgwt)`` does
    (:func:`finegray_data`, then :class:`~churnsurv.CoxModel` with Breslow ties on the weighted
    counting-process data): coefficients, standard errors and predictions equal R's to 1e-8.
    ``cmprsk::crr`` computes its censoring weights with churns tied with a censoring still at
    risk of censoring; ``censoring_ties="crr"`` does the same and then reproduces crr's
    coefficients (to crr's own convergence tolerance). Without tied times the two agree.

    Parameters
    ----------
    formula : str
        Right-hand side over the data's covariate columns, as for :class:`~churnsurv.CoxModel`.
    robust : bool, default True
        Robust (sandwich) standard errors clustered on the customer — R's
        ``coxph(..., cluster = id)`` on the finegray data, close to Fine and Gray's variance
        (Geskus 2011; ``cmprsk::crr``'s also counts the estimated censoring weights' noise).
        ``False``: the model-based (weighted information) errors (R's ``fit$naive.var``; R's
        ``coxph`` switches to a sandwich over expanded rows by itself with such weights).
    censoring_ties : {"finegray", "crr"}, default "finegray"
        Tie convention of the censoring weights (see :func:`finegray_data`): R ``survival``'s or
        ``cmprsk::crr``'s.
    conf_level : float, default 0.95

    Attributes
    ----------
    cox_ : CoxModel
        The weighted Cox fit on the expanded data (Breslow ties, as ``crr``).
    params_ : pandas.Series
        Log subdistribution hazard ratios.
    reason_ : label
    n_, n_events_ : int
        Customers and churns for the reason.
    summary : pandas.DataFrame
        Per term: ``label, log_hr, std_err, hr, hr_lower, hr_upper, z, p_value``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> base = cs.simulate_customers(2000, rng=1)
    >>> data = cs.prepare(base.customers, id="customer_id", duration="tenure",
    ...                   event="churned", reason="reason")
    >>> fg = FineGray("plan + senior").fit(data, reason="price")
    >>> fg.summary["hr"].round(2).tolist()
    [0.94, 0.95, 1.34]
    """

    def __init__(
        self,
        formula: str,
        *,
        robust: bool = True,
        censoring_ties: str = "finegray",
        conf_level: float = 0.95,
    ) -> None:
        check_choice("censoring_ties", censoring_ties, _CENSORING_TIES)
        self.formula = formula
        self.robust = bool(robust)
        self.censoring_ties = censoring_ties
        self.conf_level = check_conf_level(conf_level)

    def fit(self, data: ChurnData, *, reason: Label) -> FineGray:
        """Fit the subdistribution hazard of ``reason``.

        Parameters
        ----------
        data : ChurnData
            From :func:`churnsurv.prepare` with ``reason=`` (no entry times).
        reason : label
            The churn reason modelled.

        Returns
        -------
        FineGray
            self, fitted.

        Examples
        --------
        >>> import churnsurv as cs
        >>> base = cs.simulate_customers(1000, rng=1)
        >>> data = cs.prepare(base.customers, duration="tenure", event="churned",
        ...                   reason="reason")
        >>> FineGray("senior").fit(data, reason="service").n_events_
        177
        """
        design = Design(self.formula)
        purpose = f"FineGray({self.formula!r})"
        data.require_columns(design.variables, purpose=purpose)
        fg = finegray_data(
            data, reason, columns=design.variables, censoring_ties=self.censoring_ties
        )
        if not fg["fg_event"].any():
            data.for_reason(reason).require_events(purpose=purpose)
        id_name = data.frame.index.name or "row"
        panel = prepare_panel(
            fg.rename_axis(id_name).reset_index(),
            id=id_name,
            start="fg_start",
            stop="fg_stop",
            event="fg_event",
            time_unit=data.time_unit,
            covariates=[*design.variables, "fg_weight"],
        )
        self.cox_ = CoxModel(
            self.formula, ties="breslow", robust=self.robust, conf_level=self.conf_level
        ).fit(panel, weights="fg_weight")
        self.params_ = self.cox_.params_
        self.variance_matrix_ = self.cox_.variance_matrix_
        self.reason_ = reason
        self.n_ = data.n
        self.n_events_ = int(
            (data.reason_codes == list(data.reasons or []).index(reason) + 1).sum()
        )
        self.n_expanded_rows_ = len(fg)
        self.time_unit_ = data.time_unit
        self.fit_params_ = {"reason": reason}
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Per term: log subdistribution HR, SE, HR with CI, z, p (as :attr:`CoxModel.summary`).

        Examples
        --------
        >>> import churnsurv as cs
        >>> base = cs.simulate_customers(1000, rng=1)
        >>> data = cs.prepare(base.customers, duration="tenure", event="churned",
        ...                   reason="reason")
        >>> FineGray("senior").fit(data, reason="price").summary.columns.tolist()
        ['label', 'log_hr', 'std_err', 'hr', 'hr_lower', 'hr_upper', 'z', 'p_value']
        """
        check_is_fitted(self)
        out = self.cox_.summary
        out.attrs["hazard"] = "subdistribution"
        return out

    def predict_cumulative_incidence(self, data, times: ArrayLike) -> pd.DataFrame:
        """Each customer's probability of having left for the reason by each tenure.

        ``F(t | x) = 1 - exp(-H(t) exp(x'beta))`` from signup (Breslow baseline of the weighted
        fit, as R's ``survfit`` on the finegray ``coxph``). Tenures beyond the follow-up are NaN.

        Parameters
        ----------
        data : ChurnData or pandas.DataFrame
            Customers with the formula's columns.
        times : array-like
            Tenures.

        Returns
        -------
        pandas.DataFrame
            Customers × times.

        Examples
        --------
        >>> import churnsurv as cs
        >>> base = cs.simulate_customers(1000, rng=1)
        >>> data = cs.prepare(base.customers, duration="tenure", event="churned",
        ...                   reason="reason")
        >>> fg = FineGray("senior").fit(data, reason="price")
        >>> fg.predict_cumulative_incidence(data.frame.head(2), [12, 24]).round(3).values.tolist()
        [[0.114, 0.199], [0.099, 0.174]]
        """
        check_is_fitted(self)
        surv = self.cox_.predict_survival(data, times, conditional=False)
        out = 1.0 - surv
        out.columns.name = "tenure"
        out.attrs = {"reason": self.reason_, "time_unit": self.time_unit_}
        return out

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("", self.summary)]

    def _title(self) -> str:
        se = "robust SE (clustered on customer)" if self.robust else "model-based SE"
        return (
            f"Fine–Gray model of churn for {self.reason_!r}: {self.formula} "
            f"({self.n_events_} churns for it in {self.n_} customers; subdistribution hazard "
            f"ratios; {se})"
        )

    def _repr_html_(self) -> str:
        from churnsurv._render import html_block

        if not hasattr(self, "params_"):
            return f"<pre>{self!r}</pre>"
        return html_block(self._title(), self._frames())

    def __str__(self) -> str:
        if not hasattr(self, "params_"):
            return repr(self)
        return text_block(self._title(), self._frames())

    def __repr__(self) -> str:
        state = f"fitted for {self.reason_!r}" if hasattr(self, "params_") else "not fitted"
        return f"FineGray({self.formula!r}) [{state}]"


class CauseSpecificCox:
    """One Cox model per churn reason, churn for other reasons censored.

    *What drives the rate of leaving for each reason among customers still here?* Each
    reason's hazard ratios describe its own mechanism (R: ``coxph(Surv(time, status == k) ~
    ...)``). Together the models give each customer's cumulative incidence of every reason,
    ``F_k(t | x) = sum_{u <= t} S(u- | x) dH_k(u | x)`` with ``S(u | x) = prod_{v <= u} (1 -
    sum_j dH_j(v | x))`` (the Aalen–Johansen plug-in of R's ``riskRegression::CSC`` +
    ``predictRisk``; the incidences and ``S`` add to 1). For *who will in the end leave for a
    reason*, with one coefficient per covariate, see :class:`FineGray`.

    Parameters
    ----------
    formula : str
        Right-hand side, the same for every reason.
    ties : {"breslow", "efron"}, default "breslow"
        Ties of the Cox fits. The baseline hazards are Breslow's either way (as
        :class:`~churnsurv.CoxModel` predicts); with ``"breslow"`` the predicted incidences equal
        ``riskRegression``'s, with ``"efron"`` only the coefficients do (R then uses Efron's
        baseline hazard on tied times).
    conf_level : float, default 0.95

    Attributes
    ----------
    models_ : dict
        Reason → fitted :class:`~churnsurv.CoxModel`.
    summary : pandas.DataFrame
        The models' summaries stacked, indexed by ``(reason, term)``.

    Examples
    --------
    >>> import churnsurv as cs
    >>> base = cs.simulate_customers(2000, rng=1)
    >>> data = cs.prepare(base.customers, duration="tenure", event="churned", reason="reason")
    >>> csc = CauseSpecificCox("senior").fit(data)
    >>> csc.summary["hr"].round(2).tolist()
    [1.58, 1.62, 1.47, 1.13]
    """

    def __init__(self, formula: str, *, ties: str = "breslow", conf_level: float = 0.95) -> None:
        check_choice("ties", ties, ("efron", "breslow"))
        self.formula = formula
        self.ties = ties
        self.conf_level = check_conf_level(conf_level)

    def fit(self, data: ChurnData) -> CauseSpecificCox:
        """Fit a Cox model of each reason (others censored).

        Examples
        --------
        >>> import churnsurv as cs
        >>> base = cs.simulate_customers(1000, rng=1)
        >>> data = cs.prepare(base.customers, duration="tenure", event="churned",
        ...                   reason="reason")
        >>> list(CauseSpecificCox("senior").fit(data).models_)
        ['price', 'service', 'competitor', 'payment_failure']
        """
        data.require_reasons(purpose="CauseSpecificCox")
        self.models_ = {
            r: CoxModel(self.formula, ties=self.ties, conf_level=self.conf_level).fit(
                data.for_reason(r)
            )
            for r in data.reasons or []
        }
        self.reasons_ = list(self.models_)
        self.time_unit_ = data.time_unit
        self.params_ = pd.concat({r: m.params_ for r, m in self.models_.items()}, names=["reason"])
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Per reason and term: ``log_hr, std_err, hr, hr_lower, hr_upper, z, p_value``."""
        check_is_fitted(self)
        out = pd.concat({r: m.summary for r, m in self.models_.items()}, names=["reason"])
        out.attrs["conf_level"] = self.conf_level
        out.attrs["hazard"] = "cause-specific"
        return out

    def predict_cumulative_incidence(
        self, data, times: ArrayLike, *, reason: Label = None
    ) -> pd.DataFrame:
        """Each customer's probability of having left for each reason by each tenure (from
        signup), combining every reason's model.

        Parameters
        ----------
        data : ChurnData or pandas.DataFrame
        times : array-like
        reason : label, optional
            One reason (default: all, stacked with a ``reason`` level in the index).

        Returns
        -------
        pandas.DataFrame
            Customers × times (indexed by ``(reason, customer)`` for all reasons). NaN beyond
            the follow-up.

        Examples
        --------
        >>> import churnsurv as cs
        >>> base = cs.simulate_customers(1000, rng=1)
        >>> data = cs.prepare(base.customers, duration="tenure", event="churned",
        ...                   reason="reason")
        >>> csc = CauseSpecificCox("senior").fit(data)
        >>> p = csc.predict_cumulative_incidence(data.frame.head(1), [12], reason="price")
        >>> p.round(3).values.tolist()
        [[0.123]]
        """
        check_is_fitted(self)
        frame = data.frame if hasattr(data, "frame") else data
        t = np.atleast_1d(np.asarray(times, dtype=float))
        grid = np.unique(np.concatenate([m.baseline_[None][0] for m in self.models_.values()]))
        last = min(max(m.max_time_.values()) for m in self.models_.values())
        hazards = {}
        for r, m in self.models_.items():
            x = m.design_matrix(frame).to_numpy()
            risk = np.exp((x - m.center_) @ m.params_.to_numpy())
            jumps, cum = m.baseline_[None]
            at = np.r_[0.0, cum][np.searchsorted(jumps, grid, side="right")]
            hazards[r] = np.outer(risk, np.diff(at, prepend=0.0))  # customers × grid
        total = sum(hazards.values())
        s = np.cumprod(1.0 - total, axis=1)  # product limit over all reasons' hazards
        s_before = np.hstack([np.ones((s.shape[0], 1)), s[:, :-1]])  # S(u-)
        idx = np.searchsorted(grid, t, side="right") - 1
        frames = {}
        for r in self.reasons_ if reason is None else [reason]:
            if r not in self.models_:
                raise ValueError(
                    f"reason={r!r} is not a fitted reason; use one of {self.reasons_}."
                )
            f = np.cumsum(s_before * hazards[r], axis=1)
            vals = np.where(idx[None, :] >= 0, f[:, np.maximum(idx, 0)], 0.0)
            vals[:, t > last + 1e-9] = np.nan
            frames[r] = pd.DataFrame(vals, index=frame.index, columns=pd.Index(t, name="tenure"))
        if reason is not None:
            return frames[reason]
        return pd.concat(frames, names=["reason"])

    def __repr__(self) -> str:
        state = "fitted" if hasattr(self, "models_") else "not fitted"
        return f"CauseSpecificCox({self.formula!r}) [{state}]"

    def __str__(self) -> str:
        if not hasattr(self, "models_"):
            return repr(self)
        return text_block(
            f"Cause-specific Cox models: {self.formula} (cause-specific hazard ratios)",
            [("", self.summary)],
        )

    def _repr_html_(self) -> str:
        from churnsurv._render import html_block

        if not hasattr(self, "models_"):
            return f"<pre>{self!r}</pre>"
        return html_block(
            f"Cause-specific Cox models: {self.formula} (cause-specific hazard ratios)",
            [("", self.summary)],
        )
