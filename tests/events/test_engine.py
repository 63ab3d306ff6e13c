"""``cs.read_events``: an event log opened in DuckDB with bounded memory and threads (#16).

The bound must change how DuckDB works (it spills), never what it computes: every summary of
a log opened with ``read_events`` equals that of the plain path, which tests/events checks
against pandas implementations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.exceptions import DataValidationError

KW = dict(customer_id="cust", timestamp="ts", inactivity="90D", cutoff="2022-12-31")


@pytest.fixture(scope="module")
def log_path(tmp_path_factory):
    rng = np.random.default_rng(11)
    n = 3000
    log = pd.DataFrame(
        {
            "cust": rng.integers(0, 300, n),
            "ts": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 730, n), "D"),
            "spend": np.round(rng.gamma(2.0, 10.0, n), 2),
        }
    )
    path = tmp_path_factory.mktemp("log") / "log.parquet"
    log.to_parquet(path, index=False)
    return path


def test_settings_reach_duckdb(log_path, tmp_path):
    log = cs.read_events(log_path, memory_limit="64MB", temp_directory=tmp_path, threads=1)
    con = log.get_backend()
    limit, folder, threads = con.raw_sql(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
        "current_setting('threads')"
    ).fetchone()
    # DuckDB reports 64 MB (10^6 bytes) in MiB: 64e6 / 2^20 = 61.0 MiB
    assert limit == "61.0 MiB"
    assert folder == str(tmp_path)
    assert threads == 1


def test_bounded_log_gives_the_same_results(log_path):
    bounded = cs.read_events(log_path, memory_limit="64MB", threads=1)
    a = cs.churn_from_events(bounded, amount="spend", episodes=True, **KW)
    b = cs.churn_from_events(log_path, amount="spend", episodes=True, **KW)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert (a.n_input, a.n_used) == (b.n_input, b.n_used) == (3000, 3000)
    rfm_kw = dict(customer_id="cust", date="ts", amount="spend", calibration_end="2022-12-31")
    pd.testing.assert_frame_equal(
        cs.rfm_summary(cs.read_events(log_path, memory_limit="64MB"), **rfm_kw),
        cs.rfm_summary(log_path, **rfm_kw),
    )


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"memory_limit": "lots"}, "memory_limit='lots' is not a memory size"),
        ({"memory_limit": 2_000_000}, "memory_limit=2000000 is not a memory size"),
        ({"threads": 0}, "threads=0 must be a whole number >= 1"),
        ({"threads": True}, "threads=True must be a whole number >= 1"),
    ],
)
def test_bad_settings_are_refused(log_path, kwargs, says):
    with pytest.raises(ValueError, match=says):
        cs.read_events(log_path, **kwargs)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataValidationError, match="does not exist"):
        cs.read_events(tmp_path / "nowhere.parquet", memory_limit="1GB")
