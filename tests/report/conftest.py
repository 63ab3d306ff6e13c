"""Shared data of the report tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def twelve_months(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    """A SaaS-like table followed for at most 12 months, with proportional hazards: exponential
    churn with hazard ratios 0.6 (plus) and 0.35 (pro) against basic and exp(0.4) per unit of
    usage (the truth the tests recover)."""
    gen = np.random.default_rng(seed)
    plan = gen.choice(["basic", "plus", "pro"], n, p=[0.5, 0.3, 0.2])
    usage = gen.normal(size=n)
    rate = 0.06 * np.select([plan == "basic", plan == "plus"], [1.0, 0.6], 0.35)
    t = gen.exponential(1 / (rate * np.exp(0.4 * usage)))
    follow = gen.uniform(1, 12, n).round()
    spend = gen.gamma(4, 10, n) + np.select([plan == "basic", plan == "plus"], [0, 20], 50)
    return pd.DataFrame(
        {
            "account": [f"A{i:05d}" for i in range(n)],
            "months": np.minimum(np.ceil(t), follow).astype(int),
            "churned": (np.ceil(t) <= follow).astype(int),
            "plan": plan,
            "region": gen.choice(["north", "south"], n),
            "usage": usage,
            "spend": spend.round(2),
        }
    )


@pytest.fixture(scope="session")
def twelve_month_table() -> pd.DataFrame:
    """:func:`twelve_months` with its default seed."""
    return twelve_months()
