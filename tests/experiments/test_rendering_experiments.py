"""The experiment results render as text and HTML tables (CONTRIBUTING: results)."""

from __future__ import annotations

import pytest

import churnsurv as cs


@pytest.fixture(scope="module")
def results():
    sim = cs.simulate_hotel(n=1500, rng=3)
    lapsed = cs.prepare(
        sim.returns, duration="months_since_churn", event="returned", covariates=["tier"]
    )
    return {
        "ArmComparison": cs.compare_arms(sim.data, horizons=[6, 18], margin=50.0, n_boot=5, rng=1),
        "NetValue": cs.net_value(sim.data, horizons=[6], margin=50.0, n_boot=5, rng=1),
        "PowerPlan": cs.sample_size(0.7, churn_probability=0.4),
        "RMSTPower": cs.rmst_power(
            6, 50, rates={"a": [0.1], "b": [0.05]}, follow_up=6, n_sim=5, rng=1
        ),
        "WinBack": cs.win_back(lapsed, by="tier", horizons=[6]),
        "HotelSimulation": sim,
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ArmComparison", "rmst_winner"),
        ("NetValue", "overtakes"),
        ("PowerPlan", "n_reference"),
        ("RMSTPower", "true_difference"),
        ("WinBack", "expected_value"),
        ("HotelSimulation", "promotion"),
    ],
)
def test_renders(results, name, expected):
    obj = results[name]
    assert type(obj).__name__ == name
    assert expected in str(obj) and expected in repr(obj)
    assert "<table" in obj._repr_html_()
    assert "object at 0x" not in repr(obj)
