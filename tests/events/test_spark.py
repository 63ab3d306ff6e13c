"""The same summaries on PySpark (local mode) equal DuckDB's and pandas' (issue #16).

DuckDB's results are themselves checked against a plain pandas implementation in
test_inactivity.py and test_summaries.py; here the one Ibis definition runs on Spark and must
give the same tables. Skipped only when Java (needed by Spark) is absent.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs

pytestmark = [
    pytest.mark.slow,
    # py4j leaves the local sockets of Spark's result transfers to the garbage collector
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
    pytest.mark.skipif(
        shutil.which("java") is None and not os.environ.get("JAVA_HOME"),
        reason="Spark needs Java (17): not installed on this machine",
    ),
]


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the module, tuned for tiny jobs.

    Most of the time of a small Spark job is the JVM compiling Spark's own code: the C1
    compiler only (``TieredStopAtLevel=1``) and the serial collector cut it about ten-fold on
    two shared cores; adaptive query planning and one partition avoid extra stages.
    """
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("churnsurv-test")
        .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_equals_duckdb_and_pandas(spark):
    rng = np.random.default_rng(5)
    n = 600
    ids = rng.integers(0, 60, n)
    log = pd.DataFrame(
        {
            "id": ids,
            "ts": pd.to_datetime("2020-01-31") + pd.to_timedelta(rng.integers(0, 640, n), "D"),
            "plan": np.where(ids % 3 == 0, "annual", "monthly"),
            "amount": np.round(rng.gamma(2.0, 10.0, n), 2),
        }
    )
    kw = dict(
        customer_id="id",
        timestamp="ts",
        inactivity="3M",
        cutoff="2021-09-30",
        segments="plan",
        amount="amount",
        episodes=True,
    )
    log_spark = spark.createDataFrame(log)  # once: every Spark result below reads it
    on_spark = cs.churn_from_events(log_spark, **kw)
    on_duckdb = cs.churn_from_events(log, **kw)
    assert (on_spark.engine, on_duckdb.engine) == ("pyspark", "duckdb")
    pd.testing.assert_frame_equal(on_spark.frame, on_duckdb.frame)
    pd.testing.assert_frame_equal(on_spark.exclusions, on_duckdb.exclusions)
    pd.testing.assert_frame_equal(on_spark.counts(), on_duckdb.counts())
    pd.testing.assert_frame_equal(
        cs.life_table(on_spark, by="plan"), cs.life_table(on_duckdb, by="plan")
    )
    pd.testing.assert_frame_equal(
        cs.KaplanMeier().fit(on_spark, by="plan").curves_,
        cs.KaplanMeier().fit(on_duckdb.to_data(), by="plan").curves_,
    )
    rfm_kw = dict(customer_id="id", date="ts", amount="amount", calibration_end="2021-03-31")
    rfm_spark = cs.rfm_summary(log_spark, **rfm_kw)
    rfm_pandas = cs.rfm_summary(log, **rfm_kw)
    assert rfm_spark.index.tolist() == rfm_pandas.index.tolist()
    for col in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(rfm_spark[col].to_numpy(), rfm_pandas[col].to_numpy())
    np.testing.assert_allclose(
        rfm_spark["monetary_value"], rfm_pandas["monetary_value"], rtol=1e-13
    )
