"""Churn-rate intervals (issue #17): Wilson score intervals against R's ``prop.test``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import churnsurv as cs
from churnsurv.km.tables import SMALL_RISK_SET, wilson_interval

REF = json.loads((Path(__file__).parents[1] / "reference" / "prop_wilson.json").read_text())


@pytest.fixture(scope="module")
def telco():
    raw = cs.datasets.load_telco()
    return cs.prepare(raw, duration="tenure", event="Churn", event_value="Yes")


@pytest.mark.parametrize("level", [95, 90])
def test_wilson_interval_matches_r_prop_test(level):
    # tests/reference/prop_wilson.R: prop.test(x, n, correct = FALSE)$conf.int
    lo, hi = wilson_interval(np.array(REF["x"]), np.array(REF["n"]), level / 100)
    np.testing.assert_allclose(lo, REF[f"lower_{level}"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hi, REF[f"upper_{level}"], rtol=1e-9, atol=1e-12)


def test_tenure_churn_rates_carry_the_r_interval_and_flag_small_risk_sets(telco):
    t = cs.churn_rates(telco, "month")
    assert t.attrs["conf_level"] == 0.95
    # periods 1 and 2 are R's first two (x, n) pairs: 380 / 7032 and 123 / 6419
    rows = t.set_index("period").loc[[1, 2]]
    assert rows["churned"].tolist() == REF["x"][:2]
    assert rows["customers_start"].tolist() == REF["n"][:2]
    np.testing.assert_allclose(rows["churn_rate_lower_pct"], 100 * np.array(REF["lower_95"][:2]))
    np.testing.assert_allclose(rows["churn_rate_upper_pct"], 100 * np.array(REF["upper_95"][:2]))
    assert (t["churn_rate_lower_pct"] <= t["churn_rate_pct"]).all()
    assert (t["churn_rate_pct"] <= t["churn_rate_upper_pct"]).all()
    assert (t["small_risk_set"] == (t["customers_start"] < SMALL_RISK_SET)).all()
    by = cs.churn_rates(telco, "month", by="Contract")
    small = by[by["small_risk_set"]]
    assert len(small) and (small["customers_start"] < 30).all()  # Month-to-month at 72 months
    wide = cs.churn_rates(telco, "month", conf_level=0.99)
    assert (wide["churn_rate_upper_pct"] >= t["churn_rate_upper_pct"] - 1e-12).all()


def test_calendar_interval_is_that_of_the_customers_present_at_the_start():
    raw = {
        "start": ["2020-01-05", "2020-01-20", "2020-02-03", "2020-02-10"],
        "end": ["2020-02-14", None, "2020-03-01", None],
    }
    import pandas as pd

    data = cs.prepare(pd.DataFrame(raw), start_date="start", end_date="end", cutoff="2020-03-31")
    t = cs.churn_rates(data, "month").set_index("period")
    # 2020-02: 1 of the 2 customers present at the start left (R: prop.test(1, 2, correct=FALSE))
    lo, hi = wilson_interval(np.array([1]), np.array([2]))
    assert t.loc["2020-02", "churn_rate_lower_pct"] == pytest.approx(100 * lo[0])
    assert t.loc["2020-02", "churn_rate_upper_pct"] == pytest.approx(100 * hi[0])
    assert np.isnan(t.loc["2020-01", "churn_rate_lower_pct"])  # nobody at the start
    assert t["small_risk_set"].all()


def test_conf_level_is_checked(telco):
    with pytest.raises(cs.DataValidationError, match="conf_level=95"):
        cs.churn_rates(telco, conf_level=95)
