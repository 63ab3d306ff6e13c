"""The tenure-basis churn rates from one count of (period, churned) equal the previous path's.

The reference below is the previous ``churnsurv.km.tables._tenure_rates`` (a count of every
customer's period, of the churned and of the censored, and of the entry periods even without
left truncation, on copies of the columns): the same table, exactly, on the Telco data (all
customers and per segment), with left truncation and with case weights, with weekly and
quarterly periods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.km import tables
from churnsurv.km.counts import count_tables, product_limit


def _reference(data, mask, period, w):
    width = tables._period_width(period, data.time_unit)
    dur, ev = data.durations[mask], data.events[mask]
    ent = data.entries[mask]
    n_p = int(np.floor(dur.max() / width)) + 1
    k = np.minimum((dur // width).astype(np.int64), n_p - 1)
    ke = np.minimum(np.ceil(ent / width).astype(np.int64), n_p)
    starts = np.arange(n_p) * width
    reached = np.cumsum(tables._count(k, w, n_p)[::-1])[::-1]
    not_yet = np.cumsum(tables._count(ke, w, n_p + 1)[::-1])[::-1][1:]
    weights = None if w is None else w.astype(float)
    ct = count_tables(dur, ev, weights=weights, entries=ent if data.has_entry else None)[0]
    pl = product_limit(ct)
    s_before = np.append(1.0, pl["survival"])[np.searchsorted(pl["time"], starts, side="left")]
    ends = starts + width
    s_end = np.append(1.0, pl["survival"])[np.searchsorted(pl["time"], ends, side="left")]
    with np.errstate(divide="ignore", invalid="ignore"):
        km = 100.0 * (1.0 - s_end / s_before)
    return pd.DataFrame(
        {
            "period": np.arange(n_p),
            "tenure_start": starts,
            "tenure_end": ends,
            "customers_start": reached - not_yet,
            "churned": tables._count(k[ev], None if w is None else w[ev], n_p),
            "censored": tables._count(k[~ev], None if w is None else w[~ev], n_p),
            "km_churn_pct": km,
        }
    )


@pytest.fixture(scope="module")
def telco():
    return cs.prepare(cs.datasets.load_telco(), duration="tenure", event="Churn", event_value="Yes")


@pytest.fixture(scope="module")
def truncated(telco):
    raw = telco.frame.reset_index(drop=True).query("duration > 3")
    raw = raw.assign(start=np.floor(raw["duration"].to_numpy() * 0.4))
    return cs.prepare(raw, duration="duration", event="event", entry="start")


@pytest.mark.parametrize("period", ["month", "quarter", "week"])
@pytest.mark.parametrize("case", ["all", "segment", "entry", "weights"])
def test_tenure_rates_equal_the_previous_path(telco, truncated, period, case):
    data = truncated if case == "entry" else telco
    mask = np.ones(data.n, dtype=bool)
    if case == "segment":
        mask = (data.frame["Contract"] == "One year").to_numpy()
    w = np.random.default_rng(1).integers(1, 4, data.n) if case == "weights" else None
    got = tables._tenure_rates(data, mask, period, w)
    ref = _reference(data, mask, period, w)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    assert got["churned"].sum() == (data.events[mask] * (1 if w is None else w[mask])).sum()
