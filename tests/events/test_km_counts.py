"""Kaplan–Meier and log-rank from the engine's counts, never expanded per customer (issue #16).

``KaplanMeier().fit(events)`` and ``logrank(events, ...)`` read ``EventChurn.survival_counts()``:
one row per distinct (segments, tenure, status) with its integer number of customers ``n``,
used as a frequency weight. With integer frequency weights the weighted event, censoring and at-risk
counts at every time are those of the expanded rows, so the product limit, Greenwood's variance,
the bands, medians, RMST and the (weighted, stratified) log-rank statistics are the same numbers:
R ``survfit(Surv(t, e) ~ g, weights = n)`` on the aggregated rows equals ``survfit`` on the
expanded rows (tests/km/test_km.py::test_case_weights_match_r_and_replication checks churnsurv's
weighted fit against R and replication). The references here are churnsurv's own per-customer
path (``EventChurn.to_data()`` and the expanded ``survival_data()``), itself tested against R
``survival`` in tests/km; equality must be exact. tests/reference/km_counts.R checks the
aggregated-vs-expanded identity in R itself on the counts of the log used below.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
import churnsurv.events.result as events_result

matplotlib.use("Agg")

REFERENCE = Path(__file__).parents[1] / "reference"
WEIGHTINGS = [
    {"weighting": "logrank"},
    {"weighting": "wilcoxon"},
    {"weighting": "tarone-ware"},
    {"weighting": "fleming-harrington", "p": 1.0, "q": 1.0},
]


def make_log(seed: int, n_customers: int, n_rows: int, step: int) -> pd.DataFrame:
    """A seeded log over two years, activity every ``step`` days, two segments per customer."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, n_customers, n_rows)
    days = (rng.integers(0, 730 // step, n_rows) * step).astype("timedelta64[D]")
    plan = np.where(np.arange(n_customers) % 3 == 0, "annual", "monthly")
    region = np.array(["north", "south", "east"])[(np.arange(n_customers) // 3) % 3]
    return pd.DataFrame(
        {
            "id": ids,
            "ts": pd.to_datetime(np.datetime64("2020-01-01") + days),
            "plan": plan[ids],
            "region": region[ids],
        }
    )


def events(seed: int, n_customers: int, n_rows: int, step: int, **kw) -> cs.EventChurn:
    args = dict(
        customer_id="id",
        timestamp="ts",
        inactivity="3M",
        cutoff="2021-12-31",
        segments=["plan", "region"],
    )
    return cs.churn_from_events(make_log(seed, n_customers, n_rows, step), **(args | kw))


LOGS = {
    # weekly activity, tenure in months (calendar-exact fractions), first episode per customer
    "months": lambda: events(7, 1500, 12000, 7),
    # daily activity, tenure in whole days: tied exit times, censor-only days
    "days": lambda: events(11, 400, 20000, 1, time_unit="day", inactivity="45D"),
    # every episode (customers who return), churn time when the rule is reached
    "episodes": lambda: events(3, 1500, 12000, 7, episodes=True, churn_time="rule_reached"),
}


@pytest.fixture(scope="module", params=list(LOGS))
def log_result(request):
    return LOGS[request.param]()


def _assert_km_equal(a: cs.KaplanMeier, b: cs.KaplanMeier) -> None:
    pd.testing.assert_frame_equal(a.curves_, b.curves_, check_exact=True)
    pd.testing.assert_frame_equal(a.median_, b.median_, check_exact=True)
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    tau = float(min(a.curves_.groupby("segment")["time"].max().min(), 12.0))
    pd.testing.assert_frame_equal(a.rmst(tau), b.rmst(tau), check_exact=True)
    times = np.linspace(0.0, tau, 7)
    pd.testing.assert_frame_equal(a.survival_at(times), b.survival_at(times), check_exact=True)
    pd.testing.assert_frame_equal(a.at_risk(times), b.at_risk(times), check_exact=True)
    assert a._repr_html_() == b._repr_html_()
    assert str(a) == str(b)


@pytest.mark.parametrize("by", [None, "plan", ["plan", "region"]])
def test_kaplan_meier_from_counts_equals_the_per_customer_fits(log_result, by):
    counts = log_result.counts()
    # the logs exercise what they claim: ties, and times with censorings but no churn
    assert counts["n"].max() > 1 and len(counts) < int(counts["n"].sum())
    km = cs.KaplanMeier().fit(log_result, by=by)
    # fitted on the counts summed per distinct (segments, tenure, status)
    keys = ["plan", "region", "duration", "churned"]
    assert km.data_.n == len(counts.drop_duplicates(keys)) < len(counts)
    assert ((km.curves_["events"] == 0) & (km.curves_["censored"] > 0)).any()
    assert int(km.summary["n"].sum()) == len(log_result.frame)  # customers, not rows
    _assert_km_equal(km, cs.KaplanMeier().fit(log_result.to_data(), by=by))
    _assert_km_equal(km, cs.KaplanMeier().fit(log_result.survival_data(), by=by))
    loglog = cs.KaplanMeier(conf_type="log-log", conf_level=0.9)
    _assert_km_equal(
        loglog.fit(log_result, by=by),
        cs.KaplanMeier(conf_type="log-log", conf_level=0.9).fit(log_result.to_data(), by=by),
    )


def test_plot_from_counts_equals_the_per_customer_plot(log_result):
    import matplotlib.pyplot as plt

    axes = []
    for data in (log_result, log_result.to_data()):
        fig, ax = plt.subplots()
        cs.KaplanMeier().fit(data, by="plan").plot(ax=ax)
        axes.append(ax)
    a, b = axes
    assert len(a.lines) == len(b.lines) > 0
    for la, lb in zip(a.lines, b.lines, strict=True):
        np.testing.assert_array_equal(la.get_xydata(), lb.get_xydata())
    texts = [[t.get_text() for t in ax.texts] for ax in axes]  # the number-at-risk table
    assert texts[0] == texts[1]
    plt.close("all")


@pytest.mark.parametrize("kw", WEIGHTINGS, ids=[w["weighting"] for w in WEIGHTINGS])
def test_logrank_from_counts_equals_the_per_customer_test(log_result, kw):
    mem = log_result.to_data()
    for strata in (None, "region"):
        got = cs.logrank(log_result, "plan", strata=strata, **kw)
        ref = cs.logrank(mem, "plan", strata=strata, **kw)
        pd.testing.assert_frame_equal(got.summary, ref.summary, check_exact=True)
        pd.testing.assert_frame_equal(got.table, ref.table, check_exact=True)
        assert int(got.table["n"].sum()) == mem.n  # customers per group, not count rows
    for adjust in ("holm", "bh"):
        pd.testing.assert_frame_equal(
            cs.pairwise_logrank(log_result, ["plan", "region"], adjust=adjust, **kw).table,
            cs.pairwise_logrank(mem, ["plan", "region"], adjust=adjust, **kw).table,
            check_exact=True,
        )
    km, km_mem = (cs.KaplanMeier().fit(d, by="region") for d in (log_result, mem))
    pd.testing.assert_frame_equal(
        km.logrank(strata="plan", **kw).table, km_mem.logrank(strata="plan", **kw).table
    )
    pd.testing.assert_frame_equal(km.pairwise(**kw).table, km_mem.pairwise(**kw).table)


def test_case_weights_are_refused_for_counts():
    # the count rows carry no customer: per-customer weights cannot be matched to them
    res = LOGS["months"]()
    match = "weights: case weights cannot be used with the result of churn_from_events"
    with pytest.raises(ValueError, match=match):
        cs.KaplanMeier().fit(res, weights=np.ones(res.n_customers))
    with pytest.raises(ValueError, match=match):
        cs.logrank(res, "plan", weights="duration")
    with pytest.raises(ValueError, match=match):
        cs.pairwise_logrank(res, "plan", weights=np.ones(res.n_customers))


def test_frequency_weights_with_late_entry_equal_the_expanded_rows():
    # churn_from_events has no entry times; the identity behind the count path (integer
    # frequency weights = repeated rows) also holds with left truncation, as in R survfit
    rng = np.random.default_rng(4)
    m = 300
    agg = pd.DataFrame(
        {
            "t": rng.integers(1, 25, m).astype(float),
            "e": rng.random(m) < 0.6,
            "g": rng.choice(["a", "b"], m),
            "n": rng.integers(1, 6, m),
        }
    )
    agg["entry"] = np.floor(agg["t"] * rng.random(m) * (rng.random(m) < 0.4))
    rep = agg.loc[agg.index.repeat(agg["n"])].reset_index(drop=True)
    kw = dict(duration="t", event="e", entry="entry", segments="g")
    a = cs.prepare(agg, covariates=["n"], **kw)
    b = cs.prepare(rep, **kw)
    km_a = cs.KaplanMeier().fit(a, by="g", weights="n")
    km_b = cs.KaplanMeier().fit(b, by="g")
    pd.testing.assert_frame_equal(km_a.curves_, km_b.curves_, check_exact=True)
    for kw_t in WEIGHTINGS:
        x = cs.logrank(a, "g", weights="n", **kw_t)
        y = cs.logrank(b, "g", **kw_t)
        pd.testing.assert_frame_equal(x.summary, y.summary, check_exact=True)


def test_kaplan_meier_and_logrank_never_expand_the_counts(monkeypatch):
    # guard (like test_summaries.py::test_tables_use_the_counts_without_expanding_them): on an
    # EventChurn, KaplanMeier and the log-rank tests build no per-customer table
    res = LOGS["months"]()
    res.counts()  # computed in the engine once
    customers = res.n_customers
    expected = {
        "curves": cs.KaplanMeier().fit(res.to_data(), by="plan").curves_,
        "logrank": cs.logrank(res.to_data(), "plan", strata="region").table,
    }
    res._frame = None  # forget the per-customer frame to_data() fetched

    def refuse(*args, **kwargs):
        raise AssertionError("the engine counts were expanded to one row per customer")

    sizes = []
    real_prepare = events_result.prepare

    def counting_prepare(frame, **kwargs):
        sizes.append(len(frame))
        return real_prepare(frame, **kwargs)

    monkeypatch.setattr(cs.EventChurn, "survival_data", refuse)
    monkeypatch.setattr(cs.EventChurn, "to_data", refuse)
    monkeypatch.setattr(cs.EventChurn, "frame", property(refuse))
    monkeypatch.setattr(events_result, "prepare", counting_prepare)
    km = cs.KaplanMeier().fit(res, by="plan")
    pd.testing.assert_frame_equal(km.curves_, expected["curves"], check_exact=True)
    km.summary, km.logrank(), km.pairwise()  # noqa: B018
    lr = cs.logrank(res, "plan", strata="region", weighting="wilcoxon")
    cs.logrank(res, "plan", strata="region")
    cs.pairwise_logrank(res, "region")
    pd.testing.assert_frame_equal(
        cs.logrank(res, "plan", strata="region").table, expected["logrank"], check_exact=True
    )
    assert lr.table["n"].sum() == customers
    distinct = len(res.counts().drop_duplicates(["plan", "region", "duration", "churned"]))
    assert sizes and max(sizes) == distinct < customers


def test_r_survfit_and_survdiff_on_the_aggregated_counts():
    # tests/reference/km_counts.R: R 4.2 survival on the counts of LOGS["months"] (written to
    # km_counts.csv): survfit(weights = n) on the aggregated rows equals survfit on the rows
    # repeated n times (checked in R), and survdiff on the repeated rows.
    ref = json.loads((REFERENCE / "km_counts.json").read_text())
    res = LOGS["months"]()
    counts = pd.read_csv(REFERENCE / "km_counts.csv", float_precision="round_trip")
    mine = res.counts()
    np.testing.assert_array_equal(mine["n"], counts["n"])
    np.testing.assert_array_equal(mine["duration"], counts["duration"])
    assert ref["survfit_weighted_equals_expanded"] is True
    km = cs.KaplanMeier().fit(res, by="plan")
    for seg, r_json in ref["survfit"].items():
        r = {k: np.asarray(v, dtype=float) for k, v in r_json.items()}  # null (NA) -> NaN
        c = km.curves_[km.curves_["segment"] == seg]
        np.testing.assert_allclose(c["time"], r["time"], rtol=1e-12)
        np.testing.assert_allclose(c["at_risk"], r["n_risk"], rtol=1e-12)
        np.testing.assert_allclose(c["survival"], r["surv"], rtol=1e-12)
        ok = np.isfinite(r["std_err"])
        # R's std.err is that of log S (Greenwood's sum ** 0.5); churnsurv's is that of S
        np.testing.assert_allclose(
            c["std_err"].to_numpy()[ok] / c["survival"].to_numpy()[ok],
            r["std_err"][ok],
            rtol=1e-10,
        )
        np.testing.assert_allclose(c["ci_lower"], r["lower"], rtol=1e-10)
        np.testing.assert_allclose(c["ci_upper"], r["upper"], rtol=1e-10)
    rm = km.rmst(ref["rmst_tau"])
    for seg, (est, se) in ref["rmst"].items():
        np.testing.assert_allclose(rm.loc[seg, ["rmst", "std_err"]], [est, se], rtol=1e-10)
    lr = cs.logrank(res, "plan")
    np.testing.assert_allclose(lr.statistic, ref["survdiff"]["chisq"], rtol=1e-10)
    np.testing.assert_allclose(lr.table["observed"], ref["survdiff"]["obs"], rtol=1e-12)
    np.testing.assert_allclose(lr.table["expected"], ref["survdiff"]["exp"], rtol=1e-10)
    assert lr.table["n"].tolist() == ref["survdiff"]["n"]
    strat = cs.logrank(res, "plan", strata="region")
    np.testing.assert_allclose(strat.statistic, ref["survdiff_strata"]["chisq"], rtol=1e-10)
    fh = cs.logrank(res, "plan", weighting="fleming-harrington", p=1.0, q=0.0)
    np.testing.assert_allclose(fh.statistic, ref["survdiff_rho1"]["chisq"], rtol=1e-10)
