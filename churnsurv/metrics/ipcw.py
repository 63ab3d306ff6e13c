"""Inverse probability of censoring weights (IPCW) shared by the time-dependent metrics.

The censoring distribution ``G(s) = P(C > s)`` is the reverse Kaplan–Meier estimate **as
prodlim (and so riskRegression::Score) computes it**: at a time ``s`` with ``n_s`` customers
still observed (``time >= s``), ``d_s`` churns and ``c_s`` censorings, ``G`` is multiplied by
``1 - c_s / (n_s - d_s)``. Churns tied with censorings leave the censoring risk set first (the
usual convention that a censored customer was still at risk at the churn time). R's
``survfit(Surv(time, 1 - status) ~ 1)`` uses ``1 - c_s / n_s`` instead; the two agree on untied
data and differ in the 4th decimal of AUC/Brier on whole-month Telco tenures.

Weights at a horizon ``t`` (Graf et al. 1999; Uno et al. 2007; Blanche et al. 2013):

* case (churned at ``time <= t``): ``1 / G(time-)``, the left limit;
* control (``time > t``): ``1 / G(t)``;
* censored at or before ``t``: ``0``.

A churn at exactly ``t`` is a case; a censoring at exactly ``t`` gets weight 0.

**Largest observed time censored.** ``G`` drops to 0 at the last time when only censorings
remain there (an administrative end of follow-up). That is harmless here: cases use the left
limit, which is positive, and a horizon ``t`` before the last time has ``G(t) > 0``. A horizon
with nobody observed beyond it (``t >= `` the last time) has no controls and raises
:class:`~churnsurv.exceptions.DataValidationError` (scikit-survival raises "censoring survival
function is zero" as soon as the last time is censored, whatever the horizon).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnsurv._typing import ArrayLike
from churnsurv._validation import as_float_array
from churnsurv.exceptions import DataValidationError

__all__ = [
    "CensoringSurvival",
    "IpcwTable",
    "TimeIndex",
    "as_risk_matrix",
    "censoring_survival",
    "check_horizons",
    "check_survival_outcome",
    "distinct_times",
    "few_distinct",
    "ipcw_table",
    "ipcw_weights",
    "kaplan_meier_at",
    "stable_argsort",
]


def check_survival_outcome(time: ArrayLike, event: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Check observed times and churn indicators: same length, finite, times >= 0, events 0/1.

    Examples
    --------
    >>> t, e = check_survival_outcome([3, 1], [1, 0])
    >>> t.tolist(), e.tolist()
    ([3.0, 1.0], [True, False])
    >>> check_survival_outcome([1, 2], [1, 2])
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: event: must be 0/1 (or False/True); 1 value(s) ...
    """
    t = as_float_array(time, "time")
    e_raw = as_float_array(event, "event")
    if t.size != e_raw.size:
        raise DataValidationError(
            f"time has {t.size} values but event has {e_raw.size}.",
            column="event",
            rule="length mismatch",
        )
    if t.size == 0:
        raise DataValidationError("no customers to evaluate.", column="time", rule="empty")
    bad = ~np.isin(e_raw, (0.0, 1.0))
    if bad.any():
        raise DataValidationError(
            f"event: must be 0/1 (or False/True); {int(bad.sum())} value(s) are not "
            f"(positions {np.flatnonzero(bad)[:5].tolist()}).",
            column="event",
            rule="not 0/1",
            n_rows=int(bad.sum()),
            examples=np.flatnonzero(bad)[:5].tolist(),
        )
    neg = t < 0
    if neg.any():
        raise DataValidationError(
            f"time: {int(neg.sum())} negative value(s) (positions "
            f"{np.flatnonzero(neg)[:5].tolist()}).",
            column="time",
            rule="negative duration",
            n_rows=int(neg.sum()),
            examples=np.flatnonzero(neg)[:5].tolist(),
        )
    return t, e_raw.astype(bool)


def distinct_times(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values of ``time`` (any numeric array) and each value's index among
    them: exactly ``np.unique(time, return_inverse=True)``, without its sort of all n values
    when the values repeat (see :func:`few_distinct`).

    Examples
    --------
    >>> ut, inv = distinct_times(np.array([3.0, 1, 3, 2]))
    >>> ut.tolist(), inv.tolist()
    ([1.0, 2.0, 3.0], [2, 0, 2, 1])
    """
    found = few_distinct(time)
    if found is not None:
        return found
    ut, inv = np.unique(time, return_inverse=True)
    return ut, inv.ravel()


def few_distinct(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``np.unique(x, return_inverse=True)`` when ``x`` (1-D, numeric) repeats its values,
    found without a comparison sort of all n values; None when they are mostly distinct (then
    ``np.unique``'s argsort is the quicker way).

    * Whole numbers in a range no longer than n (tenure in months or days): the codes are the
      cumulative count of the values present in a ``bincount`` over the range -- two O(n) passes.
    * Otherwise, when a strided sample of 65,536 values shows at most about n / 8 distinct
      values in the whole column, the distinct values are sorted (``np.unique`` without the
      inverse: no argsort) and each value is looked up in them by hashing
      (``pandas.Index.get_indexer``): about 4x faster than ``np.unique`` with the inverse for
      10^5 distinct values among 10^7, still faster at 10^6, slower from about n / 4.

    Values as ``np.unique`` orders them; ``-0.0`` and NaN take the general path (``np.unique``
    keeps the first zero of its sort, and merges NaNs).

    Examples
    --------
    >>> ut, inv = few_distinct(np.tile([3.0, 1.0, 2.0], 5_000))
    >>> ut.tolist(), inv[:4].tolist()
    ([1.0, 2.0, 3.0], [2, 0, 1, 2])
    >>> few_distinct(np.arange(20_000) / 3) is None
    True
    """
    n = x.size
    if n < 10_000 or x.ndim != 1:
        return None
    if x.dtype.kind in "iu":
        lo, hi = int(x.min()), int(x.max())
        if hi - lo <= n and -(2**62) < lo and hi < 2**62:  # the codes' arithmetic in int64
            return _whole_numbers(x, lo, hi, x.dtype)
    elif x.dtype.kind == "f":
        flo, fhi = float(x.min()), float(x.max())  # with a NaN both are NaN: no whole numbers
        if fhi - flo <= n and -(2**31) < flo and fhi < 2**31:
            xi = x.astype(np.int32)
            if (xi == x).all() and not (flo == 0 and np.signbit(x).any()):
                return _whole_numbers(xi, int(flo), int(fhi), x.dtype)
    if x.dtype not in (np.float64, np.int64):  # the hash tables pandas has
        return None
    sample = x[:: max(1, n // 65_536)]
    if _estimated_distinct(np.unique(sample).size, sample.size) > n / 8:
        return None
    ut = np.unique(x)
    if ut.size and (np.isnan(ut[-1]) or ((ut == 0).any() and np.signbit(x[x == 0]).any())):
        return None
    return ut, _positions(ut, x)


#: From this many values :func:`_positions` looks them up in two halves on two threads.
_THREADED_FROM = 1_000_000


def _positions(ut: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``pd.Index(ut).get_indexer(x)`` as intp: each value's position among the distinct
    values ``ut``.

    From :data:`_THREADED_FROM` values the two halves of ``x`` are looked up on two threads,
    each in its own index (its own hash table of ``ut``): pandas' hash lookup lets go of the
    interpreter, and with a table larger than the cache each lookup waits on memory (at
    10,000,000 linear predictors of 730,000 distinct values: 1.3 s on one thread, 0.5 s on
    two). The same positions.
    """
    if x.size < _THREADED_FROM:
        return pd.Index(ut).get_indexer(x).astype(np.intp, copy=False)
    from concurrent.futures import ThreadPoolExecutor

    half = x.size // 2
    out = np.empty(x.size, dtype=np.intp)
    index = pd.Index(ut)
    index.get_indexer(ut[:1])  # its hash table built here, before the threads share it

    def look_up(rows: slice) -> None:
        out[rows] = index.get_indexer(x[rows])

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(look_up, (slice(0, half), slice(half, x.size))))
    return out


def _estimated_distinct(seen: int, drawn: int) -> float:
    """How many distinct values a column holds when ``drawn`` values of it show ``seen``
    distinct ones: the ``D`` with ``D (1 - exp(-drawn / D)) = seen`` (the expected number seen
    when drawing from ``D`` equally common values), by bisection; infinite when all differ."""
    if seen >= drawn:
        return float("inf")
    lo, hi = float(seen), float(drawn) * drawn
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mid * -np.expm1(-drawn / mid) < seen else (lo, mid)
    return hi


def _whole_numbers(xi: np.ndarray, lo: int, hi: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (as ``dtype``) and codes of the integers ``xi`` within ``[lo, hi]``,
    by counting."""
    shifted = (xi - lo if lo else xi).astype(np.intp, copy=False)
    present = np.bincount(shifted, minlength=hi - lo + 1) > 0
    code = np.cumsum(present, dtype=np.intp) - 1
    return (np.flatnonzero(present) + lo).astype(dtype), code[shifted]


def stable_argsort(x: np.ndarray) -> np.ndarray:
    """``np.argsort(x, kind="stable")`` (equal values in input order), by the faster unstable
    sort followed by a sort of the tied values only by position.

    Examples
    --------
    >>> stable_argsort(np.array([0.2, 0.1, 0.2, 0.0])).tolist()
    [3, 1, 0, 2]
    """
    order = np.argsort(x)
    ranked = x[order]
    tie = ranked[1:] == ranked[:-1]
    if tie.any():  # put each run of equal values in input order (a sort of the tied only)
        in_run = np.zeros(x.size, bool)
        in_run[1:] |= tie
        in_run[:-1] |= tie
        pos = np.flatnonzero(in_run)
        run = np.cumsum(np.r_[True, ~tie])[pos]
        tied = order[pos]
        order[pos] = tied[np.lexsort((tied, run))]
    return order


class TimeIndex:
    """The evaluation customers' distinct times and counts at them, computed once per call and
    shared by every horizon (private).

    Attributes: ``time``, ``event``, ``n``; ``ut`` (sorted distinct times) and ``inv`` (each
    customer's index in ``ut``); per distinct time ``count``, ``deaths``, ``censored`` and
    ``at_risk`` (customers with ``time >= ut``); ``key = 2 × inv + event``, each customer's
    (distinct time, churned) pair, and ``key_count``, the customers of each pair.

    Examples
    --------
    >>> ix = TimeIndex(np.array([1.0, 2, 2, 3]), np.array([True, False, True, False]))
    >>> ix.ut.tolist(), ix.at_risk.tolist(), ix.deaths.tolist()
    ([1.0, 2.0, 3.0], [4, 3, 1], [1.0, 1.0, 0.0])
    """

    def __init__(self, time: np.ndarray, event: np.ndarray) -> None:
        self.time, self.event, self.n = time, event, int(time.size)
        self.ut, self.inv = distinct_times(time)
        k = self.ut.size
        self.count = np.bincount(self.inv, minlength=k)
        self.deaths = np.bincount(self.inv, weights=event, minlength=k)
        self.censored = self.count - self.deaths
        self.at_risk = self.n - np.concatenate(([0], np.cumsum(self.count)[:-1]))
        self.key = 2 * self.inv + event  # (time index, churned) of each customer
        self.key_count = np.bincount(self.key, minlength=2 * k)


@dataclass(frozen=True)
class CensoringSurvival:
    """The reverse Kaplan–Meier step function ``G`` of the censoring times.

    Attributes
    ----------
    times : numpy.ndarray
        The distinct observed times (sorted).
    surv : numpy.ndarray
        ``G`` just after each of them (right-continuous values).
    source : str
        Which data it was estimated from (``"test data"`` or ``"training data"``).
    n : int
        How many customers it was estimated from.

    Examples
    --------
    >>> g = censoring_survival([1, 2, 2, 3], [1, 0, 1, 0])
    >>> g.at([0.5, 2, 3]).tolist()
    [1.0, 0.5, 0.0]
    >>> g.left([2, 3]).tolist()
    [1.0, 0.5]
    """

    times: np.ndarray
    surv: np.ndarray
    source: str
    n: int

    def at(self, s: ArrayLike) -> np.ndarray:
        """``G(s)``, right-continuous."""
        idx = np.searchsorted(self.times, np.asarray(s, dtype=float), side="right")
        return np.concatenate(([1.0], self.surv))[idx]

    def left(self, s: ArrayLike) -> np.ndarray:
        """``G(s-)``, the left limit."""
        idx = np.searchsorted(self.times, np.asarray(s, dtype=float), side="left")
        return np.concatenate(([1.0], self.surv))[idx]


def censoring_survival(
    time: ArrayLike, event: ArrayLike, *, source: str = "test data"
) -> CensoringSurvival:
    """Reverse Kaplan–Meier estimate of the censoring distribution (prodlim's convention).

    O(n log n): one sort and counts at the distinct times.

    Parameters
    ----------
    time, event : array-like
        Observed times and churn indicators (1 = churned, 0 = censored).
    source : str
        A label saying which data ``G`` came from; results report it.

    Returns
    -------
    CensoringSurvival

    Examples
    --------
    With a churn tied with a censoring at 2, the churn leaves first: ``G(2) = 1 - 1/(3 - 1)``.

    >>> censoring_survival([1, 2, 2, 3], [1, 0, 1, 0]).surv.tolist()
    [1.0, 0.5, 0.0]
    """
    t, e = check_survival_outcome(time, event)
    ut, inv = distinct_times(t)
    d = np.bincount(inv, weights=e, minlength=ut.size)
    c = np.bincount(inv, weights=~e, minlength=ut.size)
    at_risk = t.size - np.concatenate(([0], np.cumsum(d + c)[:-1]))
    denom = at_risk - d
    factor = np.ones_like(ut)
    ok = denom > 0
    factor[ok] = 1.0 - c[ok] / denom[ok]
    return CensoringSurvival(times=ut, surv=np.cumprod(factor), source=source, n=int(t.size))


@dataclass(frozen=True)
class IpcwTable:
    """IPCW weights at a horizon ``t`` per (distinct time, churned) pair: a customer's weight,
    case and control flags are ``w[key]``, ``case[key]``, ``ctrl[key]`` with ``key = 2 ×
    (index of the customer's time) + churned`` (:attr:`TimeIndex.key`)."""

    t: float
    w: np.ndarray
    case: np.ndarray
    ctrl: np.ndarray
    control_weight: float
    n_cases: int
    n_controls: int


def ipcw_table(index: TimeIndex, t: float, censoring: CensoringSurvival) -> IpcwTable:
    """The IPCW weights at ``t`` once per distinct time (see :func:`ipcw_weights`).

    Examples
    --------
    >>> ix = TimeIndex(np.array([1.0, 2, 2, 3]), np.array([True, False, True, False]))
    >>> tab = ipcw_table(ix, 2.0, censoring_survival(ix.time, ix.event))
    >>> tab.w.tolist(), tab.n_cases, tab.n_controls
    ([0.0, 1.0, 0.0, 1.0, 2.0, 2.0], 2, 1)
    """
    ut = index.ut
    before = ut <= t
    case = np.zeros((ut.size, 2), bool)
    case[:, 1] = before
    ctrl = np.repeat(~before, 2).reshape(-1, 2)
    n_ctrl = int(index.count[~before].sum())
    g_t = float(censoring.at(t))
    if n_ctrl and g_t <= 0:
        raise DataValidationError(
            f"horizon {t:g}: the censoring distribution (estimated from the "
            f"{censoring.source}) is 0 there, so customers still active after {t:g} cannot be "
            "weighted; choose a horizon before the end of follow-up of that data.",
            column="times",
            rule="censoring survival zero",
        )
    g_case = censoring.left(ut)
    dead = before & (index.deaths > 0)
    if (g_case[dead] <= 0).any():
        n_bad = int(index.deaths[dead & (g_case <= 0)].sum())
        raise DataValidationError(
            f"horizon {t:g}: {n_bad} churn(s) fall after the end of follow-up "
            f"of the censoring distribution (estimated from the {censoring.source}).",
            column="times",
            rule="censoring survival zero",
        )
    w = np.zeros((ut.size, 2))
    w[dead, 1] = 1.0 / g_case[dead]
    g_weight = 1.0 / g_t if n_ctrl else 0.0
    w[~before] = g_weight
    n_cases = int(index.deaths[before].sum())
    return IpcwTable(t, w.ravel(), case.ravel(), ctrl.ravel(), g_weight, n_cases, n_ctrl)


def ipcw_weights(
    time: np.ndarray,
    event: np.ndarray,
    t: float,
    censoring: CensoringSurvival,
    index: TimeIndex | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IPCW weights at horizon ``t``: (weights, case mask, control mask); ``index``: the
    :class:`TimeIndex` of these customers when already built.

    Raises :class:`~churnsurv.exceptions.DataValidationError` when there are controls but
    ``G(t) = 0`` (the censoring model, e.g. from other data, says nobody is observed past ``t``)
    or a case has ``G(time-) = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> time, event = np.array([1.0, 2, 2, 3]), np.array([True, False, True, False])
    >>> w, case, ctrl = ipcw_weights(time, event, 2.0, censoring_survival(time, event))
    >>> w.tolist(), case.tolist(), ctrl.tolist()
    ([1.0, 0.0, 1.0, 2.0], [True, False, True, False], [False, False, False, True])
    """
    ix = index if index is not None else TimeIndex(time, event)
    tab = ipcw_table(ix, t, censoring)
    key = ix.key
    return tab.w[key], tab.case[key], tab.ctrl[key]


def check_horizons(times: ArrayLike, time: np.ndarray) -> np.ndarray:
    """Evaluation horizons: finite, > 0, increasing, and before the last observed time.

    A horizon at or beyond the largest observed time has nobody still observed after it (no
    controls), so AUC and IPCW Brier are not identified there: refused, naming the last time.

    Examples
    --------
    >>> check_horizons([2, 5], np.array([1.0, 4, 9])).tolist()
    [2.0, 5.0]
    >>> check_horizons([9], np.array([1.0, 4, 9]))
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: times: horizon(s) [9.0] are at or beyond the end ...
    """
    h = np.atleast_1d(as_float_array(times, "times"))
    if h.size == 0 or (h <= 0).any() or (np.diff(h) <= 0).any():
        raise DataValidationError(
            f"times={h.tolist()} must be positive and strictly increasing.",
            column="times",
            rule="bad horizons",
        )
    last = float(time.max())
    beyond = h[h >= last]
    if beyond.size:
        raise DataValidationError(
            f"times: horizon(s) {beyond.tolist()} are at or beyond the end of follow-up of the "
            f"evaluation data (largest observed time {last:g}): nobody is observed after them, "
            "so AUC and the IPCW Brier score are not identified. Use earlier horizons.",
            column="times",
            rule="horizon beyond follow-up",
            n_rows=int(beyond.size),
            examples=beyond[:5].tolist(),
        )
    return h


def kaplan_meier_at(time: np.ndarray, event: np.ndarray, times: ArrayLike) -> np.ndarray:
    """Kaplan–Meier survival ``S(t)`` (right-continuous) of the data at ``times``.

    Examples
    --------
    >>> kaplan_meier_at(np.array([1.0, 2, 2, 3]), np.array([True, False, True, False]), [2])
    array([0.5])
    """
    ut, inv = distinct_times(time)
    d = np.bincount(inv, weights=event, minlength=ut.size)
    n = np.bincount(inv, minlength=ut.size)
    at_risk = time.size - np.concatenate(([0], np.cumsum(n)[:-1]))
    s = np.cumprod(1.0 - d / at_risk)
    idx = np.searchsorted(ut, np.asarray(times, dtype=float), side="right")
    return np.concatenate(([1.0], s))[idx]


def as_risk_matrix(risk: ArrayLike, n: int, k: int, name: str = "risk") -> np.ndarray:
    """Scores as an ``n × k`` matrix: one column per horizon, or one column used for all.

    Examples
    --------
    >>> as_risk_matrix([0.1, 0.2], 2, 3).shape
    (2, 3)
    """
    arr = np.asarray(risk, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] not in (1, k):
        raise DataValidationError(
            f"{name}: expected {n} rows and 1 or {k} column(s) (one per horizon), got shape "
            f"{np.shape(risk)}.",
            column=name,
            rule="shape",
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise DataValidationError(
            f"{name}: {rows.size} row(s) have missing or non-finite predictions (positions "
            f"{rows[:5].tolist()}); predictions past the support of a model are NaN — use "
            "horizons within its follow-up.",
            column=name,
            rule="non-finite",
            n_rows=int(rows.size),
            examples=rows[:5].tolist(),
        )
    return np.broadcast_to(arr, (n, k))
