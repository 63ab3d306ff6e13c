"""churnsurv: survival analysis of customer churn and customer lifetime value.

Validate a customer table once with :func:`prepare`, then ask how long customers stay
(:mod:`churnsurv.km`), what drives churn (:mod:`churnsurv.regression`) and what customers are
worth (:mod:`churnsurv.clv`). Every public name is re-exported here; figures are in
:mod:`churnsurv.plotting`, and ``churnsurv report`` lives in :mod:`churnsurv.report`.
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
from churnsurv.metrics import (
    BrierScore,
    Calibration,
    CensoringSurvival,
    Gains,
    TimeDependentAUC,
    brier_score,
    calibration,
    censoring_survival,
    gains,
    time_dependent_auc,
)
from churnsurv.plotting import (
    plot_calibration,
    plot_calibration_purchases,
    plot_cohort_heatmap,
    plot_cumulative_tracking,
    plot_gains,
    plot_sbg_projection,
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
    "BrierScore",
    "CLVResult",
    "Calibration",
    "CensoringSurvival",
    "ChurnData",
    "CohortTable",
    "ConvergenceError",
    "CoxModel",
    "DataValidationError",
    "Gains",
    "GammaGamma",
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
    "TimeDependentAUC",
    "ValueAtRisk",
    "WeibullAFT",
    "__version__",
    "brier_score",
    "calibration",
    "censoring_survival",
    "churn_rates",
    "clv",
    "cohort_table",
    "compare_models",
    "customer_lifetime_value",
    "datasets",
    "elapsed",
    "gains",
    "life_table",
    "logrank",
    "pairwise_logrank",
    "plot_calibration",
    "plot_calibration_purchases",
    "plot_cohort_heatmap",
    "plot_cumulative_tracking",
    "plot_gains",
    "plot_sbg_projection",
    "prepare",
    "prepare_panel",
    "rfm_summary",
    "simulate",
    "simulate_customers",
    "simulate_transactions",
    "time_dependent_auc",
    "value_at_risk",
]
