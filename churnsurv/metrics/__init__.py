"""How good a churn prediction is: concordance, time-dependent AUC, Brier score, calibration, gains.

Censoring is handled by inverse probability of censoring weights (:mod:`churnsurv.metrics.ipcw`)
with riskRegression::Score's conventions; :func:`harrell_c` is Harrell's concordance with R
``survival::concordance``'s conventions (strata, case weights, entry times / panels), with its
standard error; :class:`ChurnClassifier` is the classic logistic "churned within k" baseline
(naive or IPCW).
"""

from churnsurv.metrics.brier import BrierScore, brier_score
from churnsurv.metrics.calibration import Calibration, calibration
from churnsurv.metrics.classifier import ChurnClassifier
from churnsurv.metrics.concordance import Concordance, harrell_c
from churnsurv.metrics.evaluate import Evaluation, evaluate
from churnsurv.metrics.gains import Gains, gains
from churnsurv.metrics.ipcw import CensoringSurvival, censoring_survival
from churnsurv.metrics.td_auc import TimeDependentAUC, time_dependent_auc
from churnsurv.metrics.uno import uno_c
from churnsurv.metrics.validation import (
    Backtest,
    CrossValidation,
    backtest,
    cross_validate,
    split_customers,
)
from churnsurv.metrics.warning import (
    EarlyWarning,
    ProfitThreshold,
    early_warning,
    profit_threshold,
)

__all__ = [
    "Backtest",
    "BrierScore",
    "Calibration",
    "CensoringSurvival",
    "ChurnClassifier",
    "Concordance",
    "CrossValidation",
    "EarlyWarning",
    "Evaluation",
    "Gains",
    "ProfitThreshold",
    "TimeDependentAUC",
    "backtest",
    "brier_score",
    "calibration",
    "censoring_survival",
    "cross_validate",
    "early_warning",
    "evaluate",
    "gains",
    "harrell_c",
    "profit_threshold",
    "split_customers",
    "time_dependent_auc",
    "uno_c",
]
