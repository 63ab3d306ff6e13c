"""``churnsurv report --arm``: the experiment's options, checked before anything runs.

Only :mod:`churnsurv.report.run` imports this module.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from churnsurv._validation import check_cost
from churnsurv.exceptions import DataValidationError

__all__ = ["parse_arm_cost", "validate_arm"]


def validate_arm(params: dict, data: Any) -> None:
    """``--arm``: a column with exactly two values; ``--arm-cost ARM=COST`` names one of them."""
    arm = params["arm"]
    arms = sorted(map(str, pd.unique(data.frame[arm].dropna())))
    if len(arms) != 2:
        raise DataValidationError(
            f"--arm {arm!r} must hold exactly two arms (strategies); it holds {len(arms)}: "
            f"{arms[:10]}{' ...' if len(arms) > 10 else ''}.",
            column="--arm",
            rule="not two arms",
        )
    for option in ("arm_cost", "arm_cost_per_period"):
        cost = params[option]
        unknown = sorted(set(cost) - set(arms)) if isinstance(cost, dict) else []
        if unknown:
            raise DataValidationError(
                f"--{option.replace('_', '-')}: {unknown} are not values of --arm {arm!r}; "
                f"its arms are {arms}.",
                column=f"--{option.replace('_', '-')}",
                rule="unknown arm",
            )


def parse_arm_cost(values: Any, *, name: str) -> float | dict[str, float] | None:
    """``--arm-cost`` values: one amount for every arm, or ``ARM=AMOUNT`` per arm.

    Examples
    --------
    >>> parse_arm_cost([40], name="--arm-cost")
    40.0
    >>> parse_arm_cost(["promotion=40", "relationship=10.5"], name="--arm-cost")
    {'promotion': 40.0, 'relationship': 10.5}
    >>> parse_arm_cost(["promotion=ten"], name="--arm-cost")
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: --arm-cost='ten' must be a finite amount >= 0.
    """
    if values is None or (isinstance(values, list) and not values):
        return None
    if isinstance(values, dict):
        return {str(k): check_cost(_as_number(v), name=name) for k, v in values.items()}
    values = values if isinstance(values, list | tuple) else [values]
    if len(values) == 1 and not (isinstance(values[0], str) and "=" in values[0]):
        return check_cost(_as_number(values[0]), name=name)
    costs: dict[str, float] = {}
    for value in values:
        arm, sep, amount = str(value).rpartition("=")
        if not sep or not arm:
            raise DataValidationError(
                f"{name}={value!r}: give one amount for every arm (40) or ARM=AMOUNT per arm "
                "(promotion=40).",
                column=name,
                rule="bad cost",
            )
        costs[arm] = check_cost(_as_number(amount), name=name)
    return costs


def _as_number(text: Any) -> Any:
    """Text that reads as a number becomes one (other values are left for the rule to refuse)."""
    try:
        return float(text) if isinstance(text, str) else text
    except ValueError:
        return text
