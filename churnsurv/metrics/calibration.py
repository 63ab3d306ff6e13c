"""Calibration at a horizon: predicted against observed P(churn <= t) by risk group, and the
integrated calibration index (ICI, E50, E90; Austin, Harrell & van Klaveren 2020).

* By group: customers are cut into ``n_groups`` equal-sized groups by predicted probability
  (ties broken by position); in each, the mean prediction is set against ``1 - KM(t)`` of the
  group (the Kaplan–Meier estimate handles censoring within the group).
* Smoothed: Austin et al.'s calibration Cox model — the outcome regressed (Efron ties) on a
  restricted cubic spline with 3 knots (Hmisc ``rcspline.eval`` defaults) of
  ``cll = log(-log(1 - p))``; ``observed_i = 1 - S_cal(t | cll_i)``. ICI is the mean of
  ``|p_i - observed_i|``, E50 its median, E90 its 90th percentile, Emax its maximum. Checked
  against R (tests/reference/riskregression_ibs_calibration.R). The Cox model is fitted by
  :mod:`churnsurv.metrics._efron` (the same Efron estimator as :class:`~churnsurv.CoxModel`,
  reduced to its arithmetic).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnsurv._render import Result
from churnsurv._typing import ArrayLike, Axes
from churnsurv.exceptions import DataValidationError
from churnsurv.metrics._efron import efron_baseline_hazard as efron_cumulative_hazard
from churnsurv.metrics._efron import efron_fit
from churnsurv.metrics.ipcw import (
    TimeIndex,
    check_horizons,
    check_survival_outcome,
    stable_argsort,
)

__all__ = ["Calibration", "calibration", "efron_cumulative_hazard", "rcs_basis"]


def rcs_basis(x: ArrayLike, n_knots: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Restricted cubic spline basis as Hmisc's ``rcspline.eval(x, nk, inclx = TRUE)``.

    Knots at the quantiles (type 7) 0.10/0.50/0.90 for 3 knots, 0.05/0.35/0.65/0.95 for 4,
    0.05/0.275/0.5/0.725/0.95 for 5; with fewer than 100 values the outer knots are the 5th
    smallest and 5th largest. Terms are scaled by ``(last knot - first knot)^(2/3)``
    (``norm = 2``).

    Returns
    -------
    (basis, knots) : the ``n × (n_knots - 1)`` basis (``x`` first) and the knots.

    Examples
    --------
    >>> b, k = rcs_basis(np.arange(200.0))
    >>> b.shape, k.round(1).tolist()
    ((200, 2), [19.9, 99.5, 179.1])
    """
    xv = np.asarray(x, dtype=float)
    probs = {3: [0.1, 0.5, 0.9], 4: [0.05, 0.35, 0.65, 0.95], 5: [0.05, 0.275, 0.5, 0.725, 0.95]}
    if n_knots not in probs:
        raise DataValidationError(
            f"n_knots={n_knots!r} must be 3, 4 or 5.", column="n_knots", rule="choice"
        )
    knots = np.quantile(xv, probs[n_knots])
    if xv.size < 100:
        s = np.sort(xv)
        knots[0], knots[-1] = s[4], s[-5]
    if np.unique(knots).size < n_knots:
        raise DataValidationError(
            "the predictions take too few distinct values for a spline calibration curve.",
            column="churn_probability",
            rule="too few distinct values",
        )
    kd = (knots[-1] - knots[0]) ** (2 / 3)

    def cube(k: float) -> np.ndarray:  # max((x - k) / kd, 0)^3; u*u*u is ~30x faster than **3
        u = np.maximum((xv - k) / kd, 0)
        return u * u * u

    last, second = cube(knots[-1]), cube(knots[-2])
    cols = [xv]
    for j in range(n_knots - 2):
        cols.append(
            cube(knots[j])
            + ((knots[-2] - knots[j]) * last - (knots[-1] - knots[j]) * second)
            / (knots[-1] - knots[-2])
        )
    return np.column_stack(cols), knots


class Calibration(Result):
    """Calibration of predicted P(churn <= t) at one horizon.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per risk group: ``group``, ``n``, ``events``, ``predicted`` (mean prediction),
        ``observed`` (1 - KM(t) in the group).
    indices : pandas.Series
        ``ICI``, ``E50``, ``E90``, ``Emax`` (Austin et al. 2020); NaN when the predictions
        take too few distinct values for three distinct spline knots (a model with one
        categorical term), or with fewer than 10 customers.
    smoothed : pandas.DataFrame
        ``predicted`` and ``observed`` (the calibration curve) per customer, sorted.
    time : float
        The horizon.
    """

    _title = "Calibration at a horizon"

    def __init__(self, summary, indices, smoothed, time) -> None:
        self.summary = summary
        self.indices = indices
        self.smoothed = smoothed
        self.time = time

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            (f"by risk group, t = {self.time:g}", self.summary),
            ("integrated calibration index", self.indices.to_frame("value")),
        ]

    def _note(self) -> str:
        return (
            "observed = 1 - Kaplan–Meier in the group; ICI from Austin et al.'s spline Cox model."
        )

    def plot(self, *, ax: Axes | None = None) -> Axes:
        """Calibration plot (see :func:`churnsurv.plotting.plot_calibration`)."""
        from churnsurv.plotting.metrics import plot_calibration

        return plot_calibration(self, ax=ax)


def _smoothed_observed(time, event, p, t) -> np.ndarray:
    """Austin et al.'s calibration Cox model (Efron ties) on the spline of ``cll(p)``, and the
    observed ``1 - S_cal(t | cll_i)`` of each customer."""
    basis, _ = rcs_basis(np.log(-np.log1p(-p)))
    beta = efron_fit(time, event, basis)
    lp = basis @ beta
    lp = lp - lp.mean()
    h0 = efron_cumulative_hazard(time, event, lp, t)
    return 1.0 - np.exp(-h0 * np.exp(lp))


def calibration(
    time: ArrayLike,
    event: ArrayLike,
    churn_probability: ArrayLike,
    t: float,
    *,
    n_groups: int = 10,
) -> Calibration:
    """Predicted against observed P(churn <= t) by risk group, with ICI / E50 / E90.

    Parameters
    ----------
    time, event : array-like
        Observed tenure and churn indicator of the evaluation customers.
    churn_probability : array-like
        Predicted P(churn <= t) of each customer (from signup), strictly between 0 and 1.
    t : float
        The horizon, before the largest observed time.
    n_groups : int, default 10
        Number of equal-sized risk groups (deciles).

    Returns
    -------
    Calibration

    Examples
    --------
    >>> import churnsurv as cs
    >>> c = cs.simulate_customers(2000, rng=1).customers
    >>> cal = calibration(c["tenure"], c["churned"], np.full(len(c), 0.3), 12, n_groups=2)
    >>> cal.summary["predicted"].tolist()
    [0.3, 0.3]
    """
    from churnsurv._validation import check_count

    tv, ev = check_survival_outcome(time, event)
    h = float(check_horizons([t], tv)[0])
    p = np.asarray(churn_probability, dtype=float).ravel()
    if p.size != tv.size or not np.isfinite(p).all() or (p <= 0).any() or (p >= 1).any():
        raise DataValidationError(
            "churn_probability: one finite value strictly between 0 and 1 per customer needed.",
            column="churn_probability",
            rule="not a probability",
        )
    k = check_count(n_groups, name="n_groups", minimum=2)
    order = stable_argsort(p)
    # group g is the g-th block of the sorted predictions; its KM from counts per
    # (distinct time, churned) pair (times absent from a group contribute a factor of 1)
    cut = -(-np.arange(k + 1) * tv.size // k)  # first sorted position with i * k // n >= g
    p_sorted, ev_sorted = p[order], ev[order]
    index = TimeIndex(tv, ev)
    key_sorted = index.key[order]
    upto = int(np.searchsorted(index.ut, h, side="right"))
    rows = []
    for g in range(k):
        lo, hi = int(cut[g]), int(cut[g + 1])
        per = np.bincount(key_sorted[lo:hi], minlength=index.key_count.size).reshape(-1, 2)
        n_at = per.sum(axis=1)
        at_risk = (hi - lo) - np.concatenate(([0], np.cumsum(n_at)[:-1]))
        seen = n_at > 0
        factor = np.ones(n_at.size)
        factor[seen] = 1.0 - per[seen, 1] / at_risk[seen]
        rows.append(
            {
                "group": g + 1,
                "n": hi - lo,
                "events": int(ev_sorted[lo:hi].sum()),
                "predicted": float(p_sorted[lo:hi].mean()),
                "observed": float(1.0 - np.cumprod(np.r_[1.0, factor[:upto]])[-1]),
            }
        )
    summary = pd.DataFrame(rows)
    try:
        obs = _smoothed_observed(tv, ev, p, h) if tv.size >= 10 else None
    except DataValidationError:  # too few distinct predictions for three distinct knots
        obs = None
    if obs is not None:
        err = np.abs(p - obs)
        indices = pd.Series(
            {
                "ICI": float(err.mean()),
                "E50": float(np.median(err)),
                "E90": float(np.quantile(err, 0.9)),
                "Emax": float(err.max()),
            }
        )
        smoothed = pd.DataFrame({"predicted": p_sorted, "observed": obs[order]})
    else:
        indices = pd.Series({"ICI": np.nan, "E50": np.nan, "E90": np.nan, "Emax": np.nan})
        smoothed = pd.DataFrame({"predicted": p_sorted, "observed": np.nan})
    return Calibration(summary, indices, smoothed, h)
