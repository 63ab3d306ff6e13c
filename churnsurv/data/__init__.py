"""Data preparation: the one door (:func:`prepare`), the validated data types, calendar units,
transaction logs, the bundled datasets and the simulator.

Every estimator takes a :class:`ChurnData` built here; nothing downstream re-validates raw input.
"""

from churnsurv._validation import (
    TIME_UNITS,
    check_annual_rate,
    check_horizon,
    check_margin_values,
    check_survival_curve,
)
from churnsurv.data import datasets, simulate
from churnsurv.data.churn_data import ChurnData, PanelData
from churnsurv.data.prepare import prepare, prepare_panel
from churnsurv.data.simulate import simulate_customers, simulate_transactions
from churnsurv.data.transactions import rfm_summary
from churnsurv.data.units import YEARS_PER_UNIT, elapsed

__all__ = [
    "TIME_UNITS",
    "YEARS_PER_UNIT",
    "ChurnData",
    "PanelData",
    "check_annual_rate",
    "check_horizon",
    "check_margin_values",
    "check_survival_curve",
    "datasets",
    "elapsed",
    "prepare",
    "prepare_panel",
    "rfm_summary",
    "simulate",
    "simulate_customers",
    "simulate_transactions",
]
