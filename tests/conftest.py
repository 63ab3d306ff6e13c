"""Fixtures shared by the test modules."""

import json
import pathlib

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
