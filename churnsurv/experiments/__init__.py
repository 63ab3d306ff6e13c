"""Retention experiments: compare strategies (also when their curves cross), plan and win back.

:func:`compare_arms` reads a two-arm experiment (Kaplan–Meier, log-rank and Fleming–Harrington
tests, RMST difference and ratio over horizons, hazard ratio per tenure interval, a decision
table); :func:`piecewise_hazard_ratios` and :func:`split_episodes` are its step time interaction;
:func:`net_value` values each arm net of the campaign's cost; :func:`simulate_hotel`
simulates the hotel case of the notebook ``08-hotel-case``.
"""

from churnsurv.experiments.compare import ArmComparison, compare_arms
from churnsurv.experiments.piecewise import piecewise_hazard_ratios, split_episodes
from churnsurv.experiments.simulate import HotelSimulation, simulate_hotel
from churnsurv.experiments.value import NetValue, net_value

__all__ = [
    "ArmComparison",
    "HotelSimulation",
    "NetValue",
    "compare_arms",
    "net_value",
    "piecewise_hazard_ratios",
    "simulate_hotel",
    "split_episodes",
]
