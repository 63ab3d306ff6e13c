"""Why customers leave: churn reasons as competing risks.

:class:`CumulativeIncidence` (Aalen–Johansen cumulative incidence per reason, overall or per
segment), :func:`gray_test` (Gray's test between segments), and the arithmetic behind them in
:mod:`~churnsurv.reasons.counts`.
"""

from churnsurv.reasons.gray import GrayTestResult, gray_test
from churnsurv.reasons.incidence import CumulativeIncidence

__all__ = ["CumulativeIncidence", "GrayTestResult", "gray_test"]
