"""Tests for churnsurv.net_value and compare_arms' net-value columns.

References: :func:`churnsurv.clv` (the same Kaplan–Meier valuation, timing="start"), the
closed-form value of the hotel simulator's true curves, and arithmetic of the costs.
"""

from __future__ import annotations

import numpy as np
import pytest

import churnsurv as cs
from churnsurv.clv.discount import discount_factors
from churnsurv.exceptions import DataValidationError


@pytest.fixture(scope="module")
def hotel():
    return cs.simulate_hotel(n=3000, rng=21)


def test_without_costs_equals_clv_of_each_arm(hotel):
    nv = cs.net_value(
        hotel.data, horizons=[12, 24], margin=50.0, annual_discount_rate=0.1, n_boot=2, rng=0
    )
    km = cs.KaplanMeier().fit(hotel.data, by="strategy")
    for h in (12, 24):
        ref = cs.clv(km, hotel.data, margin=50.0, annual_discount_rate=0.1, horizon=h).summary
        for arm in ("promotion", "relationship"):
            assert nv.summary.loc[float(h), f"value_{arm}"] == pytest.approx(
                ref.loc[arm, "clv"], rel=1e-12
            )


def test_costs_enter_as_stated(hotel):
    base = cs.net_value(hotel.data, horizons=[12], margin=50.0, n_boot=2, rng=0)
    costly = cs.net_value(
        hotel.data,
        horizons=[12],
        margin=50.0,
        cost_per_customer={"promotion": 40.0},
        cost_per_period={"relationship": 5.0},
        n_boot=2,
        rng=0,
    )
    b, c = base.summary.loc[12.0], costly.summary.loc[12.0]
    assert c["value_promotion"] == pytest.approx(b["value_promotion"] - 40.0)
    # a running cost scales with the expected active periods: value * (50 - 5) / 50
    assert c["value_relationship"] == pytest.approx(b["value_relationship"] * 45 / 50)


def test_value_near_truth_and_overtake_horizon(hotel):
    p = hotel.params
    nv = cs.net_value(
        hotel.data,
        horizons=[6, 30],
        margin=60.0,
        cost_per_customer=p["cost_per_customer"],
        cost_per_period=p["cost_per_period"],
        reference="promotion",
        n_boot=100,
        rng=3,
    )
    grid = np.arange(30, dtype=float)
    true = hotel.true_survival(grid)
    disc = discount_factors(grid, annual_discount_rate=0.0, time_unit="month")
    true_value = {
        a: ((60.0 - p["cost_per_period"][a]) * true[a].to_numpy() * disc).sum()
        - p["cost_per_customer"][a]
        for a in ("promotion", "relationship")
    }
    row = nv.summary.loc[30.0]
    for a in ("promotion", "relationship"):
        assert row[f"ci_lower_{a}"] - 10 < true_value[a] < row[f"ci_upper_{a}"] + 10
    true_diff = (
        np.cumsum(
            (60.0 - 4.0) * true["relationship"].to_numpy() - 60.0 * true["promotion"].to_numpy()
        )
        + 30.0
    )
    behind = np.nonzero(true_diff <= 0)[0]  # horizons h = index + 1
    true_overtake = float(behind[-1] + 2)
    assert abs(nv.overtake_horizon - true_overtake) <= 3
    assert nv.summary["winner"].tolist() == ["promotion", "relationship"]
    assert (nv.curve["ci_lower"] <= nv.curve["difference"]).all()
    assert "overtakes" in str(nv)


def test_compare_arms_adds_net_columns(hotel):
    res = cs.compare_arms(
        hotel.data,
        horizons=[6, 24],
        reference="promotion",
        margin="margin",
        cost_per_customer=hotel.params["cost_per_customer"],
        cost_per_period=hotel.params["cost_per_period"],
        n_boot=20,
        rng=1,
    )
    assert {"net_winner", "net_difference", "net_certainty"} <= set(res.decision.columns)
    np.testing.assert_allclose(res.decision["net_difference"], res.value.summary["difference"])
    assert "Net value per arm" in str(res)


def test_refusals(hotel):
    with pytest.raises(DataValidationError, match="not arms"):
        cs.net_value(hotel.data, horizons=[6], margin=1.0, cost_per_customer={"x": 1.0})
    with pytest.raises(DataValidationError, match=">= 0"):
        cs.net_value(hotel.data, horizons=[6], margin=1.0, cost_per_period=-1.0)
    with pytest.raises(DataValidationError, match="whole"):
        cs.net_value(hotel.data, horizons=[6.5], margin=1.0)
    with pytest.raises(ValueError, match="beyond the follow-up"):
        cs.net_value(hotel.data, horizons=[400], margin=1.0)
