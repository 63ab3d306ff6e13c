"""Gains and lift at a horizon: how many of the churners within ``t`` a call list catches.

Customers are ranked by score (highest first; equal scores keep their input order). For the
top ``k`` the IPCW estimates are

* ``churn_rate`` (precision): ``(1/k) Σ_top w_i 1{churned by t}``,
* ``captured`` (recall): ``Σ_top w_i 1{churned by t} / Σ_all w_i 1{churned by t}``,
* ``lift``: ``churn_rate`` divided by the overall rate ``(1/n) Σ_all w_i 1{churned by t}``,

with the weights of :mod:`churnsurv.metrics.ipcw` (a churn by ``t`` weighs ``1 / G(time-)``, a
customer censored before ``t`` 0), so customers whose fate at ``t`` is unknown are neither
counted as churners nor as stayers. Without censoring before ``t`` these are plain
proportions; the overall rate equals ``1 - KM(t)`` on untied data.

The weights use one marginal censoring distribution. When censoring depends on the score
(snapshot data where high-charge customers joined recently, as in Telco), the IPCW precision of a
top group is biased; ``churn_rate_km`` (``1 - KM(t)`` within the top group, which lets
censoring differ between groups) is given beside it as the check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._render import Result
from churnsurv._typing import ArrayLike, Axes
from churnsurv._validation import as_float_array
from churnsurv.exceptions import DataValidationError
from churnsurv.metrics.ipcw import (
    CensoringSurvival,
    TimeIndex,
    censoring_survival,
    check_horizons,
    check_survival_outcome,
    ipcw_table,
    stable_argsort,
)

__all__ = ["Gains", "gains"]

DEFAULT_FRACTIONS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


class Gains(Result):
    """Gains / lift table at one horizon.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per list size: ``fraction``, ``n_contacted``, ``churn_rate``, ``captured``,
        ``lift``, and ``churn_rate_km`` (1 - KM(t) of the contacted customers).
    curve : pandas.DataFrame
        ``fraction`` and ``captured`` over all list sizes (at most 1,001 points), for the chart.
    top_decile_lift : float
        Lift of the top 10%.
    time : float
    censoring_source : str
    """

    _title = "Gains and lift (IPCW)"

    def __init__(self, summary, curve, top_decile_lift, time, censoring_source) -> None:
        self.summary = summary
        self.curve = curve
        self.top_decile_lift = top_decile_lift
        self.time = time
        self.censoring_source = censoring_source

    def _note(self) -> str:
        return (
            f"churn within {self.time:g}; top-decile lift {self.top_decile_lift:.3g}; censoring "
            f"distribution: reverse Kaplan–Meier of the {self.censoring_source}."
        )

    def plot(self, *, ax: Axes | None = None) -> Axes:
        """Gains chart (see :func:`churnsurv.plotting.plot_gains`)."""
        from churnsurv.plotting.metrics import plot_gains

        return plot_gains(self, ax=ax)


def _top_km(index: TimeIndex, key_ranked: np.ndarray, sizes: list[int], t: float) -> dict:
    """Kaplan–Meier ``S(t)`` of the top ``k`` customers for each ``k`` in ``sizes`` (sorted),
    from counts per (distinct time, churned) pair accumulated along the ranking: one pass in
    all, the same numbers as :func:`~churnsurv.metrics.ipcw.kaplan_meier_at` on each top group
    (times missing from a group contribute a factor of exactly 1)."""
    counts = np.zeros(index.key_count.size, dtype=np.int64)
    out, done = {}, 0
    upto = int(np.searchsorted(index.ut, t, side="right"))
    for k in sizes:
        counts += np.bincount(key_ranked[done:k], minlength=counts.size)
        done = k
        per = counts.reshape(-1, 2)
        n_at, d = per.sum(axis=1), per[:, 1].astype(float)
        at_risk = k - np.concatenate(([0], np.cumsum(n_at)[:-1]))
        seen = n_at > 0
        factor = np.ones(n_at.size)
        factor[seen] = 1.0 - d[seen] / at_risk[seen]
        out[k] = float(np.concatenate(([1.0], np.cumprod(factor)))[upto])
    return out


def gains(
    time: ArrayLike,
    event: ArrayLike,
    score: ArrayLike,
    t: float,
    *,
    fractions: ArrayLike = DEFAULT_FRACTIONS,
    censoring: CensoringSurvival | None = None,
) -> Gains:
    """Share of churners within ``t`` caught in the top ``x`` of scores, precision and lift.

    Parameters
    ----------
    time, event : array-like
        Observed tenure and churn indicator of the evaluation customers.
    score : array-like
        One score per customer, higher = call first (e.g. predicted P(churn within t)).
    t : float
        The horizon, before the largest observed time.
    fractions : array-like
        List sizes as shares of the customers, in (0, 1].
    censoring : CensoringSurvival, optional
        Censoring distribution (default: estimated from these customers).

    Returns
    -------
    Gains

    Examples
    --------
    No censoring before t = 2: the top half holds both churners.

    >>> g = gains([1, 1.5, 3, 4], [1, 1, 0, 1], [0.9, 0.8, 0.1, 0.2], 2, fractions=[0.5, 1])
    >>> g.summary[["captured", "lift"]].values.tolist()
    [[1.0, 2.0], [1.0, 1.0]]
    """
    tv, ev = check_survival_outcome(time, event)
    h = float(check_horizons([t], tv)[0])
    s = as_float_array(score, "score")
    if s.size != tv.size:
        raise DataValidationError(
            f"score has {s.size} values for {tv.size} customers.", column="score", rule="shape"
        )
    f = np.atleast_1d(as_float_array(fractions, "fractions"))
    if ((f <= 0) | (f > 1)).any():
        raise DataValidationError(
            f"fractions={f.tolist()} must be in (0, 1].", column="fractions", rule="range"
        )
    g = censoring if censoring is not None else censoring_survival(tv, ev)
    index = TimeIndex(tv, ev)
    table = ipcw_table(index, h, g)
    order = stable_argsort(-s)  # highest first, equal scores in input order
    key = index.key[order]
    caught = np.cumsum(np.where(table.case, table.w, 0.0)[key])
    total = caught[-1]
    n = tv.size
    if total <= 0:
        raise DataValidationError(
            f"no churn up to t = {h:g} in the evaluation data: gains are not defined.",
            column="times",
            rule="no events before t",
        )
    overall = total / n

    def size(frac: float) -> int:
        return max(1, int(np.ceil(frac * n - 1e-9)))

    km = _top_km(index, key, sorted({size(float(x)) for x in f} | {size(0.1)}), h)

    def row(frac: float) -> dict:
        k = size(frac)
        rate = caught[k - 1] / k
        return {
            "fraction": frac,
            "n_contacted": k,
            "churn_rate": rate,
            "captured": caught[k - 1] / total,
            "lift": rate / overall,
            "churn_rate_km": 1.0 - km[k],
        }

    summary = pd.DataFrame([row(float(x)) for x in f])
    pos = np.unique(np.linspace(1, n, min(n, 1000)).round().astype(int))
    curve = pd.DataFrame(
        {
            "fraction": np.concatenate(([0.0], pos / n)),
            "captured": np.concatenate(([0.0], caught[pos - 1] / total)),
        }
    )
    top = float(row(0.1)["lift"])
    return Gains(summary, curve, top, h, g.source)
