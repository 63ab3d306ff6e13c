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


def _per_segment(data, by, period, w):
    """``churn_rates(..., by=by)`` on the tenure basis as it was built before: a row mask per
    segment and :func:`tables._tenure_rates` on it, segment by segment."""
    cols, groups = tables._groups(data, by)
    frames = []
    for label, mask in groups:
        frame = tables._tenure_rates(data, mask, period, None if w is None else w[mask])
        frame.insert(0, "segment", label)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return tables._with_rates(out, "tenure", period, data.time_unit, 0.95)


@pytest.mark.parametrize("period", ["month", "quarter", "week"])
@pytest.mark.parametrize(
    "case", ["one column", "two columns", "entry", "weights", "zero weights", "fractional"]
)
def test_segments_in_one_pass_equal_the_per_segment_path(telco, truncated, period, case):
    """The one-pass table of every segment (one count of (segment, period, churned), one
    count table per segment) equals the per-segment path exactly: each segment's periods end
    at its own longest tenure, with left truncation, case weights, and fractional tenures
    (where ``dur // width`` and the segment's period count are computed apart)."""
    data = truncated if case == "entry" else telco
    by = ["Contract", "InternetService"] if case == "two columns" else "Contract"
    if case == "fractional":
        frame = telco.frame.reset_index(drop=True)
        gen = np.random.default_rng(5)
        frame = frame.assign(duration=frame["duration"] * gen.uniform(0.5, 1.5, len(frame)))
        data = cs.prepare(frame, duration="duration", event="event")
    w = np.random.default_rng(1).integers(1, 4, data.n) if case == "weights" else None
    if case == "zero weights":  # rows that count for nothing still end their segment's table
        w = np.random.default_rng(1).integers(0, 3, data.n)
        two = (data.frame["Contract"] == "Two year").to_numpy()
        w[two & (data.durations >= data.durations[two].max() - 2)] = 0  # its last 3 months
    got = tables._tenure_rates_by(data, by, period, w)
    got = tables._with_rates(got, "tenure", period, data.time_unit, 0.95)
    ref = _per_segment(data, by, period, w)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    assert got["segment"].nunique() == (3 if case != "two columns" else 9)
    if case == "one column" and period == "month":  # and through the public function
        public = cs.churn_rates(data, "month", by="Contract")
        pd.testing.assert_frame_equal(public, ref, check_exact=True)
