"""inactivity_sensitivity: one row per rule, consistent with churn_from_events + Kaplan-Meier.

Hand case: three customers whose last activity is 10, 40 and 100 days before the cutoff; with
a 30-day rule two of three have churned (66.7%), with 60 days one (33.3%), with 120 days none.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import churnsurv as cs


def test_hand_computed_rates_and_plot():
    cutoff = pd.Timestamp("2020-12-31")
    log = pd.DataFrame(
        {"id": [1, 2, 3], "ts": [cutoff - pd.Timedelta(days=d) for d in (10, 40, 100)]}
    )
    s = cs.inactivity_sensitivity(
        log,
        ["30D", "60D", "120D"],
        customer_id="id",
        timestamp="ts",
        cutoff=cutoff,
        time_unit="day",
    )
    np.testing.assert_allclose(s.summary["churn_rate_pct"], [200 / 3, 100 / 3, 0.0])
    assert s.summary["censored"].tolist() == [1, 2, 3]
    assert "Sensitivity" in str(s) and "<table" in s._repr_html_()
    ax = s.plot()
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [200 / 3, 100 / 3, 0.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["30D", "60D", "120D"]
    plt.close(ax.figure)


def test_each_rule_equals_churn_from_events_and_kaplan_meier():
    rng = np.random.default_rng(2)
    log = pd.DataFrame(
        {
            "id": rng.integers(0, 150, 1500),
            "ts": pd.to_datetime("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 600, 1500), unit="D"),
        }
    )
    kw = dict(customer_id="id", timestamp="ts", cutoff="2021-08-31", churn_time="rule_reached")
    s = cs.inactivity_sensitivity(log, ["2M", "4M"], **kw)
    for rule, row in zip(["2M", "4M"], s.summary.itertuples(), strict=True):
        frame = cs.churn_from_events(log, inactivity=rule, **kw).frame
        assert row.churned == int(frame["churned"].sum())
        assert row.churn_rate_pct == pytest.approx(100 * frame["churned"].mean())
        data = cs.prepare(frame, duration="duration", event="churned", time_unit="month")
        med = cs.KaplanMeier().fit(data).median_.iloc[0]
        assert (row.median, row.median_lower) == (med["median"], med["median_lower"])
