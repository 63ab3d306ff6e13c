"""Model metrics: how well a predicted risk orders the observed churn times.

:func:`~churnsurv.metrics.concordance.harrell_c` is Harrell's concordance with R
``survival::concordance``'s conventions (strata, case weights, entry times / panels).
"""

from churnsurv.metrics.concordance import Concordance, harrell_c

__all__ = ["Concordance", "harrell_c"]
