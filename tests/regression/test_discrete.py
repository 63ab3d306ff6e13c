"""DiscreteTimeHazard: GLM with frequency weights on person-period counts.

References: R ``glm(binomial)`` on the expanded person-period rows of Telco
(tests/reference/discrete_hazard.R -> discrete_hazard.json), and statsmodels GLM fitted on the
row-level person-period data built here (the aggregated fit must equal it exactly).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import churnsurv as cs
from churnsurv.regression.discrete import person_period_counts


@pytest.mark.parametrize("link", ["cloglog", "logit"])
def test_telco_matches_r_glm(telco, link, r_reference):
    ref = r_reference("discrete_hazard.json")[link]
    m = cs.DiscreteTimeHazard("Contract + InternetService", link=link, width=12).fit(telco)
    # R's names: factor(period)1..6, ContractOne year, ... in the same order as ours. Both
    # IRLS fits are run to tight tolerances (R epsilon 1e-14, ours 1e-12).
    np.testing.assert_allclose(m.params_.to_numpy(), ref["coef"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(m.std_err_.to_numpy(), ref["se"], rtol=1e-6)
    assert m.log_likelihood_ == pytest.approx(ref["loglik"], rel=1e-10)
    assert int(m.person_period_["at_risk"].sum()) == ref["n_rows"]
    ratio = "hr" if link == "cloglog" else "odds_ratio"
    np.testing.assert_allclose(m.summary[ratio], np.exp(ref["coef"][6:]), rtol=1e-6)
    assert m.summary.index[0] == "Contract: One year (vs Month-to-month)"


def _rows(frame, width):
    """Row-level person-period data: one row per customer and period reached."""
    k = np.maximum(np.ceil(frame["duration"].to_numpy() / width).astype(int), 1)
    idx = np.repeat(np.arange(len(frame)), k)
    period = np.concatenate([np.arange(1, kk + 1) for kk in k])
    y = (period == k[idx]) & frame["event"].to_numpy()[idx]
    return pd.DataFrame(
        {
            "period": period,
            "y": y.astype(float),
            "x": frame["x"].to_numpy()[idx],
            "g": frame["g"].to_numpy()[idx],
        }
    )


@pytest.mark.parametrize("link", ["cloglog", "logit"])
def test_frequency_weighted_fit_equals_row_level_fit(link):
    rng = np.random.default_rng(4)
    n = 2000
    x = rng.integers(0, 3, n).astype(float)
    g = rng.choice(["a", "b"], n)
    t = np.ceil(rng.exponential(6.0 / np.exp(0.3 * x + 0.5 * (g == "b")), n))
    c = rng.integers(1, 15, n)
    raw = pd.DataFrame({"duration": np.minimum(t, c), "event": t <= c, "x": x, "g": g})
    data = cs.prepare(raw, duration="duration", event="event", covariates=["x", "g"])
    m = cs.DiscreteTimeHazard("x + g", link=link).fit(data)
    rows = _rows(raw, 1.0)
    # keep the periods with both churners and survivors, as the model does (others: h = 0 or 1)
    ev = rows.groupby("period")["y"].agg(["sum", "size"])
    ok = ev.index[(ev["sum"] > 0) & (ev["sum"] < ev["size"])]
    rows = rows[rows["period"].isin(ok)]
    exog = pd.get_dummies(rows["period"], prefix="p", dtype=float)
    exog["x"], exog["g[T.b]"] = rows["x"], (rows["g"] == "b").astype(float)
    fam = sm.families.Binomial(
        sm.families.links.CLogLog() if link == "cloglog" else sm.families.links.Logit()
    )
    full = sm.GLM(rows["y"].to_numpy(), exog.to_numpy(), family=fam).fit(tol=1e-12, maxiter=100)
    np.testing.assert_allclose(m.params_.to_numpy(), full.params, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(m.std_err_.to_numpy(), full.bse, rtol=1e-8)
    assert m.log_likelihood_ == pytest.approx(full.llf, rel=1e-12)


def test_periods_without_churn_have_zero_baseline_and_render():
    raw = pd.DataFrame({"duration": [1, 1, 2, 3, 4, 4], "event": [1, 0, 0, 1, 0, 0]})
    m = cs.DiscreteTimeHazard(link="logit").fit(cs.prepare(raw, duration="duration", event="event"))
    bh = m.baseline_hazard_.set_index("period")
    # hand counts: period 1: 6 at risk, 1 churned; 2: 4, 0; 3: 3, 1; 4: 2, 0
    assert bh["at_risk"].tolist() == [6, 4, 3, 2] and bh["events"].tolist() == [1, 0, 1, 0]
    # without covariates the MLE is the observed hazard: 1/6, 0, 1/3, 0
    np.testing.assert_allclose(bh["hazard"], [1 / 6, 0, 1 / 3, 0], atol=1e-8)
    assert "Baseline hazard" in str(m) and "<table" in m._repr_html_()
    assert m.summary.empty


def test_person_period_counts_with_customer_counts():
    f = pd.DataFrame({"duration": [2.0, 2.0], "event": [True, False], "n": [3, 2]})
    pp = person_period_counts(f, [], 1.0, "n")
    assert pp[["period", "at_risk", "events"]].values.tolist() == [[1, 5, 0], [2, 5, 3]]


def test_from_event_log_counts_equal_customer_table():
    rng = np.random.default_rng(9)
    ids = rng.integers(0, 200, 2000)
    log = pd.DataFrame(
        {
            "id": ids,
            "ts": pd.to_datetime("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 700, 2000), unit="D"),
            "plan": np.where(ids % 2 == 0, "a", "b"),
        }
    )
    res = cs.churn_from_events(
        log, customer_id="id", timestamp="ts", inactivity="2M", cutoff="2021-12-31", segments="plan"
    )
    eng = cs.DiscreteTimeHazard("plan").fit(res)
    mem = cs.DiscreteTimeHazard("plan").fit(res.to_data())
    pd.testing.assert_frame_equal(eng.summary, mem.summary)
    pd.testing.assert_frame_equal(eng.baseline_hazard_, mem.baseline_hazard_)
