"""What drives churn? Cox proportional-hazards and parametric (AFT, piecewise) models.

The front ends (:class:`CoxModel`, the parametric classes) build the model frame with
:mod:`~churnsurv.regression.design`; the engines in :mod:`~churnsurv.regression.cox.likelihood` only
do arithmetic, as R ``survival`` splits ``coxph`` from ``coxph.fit``.
"""

from churnsurv.regression.comparison import ModelComparison, compare_models
from churnsurv.regression.cox import CoxModel
from churnsurv.regression.discrete import DiscreteTimeHazard
from churnsurv.regression.parametric import (
    LogLogisticAFT,
    LogNormalAFT,
    PiecewiseExponential,
    WeibullAFT,
)

__all__ = [
    "CoxModel",
    "DiscreteTimeHazard",
    "LogLogisticAFT",
    "LogNormalAFT",
    "ModelComparison",
    "PiecewiseExponential",
    "WeibullAFT",
    "compare_models",
]
