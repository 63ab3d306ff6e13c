"""Gray's test: is a churn reason's cumulative incidence the same in every segment?

The log-rank test compares hazards; with competing reasons a segment can have a higher rate of
leaving for price and yet, because its customers leave sooner for other reasons, a lower share
who end up leaving for price. Gray's (1988) k-sample test compares the cumulative incidences
themselves (through their subdistribution hazards). :func:`gray_test` reproduces
``cmprsk::cuminc``'s test (``rho = 0`` by default; strata summed as in ``cuminc(strata=)``) from
the same per-time counts as :class:`~churnsurv.CumulativeIncidence`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from churnsurv._render import Result
from churnsurv._typing import Columns
from churnsurv._validation import as_list, check_segment_levels
from churnsurv.data import ChurnData
from churnsurv.exceptions import DataValidationError
from churnsurv.km.counts import group_codes
from churnsurv.reasons.counts import gray_statistic, reason_tables

__all__ = ["GrayTestResult", "gray_test"]


class GrayTestResult(Result):
    """Result of :func:`gray_test`: one row per reason tested.

    Attributes
    ----------
    summary : pandas.DataFrame
        Indexed by ``reason``: ``statistic`` (chi-square), ``df``, ``p_value``, and ``note``
        (why a statistic is missing, e.g. a singular covariance).
    by, strata : list of str
    rho : float

    Examples
    --------
    >>> import churnsurv as cs
    >>> base = cs.simulate_customers(2000, rng=1)
    >>> data = cs.prepare(base.customers, duration="tenure", event="churned", reason="reason")
    >>> gray_test(data, "plan").summary.columns.tolist()
    ['statistic', 'df', 'p_value', 'note']
    """

    _title = "Gray's test of equal cumulative incidence"

    def __init__(self, summary: pd.DataFrame, by: list, strata: list, rho: float) -> None:
        self.summary = summary
        self.by = by
        self.strata = strata
        self.rho = rho

    def _note(self) -> str:
        strata = f", stratified by {', '.join(map(str, self.strata))}" if self.strata else ""
        return f"Segments by {', '.join(map(str, self.by))}{strata}; rho = {self.rho:g}."


def gray_test(
    data: ChurnData,
    by: Columns,
    *,
    reason: object = None,
    strata: Columns = None,
    rho: float = 0.0,
) -> GrayTestResult:
    """Gray's k-sample test of equal cumulative incidence of a reason across segments.

    Parameters
    ----------
    data : ChurnData
        From :func:`churnsurv.prepare` with ``reason=``; without entry times (``cmprsk`` has no
        left truncation, and neither has this test here).
    by : str or list of str
        Segment column(s) compared.
    reason : label or list of labels, optional
        Reason(s) to test; default every reason (one test per reason, as ``cuminc`` reports).
    strata : str or list of str, optional
        Columns within whose levels the segments are compared; the scores and variances are
        summed over strata (``cuminc(strata=)``).
    rho : float, default 0
        Power of the weight ``(1 - F(t-))^rho``; 0 is Gray's default (``cuminc``'s ``rho``).

    Returns
    -------
    GrayTestResult

    Examples
    --------
    >>> import churnsurv as cs
    >>> base = cs.simulate_customers(3000, rng=2)
    >>> data = cs.prepare(base.customers, duration="tenure", event="churned", reason="reason")
    >>> res = gray_test(data, "channel", reason=["price", "service"])
    >>> res.summary[["statistic", "df", "p_value"]].round(3)
            statistic  df  p_value
    reason
    price       6.104   2    0.047
    service     1.912   2    0.384
    """
    data.require_reasons(purpose="Gray's test")
    data.require_customer_rows(purpose="Gray's test")
    by_cols, strata_cols = as_list(by), as_list(strata)
    if not by_cols:
        raise DataValidationError(
            "Gray's test compares segments: give by= (the segment column).",
            column="by",
            rule="missing argument",
        )
    if data.has_entry:
        raise DataValidationError(
            "Gray's test is not available with entry times (left truncation): cmprsk's test "
            "assumes every customer is followed from tenure 0.",
            column="entry",
            rule="entry times",
        )
    data.require_columns(by_cols + strata_cols, purpose="Gray's test")
    check_segment_levels(data.frame, by_cols)
    reasons = list(data.reasons or [])
    wanted = reasons if reason is None else as_list(reason)  # type: ignore[arg-type]
    unknown = [r for r in wanted if r not in reasons]
    if unknown:
        raise DataValidationError(
            f"reason={unknown[0]!r} is not one of the data's reasons {reasons}.",
            column="reason",
            rule="unknown reason",
        )
    codes, _, labels, _ = group_codes(data.frame, by_cols)
    k = len(labels)
    if k < 2:
        raise DataValidationError(
            f"Gray's test needs at least two segments; {by_cols} has one value ({labels[0]!r}).",
            column=str(by_cols[0]),
            rule="one group",
        )
    assert codes is not None
    if strata_cols:
        s_codes, _, s_labels, _ = group_codes(data.frame, strata_cols)
        assert s_codes is not None
        n_strata = len(s_labels)
        combined = s_codes.astype(np.int64) * k + codes
    else:
        n_strata, combined = 1, codes.astype(np.int64)
    tables = reason_tables(data.durations, data.reason_codes, len(reasons), combined, n_strata * k)
    per_stratum = [tables[s * k : (s + 1) * k] for s in range(n_strata)]
    rows = []
    for r in wanted:
        score, cov = gray_statistic(per_stratum, reasons.index(r), float(rho))
        stat, note = _quadratic_form(score, cov)
        rows.append(
            {
                "reason": r,
                "statistic": stat,
                "df": k - 1,
                "p_value": float(stats.chi2.sf(stat, k - 1)) if np.isfinite(stat) else np.nan,
                "note": note,
            }
        )
    summary = pd.DataFrame(rows).set_index("reason")
    return GrayTestResult(summary, by_cols, strata_cols, float(rho))


def _quadratic_form(score: np.ndarray, cov: np.ndarray) -> tuple[float, str]:
    """``score' cov^-1 score``, or NaN with a note when ``cov`` is singular (cmprsk: -1)."""
    if not np.all(np.isfinite(cov)) or np.linalg.matrix_rank(cov) < cov.shape[0]:
        return np.nan, "singular covariance (a segment without churn for this reason?)"
    return float(score @ np.linalg.solve(cov, score)), ""
