"""Segments on a continuous or many-level column are refused before anything is fitted (#17).

Before: ``--by`` on a price column fitted one Kaplan-Meier curve per distinct price and the
log-rank cell crashed with ``LinAlgError: Singular matrix``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv._validation import MAX_SEGMENT_LEVELS
from churnsurv.exceptions import DataValidationError


@pytest.fixture(scope="module")
def saas(saas_table):
    raw = saas_table.assign(fee_band=pd.qcut(saas_table["monthly_fee"], 4))
    return cs.prepare(raw, start_date="signup", end_date="cancelled", cutoff="01/12/2024",
                      date_format="%d/%m/%Y", id="account_id")  # fmt: skip


REFUSERS = {
    "KaplanMeier.fit": lambda data, by: cs.KaplanMeier().fit(data, by=by),
    "logrank": lambda data, by: cs.logrank(data, by),
    "pairwise_logrank": lambda data, by: cs.pairwise_logrank(data, by),
    "churn_rates": lambda data, by: cs.churn_rates(data, by=by),
    "life_table": lambda data, by: cs.life_table(data, by=by),
    "win_back": lambda data, by: cs.win_back(data, by=by, horizons=[12], value=100, cost=1),
}


@pytest.mark.parametrize("call", list(REFUSERS), ids=list(REFUSERS))
def test_a_continuous_by_column_is_refused_with_the_way_out(saas, call):
    levels = saas.frame["monthly_fee"].nunique()
    assert levels > 1000  # the simulated fee is continuous
    with pytest.raises(DataValidationError) as err:
        REFUSERS[call](saas, "monthly_fee")
    message = str(err.value)
    assert err.value.rule == "too many segment levels" and err.value.column == "monthly_fee"
    assert f"by='monthly_fee': {levels:,} levels" in message
    assert "pd.qcut" in message and "--bins 4" in message and "categorical column" in message


def test_the_binned_column_is_compared(saas):
    km = cs.KaplanMeier().fit(saas, by="fee_band")
    assert len(km.summary) == 4
    # 4 quartile bins of 2,000 customers: 500 each (pd.qcut on distinct fees)
    assert km.summary["n"].tolist() == [500, 500, 500, 500]
    assert np.isfinite(cs.logrank(saas, "fee_band").summary["p_value"].iloc[0])


def test_the_limit_counts_levels_and_combinations():
    n = 2 * (MAX_SEGMENT_LEVELS + 1)
    raw = pd.DataFrame({
        "t": np.arange(n) % 7 + 1.0, "e": np.arange(n) % 3 == 0,
        "ok": np.arange(n) % MAX_SEGMENT_LEVELS, "many": [f"L{i % (MAX_SEGMENT_LEVELS + 1)}"
                                                          for i in range(n)],
        "a": np.arange(n) % 5, "b": np.arange(n) % 6,
    })  # fmt: skip
    data = cs.prepare(raw, duration="t", event="e")
    assert len(cs.KaplanMeier().fit(data, by="ok").summary) == MAX_SEGMENT_LEVELS
    with pytest.raises(DataValidationError, match="21 levels \\(labels\\).*Group the rare"):
        cs.KaplanMeier().fit(data, by="many")
    with pytest.raises(DataValidationError, match="together form 30 segments"):
        cs.KaplanMeier().fit(data, by=["a", "b"])


def test_cumulative_incidence_and_gray_refuse_too():
    rng = np.random.default_rng(3)
    n = 200
    churned = rng.random(n) < 0.6
    raw = pd.DataFrame({
        "t": rng.integers(1, 30, n).astype(float), "e": churned,
        "why": np.where(churned, rng.choice(["price", "service"], n), None),
        "fee": rng.normal(50, 10, n),
    })  # fmt: skip
    data = cs.prepare(raw, duration="t", event="e", reason="why")
    with pytest.raises(DataValidationError, match="by='fee': 200 levels"):
        cs.CumulativeIncidence().fit(data, by="fee")
    with pytest.raises(DataValidationError, match="by='fee': 200 levels"):
        cs.gray_test(data, "fee")
