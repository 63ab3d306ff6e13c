"""Summaries from the engine's counts equal the in-memory path on every summary (issue #16).

The in-memory path is ``EventChurn.to_data()`` (one row per customer, checked against a plain
pandas implementation in test_inactivity.py); the engine path is the GROUP BY of
``EventChurn.counts()``. The reference numbers are therefore the in-memory estimators'
own results, themselves tested against R (tests/km) — equality must be exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs


def make_log(seed=7, n_customers=300, n_rows=3000):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, n_customers, n_rows)
    days = rng.integers(0, 730, n_rows).astype("timedelta64[D]")
    plan = np.where(np.arange(n_customers) % 3 == 0, "annual", "monthly")
    return pd.DataFrame(
        {
            "id": ids,
            "ts": pd.to_datetime(np.datetime64("2020-01-01") + days),
            "plan": plan[ids],
            "amount": np.round(rng.gamma(2.0, 15.0, n_rows), 2),
        }
    )


@pytest.fixture(scope="module")
def result():
    return cs.churn_from_events(
        make_log(),
        customer_id="id",
        timestamp="ts",
        inactivity="3M",
        cutoff="2021-12-31",
        segments="plan",
        amount="amount",
    )


def test_counts_are_small_and_add_up(result):
    counts = result.counts()
    assert int(counts["n"].sum()) == result.n_customers == 300
    assert len(counts) < result.n_customers
    assert result._frame is None  # the per-customer frame was never fetched


def test_kaplan_meier_and_logrank_identical(result):
    mem = result.to_data()
    km_engine = cs.KaplanMeier().fit(result, by="plan")
    km_mem = cs.KaplanMeier().fit(mem, by="plan")
    pd.testing.assert_frame_equal(km_engine.curves_, km_mem.curves_)
    pd.testing.assert_frame_equal(km_engine.summary, km_mem.summary)
    pd.testing.assert_frame_equal(
        cs.logrank(result, "plan").summary, cs.logrank(mem, "plan").summary
    )
    pd.testing.assert_frame_equal(
        cs.pairwise_logrank(result, "plan").table, cs.pairwise_logrank(mem, "plan").table
    )


def test_tables_identical(result):
    mem = result.to_data()
    pd.testing.assert_frame_equal(cs.life_table(result, by="plan"), cs.life_table(mem, by="plan"))
    for basis in ("calendar", "tenure"):
        pd.testing.assert_frame_equal(
            cs.churn_rates(result, "month", by="plan", basis=basis),
            cs.churn_rates(mem, "month", by="plan", basis=basis),
        )
    pd.testing.assert_frame_equal(cs.cohort_table(result).table, cs.cohort_table(mem).table)


def test_rfm_summary_in_the_engine_equals_pandas(tmp_path, result):
    log = make_log()
    kw = dict(
        customer_id="id",
        date="ts",
        amount="amount",
        calibration_end="2021-06-30",
        observation_end="2021-12-31",
    )
    mem = cs.rfm_summary(log, **kw)
    log.to_parquet(tmp_path / "log.parquet")
    for source in (tmp_path / "log.parquet", result):
        eng = cs.rfm_summary(source, **kw)
        assert eng.index.tolist() == mem.index.tolist()
        for col in ("frequency", "frequency_holdout", "recency", "T", "duration_holdout"):
            np.testing.assert_array_equal(eng[col].to_numpy(), mem[col].to_numpy())
        # sums of amounts in another order: equal to the last bits of a double
        for col in ("monetary_value", "monetary_value_holdout"):
            np.testing.assert_allclose(eng[col], mem[col], rtol=1e-13, atol=0)
        assert eng.attrs == mem.attrs


def test_rfm_summary_cdnow_published_counts_in_duckdb():
    # the same published CDNOW figures as the in-memory doctest (Fader, Hardie & Lee 2005
    # calibration: 2,357 customers, 2,457 repeat purchases, 946 repeat buyers)
    import ibis

    cdnow = cs.datasets.load_cdnow()
    rfm = cs.rfm_summary(
        ibis.memtable(cdnow), calibration_end="1997-09-30", observation_end="1998-06-30"
    )
    assert (len(rfm), int(rfm["frequency"].sum()), int((rfm["frequency"] > 0).sum())) == (
        2357,
        2457,
        946,
    )


def test_rfm_engine_refuses_bad_rows(tmp_path):
    log = pd.DataFrame({"id": [1, 2], "ts": ["2020-01-01", "2020-01-02"], "amount": [1.0, -2.0]})
    log.to_csv(tmp_path / "log.csv", index=False)
    with pytest.raises(cs.DataValidationError, match="negative amount"):
        cs.rfm_summary(tmp_path / "log.csv", customer_id="id", date="ts")


def test_tables_use_the_counts_without_expanding_them(result, monkeypatch):
    # the period tables read one row per distinct (segment, start, end, status) with its
    # number of customers: never the one-row-per-customer expansion (survival_data)
    mem = result.to_data()
    expected = {
        "life": cs.life_table(mem, width=0.5),
        "week": cs.churn_rates(mem, "week", by="plan"),
        "quarter": cs.churn_rates(mem, "quarter", basis="tenure"),
        "cohort": cs.cohort_table(mem, "quarter"),
    }

    def refuse(self):
        raise AssertionError("the engine counts were expanded to one row per customer")

    monkeypatch.setattr(cs.EventChurn, "survival_data", refuse)
    data, n = result.count_data()
    assert data.n == len(result.counts()) < result.n_customers and int(n.sum()) == 300
    pd.testing.assert_frame_equal(cs.life_table(result, width=0.5), expected["life"])
    pd.testing.assert_frame_equal(cs.churn_rates(result, "week", by="plan"), expected["week"])
    pd.testing.assert_frame_equal(
        cs.churn_rates(result, "quarter", basis="tenure"), expected["quarter"]
    )
    cohort = cs.cohort_table(result, "quarter")
    pd.testing.assert_frame_equal(cohort.table, expected["cohort"].table)
    pd.testing.assert_series_equal(cohort.sizes, expected["cohort"].sizes)


def test_tables_from_episode_counts_equal_the_episode_table():
    res = cs.churn_from_events(
        make_log(seed=3),
        customer_id="id",
        timestamp="ts",
        inactivity="2M",
        cutoff="2021-12-31",
        episodes=True,
    )
    mem = res.to_data()
    pd.testing.assert_frame_equal(cs.life_table(res), cs.life_table(mem))
    pd.testing.assert_frame_equal(cs.churn_rates(res), cs.churn_rates(mem))
    pd.testing.assert_frame_equal(cs.cohort_table(res).table, cs.cohort_table(mem).table)
