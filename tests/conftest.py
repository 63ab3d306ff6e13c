"""Fixtures shared by the test modules."""

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
