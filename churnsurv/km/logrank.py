"""Log-rank tests between groups (as R ``survdiff``): the arithmetic, the API and the results.

See :func:`logrank` and :func:`pairwise_logrank`. The statistic is evaluated from the same per-time
count tables as the Kaplan–Meier curves (:mod:`churnsurv.km.counts`), so strata, entry times (left
truncation), case weights and Fleming–Harrington ``(p, q)`` weights combine freely — no single
library offers all four.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv._render import Result, fmt
from churnsurv._typing import Columns, Weights
from churnsurv._validation import as_list, check_choice, check_segment_levels
from churnsurv.data import ChurnData
from churnsurv.events.result import EventChurn, counted_data
from churnsurv.exceptions import DataValidationError
from churnsurv.km.counts import (
    combine_weights,
    count_tables,
    frequency_totals,
    group_codes,
    weighted_logrank,
)

__all__ = ["LogrankResult", "PairwiseLogrankResult", "logrank", "pairwise_logrank"]

_WEIGHTS = ("logrank", "wilcoxon", "tarone-ware", "fleming-harrington")
_ADJUST = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh", None: None}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------
# log-rank tests
# --------------------------------------------------------------------------------------------
class LogrankResult(Result):
    """Result of :func:`logrank`: ``summary`` (the test) and ``table`` (per group O, E).

    Attributes
    ----------
    statistic, df, p_value : float, int, float
    summary : pandas.DataFrame
        One row: test, weights, strata, statistic, df, p_value.
    table : pandas.DataFrame
        Per group, as R ``survdiff`` prints: n, observed, expected, (O-E)^2/E, (O-E)^2/V. For a
        weighted test (any ``weighting`` but ``"logrank"``) ``observed`` and ``expected`` are the
        weighted sums ``sum_t w(t) d_gt`` and ``sum_t w(t) d_t n_gt / n_t`` and ``V`` is the
        variance of the weighted ``O - E``, which is what R prints for ``survdiff(rho = 1)``; they
        are not churn counts then.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> logrank(data, "PaperlessBilling").table.columns.tolist()
    ['n', 'observed', 'expected', '(O-E)^2/E', '(O-E)^2/V']
    """

    def __init__(self, summary: pd.DataFrame, table: pd.DataFrame) -> None:
        self.summary = summary
        self.table = table
        self.statistic = float(summary["statistic"].iloc[0])
        self.df = int(summary["df"].iloc[0])
        self.p_value = float(summary["p_value"].iloc[0])

    _title = "Log-rank test"

    def _frames(self) -> list[tuple[str, pd.DataFrame]]:
        return [("", self.summary), ("Per group", self.table)]


class PairwiseLogrankResult(Result):
    """Result of :func:`pairwise_logrank`: ``table`` with one row per pair of groups.

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> pairwise_logrank(data, "Contract", adjust="bonferroni").table.columns.tolist()[:3]
    ['group_a', 'group_b', 'statistic']
    """

    def __init__(self, table: pd.DataFrame, adjust: str | None) -> None:
        self.table = table
        self.summary = table
        self.adjust = adjust

    _title = "Pairwise log-rank tests"

    def _note(self) -> str:
        return f"p-value adjustment: {'none' if self.adjust is None else self.adjust}"


def _grouped_tables(data, freq, by, strata, case_weights, fitted=None):
    """Labels, per-stratum count tables and customers per group (``freq``: row counts).

    ``fitted``: the ``(labels, count tables, customers)`` of a Kaplan-Meier fit of ``data`` by
    ``by`` with the same weights -- what this function makes without strata -- taken as they
    are when there are no strata (a test of a fitted estimator's segments does not count its
    rows again).
    """
    by_cols, strata_cols = as_list(by), as_list(strata)
    if not by_cols:
        raise ValueError("by: name the column(s) whose groups are compared, e.g. by='Contract'.")
    if fitted is not None and not strata_cols:
        labels, tables, sizes = fitted
        _require_two_groups(labels, by_cols)
        return labels, [list(tables)], ["all"], np.asarray(sizes)
    data.require_columns(by_cols + strata_cols, purpose="a log-rank test")
    check_segment_levels(data.frame, by_cols)
    codes, _, labels, _ = group_codes(data.frame, by_cols)
    _require_two_groups(labels, by_cols)
    s_codes, _, s_labels, _ = group_codes(data.frame, strata_cols)
    k = len(labels)
    combined = codes if s_codes is None else s_codes * k + codes
    w = combine_weights(data.case_weights(case_weights), freq)
    tables = count_tables(
        data.durations,
        data.events,
        combined,
        k * len(s_labels),
        w,
        data.entries if data.has_entry else None,
    )
    # customers per group (not panel intervals, not rows of an aggregated table)
    sizes = data.group_sizes(codes, k) if freq is None else frequency_totals(codes, k, freq)
    return labels, [tables[s * k : (s + 1) * k] for s in range(len(s_labels))], s_labels, sizes


def _require_two_groups(labels: list[str], by_cols: list) -> None:
    if len(labels) < 2:
        raise DataValidationError(
            f"column {by_cols[0]!r}: a log-rank test compares groups, but {by_cols} has "
            f"{len(labels)} value(s) {labels}; choose a column with at least two.",
            column=str(by_cols[0]),
            rule="fewer than two groups",
        )


def _weight_label(weighting: str, p: float, q: float) -> str:
    return f"fleming-harrington(p={fmt(p)}, q={fmt(q)})" if weighting == _WEIGHTS[3] else weighting


def _check_weighting(data, weighting, weights) -> None:
    """``weighting`` is the test's; ``weights`` are case weights (catch the two mixed up)."""
    check_choice("weighting", weighting, _WEIGHTS)
    if isinstance(weights, str) and weights in _WEIGHTS and weights not in data.frame.columns:
        raise ValueError(
            f"weights={weights!r}: weights= are case weights (a column or an array), as in "
            f"KaplanMeier.fit; the test's weighting is weighting={weights!r}."
        )


def logrank(
    data: ChurnData | EventChurn,
    by: Columns,
    *,
    strata: Columns = None,
    weighting: str = "logrank",
    p: float = 1.0,
    q: float = 0.0,
    weights: Weights = None,
) -> LogrankResult:
    """k-sample (weighted, optionally stratified) log-rank test, as R ``survdiff``.

    Parameters
    ----------
    data : ChurnData or EventChurn
        An :class:`EventChurn` is used through its engine counts (``survival_counts()``: one
        row per distinct segments, tenure and status, weighted by its number of customers,
        never expanded per customer; the test is exactly that of the per-customer rows).
        Entry times (left truncation) are respected.
    by : str or list of str
        Column(s) defining the groups compared.
    strata : str or list of str, optional
        Stratify: compare groups within each stratum and sum the scores and variances.
    weighting : {"logrank", "wilcoxon", "tarone-ware", "fleming-harrington"}, default "logrank"
        Weight of each event time: 1; number at risk (Gehan–Breslow–Wilcoxon, emphasises early
        churn); its square root; or ``S(t-)^p (1 - S(t-))^q`` with the pooled Kaplan–Meier of the
        stratum (``p=1, q=0`` is R's ``survdiff(rho=1)``; ``q > 0`` emphasises late churn).
    p, q : float
        Fleming–Harrington exponents.
    weights : str or array-like, optional
        Case weights (a column name or one value per row), as in :meth:`KaplanMeier.fit`
        (not with an :class:`EventChurn`: use its ``to_data()``).

    Returns
    -------
    LogrankResult

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> res = logrank(data, "Contract", weighting="wilcoxon")
    >>> res.summary[["test", "df"]].values.tolist()
    [['wilcoxon', 2]]
    """
    check_choice("weighting", weighting, _WEIGHTS)  # before any engine work
    data, freq = counted_data(data, weights, dates=False)
    return _logrank(data, freq, by, strata, weighting, p, q, weights)


def _logrank(data, freq, by, strata, weighting, p, q, weights, fitted=None) -> LogrankResult:
    """:func:`logrank` of ``data`` whose rows stand for ``freq`` customers (None: one each);
    ``fitted`` as in :func:`_grouped_tables`."""
    _check_weighting(data, weighting, weights)
    labels, strata_tables, s_labels, sizes = _grouped_tables(
        data, freq, by, strata, weights, fitted
    )
    res = weighted_logrank(strata_tables, weighting, p, q)
    o, e, v = res["observed"], res["expected"], res["variance"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame(
            {
                "n": sizes,
                "observed": o,
                "expected": e,
                "(O-E)^2/E": (o - e) ** 2 / e,
                "(O-E)^2/V": (o - e) ** 2 / v,
            },
            index=pd.Index(labels, name=" / ".join(as_list(by))),
        )
    summary = pd.DataFrame(
        {
            "test": [_weight_label(weighting, p, q)],
            "strata": [", ".join(as_list(strata)) or "none"],
            "n_strata": [len(s_labels)],
            "statistic": [res["statistic"]],
            "df": [res["df"]],
            "p_value": [stats.chi2.sf(res["statistic"], res["df"]) if res["df"] else np.nan],
        }
    )
    return LogrankResult(summary, table)


def pairwise_logrank(
    data: ChurnData | EventChurn,
    by: Columns,
    *,
    adjust: str | None = "holm",
    strata: Columns = None,
    weighting: str = "logrank",
    p: float = 1.0,
    q: float = 0.0,
    weights: Weights = None,
) -> PairwiseLogrankResult:
    """Log-rank test for every pair of groups, with adjusted p-values.

    Each pair is tested on the customers of those two groups only (as R
    ``survminer::pairwise_survdiff``).

    Parameters
    ----------
    adjust : {"holm", "bonferroni", "bh", None}, default "holm"
        Multiple-comparison adjustment (Holm and Bonferroni control the family-wise error rate,
        "bh" — Benjamini–Hochberg — the false discovery rate).
    data, by, strata, weighting, p, q, weights
        As in :func:`logrank`.

    Returns
    -------
    PairwiseLogrankResult

    Examples
    --------
    >>> import churnsurv as cs
    >>> data = cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn",
    ...                   event_value="Yes")
    >>> t = pairwise_logrank(data, "Contract").table
    >>> t[["group_a", "group_b"]].values.tolist()[0]
    ['Month-to-month', 'One year']
    """
    check_choice("adjust", adjust, list(_ADJUST))
    check_choice("weighting", weighting, _WEIGHTS)  # before any engine work
    data, freq = counted_data(data, weights, dates=False)
    return _pairwise(data, freq, by, adjust, strata, weighting, p, q, weights)


def _holm(pvals: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values, computed as statsmodels'
    ``multipletests(method="holm")`` does (sorted p times m, m-1, ..., running maximum, capped
    at 1; a test compares the two), without the ``gc.collect()`` that function runs on every
    call: 0.3-0.4 s once a million customer ids are in memory.

    Examples
    --------
    >>> _holm(np.array([0.01, 0.04, 0.03])).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    order = np.argsort(pvals)
    ranked = pvals[order] * np.arange(pvals.size, 0, -1)
    adjusted = np.empty(pvals.size)
    adjusted[order] = np.minimum(np.maximum.accumulate(ranked), 1.0)
    return adjusted


def _pairwise(
    data, freq, by, adjust, strata, weighting, p, q, weights, fitted=None
) -> PairwiseLogrankResult:
    """:func:`pairwise_logrank` of ``data`` whose rows stand for ``freq`` customers;
    ``fitted`` as in :func:`_grouped_tables`."""
    from statsmodels.stats.multitest import multipletests

    _check_weighting(data, weighting, weights)
    labels, strata_tables, _, _ = _grouped_tables(data, freq, by, strata, weights, fitted)
    rows = []
    for a, b in combinations(range(len(labels)), 2):
        res = weighted_logrank([[st[a], st[b]] for st in strata_tables], weighting, p, q)
        pv = stats.chi2.sf(res["statistic"], res["df"]) if res["df"] else np.nan
        rows.append(
            {
                "group_a": labels[a],
                "group_b": labels[b],
                "statistic": res["statistic"],
                "df": res["df"],
                "p_value": pv,
            }
        )
    table = pd.DataFrame(rows, columns=["group_a", "group_b", "statistic", "df", "p_value"])
    pvals = table["p_value"].to_numpy()
    ok = np.isfinite(pvals)
    adjusted = pvals.copy()
    if adjust is not None and ok.any():
        if adjust == "holm":
            adjusted[ok] = _holm(pvals[ok])
        else:
            adjusted[ok] = multipletests(pvals[ok], method=_ADJUST[adjust])[1]
    table["p_adjusted"] = adjusted
    table["adjust"] = "none" if adjust is None else adjust
    table["test"] = _weight_label(weighting, p, q)
    return PairwiseLogrankResult(table, adjust)
