"""Per-customer CLV computed a block of customers at a time equals the one-block computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.clv import _valuation


@pytest.fixture(scope="module")
def telco():
    data = cs.prepare(
        cs.datasets.load_telco(),
        id="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
        margin="MonthlyCharges",
    )
    return data, cs.CoxModel("Contract + InternetService + MonthlyCharges").fit(data)


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("parametric_tail", [False, True])
def test_blocks_give_the_values_of_one_block(monkeypatch, telco, residual, parametric_tail):
    data, cox = telco
    tail = (
        cs.WeibullAFT("Contract").fit(data)
        if parametric_tail
        else pd.Series(0.98 ** np.arange(200.0))
    )
    kw = {"annual_discount_rate": 0.1, "horizon": 60, "residual": residual, "tail": tail}
    whole = cs.clv(cox, data, **kw).summary
    monkeypatch.setattr(_valuation, "_CUSTOMER_BLOCK", 1000)  # 8 blocks, the last partial
    blocks = cs.clv(cox, data, **kw).summary
    pd.testing.assert_frame_equal(blocks, whole, check_exact=False, rtol=1e-13)


def test_blocks_count_every_customer_past_follow_up(monkeypatch, telco):
    data, cox = telco
    monkeypatch.setattr(_valuation, "_CUSTOMER_BLOCK", 1000)
    active = int((~data.events).sum())
    # residual values over 60 months run past the 72-month follow-up for customers past 12
    n_past = int(((data.frame["duration"] + 59 > 72) & ~data.frame["event"]).sum())
    assert 0 < n_past < active
    with pytest.raises(ValueError, match=f"for {n_past} customer"):
        cs.clv(cox, data, annual_discount_rate=0.1, horizon=60, residual=True)
