"""Tests for churnsurv.experiments (compare_arms, piecewise hazard ratios, the hotel simulator).

References:

* R ``survival`` 3.5.3 on a seeded two-arm data set with crossing hazards
  (``tests/reference/experiment_arms.R`` → ``experiment_arms.json``, ``experiment_arms_data.csv``):
  ``summary(survfit(...), rmean = tau)`` RMST and SE per arm, ``survdiff`` with ``rho = 0, 1``,
  and ``coxph`` on ``survSplit`` data for the hazard ratio per tenure interval.
* The truth of :func:`churnsurv.simulate_hotel` (closed-form RMST of piecewise exponentials).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import churnsurv as cs
from churnsurv.exceptions import DataValidationError

REF = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="module")
def r_ref():
    return json.loads((REF / "experiment_arms.json").read_text())


@pytest.fixture(scope="module")
def arms_data():
    df = pd.read_csv(REF / "experiment_arms_data.csv")
    return cs.prepare(df, id="id", duration="time", event="status", covariates=["strategy"])


@pytest.fixture(scope="module")
def comparison(arms_data):
    return cs.compare_arms(
        arms_data, horizons=[6, 12, 18, 24], reference="relationship", cuts=[6, 12], fh=(1, 0)
    )


def test_rmst_per_arm_matches_r(comparison, r_ref):
    rmst = comparison.rmst.set_index(["tau", "arm"])
    for block in r_ref["rmst"]:
        for arm in ("promotion", "relationship"):
            row = rmst.loc[(block["tau"], arm)]
            assert row["rmst"] == pytest.approx(block["rmean"][arm], rel=1e-12)
            assert row["std_err"] == pytest.approx(block["se"][arm], rel=1e-10)


def test_rmst_difference_and_ratio_from_r_per_arm_numbers(comparison, r_ref):
    # R: difference = rmean_promotion - rmean_relationship, SE = sqrt(se1^2 + se0^2);
    # ratio CI on the log scale by the delta method (survRM2's rmst2 convention)
    z = stats.norm.ppf(0.975)
    c = comparison.rmst_contrast
    for block in r_ref["rmst"]:
        r1, r0 = block["rmean"]["promotion"], block["rmean"]["relationship"]
        s1, s0 = block["se"]["promotion"], block["se"]["relationship"]
        row = c.loc[block["tau"]]
        se = np.hypot(s1, s0)
        assert row["difference"] == pytest.approx(r1 - r0, abs=1e-12)
        assert row["std_err"] == pytest.approx(se, rel=1e-10)
        assert row["ci_lower"] == pytest.approx(r1 - r0 - z * se, abs=1e-10)
        assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(r1 - r0) / se), rel=1e-8)
        se_log = np.hypot(s1 / r1, s0 / r0)
        assert row["ratio"] == pytest.approx(r1 / r0, rel=1e-12)
        assert row["ratio_lower"] == pytest.approx(r1 / r0 * np.exp(-z * se_log), rel=1e-10)
        assert row["ratio_upper"] == pytest.approx(r1 / r0 * np.exp(z * se_log), rel=1e-10)


def test_tests_match_survdiff(comparison, r_ref):
    t = comparison.tests
    for i, ref in enumerate(r_ref["tests"]):  # rho = 0 (log-rank), rho = 1 = FH(1, 0)
        assert t.loc[i, "statistic"] == pytest.approx(ref["chisq"], rel=1e-10)
        assert t.loc[i, "p_value"] == pytest.approx(ref["p"], rel=1e-8)


def test_piecewise_hazard_ratios_match_coxph_on_survsplit(comparison, r_ref):
    hr = comparison.hazard_ratios
    assert hr.index.tolist() == ["(0, 6]", "(6, 12]", "(12, inf)"]
    coef = np.array(list(r_ref["piecewise"]["coef"].values()))
    se = np.array(list(r_ref["piecewise"]["se"].values()))
    np.testing.assert_allclose(hr["log_hr"], coef, rtol=0, atol=1e-7)
    np.testing.assert_allclose(hr["std_err"], se, rtol=1e-7)
    # the R idiom arm:strata(period) is the same fit
    idiom = [v for v in r_ref["piecewise_idiom_coef"] if v is not None]
    np.testing.assert_allclose(coef, idiom, rtol=1e-12)
    # the story: promotion lowers early churn and raises it later
    assert hr["hr"].iloc[0] < 1 < hr["hr"].iloc[1]


def test_piecewise_breslow_matches_r(arms_data, r_ref):
    hr = cs.piecewise_hazard_ratios(
        arms_data, "strategy", [6, 12], reference="relationship", ties="breslow"
    )
    ref = r_ref["piecewise_breslow"]
    np.testing.assert_allclose(hr["log_hr"], list(ref["coef"].values()), atol=1e-7)
    np.testing.assert_allclose(hr["std_err"], list(ref["se"].values()), rtol=1e-7)


def test_split_episodes_matches_survsplit_row_count(arms_data, r_ref):
    episodes = cs.split_episodes(arms_data, [6, 12])
    assert len(episodes) == r_ref["piecewise"]["n_rows"]
    assert int(episodes["event"].sum()) == r_ref["events"]
    # episodes tile each customer's follow-up
    lengths = (episodes["stop"] - episodes["start"]).groupby(episodes["id"]).sum()
    np.testing.assert_allclose(lengths.to_numpy(), arms_data.durations)


def test_single_hazard_ratio_matches_coxph(comparison, r_ref):
    # R's coefficient is relationship vs promotion; ours is promotion (treated) vs relationship
    row = comparison.hazard_ratio.iloc[0]
    assert row["log_hr"] == pytest.approx(-r_ref["ph"]["coef"], abs=1e-7)
    assert row["std_err"] == pytest.approx(r_ref["ph"]["se"], rel=1e-6)


def test_decision_table_and_curve(comparison):
    d = comparison.decision.set_index("horizon")
    assert d.loc[6.0, "rmst_winner"] == "promotion"
    assert d.loc[24.0, "rmst_winner"] == "relationship"
    c = comparison.rmst_contrast
    assert d.loc[24.0, "rmst_certainty"] == pytest.approx(
        stats.norm.cdf(abs(c.loc[24.0, "difference"]) / c.loc[24.0, "std_err"])
    )
    curve = comparison.rmst_curve([6, 12, 18, 24])
    np.testing.assert_allclose(curve["difference"], c["difference"], atol=1e-12)
    assert "Decision per horizon" in str(comparison)
    assert "<table" in comparison._repr_html_()


def test_hotel_simulation_recovers_true_rmst():
    sim = cs.simulate_hotel(n=6000, rng=11)
    res = cs.compare_arms(sim.data, horizons=[6, 24], reference="promotion", cuts=[6])
    truth = sim.true_rmst([6, 24])
    rmst = res.rmst.set_index(["tau", "arm"])
    for tau in (6.0, 24.0):
        for arm in ("promotion", "relationship"):
            row = rmst.loc[(tau, arm)]
            # within 4 standard errors (rounding tenures to 0.1 month shifts RMST by < 0.05)
            assert abs(row["rmst"] - truth.loc[tau, arm]) < 4 * row["std_err"] + 0.05
    hr = res.hazard_ratios["log_hr"].to_numpy()  # relationship vs promotion
    true = np.log([0.045 / 0.02, 0.045 / 0.08])
    np.testing.assert_allclose(hr, true, atol=0.2)


def test_refuses_more_than_two_arms_and_unknown_reference(arms_data):
    df = pd.read_csv(REF / "experiment_arms_data.csv")
    df.loc[:10, "strategy"] = "third"
    three = cs.prepare(df, duration="time", event="status", covariates=["strategy"])
    with pytest.raises(DataValidationError, match="compare exactly two"):
        cs.compare_arms(three, horizons=[6])
    with pytest.raises(DataValidationError, match="not an arm"):
        cs.compare_arms(arms_data, horizons=[6], reference="nope")
    with pytest.raises(DataValidationError, match="strictly increasing"):
        cs.compare_arms(arms_data, horizons=[6], cuts=[12, 6])
    with pytest.raises(DataValidationError, match="horizons"):
        cs.compare_arms(arms_data, horizons=[0])
    with pytest.raises(DataValidationError, match="two exponents"):
        cs.compare_arms(arms_data, horizons=[6], fh=(1,))


def test_plots_draw_the_tables(comparison):
    import matplotlib.pyplot as plt

    curve = comparison.rmst_curve([3, 6, 12, 18, 24])
    ax = cs.plot_rmst_difference(curve)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), curve["difference"])
    ax2 = cs.plot_hazard_ratios(comparison.hazard_ratios)
    drawn = [line.get_ydata()[0] for line in ax2.lines[: len(comparison.hazard_ratios)]]
    np.testing.assert_allclose(drawn, comparison.hazard_ratios["hr"])
    assert ax2.get_yscale() == "log"
    plt.close("all")
