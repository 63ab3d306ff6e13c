"""Why customers leave: churn reasons as competing risks.

:class:`CumulativeIncidence` (Aalen–Johansen cumulative incidence per reason, overall or per
segment), :func:`gray_test` (Gray's test between segments), :class:`FineGray` and
:class:`CauseSpecificCox` (regression: who will in the end leave for a reason, and what drives
the rate of leaving for it), :func:`value_lost_by_reason` (the margin each reason will take), and
the arithmetic behind them in :mod:`~churnsurv.reasons.counts`.
"""

from churnsurv.reasons.finegray import CauseSpecificCox, FineGray, finegray_data
from churnsurv.reasons.gray import GrayTestResult, gray_test
from churnsurv.reasons.incidence import CumulativeIncidence
from churnsurv.reasons.value import ValueLost, value_lost_by_reason

__all__ = [
    "CauseSpecificCox",
    "CumulativeIncidence",
    "FineGray",
    "GrayTestResult",
    "ValueLost",
    "finegray_data",
    "gray_test",
    "value_lost_by_reason",
]
