"""churnsurv: survival analysis of customer churn and customer lifetime value.

Validate a customer table once with :func:`prepare`, then ask how long customers stay
(:mod:`churnsurv.km`), what drives churn (:mod:`churnsurv.regression`), why customers leave
(:mod:`churnsurv.reasons`) and what customers are worth (:mod:`churnsurv.clv`). Every public
name is re-exported here; figures are in :mod:`churnsurv.plotting`, and ``churnsurv report``
lives in :mod:`churnsurv.report`.
"""

from churnsurv.clv import (
    BetaGeoNBD,
    CLVResult,
    GammaGamma,
    ShiftedBetaGeometric,
    ValueAtRisk,
    clv,
    customer_lifetime_value,
    value_at_risk,
)
from churnsurv.data import (
    ChurnData,
    PanelData,
    datasets,
    elapsed,
    prepare,
    prepare_panel,
    rfm_summary,
    simulate,
    simulate_customers,
    simulate_transactions,
)
from churnsurv.exceptions import (
    AssumptionWarning,
    ConvergenceError,
    DataValidationError,
    NotFittedError,
)
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
from churnsurv.plotting import (
    plot_calibration_purchases,
    plot_cohort_heatmap,
    plot_cumulative_tracking,
    plot_sbg_projection,
)
from churnsurv.reasons import (
    CauseSpecificCox,
    CumulativeIncidence,
    FineGray,
    GrayTestResult,
    ValueLost,
    finegray_data,
    gray_test,
    value_lost_by_reason,
)
from churnsurv.regression import (
    CoxModel,
    LogLogisticAFT,
    LogNormalAFT,
    ModelComparison,
    PiecewiseExponential,
    WeibullAFT,
    compare_models,
)

__version__ = "0.1.0"

__all__ = [
    "AssumptionWarning",
    "BetaGeoNBD",
    "CLVResult",
    "CauseSpecificCox",
    "ChurnData",
    "CohortTable",
    "ConvergenceError",
    "CoxModel",
    "CumulativeIncidence",
    "DataValidationError",
    "FineGray",
    "GammaGamma",
    "GrayTestResult",
    "KaplanMeier",
    "LogLogisticAFT",
    "LogNormalAFT",
    "LogrankResult",
    "ModelComparison",
    "NotFittedError",
    "PairwiseLogrankResult",
    "PanelData",
    "PiecewiseExponential",
    "ShiftedBetaGeometric",
    "ValueAtRisk",
    "ValueLost",
    "WeibullAFT",
    "__version__",
    "churn_rates",
    "clv",
    "cohort_table",
    "compare_models",
    "customer_lifetime_value",
    "datasets",
    "elapsed",
    "finegray_data",
    "gray_test",
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
    "value_lost_by_reason",
]
