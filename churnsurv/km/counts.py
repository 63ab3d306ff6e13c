"""Counting and product-limit arithmetic behind :mod:`churnsurv.km` (numpy only, no row loops).

Everything the Kaplan–Meier estimator, its confidence bands, quantiles, restricted mean and the
weighted log-rank tests need is a function of one small table per group: the (weighted) number
of events and censorings at each distinct exit time, plus the (weighted) number of entries at
each distinct entry time when there is left truncation. :func:`count_tables` builds those
tables in a few linear passes (integer coding of whole-number times or hash factorisation of
others, then ``np.bincount``; never a sort of the rows), so a fit on ten
million customers costs little more than counting them; the functions below then work on a few
hundred or thousand distinct times.

Conventions follow R ``survival``: risk sets are counting-process intervals ``(entry, exit]``
(a customer who enters at ``t`` is not at risk for an event at ``t``); Greenwood's variance
uses the weighted counts; quantiles use R's rule for flat stretches exactly at the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnsurv._categories import factorize_sorted
from churnsurv._typing import ArrayLike

__all__ = [
    "CountTable",
    "combine_weights",
    "confidence_band",
    "count_tables",
    "frequency_totals",
    "group_codes",
    "product_limit",
    "quantile_time",
    "restricted_mean",
    "weighted_logrank",
]

#: R's tolerance for "the curve is exactly at the quantile" (``sqrt(.Machine$double.eps)``).
_TOL = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class CountTable:
    """Weighted events and censorings per distinct exit time of one group.

    Attributes
    ----------
    times : numpy.ndarray
        Sorted distinct exit times with at least one (positively weighted) row.
    events, censored : numpy.ndarray
        Weighted number of events and of censorings at each of ``times``.
    entry_times, entry_weights : numpy.ndarray
        Sorted distinct entry times and the weight entering at each (empty without left
        truncation).
    n_rows : int
        Number of rows (customers) in the group, unweighted.
    """

    times: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    entry_times: np.ndarray
    entry_weights: np.ndarray
    n_rows: int

    def at_risk(self, t: ArrayLike) -> np.ndarray:
        """Weighted number at risk at each ``t``: rows with ``entry < t <= exit``.

        Examples
        --------
        >>> ct = count_tables(np.array([1.0, 2.0, 2.0, 5.0]), np.array([1, 0, 1, 1], bool))[0]
        >>> ct.at_risk([0, 1, 2, 3, 6]).tolist()
        [4.0, 4.0, 3.0, 1.0, 0.0]
        """
        t = np.asarray(t, dtype=float)
        removed = self.events + self.censored
        suffix = np.append(np.cumsum(removed[::-1])[::-1], 0.0)
        n = suffix[np.searchsorted(self.times, t, side="left")]
        if self.entry_times.size:
            later = np.append(np.cumsum(self.entry_weights[::-1])[::-1], 0.0)
            n = n - later[np.searchsorted(self.entry_times, t, side="left")]
        return n

    @property
    def last_time(self) -> float:
        """Largest observed exit time (end of follow-up), NaN for an empty table."""
        return float(self.times[-1]) if self.times.size else np.nan


def _factorize_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of ``values`` into a sorted grid of times that contains every value.

    Whole-number times in a range not much larger than the data (monthly or daily tenure) are
    coded by subtraction — the grid is every integer from min to max, and unused grid points
    simply get no counts. Other values are factorised by hashing (linear time, unlike the sort
    inside ``np.unique``). The returned codes are a fresh int64 array the caller may modify.
    """
    if values.size:
        lo, hi = float(values.min()), float(values.max())
        if hi - lo <= max(4 * values.size, 1 << 16) and lo == np.floor(lo):
            codes = values.astype(np.int64)
            if np.array_equal(codes, values):
                codes -= int(lo)
                return codes, np.arange(int(lo), int(hi) + 1, dtype=float)
            del codes
    codes, uniques = pd.factorize(values, sort=False)
    uniques = np.asarray(uniques, dtype=float)
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    codes = codes.astype(np.int64, copy=False)
    rank.take(codes, out=codes, mode="clip")  # in place: codes now index the sorted values
    return codes, uniques[order]


def _bin_counts(key: np.ndarray, n_bins: int, weights, n_rows: int):
    """Distinct keys (sorted) with their summed weights; dense bincount when it is small."""
    if n_bins <= max(4 * n_rows, 1 << 20):
        dense = np.bincount(key, weights=weights, minlength=n_bins)
        keys = np.flatnonzero(dense)  # zero-weight rows carry no information
        return keys, dense[keys].astype(float)
    keys, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse, weights=weights).astype(float)
    return keys[sums > 0], sums[sums > 0]


def count_tables(
    durations: np.ndarray,
    events: np.ndarray,
    codes: np.ndarray | None = None,
    n_groups: int = 1,
    weights: np.ndarray | None = None,
    entries: np.ndarray | None = None,
) -> list[CountTable]:
    """One :class:`CountTable` per group code ``0 .. n_groups - 1``.

    Parameters
    ----------
    durations : numpy.ndarray of float
        Exit times.
    events : numpy.ndarray of bool
        Churn indicators.
    codes : numpy.ndarray of int, optional
        Group code of every row (all rows in group 0 when omitted). Not modified.
    n_groups : int, default 1
    weights : numpy.ndarray of float, optional
        Non-negative case weights.
    entries : numpy.ndarray of float, optional
        Entry times (left truncation).

    Returns
    -------
    list of CountTable

    Examples
    --------
    >>> t = np.array([3.0, 1.0, 3.0, 2.0])
    >>> e = np.array([True, False, False, True])
    >>> ct = count_tables(t, e)[0]
    >>> ct.times.tolist(), ct.events.tolist(), ct.censored.tolist()
    ([1.0, 2.0, 3.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0])
    """
    n = durations.size
    tcode, times = _factorize_sorted(durations)
    n_t = times.size
    if codes is not None and n_groups > 1:
        key = codes.astype(np.int64, copy=True)
        key *= n_t
        key += tcode
        del tcode
    else:
        key = tcode
    key *= 2
    key += events  # bin = (group * n_t + time) * 2 + event
    keys, sums = _bin_counts(key, 2 * n_groups * n_t, weights, n)
    del key
    rows = np.bincount(codes, minlength=n_groups) if codes is not None else np.array([n])
    group_of = keys // (2 * n_t)
    pair = keys // 2  # group * n_t + time
    pairs, first = np.unique(pair, return_index=True)
    ev = np.zeros(pairs.size)
    ce = np.zeros(pairs.size)
    slot = np.searchsorted(pairs, pair)
    is_event = (keys % 2).astype(bool)
    np.add.at(ev, slot[is_event], sums[is_event])
    np.add.at(ce, slot[~is_event], sums[~is_event])
    pair_group = group_of[first]
    bounds = np.searchsorted(pair_group, np.arange(n_groups + 1))

    ent_bounds = None
    if entries is not None:
        ecode, etimes = _factorize_sorted(entries)
        n_e = etimes.size
        if codes is not None and n_groups > 1:
            ekey = codes.astype(np.int64, copy=True)
            ekey *= n_e
            ekey += ecode
            del ecode
        else:
            ekey = ecode
        ekeys, esums = _bin_counts(ekey, n_groups * n_e, weights, n)
        del ekey
        ent_bounds = np.searchsorted(ekeys // n_e, np.arange(n_groups + 1))

    tables = []
    empty = np.zeros(0)
    for g in range(n_groups):
        lo, hi = bounds[g], bounds[g + 1]
        tidx = pairs[lo:hi] % n_t
        if ent_bounds is not None:
            elo, ehi = ent_bounds[g], ent_bounds[g + 1]
            e_times, e_w = etimes[ekeys[elo:ehi] % n_e].astype(float), esums[elo:ehi]
        else:
            e_times, e_w = empty, empty
        tables.append(
            CountTable(
                times=times[tidx].astype(float),
                events=ev[lo:hi],
                censored=ce[lo:hi],
                entry_times=e_times,
                entry_weights=e_w,
                n_rows=int(rows[g]),
            )
        )
    return tables


def combine_weights(case: np.ndarray | None, freq: np.ndarray | None) -> np.ndarray | None:
    """Weight of each row: its case weight times the number of customers it stands for.

    ``freq`` are the integer counts of an aggregated table (None: one customer per row);
    ``case`` the validated case weights (None: 1). With integer frequencies the weighted sums
    of :func:`count_tables` are exactly those of the rows repeated ``freq`` times.

    Examples
    --------
    >>> combine_weights(np.array([0.5, 2.0]), np.array([3, 1])).tolist()
    [1.5, 2.0]
    >>> combine_weights(None, None) is None
    True
    """
    if freq is None:
        return case
    f = freq.astype(float)
    return f if case is None else case * f


def frequency_totals(codes: np.ndarray | None, n_groups: int, freq: np.ndarray) -> np.ndarray:
    """Customers per group of an aggregated table: the summed integer counts ``freq``.

    Examples
    --------
    >>> frequency_totals(np.array([0, 1, 1]), 2, np.array([4, 2, 5])).tolist()
    [4, 7]
    >>> frequency_totals(None, 1, np.array([4, 2, 5])).tolist()
    [11]
    """
    if codes is None:
        return np.array([int(freq.sum())], dtype=np.int64)
    return np.bincount(codes, weights=freq, minlength=n_groups).round().astype(np.int64)


def product_limit(ct: CountTable) -> dict[str, np.ndarray]:
    """Kaplan–Meier estimate and Greenwood's sum at every exit time of ``ct``.

    Returns a dict of arrays ``time, at_risk, events, censored, survival, greenwood`` where
    ``greenwood`` is ``sum d / (n (n - d))`` (the variance of ``log S``; infinite once the
    curve reaches 0) and ``std_err`` is Greenwood's standard error of ``S`` (NaN where S = 0).

    Examples
    --------
    >>> ct = count_tables(np.array([1.0, 2.0, 2.0, 5.0]), np.array([1, 0, 1, 1], bool))[0]
    >>> product_limit(ct)["survival"].tolist()
    [0.75, 0.5, 0.0]
    """
    n = ct.at_risk(ct.times)
    d = ct.events
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(n > 0, d / n, 0.0)
        survival = np.cumprod(1.0 - hazard)
        # weighted sums are floats: treat n - d within rounding of 0 as "everyone left"
        left = n - d
        gone = left <= 1e-12 * np.maximum(n, 1.0)
        term = np.where(d > 0, np.where(gone, np.inf, d / (n * left)), 0.0)
        greenwood = np.cumsum(term)
        survival = np.where(np.cumsum(gone & (d > 0)) > 0, 0.0, survival)
        std_err = np.where(survival > 0, survival * np.sqrt(greenwood), np.nan)
    return {
        "time": ct.times,
        "at_risk": n,
        "events": d,
        "censored": ct.censored,
        "survival": survival,
        "greenwood": greenwood,
        "std_err": std_err,
    }


def confidence_band(
    survival: np.ndarray, greenwood: np.ndarray, z: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence band for S as R ``survfit`` computes it.

    ``"log"``: ``S exp(±z σ)`` with the upper limit capped at 1 (R's default);
    ``"log-log"``: ``S ** exp(±z σ / log S)`` (lifelines' only option), where ``σ² =``
    Greenwood's sum. Both are 1 where S = 1 and undefined (NaN) where S = 0.

    Examples
    --------
    >>> lo, hi = confidence_band(np.array([1.0, 0.5]), np.array([0.0, 0.04]), 1.96, "log")
    >>> np.round(lo, 4).tolist(), np.round(hi, 4).tolist()
    ([1.0, 0.3378], [1.0, 0.7401])
    """
    se = np.sqrt(greenwood)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            lower = survival * np.exp(-z * se)
            upper = np.minimum(survival * np.exp(z * se), 1.0)
        else:
            log_s = np.log(survival)
            lower = survival ** np.exp(-z * se / log_s)
            upper = survival ** np.exp(z * se / log_s)
    one = survival >= 1.0
    lower = np.where(one, 1.0, np.where(survival > 0, lower, np.nan))
    upper = np.where(one, 1.0, np.where(survival > 0, upper, np.nan))
    return lower, upper


def quantile_time(times: np.ndarray, curve: np.ndarray, target: float = 0.5) -> float:
    """First time the step curve is at or below ``target``, with R's rule for flat stretches.

    If the curve sits exactly at ``target`` (within ``sqrt(eps)``) over an interval, the
    midpoint between its start and the next time the curve drops below is returned, as R's
    ``quantile.survfit`` does. NaN entries (undefined band values) never count as reaching the
    target; NaN is returned when the target is never reached.

    Examples
    --------
    >>> quantile_time(np.array([1.0, 2.0, 4.0]), np.array([0.8, 0.5, 0.25]))
    3.0
    >>> quantile_time(np.array([1.0, 2.0]), np.array([0.8, 0.6]))
    nan
    """
    reached = np.flatnonzero(curve <= target + _TOL)
    if reached.size == 0:
        return float("nan")
    i = reached[0]
    if abs(curve[i] - target) < _TOL:
        below = np.flatnonzero(curve[i:] < target - _TOL)
        if below.size:
            return float((times[i] + times[i + below[0]]) / 2.0)
    return float(times[i])


def restricted_mean(pl: dict[str, np.ndarray], tau: float) -> tuple[float, float]:
    """Area under the Kaplan–Meier curve on ``[0, tau]`` and its standard error.

    The variance is the one R's ``print(survfit(...), rmean=tau)`` reports:
    ``sum over event times t_i <= tau of A_i^2 d_i / (n_i (n_i - d_i))`` with ``A_i`` the area
    under the curve from ``t_i`` to ``tau`` (terms with ``n_i = d_i`` are 0, as in R). This is
    the sampling variance of the estimate, not ``Var[min(T, tau)]``.

    Examples
    --------
    >>> ct = count_tables(np.array([1.0, 2.0, 2.0, 5.0]), np.array([1, 0, 1, 1], bool))[0]
    >>> est, se = restricted_mean(product_limit(ct), 4.0)
    >>> float(est), round(float(se), 4)
    (2.75, 0.6495)
    """
    t, s = pl["time"], pl["survival"]
    inside = t < tau
    knots = np.concatenate([[0.0], t[inside], [tau]])
    heights = np.concatenate([[1.0], s[inside]])
    areas = np.diff(knots) * heights
    estimate = float(areas.sum())
    tail = np.cumsum(areas[::-1])[::-1][1:]  # area from each t_i (inside) to tau
    n, d = pl["at_risk"][inside], pl["events"][inside]
    left = n - d
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where((d > 0) & (left > 1e-12 * np.maximum(n, 1.0)), d / (n * left), 0.0)
    return estimate, float(np.sqrt(np.sum(tail**2 * term)))


_WEIGHTINGS = ("logrank", "wilcoxon", "tarone-ware", "fleming-harrington")


def weighted_logrank(
    strata: list[list[CountTable]], weighting: str = "logrank", p: float = 1.0, q: float = 0.0
) -> dict[str, np.ndarray | float]:
    """k-sample weighted log-rank statistic, summed over strata (as R ``survdiff``).

    Parameters
    ----------
    strata : list of list of CountTable
        For each stratum, one table per group (the same groups, in the same order, in every
        stratum; a group absent from a stratum has an empty table).
    weighting : {"logrank", "wilcoxon", "tarone-ware", "fleming-harrington"}
        Weight at each event time: 1; the number at risk (Gehan–Breslow); its square root;
        ``S(t-)^p (1 - S(t-))^q`` with S the pooled Kaplan–Meier of the stratum.

    Returns
    -------
    dict
        ``observed``, ``expected`` (per group, each event time weighted by the test's weight,
        as R ``survdiff``'s ``obs`` and ``exp`` for ``rho > 0``; plain counts for the log-rank
        weights), ``variance`` (diagonal of the covariance of ``O - E``, weights squared, R's
        ``diag(var)``), ``score`` (weighted O - E), ``statistic``, ``df``.

    Examples
    --------
    >>> a = count_tables(np.array([1.0, 2.0, 3.0]), np.array([1, 1, 1], bool))[0]
    >>> b = count_tables(np.array([4.0, 5.0, 6.0]), np.array([1, 1, 0], bool))[0]
    >>> round(float(weighted_logrank([[a, b]])["statistic"]), 4)
    5.0517
    """
    k = len(strata[0])
    obs, exp_, var_diag, score = np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k)
    cov = np.zeros((k, k))
    for tables in strata:
        ev = [ct.times[ct.events > 0] for ct in tables]
        times = np.unique(np.concatenate(ev)) if any(e.size for e in ev) else np.zeros(0)
        if times.size == 0:
            continue
        n_g = np.vstack([ct.at_risk(times) for ct in tables])
        d_g = np.zeros((k, times.size))
        for g, ct in enumerate(tables):
            has = ct.events > 0
            d_g[g, np.searchsorted(times, ct.times[has])] = ct.events[has]
        n, d = n_g.sum(axis=0), d_g.sum(axis=0)
        ok = n > 0
        n_g, d_g, n, d = n_g[:, ok], d_g[:, ok], n[ok], d[ok]
        frac = n_g / n
        expected = frac * d
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
        if weighting == "logrank":
            w = np.ones_like(n)
        elif weighting == "wilcoxon":
            w = n
        elif weighting == "tarone-ware":
            w = np.sqrt(n)
        else:
            s = np.cumprod(1.0 - d / n)
            s_before = np.concatenate([[1.0], s[:-1]])
            w = s_before**p * (1.0 - s_before) ** q
        obs += (w * d_g).sum(axis=1)
        exp_ += (w * expected).sum(axis=1)
        score += (w * (d_g - expected)).sum(axis=1)
        wf = w**2 * factor
        var_diag += (wf * frac * (1 - frac)).sum(axis=1)
        cov += np.diag((wf * frac).sum(axis=1)) - (frac * wf) @ frac.T
    used = np.flatnonzero(exp_ > 0)  # R drops groups with no expected events, then one more
    if used.size < 2:
        statistic, df = 0.0, 0
    else:
        u = score[used[1:]]
        v = cov[np.ix_(used[1:], used[1:])]
        statistic = float(u @ np.linalg.solve(v, u))
        df = int(used.size - 1)
    return {
        "observed": obs,
        "expected": exp_,
        "variance": var_diag,
        "score": score,
        "statistic": statistic,
        "df": df,
    }


def group_codes(
    frame: pd.DataFrame, cols: list[str]
) -> tuple[np.ndarray | None, pd.DataFrame, list[str], list[str]]:
    """Integer group codes of ``frame`` by the columns ``cols``, for :func:`count_tables`.

    Returns ``(codes, values, labels, empty)``: one code per row (None without ``cols``: one
    group), the distinct values (a frame, one row per group, sorted), their labels
    (``"a / b"`` for several columns) and the unused categories of categorical columns.

    Examples
    --------
    >>> import pandas as pd
    >>> codes, values, labels, empty = group_codes(pd.DataFrame({"g": ["b", "a", "b"]}), ["g"])
    >>> codes.tolist(), labels
    ([1, 0, 1], ['a', 'b'])
    """
    if not cols:
        return None, pd.DataFrame(index=range(1)), ["all"], []
    if len(cols) == 1:  # a categorical column's groups from its codes (the same result)
        codes, uniques = factorize_sorted(frame[cols[0]])
        values = pd.DataFrame({cols[0]: uniques})
    else:
        grouped = frame.groupby(cols, sort=True, observed=True)
        codes = grouped.ngroup().to_numpy()
        values = grouped.size().index.to_frame(index=False)
    labels = [" / ".join(map(str, row)) for row in values.itertuples(index=False)]
    if len(set(labels)) < len(labels):  # e.g. 1 and "1": keep the groups apart in the labels
        labels = [" / ".join(map(repr, row)) for row in values.itertuples(index=False)]
    empty = []
    for col in cols:
        if isinstance(frame[col].dtype, pd.CategoricalDtype):
            seen = set(values[col].astype(object))
            unused = [c for c in frame[col].cat.categories if c not in seen]
            empty += [str(c) if len(cols) == 1 else f"{col}={c}" for c in unused]
    return codes, values, labels, empty
