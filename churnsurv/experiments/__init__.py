"""Retention experiments: compare strategies (also when their curves cross) and plan them.

:func:`compare_arms` reads a two-arm experiment (Kaplan–Meier, log-rank and Fleming–Harrington
tests, RMST difference and ratio over horizons, hazard ratio per tenure interval, a decision
table); :func:`piecewise_hazard_ratios` and :func:`split_episodes` are its step time interaction,
:func:`time_varying_hazard_ratio` the continuous one (R's ``tt()``);
:func:`net_value` values each arm net of the campaign's cost. :mod:`~churnsurv.experiments.planning`
sizes a test (:func:`events_needed`, :func:`sample_size`, :func:`power_hazard_ratio`,
:func:`rmst_power`). :func:`simulate_hotel` simulates the hotel case of notebook
``08-hotel-case``. :func:`win_back` reads the return of churned customers per value tier.
"""

from churnsurv.experiments.compare import ArmComparison, compare_arms
from churnsurv.experiments.piecewise import piecewise_hazard_ratios, split_episodes
from churnsurv.experiments.planning import (
    PowerPlan,
    RMSTPower,
    churn_within_follow_up,
    events_needed,
    power_hazard_ratio,
    rmst_power,
    sample_size,
)
from churnsurv.experiments.simulate import HotelSimulation, simulate_hotel
from churnsurv.experiments.timevarying import TimeVaryingHazardRatio, time_varying_hazard_ratio
from churnsurv.experiments.value import NetValue, net_value
from churnsurv.experiments.winback import WinBack, win_back

__all__ = [
    "ArmComparison",
    "HotelSimulation",
    "NetValue",
    "PowerPlan",
    "RMSTPower",
    "TimeVaryingHazardRatio",
    "WinBack",
    "churn_within_follow_up",
    "compare_arms",
    "events_needed",
    "net_value",
    "piecewise_hazard_ratios",
    "power_hazard_ratio",
    "rmst_power",
    "sample_size",
    "simulate_hotel",
    "split_episodes",
    "time_varying_hazard_ratio",
    "win_back",
]
