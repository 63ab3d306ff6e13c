"""churnsurv: survival analysis of customer churn and customer lifetime value.

Validate a customer table once with :func:`prepare`, then ask how long customers stay
(Kaplan–Meier), what drives churn (Cox and parametric models) and what customers are worth (CLV).
"""

from churnsurv import datasets, simulate
from churnsurv.data import ChurnData, elapsed, prepare, prepare_panel, rfm_summary
from churnsurv.exceptions import AssumptionWarning, ConvergenceError, DataValidationError
from churnsurv.simulate import simulate_customers, simulate_transactions

__version__ = "0.1.0"

__all__ = [
    "AssumptionWarning",
    "ChurnData",
    "ConvergenceError",
    "DataValidationError",
    "__version__",
    "datasets",
    "elapsed",
    "prepare",
    "prepare_panel",
    "rfm_summary",
    "simulate",
    "simulate_customers",
    "simulate_transactions",
]
