"""How long do customers stay? Kaplan–Meier curves, log-rank tests and the period tables.

:class:`KaplanMeier` (the estimator), :mod:`~churnsurv.km.counts` (the counting arithmetic:
product limit, bands, quantiles, RMST), :mod:`~churnsurv.km.logrank` (the tests, their arithmetic
and results) and :mod:`~churnsurv.km.tables` (churn rates, life and cohort tables).
"""

from churnsurv.km.estimator import KaplanMeier
from churnsurv.km.logrank import LogrankResult, PairwiseLogrankResult, logrank, pairwise_logrank
from churnsurv.km.tables import CohortTable, churn_rates, cohort_table, life_table

__all__ = [
    "CohortTable",
    "KaplanMeier",
    "LogrankResult",
    "PairwiseLogrankResult",
    "churn_rates",
    "cohort_table",
    "life_table",
    "logrank",
    "pairwise_logrank",
]
