"""The options of ``churnsurv report``, checked before anything runs (bundled data sets and
their defaults; every option by the library's own rules). Only :mod:`churnsurv.report.run`
imports this module.
"""

from __future__ import annotations

from churnsurv._validation import (
    check_annual_rate,
    check_choice,
    check_cost,
    check_count,
    check_horizon,
    check_probability,
    check_seed,
    check_unit,
)
from churnsurv.exceptions import DataValidationError
from churnsurv.report.arms import parse_arm_cost
from churnsurv.report.checks import check_input_options
from churnsurv.report.findings import CLV_TAILS

__all__ = ["DATASETS", "check_options"]

#: Bundled data sets ``churnsurv report --dataset NAME`` knows, with their default options.
DATASETS: dict[str, dict] = {
    "telco": dict(
        id_col="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
        time_unit="month",
        by=["Contract", "InternetService"],
        formula="Contract + InternetService + PaymentMethod + SeniorCitizen + MonthlyCharges",
        margin="MonthlyCharges",
    ),
}


def check_options(params: dict) -> None:
    """Check every option with the library's own rules, named as on the command line.

    The rules are those of :mod:`churnsurv._validation` that :func:`churnsurv.clv`,
    :func:`churnsurv.value_at_risk`, :func:`churnsurv.prepare` and the rest apply to the same
    argument, so the command refuses exactly what the library refuses, with the same sentence
    (``--horizon=0 ...`` where the library says ``horizon=0 ...``). Checked values replace the
    given ones in ``params`` (``horizon=60.0`` becomes ``60``).
    """
    params["time_unit"] = check_unit(params["time_unit"], name="--time-unit")
    params["annual_discount_rate"] = check_annual_rate(
        params["annual_discount_rate"], name="--annual-discount-rate"
    )
    if params["horizon"] is not None:  # None: five years, cut to the follow-up (the notebook)
        params["horizon"] = check_horizon(params["horizon"], name="--horizon")
    check_choice("--clv-tail", params["clv_tail"], CLV_TAILS)
    params["within"] = check_horizon(params["within"], name="--within")
    params["top_n"] = check_count(params["top_n"], name="--top", minimum=1)
    params["min_cox_events"] = check_count(
        params["min_cox_events"], name="--min-cox-events", minimum=0
    )
    params["seed"] = check_seed(params["seed"], name="--seed")
    check_input_options(params)
    if params["offer_cost"] is not None:
        params["offer_cost"] = check_cost(params["offer_cost"], name="--offer-cost")
    params["success_rate"] = check_probability(params["success_rate"], name="--success-rate")
    params["n_boot"] = check_count(params["n_boot"], name="--n-boot", minimum=2)
    for option in ("arm_cost", "arm_cost_per_period"):
        params[option] = parse_arm_cost(params[option], name=f"--{option.replace('_', '-')}")
        if params[option] is not None and params["arm"] is None:
            raise DataValidationError(
                f"--{option.replace('_', '-')} needs --arm COLUMN (the column of the arms).",
                column="--arm",
                rule="missing argument",
            )
    # Which columns go together is the command's own business (prepare takes either set).
    if (params["duration"] is None) == (params["start_date"] is None):
        raise DataValidationError(
            "give --duration COL (a tenure column) or --start-date COL with --end-date COL and "
            "--cutoff DATE, not both.",
            rule="duration or dates",
        )
    if params["duration"] is not None and params["event"] is None and params["reason"] is None:
        raise DataValidationError(
            "--event: name the churn indicator column (or give --reason, a column of churn "
            "reasons that is empty for active customers).",
            column="--event",
            rule="missing argument",
        )
    if params["start_date"] is not None and params["cutoff"] is None:
        raise DataValidationError(
            "--cutoff: the end of observation is needed with dates.",
            column="--cutoff",
            rule="missing argument",
        )
