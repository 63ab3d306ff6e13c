"""No text of a figure overlaps another (issue #17): every figure of the report and the figure
functions the notebooks call, drawn as they draw them, then every pair of visible texts (tick
labels, titles, axis labels, legends, risk tables, printed HRs) is checked with matplotlib's
text extents (the pattern of the KM risk-table test in tests/km/test_km.py).
"""

from __future__ import annotations

import io
import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import churnsurv as cs  # noqa: E402
from churnsurv.plotting.km import MAX_CURVES, plot_churn_rates  # noqa: E402

REPORT_FORMULA = "Contract + InternetService + PaymentMethod + SeniorCitizen + MonthlyCharges"


def overlapping_texts(fig, tolerance: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of visible, non-empty texts whose extents overlap by more than ``tolerance`` px."""
    fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")  # as the report saves it
    fig.canvas.draw()  # lay out once more on the canvas whose renderer measures the texts
    renderer = fig.canvas.get_renderer()
    hidden = set()  # labels of ticks outside the view limits exist but are not drawn
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - 1e-9 * abs(hi - lo) <= tick.get_loc() <= hi + 1e-9 * abs(hi - lo):
                    hidden |= {id(tick.label1), id(tick.label2)}
    texts = [
        t
        for t in fig.findobj(matplotlib.text.Text)
        if t.get_visible() and t.get_text().strip() and id(t) not in hidden
    ]
    boxes = []
    for t in texts:
        ax = t.axes
        if ax is not None and not ax.get_visible():
            continue
        boxes.append((t.get_text(), t.get_window_extent(renderer)))
    found = []
    for (a, ba), (b, bb) in itertools.combinations(boxes, 2):
        w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
        h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
        if w > tolerance and h > tolerance:
            found.append((a, b))
    return found


def legend_outside_axes(ax) -> bool:
    """The legend lies right of the axes: it hides no curve or bar."""
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    return legend.x0 >= ax.get_window_extent(renderer).x1


def assert_no_overlap(fig):
    found = overlapping_texts(fig)
    plt.close(fig)
    assert not found, found[:10]


# ----------------------------------------------------------------------- the check can fail
def test_the_check_finds_overlapping_tick_labels():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_xticks(np.arange(20), [f"category {i}" for i in range(20)])
    found = overlapping_texts(fig)
    plt.close(fig)
    assert ("category 0", "category 1") in found


def test_the_old_forest_axis_overlapped():
    # matplotlib's default labels of a log axis spanning 0.01–1.2 with minor labels on
    fig, ax = plt.subplots(figsize=(5, 2))
    ax.errorbar([0.03, 0.2], [0, 1], xerr=[[0.01, 0.05], [0.01, 0.05]], fmt="o")
    ax.set_xscale("log")
    ax.set_xticks(2.0 ** np.arange(-8, 1), [f"{v:g}" for v in 2.0 ** np.arange(-8, 1)])
    assert overlapping_texts(fig)
    plt.close(fig)


# ----------------------------------------------------------------------- the report's figures
@pytest.fixture(scope="module")
def segmented(telco):
    return cs.prepare(
        cs.datasets.load_telco(),
        id="customerID",
        duration="tenure",
        event="Churn",
        event_value="Yes",
        segments=["Contract", "InternetService", "PaymentMethod"],
        margin="MonthlyCharges",
        covariates=["SeniorCitizen"],
    )


@pytest.mark.parametrize("by", [None, "Contract", "PaymentMethod"])
def test_report_retention_curves(segmented, by):
    fig, ax = plt.subplots(figsize=(8, 5))  # as the report draws them
    cs.KaplanMeier().fit(segmented, by=by).plot(ax=ax)
    ax.set_title(f"By {by}")
    if by is not None:
        assert legend_outside_axes(ax)
    assert_no_overlap(fig)


def test_many_groups_are_capped_with_a_message():
    n = MAX_CURVES + 5
    frame = pd.DataFrame(
        {"t": np.tile([1.0, 2.0, 3.0], n), "e": True, "g": np.repeat(np.arange(n), 3)}
    )
    data = cs.prepare(frame, duration="t", event="e", segments="g")
    km = cs.KaplanMeier().fit(data, by="g")
    with pytest.raises(ValueError, match=f"{n} segments are too many curves"):
        km.plot()
    plt.close("all")


def test_report_churn_rate_panels(segmented):
    rates = pd.concat(
        [cs.churn_rates(segmented).assign(segment="(all customers)", by="(all customers)")]
        + [cs.churn_rates(segmented, by=c).assign(by=c) for c in ("Contract", "PaymentMethod")],
        ignore_index=True,
    )
    rates.attrs = cs.churn_rates(segmented).attrs
    axes = plot_churn_rates(rates)
    assert all(ax.get_xlabel() == "tenure (months since signup)" for ax in axes)
    assert all(t.get_text() for ax in axes for t in ax.get_xticklabels())  # labels on each panel
    assert_no_overlap(axes[0].figure)


def test_report_forest_plot(segmented):
    cox = cs.CoxModel(REPORT_FORMULA).fit(segmented)
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(cox.summary) + 1.5))
    cox.plot(ax=ax)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["0.01", "0.1", "1", "10"]
    printed = [t.get_text() for t in ax.texts]
    row = cox.summary.iloc[0]
    assert printed[1] == f"{row.hr:.2f} ({row.hr_lower:.2f}–{row.hr_upper:.2f})"
    assert_no_overlap(fig)


def test_report_clv_bars_and_value_at_risk(segmented):
    km = cs.KaplanMeier().fit(segmented, by="PaymentMethod")
    result = cs.clv(km, segmented, annual_discount_rate=0.10, horizon=60)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(result.summary) + 1.5))
    result.plot(ax=ax)
    assert_no_overlap(fig)
    from churnsurv.report.io import sbg_tail  # the report's tail past the follow-up

    cox = cs.CoxModel("Contract + MonthlyCharges").fit(segmented)
    tail = sbg_tail(segmented, 60)[1]
    var = cs.value_at_risk(
        cox, segmented, within=6, horizon=60, annual_discount_rate=0.1, tail=tail
    )
    fig, ax = plt.subplots(figsize=(8, 0.3 * 20 + 1.5))
    var.plot(n=20, ax=ax)
    assert legend_outside_axes(ax)
    assert_no_overlap(fig)


@pytest.fixture(scope="module")
def reasons():
    base = cs.simulate_customers(
        3000,
        rng=2024,
        reasons={"price": 0.35, "service": 0.25, "competitor": 0.25, "payment_failure": 0.15},
    )
    return cs.prepare(
        base.customers,
        id="customer_id",
        duration="tenure",
        event="churned",
        reason="reason",
        segments="plan",
        margin="monthly_margin",
    )


def test_reason_figures(reasons):
    data = reasons
    inc = cs.CumulativeIncidence().fit(data)
    fig, ax = plt.subplots(figsize=(8, 5))
    inc.plot(ax=ax)
    assert_no_overlap(fig)
    by_plan = cs.CumulativeIncidence().fit(data, by="plan")
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.2), squeeze=False)
    for ax, r in zip(axes.ravel(), data.reasons, strict=False):
        by_plan.plot_by_segment(r, ax=ax)
        ax.set_ylabel(f"Left for {r}")  # as the report labels its panels
    fig.suptitle("Cumulative incidence by reason and plan")
    assert_no_overlap(fig)
    lost = cs.value_lost_by_reason(by_plan, horizon=12, annual_discount_rate=0.10)
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(data.reasons) + 1.5))
    lost.plot(ax=ax)
    assert_no_overlap(fig)


# ----------------------------------------------------------------------- the notebooks' figures
def test_cox_notebook_figures(telco):
    cox = cs.CoxModel("Contract + InternetService + MonthlyCharges").fit(telco)
    assert_no_overlap(cox.plot().figure)
    axes = cox.plot_schoenfeld()
    assert_no_overlap(axes[0].figure)
    strat = cs.CoxModel("InternetService", strata="Contract").fit(telco)
    ax = strat.plot_partial_effects("InternetService", ["DSL", "No"], data=telco)
    assert_no_overlap(ax.figure)
    cmp = cs.compare_models(telco, "Contract", breakpoints=(2, 12, 24, 48))
    assert_no_overlap(cmp.plot(horizon=144).figure)
    iran = cs.prepare(
        cs.datasets.load_iranian_churn().drop_duplicates(),
        duration="subscription_length",
        event="churn",
        time_unit="month",
    )
    cox_ir = cs.CoxModel("complains + C(tariff_plan) + C(status)", ties="breslow").fit(iran)
    ax = cox_ir.plot()
    assert "tariff_plan: 2 (vs 1)" in [t.get_text() for t in ax.get_yticklabels()]
    assert_no_overlap(ax.figure)


def test_clv_and_btyd_notebook_figures(telco):
    km = cs.KaplanMeier().fit(telco, by="Contract")
    value = cs.clv(km, telco, annual_discount_rate=0.10, horizon=60, ci=True, n_boot=20, rng=0)
    assert_no_overlap(value.plot().figure)
    fh = cs.datasets.load_fader_hardie_2007()
    model = cs.ShiftedBetaGeometric().fit(fh["regular_alive"], n_fit_periods=7)
    assert_no_overlap(model.plot_projection().figure)
    cohorts = cs.cohort_table(
        cs.prepare(
            pd.DataFrame(
                {
                    "start": pd.date_range("2020-01-01", periods=400, freq="3D"),
                    "end": [pd.NaT if i % 3 else pd.Timestamp("2023-06-01") for i in range(400)],
                }
            ),
            start_date="start",
            end_date="end",
            cutoff="2023-12-31",
        )
    )
    assert_no_overlap(cohorts.plot().figure)


def test_experiment_notebook_figures():
    hotel = cs.simulate_hotel(n=1500, rng=2026)
    km = cs.KaplanMeier().fit(hotel.data, by="strategy")
    assert_no_overlap(km.plot().figure)
    frame = pd.DataFrame(
        {"start": [0.0, 6.0, 12.0], "stop": [6.0, 12.0, np.inf], "hr": [0.5, 1.0, 2.0],
         "hr_lower": [0.3, 0.7, 1.5], "hr_upper": [0.8, 1.4, 2.6]}
    )  # fmt: skip
    assert_no_overlap(cs.plot_hazard_ratios(frame).figure)
    curve = pd.DataFrame(
        {"tau": [1, 2, 3], "difference": [-0.1, 0.2, 0.3], "ci_lower": [-0.3, 0.0, 0.1],
         "ci_upper": [0.1, 0.4, 0.5]}
    )  # fmt: skip
    assert_no_overlap(cs.plot_rmst_difference(curve).figure)
    hr_curve = pd.DataFrame(
        {"time": np.linspace(1, 72, 30), "hr": np.linspace(0.5, 2.0, 30),
         "hr_lower": np.linspace(0.3, 1.5, 30), "hr_upper": np.linspace(0.8, 2.6, 30)}
    )  # fmt: skip
    assert_no_overlap(cs.plot_hazard_ratio_curve(hr_curve).figure)


def test_bars_with_many_long_categories_never_overlap():
    summary = pd.DataFrame(
        {"clv": np.linspace(100, 900, 25)},
        index=[f"a rather long segment name {i}" for i in range(25)],
    )
    ax = cs.plotting.clv.plot_clv(summary, {"horizon": 60, "time_unit": "month"})
    assert_no_overlap(ax.figure)
