"""Every figure churnsurv draws.

One convention: a fitted result (or a tidy table) in, a keyword-only ``ax=None``, the Axes out;
no ``plt.show()``, no rcParams changes. Plotting draws; it never computes statistics.
"""

from churnsurv.plotting.btyd import (
    plot_calibration_purchases,
    plot_cumulative_tracking,
    plot_sbg_projection,
)
from churnsurv.plotting.events import plot_inactivity_sensitivity
from churnsurv.plotting.experiments import (
    plot_hazard_ratio_curve,
    plot_hazard_ratios,
    plot_rmst_difference,
)
from churnsurv.plotting.km import plot_churn_rates, plot_cohort_heatmap
from churnsurv.plotting.metrics import plot_calibration, plot_gains

__all__ = [
    "plot_calibration",
    "plot_calibration_purchases",
    "plot_churn_rates",
    "plot_cohort_heatmap",
    "plot_cumulative_tracking",
    "plot_gains",
    "plot_hazard_ratio_curve",
    "plot_hazard_ratios",
    "plot_inactivity_sensitivity",
    "plot_rmst_difference",
    "plot_sbg_projection",
]
