"""The report's choices from the data and its key findings (churnsurv/report/findings.py) and its
tables for people (churnsurv/report/tables.py), without running the notebook."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.report import findings as kf
from churnsurv.report import tables as tt

TRUE_HR = {"plus": 0.6, "pro": 0.35, "usage": float(np.exp(0.4))}  # twelve_month_table


@pytest.fixture(scope="module")
def short(twelve_month_table):
    return cs.prepare(
        twelve_month_table,
        id="account",
        duration="months",
        event="churned",
        segments=["plan", "region"],
        covariates=["plan", "region", "usage"],
        margin="spend",
    )


@pytest.fixture(scope="module")
def telco():
    return cs.prepare(
        cs.datasets.load_telco(),
        id="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
        covariates=["Contract", "SeniorCitizen", "MonthlyCharges"],
        margin="MonthlyCharges",
    )


# --------------------------------------------------------------------------------------------
# defaults that adapt to the data
# --------------------------------------------------------------------------------------------
def test_twelve_month_data_get_horizons_within_follow_up_and_no_na_columns(short):
    km = cs.KaplanMeier().fit(short, by="plan")
    assert kf.follow_up(km).tolist() == [12.0, 12.0, 12.0]
    hs, tau = kf.retention_horizons(km, "month")
    assert (hs, tau) == ([12.0], 12.0)  # 24 months is past the follow-up: left out
    summary = km.summarize(horizons=hs, rmst_horizon=tau)
    assert not summary.filter(like="retention_").isna().any().any()
    assert not summary["rmst_12"].isna().any()
    shown = tt.km_table(summary, "month")
    assert not shown.apply(lambda c: c.astype(str).str.contains("NA")).any().any()
    # basic's median has no upper limit: said in words
    b = summary.loc["basic"]
    assert np.isnan(b["median_upper"])
    expected = f"{b['median']:g} ({b['median_lower']:g} to not reached)"
    assert shown.loc["basic", "median tenure, months (95% CI)"] == expected
    # the same numbers as KaplanMeier.survival_at (the product-limit estimate, checked against
    # R survfit in tests/km)
    expected = km.survival_at([12]).set_index("segment")["survival"]
    np.testing.assert_allclose(summary["retention_12"], expected.loc[summary.index])


def test_horizons_fall_back_to_half_and_all_of_a_short_follow_up():
    raw = pd.DataFrame({"t": np.tile(np.arange(1, 8), 4), "e": np.tile([0, 1], 14)})
    km = cs.KaplanMeier().fit(cs.prepare(raw, duration="t", event="e"))
    assert kf.retention_horizons(km, "month") == ([3.0, 7.0], 7.0)
    assert kf.retention_horizons(km, "week") == ([3.0, 7.0], 7.0)


def test_clv_horizon_stays_within_follow_up_unless_a_tail_is_named():
    assert kf.clv_horizon(None, "sbg", 72, "month")[0] == 60
    h, text = kf.clv_horizon(None, "sbg", 12.0, "month")
    assert h == 12 and "cut to the follow-up" in text
    h, text = kf.clv_horizon(36, "weibull", 12.0, "month")
    assert h == 36 and "24 months past the follow-up" in text and "weibull tail" in text
    h, text = kf.clv_horizon(36, "none", 12.0, "month")
    assert h == 12 and "--clv-tail is none" in text


@pytest.mark.parametrize("name", ["sbg", "weibull", "lognormal", "loglogistic"])
def test_every_named_tail_values_twelve_month_data_past_their_follow_up(short, name):
    km = cs.KaplanMeier().fit(short, by="plan")
    tail, text = kf.clv_tail(name, short, 36)
    assert text and tail is not None
    value = cs.clv(km, short, annual_discount_rate=0.1, horizon=36, tail=tail)
    within = cs.clv(km, short, annual_discount_rate=0.1, horizon=12)
    # more months of margin are worth more, and each month adds at most one margin
    assert (value.summary["clv"] > within.summary["clv"]).all()
    assert value.assumptions["tail"] != "none (horizon within follow-up)"
    with pytest.raises(ValueError, match="tail"):
        cs.clv(km, short, annual_discount_rate=0.1, horizon=36)  # refused without a tail


def test_extrapolation_says_how_far_past_the_data():
    ext = kf.extrapolation([0, 6, 11, 12], 12, 12)
    assert ext == {"n": 3, "share": 0.75, "beyond": 12.0}
    assert kf.extrapolation([1, 2], 3, 12) == {"n": 0, "share": 0.0, "beyond": 0.0}


def test_a_series_of_values_is_never_looked_up_in_its_index(monkeypatch):
    """np.asarray(series) probes dunder attributes, which pandas looks up in the index: for
    the millions of text ids of a 10M-row report the first lookup builds a hash table (16 s).
    The tenures are read with to_numpy: no index lookup at all."""
    tenures = pd.Series([0.0, 6.0, 11.0, 12.0], index=pd.Index(["a", "b", "c", "d"]))

    def refuse(self, key):
        raise AssertionError(f"index lookup of {key!r}")

    monkeypatch.setattr(pd.Index, "__contains__", refuse)
    assert kf.extrapolation(tenures, 12, 12) == {"n": 3, "share": 0.75, "beyond": 12.0}
    segments = pd.Series(pd.Categorical(["x", "y", "x", "y"]))
    totals = kf.segment_totals(tenures, segments, n_boot=10, rng=0)
    monkeypatch.undo()
    assert totals["total"].tolist() == [11.0, 18.0]


def test_segment_totals_are_sums_with_a_seeded_bootstrap_interval():
    gen = np.random.default_rng(3)
    values = pd.Series(gen.gamma(2, 50, 400))
    seg = pd.Series(np.repeat(["a", "b"], 200))
    totals = kf.segment_totals(values, seg, n_boot=2000, rng=1)
    np.testing.assert_allclose(totals["total"], values.groupby(seg).sum())
    assert (totals["ci_lower"] < totals["total"]).all()
    assert (totals["total"] < totals["ci_upper"]).all()
    # the percentile interval of a sum of 200 iid draws: about total ± 1.96 sqrt(200) sd
    sd = values.groupby(seg).std() * np.sqrt(200)
    width = (totals["ci_upper"] - totals["ci_lower"]) / (2 * 1.96)
    np.testing.assert_allclose(width, sd, rtol=0.1)
    again = kf.segment_totals(values, seg, n_boot=2000, rng=1)
    pd.testing.assert_frame_equal(totals, again)


# --------------------------------------------------------------------------------------------
# the Cox section acts on its own check
# --------------------------------------------------------------------------------------------
def test_ph_remedy_matches_r_cox_zph_before_and_after_stratifying(telco, r_reference):
    """p before / p after against R: cox.zph of coxph(... ~ Contract + SeniorCitizen +
    MonthlyCharges) and of coxph(... ~ SeniorCitizen + MonthlyCharges + strata(Contract))
    (tests/reference/report_ph_remedy.R)."""
    ref = r_reference("report_ph_remedy.json")
    cox = cs.CoxModel("Contract + SeniorCitizen + MonthlyCharges").fit(telco)
    remedy = kf.ph_remedy(cox, telco)
    assert remedy.stratified == ["Contract"]
    assert remedy.model.strata == ["Contract"]
    before = dict(zip(ref["before"]["zph"]["rows"], ref["before"]["zph"]["p"], strict=True))
    after = dict(zip(ref["after"]["zph"]["rows"], ref["after"]["zph"]["p"], strict=True))
    table = remedy.table
    for term in ("Contract", "SeniorCitizen", "MonthlyCharges"):
        assert table.loc[term, "p before"] == pytest.approx(before[term], rel=1e-5)
    for term in ("SeniorCitizen", "MonthlyCharges"):
        assert table.loc[term, "p after"] == pytest.approx(after[term], rel=1e-5)
    assert np.isnan(table.loc["Contract", "p after"])
    assert table["action"].tolist() == [
        "stratified: own baseline per level",
        "none needed",
        "kept: a numeric term cannot be stratified on",
    ]
    # MonthlyCharges still fails in R too: the model gives no finding
    assert after["MonthlyCharges"] < 0.05 and remedy.failing == ["MonthlyCharges"]
    assert not remedy.passed
    text = kf.driver_finding(remedy)
    assert text.startswith("No finding: after stratifying on Contract") and "MonthlyCharges" in text
    np.testing.assert_allclose(
        remedy.model.summary["log_hr"].to_numpy(),
        [ref["after"]["coef"]["SeniorCitizen"], ref["after"]["coef"]["MonthlyCharges"]],
        rtol=1e-6,
    )


def test_ph_remedy_from_a_given_check_needs_no_training_rows(telco):
    """issue 18: the report computes the check, draws the residuals and lets the model's rows go
    (CoxModel.remove_data) before the remedy refits; given the check, the remedy is the same."""
    formula = "Contract + SeniorCitizen + MonthlyCharges"
    expected = kf.ph_remedy(cs.CoxModel(formula).fit(telco), telco)
    cox = cs.CoxModel(formula).fit(telco)
    with pytest.warns(cs.AssumptionWarning):  # Contract and MonthlyCharges violate
        ph = cox.check_proportional_hazards()
    cox.remove_data()
    with pytest.raises(ValueError, match="remove_data"):
        kf.ph_remedy(cox, telco)  # without the check it would need the rows
    remedy = kf.ph_remedy(cox, telco, ph=ph)
    pd.testing.assert_frame_equal(remedy.table, expected.table)
    assert remedy.stratified == expected.stratified and remedy.failing == expected.failing
    pd.testing.assert_frame_equal(remedy.model.summary, expected.model.summary)


def test_ph_remedy_keeps_a_term_whose_strata_would_have_too_few_churns():
    """The early-warning guard's rule (min_stratum_events): a level with 4 churns is not
    stratified on, and the table says why."""
    gen = np.random.default_rng(5)
    n = 1500
    kind = np.where(np.arange(n) < 40, "rare", gen.choice(["a", "b"], n))
    # "b" churns early and stops, "a" churns at a steady rate: non-proportional by design
    t = np.where(kind == "b", gen.weibull(0.4, n) * 6, gen.exponential(30, n))
    t = np.where(kind == "rare", gen.exponential(400, n), t)  # about 4 churns in 36 months
    raw = pd.DataFrame(
        {"t": np.minimum(np.ceil(t), 36), "e": np.ceil(t) <= 36, "kind": kind,
         "x": gen.normal(size=n)}
    )  # fmt: skip
    data = cs.prepare(raw, duration="t", event="e", covariates=["kind", "x"])
    assert data.frame.groupby("kind")["event"].sum()["rare"] < 10
    remedy = kf.ph_remedy(cs.CoxModel("kind + x").fit(data), data, min_events=10)
    assert remedy.stratified == []
    assert remedy.table.loc["kind", "action"] == "kept: a stratum would have fewer than 10 churns"
    assert remedy.failing == ["kind"] and remedy.model.strata is None


def test_driver_finding_names_the_largest_effects_of_a_model_that_passed(short):
    """Simulation truth: HR 0.6 (plus), 0.35 (pro), exp(0.4) per unit of usage; region none."""
    remedy = kf.ph_remedy(cs.CoxModel("plan + region + usage").fit(short), short)
    assert remedy.passed and remedy.stratified == []
    assert remedy.table["action"].eq("none needed").all()
    s = remedy.model.summary
    for term, truth in (("plan[T.plus]", 0.6), ("plan[T.pro]", 0.35), ("usage", TRUE_HR["usage"])):
        assert s.loc[term, "hr_lower"] < truth < s.loc[term, "hr_upper"], term
    text = kf.driver_finding(remedy)
    # largest |log HR| first: pro, plus, usage; region (p > 0.05) is not named
    first = [text.index(label) for label in ("plan: pro", "plan: plus", "usage churns")]
    assert first == sorted(first) and "region" not in text
    assert "not causes" in text
    assert f"{tt.number(s.loc['plan[T.pro]', 'hr'])} times the rate" in text


def test_driver_finding_without_a_model_or_without_any_term_left():
    assert kf.driver_finding(None, "no model formula was given (--formula)") == (
        "No finding: no model formula was given (--formula)."
    )
    table = pd.DataFrame({"p before": [1e-9], "action": ["stratified"], "p after": [np.nan]})
    gone = kf.PHRemedy(None, table, ["Contract"], [])
    assert kf.driver_finding(gone).startswith("No hazard ratio: every term (Contract)")


# --------------------------------------------------------------------------------------------
# key findings in words
# --------------------------------------------------------------------------------------------
def test_stay_findings_name_only_segments_whose_log_rank_test_differs(short):
    km = cs.KaplanMeier().fit(short)
    tests = []
    for col in ("plan", "region"):
        k = cs.KaplanMeier().fit(short, by=col)
        p = float(k.logrank().summary["p_value"].iloc[0])
        tests.append({"by": col, "p": p, "summary": k.summarize(horizons=[12]), "horizon": 12})
    lines = kf.stay_findings(km.summarize(horizons=[12]), 12, "month", tests, 12)
    s = km.summarize(horizons=[12]).iloc[0]
    assert lines[0].startswith("More than half of the customers are still active")
    assert (
        tt.pct_ci(s["retention_12"], s["retention_12_lower"], s["retention_12_upper"]).split(" (")[
            0
        ]
        in lines[0]
    )
    assert lines[1].startswith("Retention differs by plan (log-rank p < 1e-16)")
    assert lines[2].startswith("No difference shown by region (log-rank p = ")


def test_call_and_worth_findings_carry_their_intervals():
    clv = pd.DataFrame(
        {"by": ["(all customers)", "plan", "plan"], "segment": ["all", "a", "b"],
         "clv": [100.0, 80.0, 130.0], "clv_lower": [95.0, 70.0, 120.0],
         "clv_upper": [105.0, 90.0, 140.0]}
    )  # fmt: skip
    text = kf.worth_finding(clv, 12, "month", "10% a year")
    assert "worth 100 (95% CI 95 to 105)" in text and "By plan: b 130 (120 to 140), a 80" in text
    top = pd.DataFrame(
        {"p_churn": [0.5], "ci_lower": [0.4], "ci_upper": [0.6], "residual_clv": [200.0],
         "value_at_risk": [100.0]}, index=["C1"]
    )  # fmt: skip
    best = pd.Series({"n_contacted": 12, "expected_saves": 3.2, "expected_net_value": 450.0})
    text = kf.call_finding(top, n_ranked=50, within=6, unit="month", best=best)
    assert "C1 (50.0% chance, 95% CI 40.0% to 60.0%; 100 at risk of 200)" in text
    assert "Calling the top 12 maximises the expected net value" in text


def test_findings_html_escapes_every_text():
    out = kf.findings_html([("<b>", ["<script>alert(1)</script>"])])
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;b&gt;" in out


# --------------------------------------------------------------------------------------------
# tables for people
# --------------------------------------------------------------------------------------------
def test_tables_round_to_meaningful_digits_and_show_shares_in_percent():
    assert tt.number(0.168906) == "0.169" and tt.number(4.631558) == "4.63"
    assert tt.number(17.460503) == "17.5" and tt.number(2452.7) == "2,453"
    assert tt.pct_ci(0.703097, 0.687745, 0.718791) == "70.3% (68.8% to 71.9%)"
    assert tt.discount_sentence(0.10, "month").startswith(
        "Future margins are discounted at 10% a year (0.797% per month"
    )
    # (1.1)^(1/12) - 1 = 0.00797414...: the exact monthly rate
    rows = tt.assumption_rows(
        {"horizon": 60, "strata": None, "tail": "none", "bootstrap": "50 resamples"}
    )
    assert rows.index.tolist() == ["horizon", "bootstrap"]


def test_clv_by_segment_has_a_seeded_bootstrap_interval(short):
    km = cs.KaplanMeier().fit(short, by="plan")
    args = dict(annual_discount_rate=0.1, horizon=12, ci=True, n_boot=50, rng=0)
    a, b = cs.clv(km, short, **args), cs.clv(km, short, **args)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    s = a.summary
    assert ((s["clv_lower"] < s["clv"]) & (s["clv"] < s["clv_upper"])).all()
    shown = tt.clv_table(s)
    assert shown.loc["pro", "CLV (95% bootstrap CI)"] == tt.value_ci(
        s.loc["pro", "clv"], s.loc["pro", "clv_lower"], s.loc["pro", "clv_upper"]
    )


def test_segment_totals_drawn_in_blocks_equal_one_draw(monkeypatch):
    # the blocked resampling (bounded memory) gives the draws of one n_boot x n matrix: the
    # generator's stream is consumed in the same order (even block sizes, 64-bit draws)
    from churnsurv.report import findings

    rng = np.random.default_rng(3)
    values = pd.Series(rng.gamma(2.0, 50.0, 1000))
    segments = pd.Series(np.where(np.arange(1000) % 3 == 0, "a", "b"))
    whole = findings.segment_totals(values, segments, n_boot=400, rng=11)
    monkeypatch.setattr(findings, "_BOOT_CELLS", 2 * 1000)  # 2-3 resamples per block
    blocked = findings.segment_totals(values, segments, n_boot=400, rng=11)
    pd.testing.assert_frame_equal(blocked, whole)
    # and the interval is the percentile interval of resampled totals (by hand, one segment)
    x = values[segments == "a"].to_numpy()
    draws = x[np.random.default_rng(11).integers(0, x.size, (400, x.size))].sum(axis=1)
    assert whole.loc["a", "ci_lower"] == np.quantile(draws, 0.025)


def test_segment_totals_past_one_piece_resample_the_same_distribution(monkeypatch):
    """Past one cache-sized piece, the totals are drawn piece by piece (multinomial numbers of
    draws per piece, then uniform draws within each): the same distribution as direct draws.
    References: the exact moments of a bootstrap total of m values, mean sum(x) and variance
    m * var(x) (population variance), and the direct draws (two-sample KS test)."""
    from scipy import stats

    from churnsurv.report import resampling

    monkeypatch.setattr(resampling, "PIECE", 64)  # 700 values: 11 pieces, the last partial
    x = np.random.default_rng(5).lognormal(3.0, 1.0, 700)
    n_boot = 20_000
    pieces = resampling.bootstrap_totals(x, n_boot, np.random.default_rng(8), cells=5000)
    assert pieces.shape == (n_boot,)
    sd = np.sqrt(x.size * x.var())
    assert abs(pieces.mean() - x.sum()) < 4 * sd / np.sqrt(n_boot)
    assert pieces.std() == pytest.approx(sd, rel=0.03)  # sd of the sd estimate: about 0.5%
    direct = x[np.random.default_rng(9).integers(0, x.size, (n_boot, x.size))].sum(axis=1)
    assert stats.ks_2samp(pieces, direct).pvalue > 0.01
    # pieces of one value: many (resample, piece) cells without draws; every draw counted once
    monkeypatch.setattr(resampling, "PIECE", 1)
    ones = resampling.bootstrap_totals(np.ones(70), 50, np.random.default_rng(1), cells=7)
    np.testing.assert_array_equal(ones, 70.0)
    v = np.arange(200.0)
    ranks = resampling.bootstrap_totals(v, 2000, np.random.default_rng(2), cells=500)
    sd = np.sqrt(v.size * v.var())
    assert abs(ranks.mean() - v.sum()) < 4 * sd / np.sqrt(2000)


# --------------------------------------------------------------------------------------------
# segment totals from the saddlepoint approximation (large segments)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "p"), [(20_000, 0.3), (2_000_000, 0.3), (20_000, 0.01)])
def test_saddlepoint_quantiles_of_a_binomial_total(n, p):
    """Values 0 and 1: the bootstrap total of n values, k of them 1, is exactly
    Binomial(n, k / n). Its quantiles (scipy.stats.binom.ppf) match the saddlepoint ones
    within the discreteness (one count: the approximation is continuous)."""
    from scipy import stats

    from churnsurv.report.resampling import saddlepoint_quantiles

    k = round(p * n)
    x = np.zeros(n)
    x[np.random.default_rng(0).choice(n, k, replace=False)] = 1.0
    probs = [0.005, 0.025, 0.1, 0.9, 0.975, 0.995]
    got = saddlepoint_quantiles(x, probs)
    exact = stats.binom.ppf(probs, n, k / n)
    np.testing.assert_allclose(got, exact, atol=1.0)


def test_saddlepoint_quantiles_of_skewed_values_match_100000_resamples(r_reference):
    """Lognormal values (sdlog 1.5, n = 10,000 = SADDLEPOINT_MIN, seeded in R): the saddlepoint
    2.5% / 97.5% quantiles of the bootstrap total against those of B = 100,000 resamples drawn
    in R (tests/reference/bootstrap_total.R). Monte Carlo error of the B = 100,000 quantiles:
    the spread of the 100 runs of 1,000 resamples / sqrt(100); the saddlepoint lies within 3 of
    those, and closer to the B = 100,000 quantiles than the median B = 1,000 run."""
    from churnsurv.report.resampling import saddlepoint_quantiles

    ref = r_reference("bootstrap_total.json")
    x = np.array(ref["x"])
    assert x.size == kf.SADDLEPOINT_MIN
    assert x.sum() == pytest.approx(ref["total"], rel=1e-14)
    big = np.array(ref["q_100000"])
    runs = np.array(ref["q_runs_1000"])  # 100 runs x 2 quantiles
    mc_error = runs.std(axis=0, ddof=1) / np.sqrt(runs.shape[0])
    got = saddlepoint_quantiles(x, ref["probs"])
    assert (np.abs(got - big) < 3 * mc_error).all(), (got, big, mc_error)
    typical_1000 = np.median(np.abs(runs - big), axis=0)
    assert (np.abs(got - big) < typical_1000).all(), (np.abs(got - big), typical_1000)
    # a skewed total: the interval is not symmetric about the total (the normal one would be)
    assert big[1] - ref["total"] > ref["total"] - big[0]
    assert got[1] - ref["total"] > ref["total"] - got[0]


def test_saddlepoint_quantiles_of_equal_values_and_at_the_support_end():
    from churnsurv.report.resampling import saddlepoint_quantiles

    np.testing.assert_array_equal(saddlepoint_quantiles(np.full(50, 2.5), [0.025, 0.975]), 125)
    # three 1s among 20,000: P(total = 0) = 0.05 > 0.025, so the 2.5% quantile is 0 (binom.ppf)
    x = np.zeros(20_000)
    x[:3] = 1.0
    lower, upper = saddlepoint_quantiles(x, [0.025, 0.975])
    assert lower == 0.0
    assert upper == pytest.approx(7.0, abs=1.0)  # scipy.stats.binom.ppf(0.975, 20000, 3e-4)


def test_segment_totals_under_the_threshold_are_the_bootstrap_as_before(monkeypatch):
    """Segments under SADDLEPOINT_MIN keep the seeded Monte Carlo: the same draws as the
    direct percentile bootstrap; a segment at or above it gets the saddlepoint interval and
    uses no draws (the small segments' draws are those they get without it)."""
    from churnsurv.report import findings
    from churnsurv.report.resampling import saddlepoint_quantiles

    rng = np.random.default_rng(3)
    values = pd.Series(rng.gamma(2.0, 50.0, 1300))
    segments = pd.Series(
        np.where(np.arange(1300) < 1000, "big", np.where(np.arange(1300) % 2, "a", "c"))
    )
    small = segments != "big"
    monkeypatch.setattr(findings, "SADDLEPOINT_MIN", 1000)
    mixed = findings.segment_totals(values, segments, n_boot=400, rng=11)
    assert mixed["method"].tolist() == [
        "bootstrap, 400 resamples", "saddlepoint", "bootstrap, 400 resamples"
    ]  # fmt: skip
    np.testing.assert_allclose(
        mixed.loc["big", ["ci_lower", "ci_upper"]].to_numpy(float),
        saddlepoint_quantiles(values[~small].to_numpy(), [0.025, 0.975]),
    )
    only_small = findings.segment_totals(values[small], segments[small], n_boot=400, rng=11)
    pd.testing.assert_frame_equal(mixed.loc[["a", "c"]], only_small)
    # the same draws as the percentile bootstrap by hand, in segment order
    gen = np.random.default_rng(11)
    for label in ("a", "c"):
        x = values[segments == label].to_numpy()
        draws = x[gen.integers(0, x.size, (400, x.size))].sum(axis=1)
        expected = np.quantile(draws, [0.025, 0.975])  # summed by hand: last-bit differences
        got = mixed.loc[label, ["ci_lower", "ci_upper"]].to_numpy(float)
        np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_segment_totals_of_categorical_segments_equal_those_of_their_text():
    """A categorical is grouped through its codes: the same table as its text (astype(str),
    the report's previous call), with a missing value as "nan", categories without customers
    left out and categories of the same text merged; segments in text order."""
    gen = np.random.default_rng(7)
    values = pd.Series(gen.gamma(2.0, 50.0, 900))
    cat = pd.Categorical(
        gen.choice(["b", "a", "10", "9", None], 900), categories=["b", "a", "10", "9", "empty"]
    )
    results = []
    for segments in (pd.Series(cat), pd.Series(pd.Categorical(gen.choice([1, 2, 12], 900)))):
        fast = kf.segment_totals(values, segments, n_boot=300, rng=2)
        results.append(fast)
        text = kf.segment_totals(values, segments.astype(str), n_boot=300, rng=2)
        pd.testing.assert_frame_equal(fast, text)
        # the previous grouping: pandas groupby of the text, each total numpy's sum
        previous = values.groupby(segments.astype(str).to_numpy(), sort=True)
        assert fast.index.tolist() == list(previous.groups)
        np.testing.assert_array_equal(fast["total"], [g.to_numpy().sum() for _, g in previous])
    assert results[0].index.tolist() == ["10", "9", "a", "b", "nan"]  # no "empty"
    assert results[1].index.tolist() == ["1", "12", "2"]
    same_text = pd.Series(pd.Categorical([1, "1", 2], categories=[1, "1", 2]))
    merged = kf.segment_totals(pd.Series([1.0, 2.0, 4.0]), same_text, n_boot=10, rng=0)
    assert merged["customers"].tolist() == [2, 1] and merged.index.tolist() == ["1", "2"]
