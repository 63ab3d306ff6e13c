"""Period tables of churn: managers' churn rates, actuarial life tables, signup-cohort tables.

Re-exported by :mod:`churnsurv.km`; see :func:`churn_rates`, :func:`life_table` and
:func:`cohort_table`.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from churnsurv._render import Result
from churnsurv._typing import Axes, Columns
from churnsurv._validation import check_conf_level, check_segment_levels
from churnsurv.data import YEARS_PER_UNIT, ChurnData
from churnsurv.events.result import EventChurn, counted_data
from churnsurv.km.counts import count_tables, group_codes, product_limit

__all__ = ["CohortTable", "churn_rates", "cohort_table", "life_table"]

#: Calendar periods understood by :func:`churn_rates` and :func:`cohort_table` (pandas freq).
PERIODS = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}
_PERIOD_YEARS = YEARS_PER_UNIT | {"quarter": 0.25}
#: Periods starting with fewer customers than this are flagged ``small_risk_set``.
SMALL_RISK_SET = 30


def _check_period(name: str, period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"{name}={period!r} is not understood; use one of {list(PERIODS)}.")


def _period_width(period: str, time_unit: str) -> float:
    """Length of one calendar ``period`` in the data's ``time_unit`` (mean lengths)."""
    return _PERIOD_YEARS[period] / YEARS_PER_UNIT[time_unit]


def _count(k: np.ndarray, w: np.ndarray | None, minlength: int) -> np.ndarray:
    """``np.bincount`` of ``k``, each row counted ``w`` times (integer counts, exact)."""
    if w is None:
        return np.bincount(k, minlength=minlength)
    return np.rint(np.bincount(k, weights=w, minlength=minlength)).astype(np.int64)


def _groups(data: ChurnData, by):
    """(label, row mask) per segment; one group 'all' without ``by``."""
    cols = [by] if isinstance(by, str) else list(by or [])
    if not cols:
        return cols, [("all", np.ones(data.n, dtype=bool))]
    data.require_columns(cols, purpose="churn tables by segment")
    check_segment_levels(data.frame, cols)
    grouped = data.frame.groupby(cols, sort=True, observed=True).indices
    out = []
    for key, idx in grouped.items():
        mask = np.zeros(data.n, dtype=bool)
        mask[idx] = True
        label = " / ".join(map(str, key)) if isinstance(key, tuple) else str(key)
        out.append((label, mask))
    return cols, out


# --------------------------------------------------------------------------------------------
# churn rates
# --------------------------------------------------------------------------------------------
def churn_rates(
    data: ChurnData | EventChurn,
    period: str = "month",
    *,
    by: Columns = None,
    basis: str | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Churn and retention rate per period, as managers compute them.

    **Calendar basis** (default for data built from dates): for each calendar period,
    ``customers_start`` = customers active when it began (signed up earlier and not churned
    before), ``joined`` and ``churned`` during it, and

        churn rate = churned ÷ customers at start × 100%,   retention rate = 100% − churn rate.

    ``churned`` counts every customer lost in the period, including ones who joined during it
    (the usual managers' formula); ``churned_of_start`` counts only the customers present at the
    start, whose ratio to ``customers_start`` is a true proportion. The last period is flagged
    ``partial`` when the observation cutoff falls inside it (its rate is too low). With left
    truncation (data that miss customers who left before observation began), rows for periods
    before that date count only the survivors: read the table from the observation start on.

    **Tenure basis** (data without dates, or ``basis="tenure"``): the same ratio per tenure
    period (months 0–1, 1–2, … after signup): ``churned`` in the period ÷ customers who reached its
    start. This is the discrete hazard; ``km_churn_pct`` is the Kaplan–Meier churn probability over
    the same period, ``1 − S(end−) / S(start−)``.

    Where the two differ from the Kaplan–Meier hazard: the calendar rate mixes customers of all
    tenures, so it moves with the tenure mix (a base full of new customers churns faster) even
    when no customer's hazard changed; and in both tables customers who are censored (or join)
    inside a period stay in (or stay out of) the denominator for the whole period, whereas
    Kaplan–Meier removes them at their exit time. With whole-period tenures (e.g. integer
    months and ``period="month"``) the tenure-basis rate equals the Kaplan–Meier hazard exactly;
    with coarser periods the managers' rate is lower, because censored customers are counted as
    if they had been observed for the whole period.

    **Intervals.** ``churn_rate_lower_pct`` and ``churn_rate_upper_pct`` are the Wilson score
    interval of a binomial proportion at ``conf_level`` (R's ``prop.test(x, n, correct = FALSE)``;
    computed with statsmodels' ``proportion_confint(method="wilson")``), which stays inside
    0–100% and keeps its coverage for small counts. On the tenure basis the proportion is
    ``churned`` of ``customers_start``; on the calendar basis it is ``churned_of_start`` of
    ``customers_start`` (customers who join and leave within the period are not a binomial draw
    from those at the start, so the managers' rate can lie above that interval).
    ``small_risk_set`` flags periods that start with fewer than 30 customers: one churn moves
    their rate by more than 3 points, so read them with their interval.

    Parameters
    ----------
    data : ChurnData or EventChurn
        An :class:`EventChurn` is used through its engine counts (``count_data()``: one row
        per distinct customer history with its number, never one row per customer).
    period : {"day", "week", "month", "quarter", "year"}, default "month"
        Weeks run Monday to Sunday. On the tenure basis, the period length in the data's time
        unit uses mean lengths (a month is 1/12 year).
    by : str or list of str, optional
        Segment column(s); one block of rows per segment.
    basis : {"calendar", "tenure"}, optional
        Default "calendar" when the data has dates, else "tenure".
    conf_level : float, default 0.95
        Level of the churn-rate interval.

    Returns
    -------
    pandas.DataFrame
        One row per (segment,) period.

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> raw = pd.DataFrame({"start": ["2020-01-05", "2020-01-20", "2020-02-03", "2020-02-10"],
    ...                     "end": ["2020-02-14", None, "2020-03-01", None]})
    >>> data = cs.prepare(raw, start_date="start", end_date="end", cutoff="2020-03-31")
    >>> t = churn_rates(data, "month")
    >>> t[["period", "customers_start", "joined", "churned", "churn_rate_pct"]].values.tolist()
    [['2020-01', 0, 2, 0, nan], ['2020-02', 2, 2, 1, 50.0], ['2020-03', 3, 0, 1, 33.33333333333333]]
    """
    _check_period("period", period)
    data, w = counted_data(data)
    conf_level = check_conf_level(conf_level)
    data.require_customer_rows(purpose="churn_rates")
    basis = basis or ("calendar" if data.has_dates else "tenure")
    if basis not in ("calendar", "tenure"):
        raise ValueError(f"basis={basis!r} is not understood; use 'calendar' or 'tenure'.")
    if basis == "tenure" and ([by] if isinstance(by, str) else list(by or [])):
        out = _tenure_rates_by(data, by, period, w)
        return _with_rates(out, basis, period, data.time_unit, conf_level)
    cols, groups = _groups(data, by)
    frames = []
    for label, mask in groups:
        if basis == "calendar":
            data.require_dates(purpose="churn_rates(basis='calendar')")
            frame = _calendar_rates(data, mask, period, None if w is None else w[mask])
        else:
            frame = _tenure_rates(data, mask, period, None if w is None else w[mask])
        if cols:
            frame.insert(0, "segment", label)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return _with_rates(out, basis, period, data.time_unit, conf_level)


def _with_rates(
    out: pd.DataFrame, basis: str, period: str, time_unit: str, conf_level: float
) -> pd.DataFrame:
    """The counts of :func:`churn_rates` with their rates, intervals and flags."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = 100.0 * out["churned"] / out["customers_start"].where(out["customers_start"] > 0)
    out["churn_rate_pct"] = rate
    out["retention_rate_pct"] = 100.0 - rate
    lost = out["churned_of_start"] if basis == "calendar" else out["churned"]
    lower, upper = wilson_interval(lost.to_numpy(), out["customers_start"].to_numpy(), conf_level)
    out["churn_rate_lower_pct"], out["churn_rate_upper_pct"] = 100.0 * lower, 100.0 * upper
    out["small_risk_set"] = out["customers_start"] < SMALL_RISK_SET
    if basis == "tenure":
        out = out[[c for c in out.columns if c != "km_churn_pct"] + ["km_churn_pct"]]
    out.attrs |= {
        "basis": basis,
        "period": period,
        "time_unit": time_unit,
        "conf_level": conf_level,
    }
    return out


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, conf_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``successes / trials``; NaN where ``trials`` is 0.

    The interval of R's ``prop.test(x, n, correct = FALSE)`` (statsmodels
    ``proportion_confint(method="wilson")``).

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = wilson_interval(np.array([0, 5]), np.array([11, 0]))
    >>> np.round(lo, 4).tolist(), np.round(hi, 4).tolist()
    ([0.0, nan], [0.2588, nan])
    """
    from statsmodels.stats.proportion import proportion_confint

    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    ok = n > 0
    lower, upper = np.full(x.shape, np.nan), np.full(x.shape, np.nan)
    if ok.any():
        lo, hi = proportion_confint(x[ok], n[ok], alpha=1.0 - conf_level, method="wilson")
        lower[ok], upper[ok] = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
    return lower, upper


def _calendar_rates(data: ChurnData, mask: np.ndarray, period: str, w) -> pd.DataFrame:
    freq = PERIODS[period]
    frame = data.frame.loc[mask]
    start = frame["start_date"].dt.to_period(freq)
    first = start.min()
    last = pd.Timestamp(data.cutoff).to_period(freq)
    n_p = last.ordinal - first.ordinal + 1
    sp = (start.array.asi8 - first.ordinal).astype(np.int64)
    churned = frame["event"].to_numpy()
    ep = (frame["end_date"][churned].dt.to_period(freq).array.asi8 - first.ordinal).astype(np.int64)
    we = None if w is None else w[churned]
    joined = _count(sp, w, n_p)
    lost = _count(ep, we, n_p)
    of_start = sp[churned] < ep
    lost_of_start = _count(ep[of_start], None if we is None else we[of_start], n_p)
    cum_joined = np.concatenate([[0], np.cumsum(joined)[:-1]])
    cum_lost = np.concatenate([[0], np.cumsum(lost)[:-1]])
    at_start = cum_joined - cum_lost
    periods = pd.period_range(first, last, freq=freq)
    return pd.DataFrame(
        {
            "period": periods.astype(str),
            "period_start": periods.start_time,
            "customers_start": at_start,
            "joined": joined,
            "churned": lost,
            "churned_of_start": lost_of_start,
            "customers_end": at_start + joined - lost,
            "partial": periods.end_time.normalize() > pd.Timestamp(data.cutoff),
        }
    )


def _tenure_rates_by(data: ChurnData, by: Columns, period: str, w) -> pd.DataFrame:
    """The tenure-basis tables of every segment in one pass over the rows: what
    :func:`_tenure_rates` gives segment by segment (the same integers and curves), without a
    row mask and a copy of the columns per segment.

    Each row's (segment, period, churned) is counted once; a segment's periods end at its
    own longest tenure, as in :func:`_tenure_rates`, and the Kaplan–Meier curves come from
    one count table per segment (:func:`~churnsurv.km.counts.count_tables` with codes).
    """
    cols = [by] if isinstance(by, str) else list(by or [])
    data.require_columns(cols, purpose="churn tables by segment")
    check_segment_levels(data.frame, cols)
    codes, values, _, _ = group_codes(data.frame, cols)  # sorted as groupby(sort=True) sorts
    codes = np.asarray(codes, dtype=np.int64)
    n_g = len(values)
    width = _period_width(period, data.time_unit)
    dur, ev = data.durations, data.events
    n_p = int(np.floor(dur.max() / width)) + 1  # the longest segment's periods
    k = np.minimum((dur // width).astype(np.int64), n_p - 1)
    cell = codes * n_p + k  # (segment, period)
    if w is None:
        both = np.bincount(cell * 2 + ev, minlength=2 * n_g * n_p).reshape(n_g, n_p, 2)
        churned_all, censored_all = both[:, :, 1], both[:, :, 0]
        total_all = churned_all + censored_all
    else:
        churned_all = _count(cell[ev], w[ev], n_g * n_p).reshape(n_g, n_p)
        censored_all = _count(cell[~ev], w[~ev], n_g * n_p).reshape(n_g, n_p)
        total_all = _count(cell, w, n_g * n_p).reshape(n_g, n_p)
    ke_all = None
    if data.has_entry:  # entries by segment, up to the longest segment's periods
        ke = np.minimum(np.ceil(data.entries / width).astype(np.int64), n_p)
        ke_all = _count(codes * (n_p + 1) + ke, w, n_g * (n_p + 1)).reshape(n_g, n_p + 1)
    weights = None if w is None else w.astype(float)
    ent = data.entries if data.has_entry else None
    tables = count_tables(dur, ev, codes, n_g, weights=weights, entries=ent)
    longest = pd.Series(dur).groupby(codes).max().to_numpy()  # every row, whatever its weight
    frames = []
    for g, key in enumerate(values.itertuples(index=False, name=None)):
        ct = tables[g]
        last = int(np.floor(longest[g] / width)) + 1  # this segment's periods
        churned, censored, total = (
            _fold(a[g], last) for a in (churned_all, censored_all, total_all)
        )
        reached = np.cumsum(total[::-1])[::-1]
        not_yet = np.zeros(last, dtype=np.int64)
        if ke_all is not None:
            not_yet = np.cumsum(_fold(ke_all[g], last + 1)[::-1])[::-1][1:]
        label = " / ".join(map(str, key))  # as _groups labels them
        frame = _tenure_frame(last, width, reached - not_yet, churned, censored, ct)
        frame.insert(0, "segment", label)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _fold(counts: np.ndarray, size: int) -> np.ndarray:
    """``counts`` cut to its first ``size`` bins, the ones past them added to the last (where
    the segment's own ``np.minimum(..., size - 1)`` puts them)."""
    out = counts[:size].copy()
    out[-1] += counts[size:].sum()
    return out


def _tenure_frame(n_p, width, customers_start, churned, censored, ct) -> pd.DataFrame:
    """One segment's tenure-basis table from its counts and its Kaplan–Meier count table."""
    starts = np.arange(n_p) * width
    pl = product_limit(ct)
    s_before = np.append(1.0, pl["survival"])[np.searchsorted(pl["time"], starts, side="left")]
    ends = starts + width
    s_end = np.append(1.0, pl["survival"])[np.searchsorted(pl["time"], ends, side="left")]
    with np.errstate(divide="ignore", invalid="ignore"):
        km = 100.0 * (1.0 - s_end / s_before)
    return pd.DataFrame(
        {
            "period": np.arange(n_p),
            "tenure_start": starts,
            "tenure_end": ends,
            "customers_start": customers_start,
            "churned": churned,
            "censored": censored,
            "km_churn_pct": km,
        }
    )


def _tenure_rates(data: ChurnData, mask: np.ndarray, period: str, w) -> pd.DataFrame:
    width = _period_width(period, data.time_unit)
    rows = slice(None) if mask.all() else mask  # all customers: no copy of the columns
    dur, ev = data.durations[rows], data.events[rows]
    n_p = int(np.floor(dur.max() / width)) + 1
    k = np.minimum((dur // width).astype(np.int64), n_p - 1)
    if w is None:  # one count of (period, churned): whole numbers, as two counts give them
        cells = np.bincount(k * 2 + ev, minlength=2 * n_p)
        churned, censored = cells[1::2], cells[0::2]
        reached = np.cumsum((churned + censored)[::-1])[::-1]  # duration >= start
    else:
        churned, censored = _count(k[ev], w[ev], n_p), _count(k[~ev], w[~ev], n_p)
        reached = np.cumsum(_count(k, w, n_p)[::-1])[::-1]
    not_yet = np.zeros(n_p, dtype=np.int64)  # customers entering after a period's start
    if data.has_entry:
        ke = np.minimum(np.ceil(data.entries[rows] / width).astype(np.int64), n_p)
        not_yet = np.cumsum(_count(ke, w, n_p + 1)[::-1])[::-1][1:]  # entry > start
    weights = None if w is None else w.astype(float)
    ent = data.entries[rows] if data.has_entry else None
    ct = count_tables(dur, ev, weights=weights, entries=ent)[0]
    return _tenure_frame(n_p, width, reached - not_yet, churned, censored, ct)


# --------------------------------------------------------------------------------------------
# life table
# --------------------------------------------------------------------------------------------
def life_table(
    data: ChurnData | EventChurn, width: float = 1.0, *, by: Columns = None
) -> pd.DataFrame:
    """Actuarial (Cutler–Ederer) life table in intervals of ``width`` time units.

    For each interval ``[start, end)``: ``at_start`` customers reached its start, ``events`` and
    ``censored`` left during it (and ``entered`` joined the risk set during it, with left
    truncation). Withdrawals and entries count as half exposed:
    ``effective = at_start + (entered − censored) / 2``; ``churn_prob = events / effective``;
    ``survival`` (at the interval start) is the product of ``1 − churn_prob`` over earlier
    intervals, with Greenwood's actuarial standard error
    ``survival · sqrt(Σ q / (effective · (1 − q)))``; ``hazard = events / (width · (effective −
    events / 2))`` per time unit (Lee & Wang, *Statistical Methods for Survival Data Analysis*,
    ch. 4).

    Parameters
    ----------
    data : ChurnData or EventChurn
        An :class:`EventChurn` is used through its engine counts (``count_data()``: one row
        per distinct customer history with its number, never one row per customer).
    width : float, default 1.0
        Interval length in the data's time unit.
    by : str or list of str, optional
        Segment column(s).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> raw = pd.DataFrame({"t": [0.5, 1.5, 1.2, 2.5, 3.0], "e": [1, 0, 1, 1, 0]})
    >>> lt = life_table(cs.prepare(raw, duration="t", event="e"), width=1)
    >>> lt[["start", "at_start", "events", "censored", "survival"]].round(4)
       start  at_start  events  censored  survival
    0    0.0       5.0     1.0       0.0    1.0000
    1    1.0       4.0     1.0       1.0    0.8000
    2    2.0       2.0     1.0       0.0    0.5714
    3    3.0       1.0     0.0       1.0    0.2857
    """
    if not (np.isfinite(width) and width > 0):
        raise ValueError(f"width={width!r}: the interval length must be a positive number.")
    data, weights = counted_data(data)
    data.require_customer_rows(purpose="life_table")
    cols, groups = _groups(data, by)
    frames = []
    for label, mask in groups:
        dur, ev, ent = data.durations[mask], data.events[mask], data.entries[mask]
        w = None if weights is None else weights[mask]
        n_i = int(np.floor(dur.max() / width)) + 1
        k = (dur // width).astype(np.int64)
        starts = np.arange(n_i) * float(width)
        ke = np.ceil(ent / width).astype(np.int64)  # first interval whose start >= entry
        inside = data.has_entry & (ent > np.floor(ent / width) * width)  # entered mid-interval
        events = _count(k[ev], None if w is None else w[ev], n_i).astype(float)
        censored = _count(k[~ev], None if w is None else w[~ev], n_i).astype(float)
        w_in = None if w is None else w[inside]
        entered = _count((ke - 1)[inside], w_in, n_i).astype(float)[:n_i]
        reached = np.cumsum(_count(k, w, n_i)[::-1])[::-1].astype(float)
        later = np.cumsum(_count(np.minimum(ke, n_i), w, n_i + 1)[::-1])[::-1][1:]
        at_start = reached - later  # reached the interval start, having entered by then
        effective = at_start + (entered - censored) / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(effective > 0, events / effective, np.nan)
            surv_end = np.cumprod(1.0 - np.nan_to_num(q))
            survival = np.append(1.0, surv_end[:-1])
            term = np.where(events > 0, q / (effective * (1.0 - q)), 0.0)
            gw = np.append(0.0, np.cumsum(term)[:-1])
            hazard = events / (width * (effective - events / 2.0))
        frame = pd.DataFrame(
            {
                "start": starts,
                "end": starts + width,
                "at_start": at_start,
                "entered": entered,
                "events": events,
                "censored": censored,
                "effective_at_risk": effective,
                "churn_prob": q,
                "survival": survival,
                "survival_end": surv_end,
                "std_err": survival * np.sqrt(gw),
                "hazard": hazard,
            }
        )
        if not data.has_entry:
            frame = frame.drop(columns="entered")
        if cols:
            frame.insert(0, "segment", label)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out.attrs |= {"time_unit": data.time_unit, "width": width}
    return out


# --------------------------------------------------------------------------------------------
# cohort table
# --------------------------------------------------------------------------------------------
class CohortTable(Result):
    """Share of each signup cohort still active k periods after signup.

    Attributes
    ----------
    table : pandas.DataFrame
        Index: signup cohort (e.g. ``"2020-01"``); columns: periods since signup ``0, 1, …``;
        values: share still active (0–1). Cells not yet observable for every member of the
        cohort (the censoring triangle) are NaN, not 0.
    sizes : pandas.Series
        Customers per cohort.
    cohort : str
        Cohort period (``"month"`` …).

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> raw = pd.DataFrame({"start": ["2020-01-05", "2020-01-20", "2020-02-03"],
    ...                     "end": ["2020-02-14", None, None]})
    >>> data = cs.prepare(raw, start_date="start", end_date="end", cutoff="2020-04-30")
    >>> cohort_table(data).sizes.tolist()
    [2, 1]
    """

    def __init__(self, table: pd.DataFrame, sizes: pd.Series, cohort: str) -> None:
        self.table = table
        self.sizes = sizes
        self.cohort = cohort

    def plot(self, *, ax: Axes | None = None, annotate: bool | None = None) -> Axes:
        """Heatmap of the table (see :func:`churnsurv.plot_cohort_heatmap`).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd, churnsurv as cs
        >>> raw = pd.DataFrame({"start": ["2020-01-05", "2020-02-03"], "end": ["2020-02-14", None]})
        >>> data = cs.prepare(raw, start_date="start", end_date="end", cutoff="2020-04-30")
        >>> cohort_table(data).plot().get_xlabel()
        'Months since signup'
        """
        from churnsurv.plotting.km import plot_cohort_heatmap

        return plot_cohort_heatmap(
            self.table, sizes=self.sizes, ax=ax, annotate=annotate, period=self.cohort
        )

    def _repr_html_(self) -> str:
        shown = self.table.copy()
        shown.insert(0, "customers", self.sizes)
        body = shown.to_html(
            float_format=lambda v: f"{100 * v:.1f}%" if v <= 1 else f"{v:.0f}", na_rep=""
        )
        return (
            f"<div><strong>Share of each signup {html.escape(self.cohort)} cohort still active"
            f"</strong>{body}<p><em>Blank cells are not yet observed (censoring), not zero."
            "</em></p></div>"
        )

    _title = "Share of each signup cohort still active"

    @property
    def summary(self) -> pd.DataFrame:
        """The table with a first column of cohort sizes."""
        shown = self.table.copy()
        shown.insert(0, "customers", self.sizes)
        return shown

    def _note(self) -> str:
        return "Missing cells are not yet observed (censoring), not zero."


def cohort_table(data: ChurnData | EventChurn, cohort: str = "month") -> CohortTable:
    """Signup cohort × periods since signup → share of the cohort still active.

    A customer is active ``k`` periods after signup unless they churned at a tenure ≤ ``k``
    periods (a period's length in the data's time unit is its mean length, e.g. 1 month =
    30.44 days). A cell is filled only when every member of the cohort has been observed for
    ``k`` periods; the later cells form the censoring triangle and are left empty (NaN), never 0.

    Parameters
    ----------
    data : ChurnData or EventChurn
        Built from dates (``prepare(start_date=..., end_date=..., cutoff=...)``).
    cohort : {"day", "week", "month", "quarter", "year"}, default "month"
        Cohort and period length.

    Returns
    -------
    CohortTable

    Examples
    --------
    >>> import pandas as pd, churnsurv as cs
    >>> raw = pd.DataFrame({"start": ["2020-01-05", "2020-01-20", "2020-02-03"],
    ...                     "end": ["2020-02-14", None, None]})
    >>> data = cs.prepare(raw, start_date="start", end_date="end", cutoff="2020-04-30")
    >>> cohort_table(data).table.round(2).values.tolist()
    [[1.0, 1.0, 0.5, 0.5], [1.0, 1.0, 1.0, nan]]
    """
    _check_period("cohort", cohort)
    data, w = counted_data(data)
    data.require_customer_rows(purpose="cohort_table")
    data.require_dates(purpose="cohort_table")
    width = _period_width(cohort, data.time_unit)
    labels = data.frame["start_date"].dt.to_period(PERIODS[cohort])
    dur, ev = data.durations, data.events
    n_k = int(np.floor(dur.max() / width)) + 1
    ks = np.arange(n_k) * width
    rows, sizes, index = [], [], []
    for label, idx in sorted(labels.groupby(labels).indices.items()):
        d, e = dur[idx], ev[idx]
        size = idx.size if w is None else int(w[idx].sum())
        order = np.argsort(d[e], kind="stable")
        lost = np.searchsorted(d[e][order], ks, side="right")  # churned at tenure <= k
        if w is not None:  # each row stands for w customers
            lost = np.append(0, np.cumsum(w[idx][e][order]))[lost]
        share = 1.0 - lost / size
        if (~e).any():
            share[ks > d[~e].min()] = np.nan  # someone still active has not reached k yet
        rows.append(share)
        sizes.append(size)
        index.append(str(label))
    table = pd.DataFrame(rows, index=pd.Index(index, name="cohort"), columns=range(n_k))
    table.columns.name = f"{cohort}s since signup"
    table = table.loc[:, table.notna().any()]
    return CohortTable(table, pd.Series(sizes, index=table.index, name="customers"), cohort)
