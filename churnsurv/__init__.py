"""churnsurv: survival analysis of customer churn and customer lifetime value.

Validate a customer table once with :func:`prepare`, then ask how long customers stay
(Kaplan–Meier), what drives churn (Cox and parametric models) and what customers are worth (CLV).
"""

from churnsurv import datasets, simulate
from churnsurv.bgnbd import BetaGeoNBD, GammaGamma, customer_lifetime_value
from churnsurv.clv import CLVResult, ValueAtRisk, clv, value_at_risk
from churnsurv.cox import CoxModel
from churnsurv.data import ChurnData, elapsed, prepare, prepare_panel, rfm_summary
from churnsurv.exceptions import AssumptionWarning, ConvergenceError, DataValidationError
from churnsurv.km import (
    CohortTable,
    KaplanMeier,
    LogrankResult,
    PairwiseLogrankResult,
    churn_rates,
    cohort_table,
    life_table,
    logrank,
    pairwise_logrank,
)
from churnsurv.parametric import (
    LogLogisticAFT,
    LogNormalAFT,
    ModelComparison,
    PiecewiseExponential,
    WeibullAFT,
    compare_models,
)
from churnsurv.plotting_btyd import (
    plot_calibration_purchases,
    plot_cumulative_tracking,
    plot_sbg_projection,
)
from churnsurv.plotting_km import plot_cohort_heatmap
from churnsurv.sbg import ShiftedBetaGeometric
from churnsurv.simulate import simulate_customers, simulate_transactions

__version__ = "0.1.0"

__all__ = [
    "AssumptionWarning",
    "BetaGeoNBD",
    "CLVResult",
    "ChurnData",
    "CohortTable",
    "ConvergenceError",
    "CoxModel",
    "DataValidationError",
    "GammaGamma",
    "KaplanMeier",
    "LogLogisticAFT",
    "LogNormalAFT",
    "LogrankResult",
    "ModelComparison",
    "PairwiseLogrankResult",
    "PiecewiseExponential",
    "ShiftedBetaGeometric",
    "ValueAtRisk",
    "WeibullAFT",
    "__version__",
    "churn_rates",
    "clv",
    "cohort_table",
    "compare_models",
    "customer_lifetime_value",
    "datasets",
    "elapsed",
    "life_table",
    "logrank",
    "pairwise_logrank",
    "plot_calibration_purchases",
    "plot_cohort_heatmap",
    "plot_cumulative_tracking",
    "plot_sbg_projection",
    "prepare",
    "prepare_panel",
    "rfm_summary",
    "simulate",
    "simulate_customers",
    "simulate_transactions",
    "value_at_risk",
]
