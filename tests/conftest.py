"""Fixtures shared by the test modules."""

import json
import pathlib

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs


@pytest.fixture(scope="session")
def telco():
    """The bundled Telco data prepared as in the README (monthly tenure, margin column).

    Estimators never modify ChurnData, so one object serves every test of a worker.
    """
    return cs.prepare(
        cs.datasets.load_telco(),
        id="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
        time_unit="month",
        margin="MonthlyCharges",
    )


REFERENCE = pathlib.Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def r_reference():
    """Load a committed R reference output: ``r_reference("coxph_robust.json")`` (a dict) or a
    CSV written next to it (a DataFrame). See tests/reference/README.md for the scripts."""

    def load(name: str):
        path = REFERENCE / name
        if name.endswith(".json"):
            return json.loads(path.read_text())
        return pd.read_csv(path)

    return load


def simulate_saas_table(n: int = 2000, seed: int = 17) -> pd.DataFrame:
    """A SaaS-like customer table with day-first dates (dd/mm/yyyy), as in issue #17.

    Signups uniform over 2022-01-01 .. 2024-06-30; time to cancellation exponential with a mean
    of 400 days; cancellations after the cutoff 2024-12-01 are missing (still active). Next to
    the day-first text columns ``signup`` and ``cancelled`` the frame keeps the truth:
    ``signup_iso`` / ``cancelled_iso`` (the same dates in ISO 8601) and ``true_days`` (days from
    signup to cancellation or to the cutoff) and ``true_churned``.
    """
    rng = np.random.default_rng(seed)
    cutoff = pd.Timestamp("2024-12-01")
    first = pd.Timestamp("2022-01-01")
    start = first + pd.to_timedelta(rng.integers(0, 912, n), unit="D")
    lifetime = pd.to_timedelta(np.ceil(rng.exponential(400.0, n)).astype(int), unit="D")
    end = start + lifetime
    churned = end <= cutoff
    end = end.where(churned)
    plan = rng.choice(["Basic", "Pro", "Enterprise"], n, p=[0.5, 0.35, 0.15])
    fee = np.round(rng.lognormal(np.log(40.0), 0.5, n), 2)  # continuous: ~1,700 distinct values
    return pd.DataFrame(
        {
            "account_id": [f"A{i:05d}" for i in range(n)],
            "signup": start.strftime("%d/%m/%Y"),
            "cancelled": [d.strftime("%d/%m/%Y") if pd.notna(d) else None for d in end],
            "plan": plan,
            "monthly_fee": fee,
            "signup_iso": start.strftime("%Y-%m-%d"),
            "cancelled_iso": [d.strftime("%Y-%m-%d") if pd.notna(d) else None for d in end],
            "true_days": ((end.fillna(cutoff) - start).days).astype(float),
            "true_churned": np.asarray(churned),
        }
    )


@pytest.fixture(scope="session")
def saas_table() -> pd.DataFrame:
    """:func:`simulate_saas_table` (2,000 customers, dd/mm/yyyy dates); copy before changing."""
    return simulate_saas_table()
