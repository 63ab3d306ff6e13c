"""Cumulative incidence per reason (Aalen–Johansen) and Gray's test against R and simulation.

References: ``tests/reference/cuminc.R`` → ``cuminc.json`` (cmprsk::cuminc on 300 rows with
ties, two groups, two causes) and ``tests/reference/cuminc_extra.R`` → ``cuminc_extra.json``
(three segments, three causes, whole-month times, strata and rho = 1 for Gray's test, and
survival::survfit's Aalen–Johansen with entry times); statsmodels ``CumIncidenceRight``; the
truth of a seeded simulation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv import DataValidationError
from churnsurv.reasons.incidence import incidence_band

REF = Path(__file__).parents[1] / "reference"


def _load(name: str, **kw) -> tuple[dict, cs.ChurnData]:
    ref = json.loads((REF / f"{name}.json").read_text())
    raw = pd.read_csv(REF / f"{name}_data.csv")
    raw["why"] = raw["fstatus"].map({0: None, 1: "1", 2: "2", 3: "3"})
    cols = [c for c in raw.columns if c != "entry"] if "entry" not in kw else raw.columns
    data = cs.prepare(raw[cols], id="id", duration="ftime", reason="why", **kw)
    return ref, data


def _check_timepoints(ci: cs.CumulativeIncidence, block: dict, times, by: bool = True) -> None:
    at = ci.incidence_at(times)
    for name, est, var in zip(block["curve_names"], block["est"], block["var"], strict=True):
        segment, reason = name.split()  # without groups cmprsk names the curves "1 <cause>"
        sel = at[at["reason"] == reason]
        if by:
            sel = sel[sel["segment"] == segment]
        np.testing.assert_allclose(sel["incidence"], est, rtol=0, atol=1e-14)
        np.testing.assert_allclose(sel["std_err"] ** 2, var, rtol=1e-12, atol=1e-18)


def test_cuminc_estimates_and_variances():
    ref, data = _load("cuminc")
    ci = cs.CumulativeIncidence().fit(data, by="group")
    _check_timepoints(ci, ref["cuminc"], ref["cuminc"]["times"])


def test_cuminc_full_curves():
    # cmprsk doubles each jump time to draw steps: the values after each jump are at 2, 4, ...
    ref, data = _load("cuminc")
    ci = cs.CumulativeIncidence().fit(data, by="group")
    for name, curve in ref["cuminc"]["curves"].items():
        segment, reason = name.split()
        t = np.array(curve["time"][2:-1:2])
        at = ci.incidence_at(t)
        sel = at[(at["segment"] == segment) & (at["reason"] == reason)]
        np.testing.assert_allclose(sel["incidence"], curve["est"][2:-1:2], rtol=0, atol=1e-14)
        np.testing.assert_allclose(sel["std_err"] ** 2, curve["var"][2:-1:2], rtol=1e-12)
        # the curve's jumps are exactly the reason's churn times
        mine = ci.curves_[(ci.curves_["segment"] == segment) & (ci.curves_["reason"] == reason)]
        np.testing.assert_array_equal(mine.loc[mine["events"] > 0, "time"], t)


def test_cuminc_three_segments_three_reasons_whole_months():
    ref, data = _load("cuminc_extra")
    ci = cs.CumulativeIncidence().fit(data, by="seg")
    _check_timepoints(ci, ref["cuminc"], ref["times"])
    _check_timepoints(cs.CumulativeIncidence().fit(data), ref["cuminc_all"], ref["times"], by=False)


@pytest.mark.parametrize(
    "name, key, strata, rho",
    [
        ("cuminc", None, None, 0.0),
        ("cuminc_extra", "gray_rho0", None, 0.0),
        ("cuminc_extra", "gray_rho1", None, 1.0),
        ("cuminc_extra", "gray_strata_rho0", "strat", 0.0),
        ("cuminc_extra", "gray_strata_rho1", "strat", 1.0),
    ],
)
def test_gray_test_matches_cmprsk(name, key, strata, rho):
    ref, data = _load(name)
    by = "group" if name == "cuminc" else "seg"
    expected = ref["cuminc"]["gray_test"] if key is None else ref[key]
    res = cs.gray_test(data, by, strata=strata, rho=rho)
    s = res.summary
    assert s.index.tolist() == expected["cause"]
    np.testing.assert_allclose(s["statistic"], expected["stat"], rtol=1e-12)
    np.testing.assert_allclose(s["p_value"], expected["p"], rtol=1e-9)
    assert s["df"].tolist() == expected["df"]
    # the estimator's shortcut gives the same test
    via_fit = cs.CumulativeIncidence().fit(data, by=by).gray_test(strata=strata, rho=rho)
    pd.testing.assert_frame_equal(via_fit.summary, s)
    assert "Gray's test" in str(res) and "<table" in res._repr_html_()


def test_aalen_johansen_with_entry_times_matches_survfit():
    ref, data = _load("cuminc_extra", entry="entry")
    assert data.has_entry
    ci = cs.CumulativeIncidence().fit(data)
    shares = ci.shares_at(ref["times"])[["active", "1", "2", "3"]].to_numpy()
    np.testing.assert_allclose(shares, ref["aj_truncated"]["pstate"], rtol=0, atol=1e-14)
    np.testing.assert_array_equal(
        ci.at_risk(ref["times"])["at_risk"], ref["aj_truncated"]["n_risk"]
    )
    with pytest.raises(DataValidationError, match="entry times"):
        cs.gray_test(data, "seg")


def test_std_err_is_cmprsk_not_survfit_infinitesimal_jackknife():
    # survfit's std.err (infinitesimal jackknife) is another estimator of the same variance:
    # close to cmprsk's, not equal (documented in the class docstring)
    ref, data = _load("cuminc_extra")
    ci = cs.CumulativeIncidence().fit(data)
    shares = ci.shares_at(ref["times"])[["active", "1", "2", "3"]].to_numpy()
    np.testing.assert_allclose(shares, ref["aj_plain"]["pstate"], rtol=0, atol=1e-14)
    se = ci.incidence_at(ref["times"]).pivot(index="time", columns="reason", values="std_err")
    diff = np.abs(se.to_numpy() - np.array(ref["aj_plain"]["std_err"])[:, 1:])
    assert 1e-6 < diff.max() < 1e-3


def test_estimates_match_statsmodels_cumincidenceright():
    from statsmodels.duration.survfunc import CumIncidenceRight

    raw = pd.read_csv(REF / "cuminc_data.csv")
    sm = CumIncidenceRight(raw["ftime"].to_numpy(), raw["fstatus"].to_numpy())
    _, data = _load("cuminc")
    at = cs.CumulativeIncidence().fit(data).incidence_at(sm.times)
    for k in (0, 1):
        sel = at[at["reason"] == str(k + 1)]
        np.testing.assert_allclose(sel["incidence"], sm.cinc[k], rtol=0, atol=1e-14)


def _random_data(seed: int, n: int = 500, ties: bool = True) -> cs.ChurnData:
    rng = np.random.default_rng(seed)
    t = rng.exponential(10, n)
    t = np.ceil(t) if ties else t
    why = rng.choice(["price", "service", "card", None], n, p=[0.3, 0.3, 0.1, 0.3])
    seg = rng.choice(["x", "y"], n)
    for g in ("x", "y"):  # each segment's longest tenure is censored: customers remain
        why[np.flatnonzero(seg == g)[np.argmax(t[seg == g])]] = None
    return cs.prepare(pd.DataFrame({"t": t, "why": why, "seg": seg}), duration="t", reason="why")


@pytest.mark.parametrize("seed", range(5))
def test_incidences_plus_survival_add_to_one_at_every_time(seed):
    data = _random_data(seed)
    ci = cs.CumulativeIncidence().fit(data, by="seg")
    total = ci.curves_.groupby(["segment", "time"], sort=False)["incidence"].sum()
    surv = ci.survival_.set_index(["segment", "time"])["survival"]
    np.testing.assert_allclose(total.to_numpy() + surv.loc[total.index].to_numpy(), 1.0, atol=1e-14)
    shares = ci.shares_at(np.linspace(0, 20, 41), beyond_follow_up="nan")
    np.testing.assert_allclose(shares.drop(columns=["segment", "time"]).sum(axis=1), 1.0)
    # survival is the Kaplan–Meier curve of churn for any reason
    km = cs.KaplanMeier().fit(data, by="seg").curves_
    np.testing.assert_allclose(ci.survival_["survival"], km["survival"], atol=1e-15)


@pytest.mark.parametrize("seed", range(3))
def test_one_minus_km_per_reason_overstates(seed):
    data = _random_data(seed)
    ci = cs.CumulativeIncidence().fit(data)
    times = np.arange(1, 15)
    for reason in data.reasons:
        naive = 1 - cs.KaplanMeier().fit(data.for_reason(reason)).survival_at(times)["survival"]
        f = ci.incidence_at(times).query("reason == @reason")["incidence"].to_numpy()
        assert np.all(naive.to_numpy() >= f - 1e-15)
        assert naive.to_numpy()[-1] > f[-1]


def test_deterministic_with_ties_and_equal_to_lifelines_without_ties():
    from lifelines import AalenJohansenFitter

    data = _random_data(7, ties=False)
    ci = cs.CumulativeIncidence().fit(data)
    for k, reason in enumerate(data.reasons, start=1):
        ajf = AalenJohansenFitter(calculate_variance=False).fit(
            data.durations, data.reason_codes, event_of_interest=k
        )
        curve = ajf.cumulative_density_.iloc[:, 0]
        ours = ci.incidence_at(curve.index.to_numpy())
        ours = ours[ours["reason"] == reason]
        np.testing.assert_allclose(ours["incidence"], curve.to_numpy(), atol=1e-12)
    tied = _random_data(7)
    a = cs.CumulativeIncidence().fit(tied).curves_
    b = (
        cs.CumulativeIncidence()
        .fit(tied.take(np.random.default_rng(1).permutation(tied.n)))
        .curves_
    )
    pd.testing.assert_frame_equal(a, b)


def test_simulation_truth_is_recovered():
    # no covariate effects: T ~ Weibull(1.2, 24) and each reason takes its share of the hazard,
    # so F_k(t) = share_k * (1 - exp(-(t / 24) ** 1.2)) (truth of the simulation)
    base = cs.simulate_customers(
        20000, rng=11, effects=dict.fromkeys(cs.data.simulate.DEFAULT_EFFECTS, 0.0)
    )
    data = cs.prepare(base.customers, duration="tenure", event="churned", reason="reason")
    ci = cs.CumulativeIncidence().fit(data)
    at = ci.incidence_at([6, 12, 24, 36])
    shares = base.truth["reason_shares"]
    truth = np.array([shares[r] for r in at["reason"]]) * (1 - np.exp(-((at["time"] / 24) ** 1.2)))
    z = (at["incidence"] - truth) / at["std_err"]
    assert np.abs(z).max() < 4
    covered = (at["ci_lower"] <= truth) & (truth <= at["ci_upper"])
    assert covered.mean() >= 0.8


def test_incidence_band_transforms():
    f, se = np.array([0.0, 0.2, 0.6]), np.array([0.0, 0.05, 0.1])
    lo, hi = incidence_band(f, se, 1.96, "plain")
    np.testing.assert_allclose(lo, [0, 0.102, 0.404])
    np.testing.assert_allclose(hi, [0, 0.298, 0.796])
    lo, hi = incidence_band(f, se, 1.96, "log")
    np.testing.assert_allclose(lo[1:], f[1:] * np.exp(-1.96 * se[1:] / f[1:]))
    lo, hi = incidence_band(f, se, 1.96, "log-log")
    # inside (0, 1) and the transformed interval is symmetric on log(-log F)
    g = np.log(-np.log(f[1:]))
    np.testing.assert_allclose(np.log(-np.log(lo[1:])) - g, g - np.log(-np.log(hi[1:])), rtol=1e-12)
    assert np.all((lo[1:] > 0) & (hi[1:] < 1) & (lo[1:] < f[1:]) & (f[1:] < hi[1:]))


def test_summary_shares_and_rendering():
    data = _random_data(3)
    ci = cs.CumulativeIncidence(conf_level=0.9).fit(data, by="seg")
    s = ci.summarize([5, 1000])
    assert s.index.names == ["segment", "reason"]
    np.testing.assert_allclose(s.groupby(level="segment")["share_of_churn"].sum(), 1.0)
    assert s["incidence_1000"].isna().all()  # beyond follow-up
    assert s.attrs["conf_level"] == 0.9
    assert "Cumulative incidence by reason" in str(ci) and "<table" in ci._repr_html_()
    with pytest.raises(ValueError, match="beyond the follow-up"):
        ci.incidence_at([1000])
    with pytest.raises(DataValidationError, match="conf_type"):
        cs.CumulativeIncidence(conf_type="arcsine")
    with pytest.raises(cs.NotFittedError):
        cs.CumulativeIncidence().incidence_at([1])
    plain = cs.prepare(pd.DataFrame({"t": [1, 2], "e": [1, 0]}), duration="t", event="e")
    with pytest.raises(DataValidationError, match="needs churn reasons"):
        cs.CumulativeIncidence().fit(plain)


def test_gray_test_argument_rules():
    data = _random_data(4)
    with pytest.raises(DataValidationError, match="not one of"):
        cs.gray_test(data, "seg", reason="moved")
    with pytest.raises(DataValidationError, match="by="):
        cs.gray_test(data, None)
    one = cs.prepare(
        pd.DataFrame({"t": [1, 2, 3], "why": ["a", None, "a"], "s": ["x"] * 3}),
        duration="t",
        reason="why",
    )
    with pytest.raises(DataValidationError, match="two segments"):
        cs.gray_test(one, "s")
    res = cs.gray_test(data, "seg", reason="card")
    assert res.summary.index.tolist() == ["card"]


def test_plots_draw_the_estimates():
    import matplotlib

    matplotlib.use("Agg")
    data = _random_data(5)
    ci = cs.CumulativeIncidence().fit(data, by="seg")
    ax = ci.plot(segment="y")
    assert ax.get_title() == "y"
    # the top of the stacked reasons is 1 - survival
    top = ax.lines[0].get_ydata()
    surv = ci.survival_.query("segment == 'y'")["survival"].to_numpy()
    np.testing.assert_allclose(top[1:], 1 - surv, atol=1e-14)
    ax = ci.plot_by_segment("price")
    y = ax.lines[1].get_ydata()[1:]
    np.testing.assert_allclose(
        y, ci.curves_.query("segment == 'y' and reason == 'price'")["incidence"]
    )
    with pytest.raises(ValueError, match="not a reason"):
        ci.plot_by_segment("moved")
