"""churn_from_events: inactivity churn computed in DuckDB (Ibis) against a plain pandas loop.

The reference is :func:`reference_episodes`, written here from the definition in the issue
(#16) with a Python loop over each customer's sorted active days and ``elapsed``; the tiny cases
are computed by hand (the arithmetic is in each test's comments).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import churnsurv as cs
from churnsurv.data.units import _add_months
from churnsurv.exceptions import DataValidationError


def reference_episodes(log, rule, cutoff, churn_time, time_unit):
    """The definition, row by row: episodes split where next day >= previous day + rule."""
    cutoff = pd.Timestamp(cutoff)
    kind, n = rule

    def plus(day):
        if kind == "day":
            return day + pd.Timedelta(days=n)
        return day + pd.DateOffset(months=n)  # pandas clips month ends too (31 Aug + 6M = 28 Feb)

    rows = []
    for cid, g in log.groupby("id", sort=True):
        days = sorted(pd.to_datetime(g["ts"]).dt.normalize().unique())
        days = [pd.Timestamp(d) for d in days if d <= cutoff]
        if not days:
            continue
        episodes, current = [], [days[0]]
        for d in days[1:]:
            if d >= plus(current[-1]):
                episodes.append(current)
                current = [d]
            else:
                current.append(d)
        episodes.append(current)
        for k, ep in enumerate(episodes, start=1):
            reached = plus(ep[-1])
            churned = k < len(episodes) or reached <= cutoff
            if churn_time == "rule_reached":
                end = reached if churned else cutoff
            else:
                end = ep[-1]
            rows.append(
                {
                    "id": cid,
                    "episode": k,
                    "start": ep[0],
                    "end": end,
                    "churned": churned,
                    "active_days": len(ep),
                }
            )
    out = pd.DataFrame(rows)
    out["duration"] = cs.elapsed(out["start"], out["end"], time_unit)
    return out


def random_log(rng, n_customers=40, n_rows=400):
    ids = rng.integers(0, n_customers, n_rows)
    base = np.datetime64("2019-01-31")
    offsets = rng.integers(0, 900, n_rows)
    ts = pd.to_datetime(base + offsets.astype("timedelta64[D]")) + pd.to_timedelta(
        rng.integers(0, 86_400, n_rows), unit="s"
    )
    return pd.DataFrame({"id": ids, "ts": ts, "amount": rng.gamma(2.0, 10.0, n_rows)})


@pytest.mark.parametrize("inactivity, rule", [("90D", ("day", 90)), ("6M", ("month", 6))])
@pytest.mark.parametrize("churn_time", ["last_activity", "rule_reached"])
def test_matches_the_pandas_definition(inactivity, rule, churn_time):
    log = random_log(np.random.default_rng(16))
    cutoff = "2021-03-31"
    res = cs.churn_from_events(
        log,
        customer_id="id",
        timestamp="ts",
        inactivity=inactivity,
        cutoff=cutoff,
        churn_time=churn_time,
        episodes=True,
        amount="amount",
    )
    ref = reference_episodes(log, rule, cutoff, churn_time, "month")
    got = res.frame
    assert got["id"].tolist() == ref["id"].tolist()
    assert got["episode"].tolist() == ref["episode"].tolist()
    assert got["churned"].tolist() == ref["churned"].tolist()
    assert got["active_days"].tolist() == ref["active_days"].tolist()
    assert pd.to_datetime(got["start"]).tolist() == ref["start"].tolist()
    assert pd.to_datetime(got["end"]).tolist() == ref["end"].tolist()
    np.testing.assert_array_equal(got["duration"].to_numpy(), ref["duration"].to_numpy())
    used = log[log["ts"].dt.normalize() <= pd.Timestamp(cutoff)]
    assert got["amount"].sum() == pytest.approx(used["amount"].sum(), rel=1e-12)
    assert res.n_used == len(used)
    # one row per customer = each customer's first episode
    first = cs.churn_from_events(
        log,
        customer_id="id",
        timestamp="ts",
        inactivity=inactivity,
        cutoff=cutoff,
        churn_time=churn_time,
    ).frame
    ref1 = ref[ref["episode"] == 1]
    assert first["churned"].tolist() == ref1["churned"].tolist()
    np.testing.assert_array_equal(first["duration"].to_numpy(), ref1["duration"].to_numpy())


def test_hand_computed_month_end_rule():
    # Last visit 31 Aug 2020; "6M" is reached on 28 Feb 2021 (clipped month end, as elapsed()).
    log = pd.DataFrame({"id": ["a", "a"], "ts": ["2020-03-31", "2020-08-31"]})
    kw = dict(customer_id="id", timestamp="ts", inactivity="6M", churn_time="rule_reached")
    churned = cs.churn_from_events(log, cutoff="2021-02-28", **kw).frame.iloc[0]
    assert churned["churned"] and churned["end"] == pd.Timestamp("2021-02-28")
    # 31 Mar 2020 -> 28 Feb 2021: 10 whole months (to 31 Jan 2021) + 28/28 of the next month = 11.
    assert churned["duration"] == pytest.approx(11.0)
    censored = cs.churn_from_events(log, cutoff="2021-02-27", **kw).frame.iloc[0]
    # one day short of the rule: censored at the cutoff, 10 months + 27/28.
    assert not censored["churned"] and censored["end"] == pd.Timestamp("2021-02-27")
    assert censored["duration"] == pytest.approx(10 + 27 / 28)
    # churn time = last activity: censored at the last visit (5 months after 31 March).
    last = cs.churn_from_events(log, cutoff="2021-02-27", **{**kw, "churn_time": "last_activity"})
    assert not last.frame["churned"].iloc[0] and last.frame["duration"].iloc[0] == 5.0


def test_return_after_gap_starts_a_new_episode_and_days_rule_is_inclusive():
    # 1 Jan, then 31 Jan: a gap of exactly 30 days reaches "30D" -> two episodes.
    # 1 Jan, then 30 Jan: 29 days -> one episode.
    log = pd.DataFrame(
        {"id": [1, 1, 2, 2], "ts": ["2020-01-01", "2020-01-31", "2020-01-01", "2020-01-30"]}
    )
    res = cs.churn_from_events(
        log,
        customer_id="id",
        timestamp="ts",
        inactivity="30D",
        cutoff="2020-12-31",
        episodes=True,
        time_unit="day",
    )
    assert res.frame[["id", "episode", "churned", "duration"]].values.tolist() == [
        [1, 1, True, 0.0],
        [1, 2, True, 0.0],
        [2, 1, True, 29.0],
    ]
    first = cs.churn_from_events(
        log, customer_id="id", timestamp="ts", inactivity="30D", cutoff="2020-12-31"
    )
    assert first.frame["returned"].tolist() == [True, False]


def test_engine_month_addition_is_the_elapsed_rule():
    # DuckDB's date + INTERVAL n MONTH against churnsurv.data.units._add_months on month ends.
    import ibis

    days = pd.to_datetime(
        [
            "2020-01-31",
            "2020-08-31",
            "2019-02-28",
            "2020-02-29",
            "2021-12-31",
            "2020-03-30",
            "2020-05-15",
        ]
    )
    t = ibis.memtable(pd.DataFrame({"d": days}))
    for n in (1, 6, 12, 18):
        got = (t.d.cast("date") + ibis.interval(months=n)).cast("date").to_pandas()
        want = _add_months(days.values.astype("datetime64[D]"), np.full(len(days), n))
        assert pd.to_datetime(got).tolist() == pd.to_datetime(want).tolist()


def test_bad_rows_raise_or_are_listed():
    log = pd.DataFrame(
        {
            "id": [1, None, 2, 3, 3],
            "ts": ["2020-01-01", "2020-01-05", "not a date", "2020-02-01", "2021-06-01"],
        }
    )
    kw = dict(customer_id="id", timestamp="ts", inactivity="60D", cutoff="2020-12-31")
    with pytest.raises(DataValidationError, match="missing customer id") as err:
        cs.churn_from_events(log, **kw)
    assert err.value.n_rows == 1
    res = cs.churn_from_events(log, on_invalid="drop", **kw)
    reasons = dict(zip(res.exclusions["reason"], res.exclusions["rows"], strict=True))
    assert reasons == {"missing customer id": 1, "unparseable date": 1, "activity after cutoff": 1}
    assert res.n_input == 5 and res.n_used == 2
    assert res.excluded_rows["reason"].tolist() == ["missing customer id", "unparseable date"]
    assert "rows excluded" in repr(res) and "<table" in res._repr_html_()


def test_engine_table_with_bad_rows(tmp_path):
    log = pd.DataFrame({"id": [1, None, 2], "ts": ["2020-01-01", "2020-01-05", "bad"]})
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    kw = dict(customer_id="id", timestamp="ts", inactivity="60D", cutoff="2020-12-31")
    with pytest.raises(DataValidationError, match="missing customer id"):
        cs.churn_from_events(path, **kw)
    res = cs.churn_from_events(path, on_invalid="drop", **kw)
    assert res.n_input == 3 and res.n_used == 1 and res.excluded_rows is None
    assert set(res.exclusions["reason"]) == {"missing customer id", "unparseable timestamp"}


def test_parquet_csv_and_pandas_agree(tmp_path):
    log = random_log(np.random.default_rng(3))
    log.to_parquet(tmp_path / "log.parquet")
    log.to_csv(tmp_path / "log.csv", index=False)
    kw = dict(customer_id="id", timestamp="ts", inactivity="3M", cutoff="2020-12-31", episodes=True)
    frames = [
        cs.churn_from_events(x, **kw).frame
        for x in (log, tmp_path / "log.parquet", str(tmp_path / "log.csv"))
    ]
    for other in frames[1:]:
        pd.testing.assert_frame_equal(frames[0], other)


def test_segments_are_carried_and_must_be_constant():
    log = pd.DataFrame(
        {"id": [1, 1, 2], "ts": ["2020-01-01", "2020-03-01", "2020-02-01"], "plan": ["a", "a", "b"]}
    )
    kw = dict(customer_id="id", timestamp="ts", inactivity="30D", cutoff="2020-12-31")
    res = cs.churn_from_events(log, segments="plan", **kw)
    assert res.frame["plan"].tolist() == ["a", "b"]
    data = res.to_data()
    assert data.segments == ["plan"] and data.n == 2
    log.loc[1, "plan"] = "b"
    with pytest.raises(DataValidationError, match="constant within a customer"):
        cs.churn_from_events(log, segments="plan", **kw)


def test_arguments_are_checked():
    log = pd.DataFrame({"id": [1], "ts": ["2020-01-01"]})
    with pytest.raises(DataValidationError, match="inactivity='half a year'"):
        cs.churn_from_events(log, customer_id="id", timestamp="ts", inactivity="half a year")
    with pytest.raises(DataValidationError, match="not found"):
        cs.churn_from_events(log, customer_id="customer", timestamp="ts")
    with pytest.raises(DataValidationError, match="churn_time"):
        cs.churn_from_events(log, customer_id="id", timestamp="ts", churn_time="soon")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 4)),
            st.one_of(
                st.none(),
                st.sampled_from(["bad", "2020-13-01"]),
                st.dates(pd.Timestamp("2019-06-01").date(), pd.Timestamp("2021-06-30").date()).map(
                    str
                ),
            ),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_rows_in_equal_rows_used_plus_rows_excluded(rows):
    log = pd.DataFrame(rows, columns=["id", "ts"])
    try:
        res = cs.churn_from_events(
            log,
            customer_id="id",
            timestamp="ts",
            inactivity="2M",
            cutoff="2020-12-31",
            on_invalid="drop",
            episodes=True,
        )
    except DataValidationError as err:  # every row excluded: refused, never an empty result
        assert err.rule == "empty table"
        return
    assert res.n_input == len(log)
    assert res.n_used + int(res.exclusions["rows"].sum()) == len(log)
    # every used row is in exactly one episode (one row per active day and customer here)
    assert int(res.frame["transactions"].sum()) == res.n_used
    # without episodes=True the frame is each customer's first episode: activity after a
    # return is used (it sets `returned`) but not counted in the first episode
    first = cs.churn_from_events(
        log, customer_id="id", timestamp="ts", inactivity="2M", cutoff="2020-12-31",
        on_invalid="drop",
    )  # fmt: skip
    assert first.n_used == res.n_used
    assert int(first.frame["transactions"].sum()) <= res.n_used
    assert (
        first.frame["returned"].sum()
        == (res.frame["episode"] > 1).groupby(res.frame["id"]).any().sum()
    )


def test_import_churnsurv_does_not_import_the_engines():
    code = (
        "import sys, churnsurv; "
        "print([m for m in ('ibis', 'duckdb', 'pyspark', 'sqlglot') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_episodes_to_data_and_survival_data_agree():
    log = random_log(np.random.default_rng(11))
    res = cs.churn_from_events(
        log, customer_id="id", timestamp="ts", inactivity="2M", cutoff="2021-03-31", episodes=True
    )
    data = res.to_data()
    assert data.n == len(res.frame) and "id" in data.frame.columns
    assert data.has_dates and data.cutoff == pd.Timestamp("2021-03-31")
    counted = res.survival_data()
    assert counted.n == data.n and counted.n_events == data.n_events
    np.testing.assert_array_equal(np.sort(counted.durations), np.sort(data.durations))
