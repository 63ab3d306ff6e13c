"""Value lost by reason: the margin each churn reason will take away over a horizon.

For an active customer of tenure ``tau`` in a segment, the share who will have left *for reason
k* by ``u`` periods from now is ``q_k(u) = (F_k(tau + u) - F_k(tau)) / S(tau)`` (the segment's
Aalen–Johansen cumulative incidence ``F_k`` and retention ``S``, conditional on being active
now). A customer who has left by ``u`` no longer pays the margin due then, so the value lost to
reason ``k`` over the horizon is

.. math::

    \\mathrm{lost}_k = \\sum_u m_u \\, q_k(u) \\, (1 + d)^{-u \\cdot y}

— cumulative incidence × the margin it removes, discounted exactly as CLV is
(:func:`churnsurv.clv`; ``timing="start"`` books a period's margin at its start, ``u = 0, ...,
H - 1``; ``"end"`` at its end, ``u = 1, ..., H``). The expected value kept is the same sum with
the conditional retention ``S(tau + u) / S(tau)``; kept plus the value lost to every reason is
the value of keeping everyone, to rounding.

The incidence curves end at the last observed tenure of each segment: a customer whose
``tenure + horizon`` lies beyond it is not valued (NaN, counted in the summary) rather than
extrapolated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._render import Result, facts_frame
from churnsurv._typing import ArrayLike, Axes
from churnsurv._validation import check_choice
from churnsurv.clv.discount import discount_factors
from churnsurv.data import check_horizon, check_margin_values
from churnsurv.km.counts import group_codes
from churnsurv.reasons.incidence import CumulativeIncidence

__all__ = ["ValueLost", "value_lost_by_reason"]

#: Cells (customers × periods × reasons) evaluated at once, to bound memory.
_CHUNK_CELLS = 4_000_000


class ValueLost(Result):
    """Result of :func:`value_lost_by_reason`.

    Attributes
    ----------
    summary : pandas.DataFrame
        Indexed by ``(segment, reason)``: ``customers`` (active customers valued),
        ``value_lost`` (summed over them), ``per_customer``, ``share_of_value`` (of the value of
        keeping everyone over the horizon).
    segments : pandas.DataFrame
        Per segment: ``customers``, ``not_valued`` (horizon beyond the follow-up),
        ``value_if_all_stay``, ``value_kept``, ``value_lost``.
    customers : pandas.DataFrame
        Per active customer: its ``segment``, ``tenure``, the value lost to each reason and
        ``value_kept`` (NaN when not valued).
    assumptions : dict
        Horizon, time unit, discount rate, timing, margin.

    Examples
    --------
    >>> import churnsurv as cs
    >>> base = cs.simulate_customers(2000, rng=1)
    >>> data = cs.prepare(base.customers, id="customer_id", duration="tenure", event="churned",
    ...                   reason="reason", margin="monthly_margin")
    >>> inc = cs.CumulativeIncidence().fit(data)
    >>> lost = cs.value_lost_by_reason(inc, horizon=6)
    >>> lost.summary.columns.tolist()
    ['customers', 'value_lost', 'per_customer', 'share_of_value']
    """

    _title = "Value lost by churn reason"

    def __init__(
        self,
        summary: pd.DataFrame,
        segments: pd.DataFrame,
        customers: pd.DataFrame,
        assumptions: dict,
    ) -> None:
        self.summary = summary
        self.segments = segments
        self.customers = customers
        self.assumptions = assumptions

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("", self.summary),
            ("Per segment", self.segments),
            ("Assumptions", facts_frame(self.assumptions)),
        ]

    def _note(self) -> str:
        n = int(self.segments["not_valued"].sum())
        if not n:
            return ""
        return (
            f"{n} active customer(s) not valued: tenure + horizon is beyond their segment's "
            "follow-up (the incidence curves are not extrapolated)."
        )

    def plot(self, *, ax: Axes | None = None) -> Axes:
        """Bars of the value lost to each reason (grouped by segment).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import churnsurv as cs
        >>> base = cs.simulate_customers(1000, rng=1)
        >>> data = cs.prepare(base.customers, duration="tenure", event="churned",
        ...                   reason="reason", margin="monthly_margin")
        >>> lost = cs.value_lost_by_reason(cs.CumulativeIncidence().fit(data), horizon=6)
        >>> lost.plot().get_xlabel()
        'Value lost'
        """
        from churnsurv.plotting.reasons import plot_value_lost

        return plot_value_lost(self.summary, ax=ax)


def _margins(margin, data, horizon: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer margin factor and per-period schedule (value = factor * schedule)."""
    if margin is None:
        margin = data.margin
        if margin is None:
            raise ValueError(
                "margin= is needed: a constant, a column of the data, or a per-period schedule "
                "(prepare(..., margin=COLUMN) sets a default)."
            )
    if isinstance(margin, str):
        data.require_columns([margin], purpose="value lost by reason", numeric=True)
        values = data.frame[margin].to_numpy(dtype=float)[rows]
        ids = data.frame.index[rows]
        return check_margin_values(values, margin, False, ids=ids), np.ones(horizon)
    arr = np.atleast_1d(np.asarray(margin, dtype=float))
    if arr.size == 1:
        return np.full(rows.size, check_margin_values(arr, "margin", False)[0]), np.ones(horizon)
    if arr.size != horizon:
        raise ValueError(
            f"margin has {arr.size} values: give a constant, a column name (per customer) or a "
            f"per-period schedule of length horizon={horizon}."
        )
    return np.ones(rows.size), check_margin_values(arr, "margin", False)


def _step(times: np.ndarray, values: np.ndarray, at: np.ndarray, before: float) -> np.ndarray:
    """A right-continuous step curve (``before`` ahead of its first time) at ``at``."""
    i = np.searchsorted(times, at, side="right") - 1
    return np.where(i >= 0, values[np.maximum(i, 0)], before)


def value_lost_by_reason(
    incidence: CumulativeIncidence,
    *,
    horizon: int,
    margin: str | float | ArrayLike | None = None,
    annual_discount_rate: float = 0.0,
    timing: str = "start",
) -> ValueLost:
    """Margin each churn reason will take from the active customers over the next periods.

    Parameters
    ----------
    incidence : CumulativeIncidence
        Fitted (overall or by segment); its data's active (censored) customers are valued
        with the curves of their segment.
    horizon : int
        Periods ahead, in the data's time unit.
    margin : str, float or array-like, optional
        Margin per customer per period: a column of the data (default: ``prepare``'s
        ``margin=``), a constant, or a schedule of ``horizon`` values.
    annual_discount_rate : float, default 0
        Annual rate (0.10 = 10% a year), converted exactly to the time unit.
    timing : {"start", "end"}, default "start"
        A period's margin is booked at its start (to customers still active then) or at its
        end, as in :func:`churnsurv.clv`.

    Returns
    -------
    ValueLost

    Examples
    --------
    >>> import churnsurv as cs
    >>> base = cs.simulate_customers(2000, rng=1)
    >>> data = cs.prepare(base.customers, id="customer_id", duration="tenure", event="churned",
    ...                   reason="reason", margin="monthly_margin")
    >>> inc = cs.CumulativeIncidence().fit(data)
    >>> lost = cs.value_lost_by_reason(inc, horizon=6, annual_discount_rate=0.1)
    >>> lost.summary["value_lost"].round(0).tolist()
    [8603.0, 4521.0, 4722.0, 2368.0]
    """
    incidence._check_fitted()
    horizon = check_horizon(horizon)
    check_choice("timing", timing, ("start", "end"))
    data = incidence.data_
    reasons = incidence.reasons_
    grid = np.arange(horizon, dtype=float) + (0.0 if timing == "start" else 1.0)
    disc = discount_factors(
        grid, annual_discount_rate=annual_discount_rate, time_unit=data.time_unit
    )
    codes, _, labels, _ = group_codes(data.frame, incidence.by_)
    active = np.flatnonzero(~data.events)
    factor, schedule = _margins(margin, data, horizon, active)
    weights = disc * schedule  # per period
    seg_of = np.zeros(data.n, dtype=np.int64) if codes is None else codes
    tenure = data.durations
    lost = np.full((active.size, len(reasons)), np.nan)
    kept = np.full(active.size, np.nan)
    chunk = max(1, _CHUNK_CELLS // max(horizon * (len(reasons) + 1), 1))
    for g, label in enumerate(labels):
        fit = incidence._fits[label]
        t, s, f = fit["time"], fit["survival"], fit["incidence"]
        rows = np.flatnonzero(seg_of[active] == g)
        open_end = s[-1] > 0
        for lo in range(0, rows.size, chunk):
            r = rows[lo : lo + chunk]
            tau = tenure[active[r]]
            at = tau[:, None] + grid[None, :]
            s_now = _step(t, s, tau, 1.0)
            s_at = _step(t, s, at, 1.0) / s_now[:, None]
            ok = ~(open_end & (tau + grid[-1] > t[-1]))
            kept[r] = np.where(ok, (s_at @ weights) * factor[r], np.nan)
            for k in range(len(reasons)):
                f_now = _step(t, f[:, k], tau, 0.0)
                q = (_step(t, f[:, k], at, 0.0) - f_now[:, None]) / s_now[:, None]
                lost[r, k] = np.where(ok, (q @ weights) * factor[r], np.nan)
    seg_labels = np.asarray(labels, dtype=object)[seg_of[active]]
    customers = pd.DataFrame(lost, index=data.frame.index[active], columns=reasons)
    customers.insert(0, "tenure", tenure[active])
    customers.insert(0, "segment", seg_labels)
    customers["value_kept"] = kept
    potential = factor * weights.sum()
    rows_sum, rows_seg = [], []
    for label in labels:
        sel = (seg_labels == label) & np.isfinite(kept)
        n_val = int(sel.sum())
        pot = float(potential[sel].sum())
        for reason in reasons:
            v = float(customers.loc[sel, reason].sum())
            rows_sum.append(
                {
                    "segment": label,
                    "reason": reason,
                    "customers": n_val,
                    "value_lost": v,
                    "per_customer": v / n_val if n_val else np.nan,
                    "share_of_value": v / pot if pot > 0 else np.nan,
                }
            )
        rows_seg.append(
            {
                "segment": label,
                "customers": int((seg_labels == label).sum()),
                "not_valued": int(((seg_labels == label) & ~np.isfinite(kept)).sum()),
                "value_if_all_stay": pot,
                "value_kept": float(kept[sel].sum()),
                "value_lost": float(customers.loc[sel, reasons].to_numpy().sum()),
            }
        )
    summary = pd.DataFrame(rows_sum).set_index(["segment", "reason"])
    segments = pd.DataFrame(rows_seg).set_index("segment")
    assumptions = {
        "horizon": f"{horizon} {data.time_unit}s",
        "annual discount rate": annual_discount_rate,
        "timing": timing,
        "margin": margin if isinstance(margin, str | int | float) else (data.margin or "schedule"),
        "curves": "Aalen–Johansen by " + (", ".join(incidence.by_) or "all customers"),
    }
    return ValueLost(summary, segments, customers, assumptions)
