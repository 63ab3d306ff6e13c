"""``churnsurv report LOG --events``: the report of an activity log (issue #16).

The churn table is made in DuckDB by ``cs.churn_from_events`` (whose numbers are checked against
a pandas implementation in tests/events/test_inactivity.py); here the report must state the
same numbers: rule, churn-time convention, cutoff, customers churned and censored by the rule,
episodes, and the log's rows in = used + excluded; and bad ``--events`` options must stop before
anything runs, with exit status 2.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
import churnsurv.report.run as report_run
from churnsurv.report.cli import main

pytestmark = pytest.mark.slow

OPTIONS = ["--customer-id", "cust", "--timestamp", "ts", "--inactivity", "6M"]
CUTOFF = "2023-06-30"


def _log(n: int = 1500, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 150, n)
    return pd.DataFrame(
        {
            "cust": ids,
            "ts": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "channel": np.where(ids % 2 == 0, "web", "store"),
            "spend": np.round(rng.gamma(2.0, 10.0, n), 2),
        }
    )


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("logs")
    log = _log()
    log.to_parquet(folder / "log.parquet", index=False)
    text = log.astype({"ts": str})
    text.loc[7, "ts"] = "not a date"  # one row excluded, and listed
    text.loc[11, "ts"] = "2024-02-01"  # after the cutoff: excluded, and listed
    text.to_csv(folder / "log.csv", index=False)
    return folder


def _text(out) -> str:
    page = (out / "report.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _expected(path, **kw) -> dict:
    """The numbers straight from cs.churn_from_events (first episodes, and all episodes)."""
    args = dict(customer_id="cust", timestamp="ts", inactivity="6M", cutoff=CUTOFF)
    res = cs.churn_from_events(path, on_invalid="drop", **args, **kw)
    every = cs.churn_from_events(path, on_invalid="drop", episodes=True, **args, **kw)
    return {
        "customers": res.n_customers,
        "churned": int(res.frame["churned"].sum()),
        "censored": int((~res.frame["churned"]).sum()),
        "returned": int(res.frame["returned"].sum()),
        "episodes": len(every.frame),
        "rows_in": res.n_input,
        "rows_used": res.n_used,
        "exclusions": res.exclusions,
    }


@pytest.fixture(scope="module")
def parquet_report(logs, tmp_path_factory):
    out = tmp_path_factory.mktemp("parquet") / "report"
    argv = ["report", str(logs / "log.parquet"), "--events", *OPTIONS, "--cutoff", CUTOFF]
    argv += ["--amount", "spend", "--segment", "channel", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    return out


def test_parquet_log_report_states_the_numbers_of_churn_from_events(logs, parquet_report):
    e = _expected(logs / "log.parquet", segments="channel", amount="spend")
    text = _text(parquet_report)
    assert (
        f"Of {e['customers']:,} customers, {e['churned']:,} churned by the cutoff and "
        f"{e['censored']:,} are censored by the rule: their gap at the cutoff is shorter than 6M"
    ) in text
    assert "a customer churns when 6 calendar months (6M) pass without activity" in text
    assert "the churn time is the last activity before that gap" in text
    assert f"Observation ends on {CUTOFF}" in text
    assert f"{e['returned']:,} customers came back after a qualifying gap" in text
    assert f"({e['episodes']:,} episodes in all)" in text
    assert f"{e['rows_in']:,} in = {e['rows_used']:,} used + 0 excluded" in text
    facts = pd.read_csv(parquet_report / "tables" / "event_churn.csv", index_col="fact")
    assert (
        int(facts.loc["censored by the rule (gap shorter than the rule at cutoff)", "value"])
        == (e["censored"])
    )
    # the usual sections ran on the churn table: Kaplan-Meier of the first episodes
    km = pd.read_csv(parquet_report / "tables" / "km_summary.csv")
    first = km[km["by"] == "(all customers)"].iloc[0]
    assert (first["n"], first["events"]) == (e["customers"], e["churned"])
    assert set(km.loc[km["by"] == "channel", "segment"]) == {"store", "web"}
    # the churn table beside the notebook is not part of the published report
    assert not (parquet_report / "churn_table.parquet").exists()


def test_csv_log_report_lists_the_excluded_rows(logs, tmp_path):
    out = tmp_path / "report"
    argv = ["report", str(logs / "log.csv"), "--events", *OPTIONS, "--cutoff", CUTOFF]
    argv += ["--churn-time", "rule_reached", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    e = _expected(logs / "log.csv", churn_time="rule_reached")
    assert e["rows_in"] == 1500 and e["rows_used"] == 1498
    text = _text(out)
    assert "1,500 in = 1,498 used + 2 excluded" in text
    assert "the day the gap reached the rule (last activity + rule)" in text
    assert f"{e['censored']:,} are censored by the rule" in text
    assert "(censored at the cutoff)" in text
    excluded = pd.read_csv(out / "tables" / "event_log_exclusions.csv")
    pd.testing.assert_frame_equal(excluded, e["exclusions"])
    assert sorted(excluded["reason"]) == ["activity after cutoff", "unparseable timestamp"]


@pytest.fixture
def no_notebook(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the report notebook ran although an option was bad")

    monkeypatch.setattr(report_run, "_execute", refuse)


BAD = [
    (["--events", "--timestamp", "ts", "--cutoff", CUTOFF], "--customer-id: name the"),
    (["--events", "--customer-id", "cust", "--cutoff", CUTOFF], "--timestamp: name the"),
    (["--events", *OPTIONS], "--cutoff: the end of observation is needed with --events"),
    (
        ["--events", *OPTIONS[:4], "--inactivity", "six months", "--cutoff", CUTOFF],
        "not understood",
    ),
    (["--events", *OPTIONS, "--cutoff", "2023-13-45"], "--cutoff"),
    (["--events", *OPTIONS, "--cutoff", CUTOFF, "--churn-time", "soon"], "--churn-time='soon'"),
    (["--events", *OPTIONS, "--cutoff", CUTOFF, "--duration", "d"], "--duration names a column"),
    (["--events", *OPTIONS, "--cutoff", CUTOFF, "--id", "cust"], "--id names a column"),
    (["--customer-id", "cust", "--duration", "d", "--event", "e"], "add --events"),
    (["--events", *OPTIONS[:2], "--timestamp", "when", "--cutoff", CUTOFF], "'when'"),
    (["--events", *OPTIONS, "--cutoff", CUTOFF, "--segment", "region"], "'region'"),
    (
        ["--events", *OPTIONS, "--cutoff", CUTOFF, "--memory-limit", "lots"],
        "--memory-limit='lots' is not a memory size",
    ),
]


@pytest.mark.parametrize(("args", "says"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_event_options_stop_before_anything_runs(
    args, says, logs, tmp_path, capsys, no_notebook
):
    code = main(["report", str(logs / "log.parquet"), *args, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert says in err
    assert not (tmp_path / "out" / "report.html").exists()


def test_events_refuse_a_dataset(tmp_path, capsys, no_notebook):
    argv = ["report", "--dataset", "telco", "--events", *OPTIONS, "--cutoff", CUTOFF]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert "not --dataset" in capsys.readouterr().err


def test_too_many_bad_log_rows_stop_before_the_notebook(tmp_path, capsys, no_notebook):
    log = _log(200).astype({"ts": str})
    log.loc[:19, "ts"] = "yesterday"  # 10% of the rows, above the default 5%
    log.to_csv(tmp_path / "log.csv", index=False)
    argv = ["report", str(tmp_path / "log.csv"), "--events", *OPTIONS, "--cutoff", CUTOFF]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "20 of 200 rows of the event log break a rule" in err
    assert "unparseable timestamp" in err


def test_the_churn_table_is_that_of_churn_from_events(logs):
    from churnsurv.report.events import compute_churn_table

    events = dict(
        log=str(logs / "log.csv"),
        customer_id="cust",
        timestamp="ts",
        inactivity="6M",
        churn_time="last_activity",
        cutoff=CUTOFF,
        amount="spend",
        segments=["channel"],
        time_unit="month",
    )
    table, facts = compute_churn_table(events)
    args = {k: v for k, v in events.items() if k not in ("log", "segments")}
    res = cs.churn_from_events(logs / "log.csv", on_invalid="drop", segments="channel", **args)
    pd.testing.assert_frame_equal(table, res.frame)
    every = cs.churn_from_events(
        logs / "log.csv", on_invalid="drop", segments="channel", episodes=True, **args
    )
    assert facts["episodes"] == len(every.frame) > facts["customers"] == res.n_customers
    assert facts["rows_in"] == 1500 and facts["rows_excluded"] == 2
    # DuckDB capped at 100 MB (--memory-limit) makes the same table and facts
    capped, capped_facts = compute_churn_table({**events, "memory_limit": "100MB"})
    pd.testing.assert_frame_equal(capped, table)
    assert capped_facts["options"]["memory_limit"] == "100MB"
    assert {k: v for k, v in capped_facts.items() if k != "options"} == {
        k: v for k, v in facts.items() if k != "options"
    }
