"""Value lost by reason: cumulative incidence × the margin it removes (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv import DataValidationError


def _data(seed: int = 0, n: int = 400) -> cs.ChurnData:
    rng = np.random.default_rng(seed)
    t = np.ceil(rng.exponential(12, n))
    why = rng.choice(["price", "service", "card", None], n, p=[0.3, 0.2, 0.1, 0.4])
    seg = rng.choice(["x", "y"], n)
    for g in ("x", "y"):  # follow-up ends with customers still active in each segment
        why[np.flatnonzero(seg == g)[np.argmax(t[seg == g])]] = None
    margin = rng.uniform(10, 50, n).round(2)
    raw = pd.DataFrame({"t": t, "why": why, "seg": seg, "m": margin})
    return cs.prepare(raw, duration="t", reason="why", margin="m")


@pytest.mark.parametrize("timing", ["start", "end"])
@pytest.mark.parametrize("rate", [0.0, 0.1])
def test_kept_plus_lost_is_the_value_of_keeping_everyone(timing, rate):
    data = _data()
    inc = cs.CumulativeIncidence().fit(data, by="seg")
    res = cs.value_lost_by_reason(inc, horizon=12, annual_discount_rate=rate, timing=timing)
    c = res.customers.dropna()
    grid = np.arange(12) + (0 if timing == "start" else 1)
    disc = (1 + rate) ** (-grid / 12)
    potential = data.frame.loc[c.index, "m"].to_numpy() * disc.sum()
    np.testing.assert_allclose(c[data.reasons].sum(axis=1) + c["value_kept"], potential, rtol=1e-12)
    seg = res.segments
    np.testing.assert_allclose(seg["value_kept"] + seg["value_lost"], seg["value_if_all_stay"])
    total = res.summary.groupby(level="segment")["value_lost"].sum()
    np.testing.assert_allclose(total, seg["value_lost"])


def test_one_customer_by_the_definition():
    # lost_k = m * sum_u q_k(u) d_u, q_k(u) = (F_k(tau + u) - F_k(tau)) / S(tau), from the
    # public incidence_at / shares_at of the customer's segment
    data = _data(1)
    inc = cs.CumulativeIncidence().fit(data, by="seg")
    res = cs.value_lost_by_reason(inc, horizon=6, margin=20.0, timing="end")
    cid = res.customers.dropna().index[3]
    row = res.customers.loc[cid]
    tau, seg = row["tenure"], row["segment"]
    u = np.arange(1, 7)
    shares = inc.shares_at(np.r_[tau, tau + u])
    shares = shares[shares["segment"] == seg].reset_index(drop=True)
    s_now = shares.loc[0, "active"]
    for reason in data.reasons:
        q = (shares.loc[1:, reason].to_numpy() - shares.loc[0, reason]) / s_now
        assert row[reason] == pytest.approx(20.0 * q.sum(), rel=1e-12)
    assert row["value_kept"] == pytest.approx(20.0 * shares.loc[1:, "active"].sum() / s_now)


def test_customers_past_follow_up_are_not_valued():
    data = _data(2)
    inc = cs.CumulativeIncidence().fit(data)
    res = cs.value_lost_by_reason(inc, horizon=24)
    last = inc.survival_["time"].max()
    beyond = res.customers["tenure"] + 23 > last
    assert res.customers.loc[beyond, "value_kept"].isna().all()
    assert res.customers.loc[~beyond, "value_kept"].notna().all()
    assert int(res.segments["not_valued"].sum()) == int(beyond.sum())
    assert "not valued" in str(res)
    assert (res.summary["customers"] == int((~beyond).sum())).all()


def test_margin_forms_and_rules():
    data = _data(3)
    inc = cs.CumulativeIncidence().fit(data)
    const = cs.value_lost_by_reason(inc, horizon=6, margin=10.0).summary["value_lost"]
    sched = cs.value_lost_by_reason(inc, horizon=6, margin=[10.0] * 6).summary["value_lost"]
    np.testing.assert_allclose(const, sched)
    double = cs.value_lost_by_reason(inc, horizon=6, margin=[20.0] * 6).summary["value_lost"]
    np.testing.assert_allclose(double, 2 * const)
    with pytest.raises(ValueError, match="per-period schedule"):
        cs.value_lost_by_reason(inc, horizon=6, margin=[1.0, 2.0])
    with pytest.raises(DataValidationError, match="negative margin"):
        cs.value_lost_by_reason(inc, horizon=6, margin=-1.0)
    with pytest.raises(DataValidationError, match="horizon"):
        cs.value_lost_by_reason(inc, horizon=0)
    with pytest.raises(DataValidationError, match="timing"):
        cs.value_lost_by_reason(inc, horizon=6, timing="middle")
    with pytest.raises(cs.NotFittedError):
        cs.value_lost_by_reason(cs.CumulativeIncidence(), horizon=6)


def test_rendering_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    data = _data(4)
    res = cs.value_lost_by_reason(cs.CumulativeIncidence().fit(data, by="seg"), horizon=6)
    assert "Value lost by churn reason" in str(res) and "<table" in res._repr_html_()
    ax = res.plot()
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(sorted(widths), sorted(res.summary["value_lost"]))
