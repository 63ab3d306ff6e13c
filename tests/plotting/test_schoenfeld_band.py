"""The Schoenfeld plot draws what R's ``plot(cox.zph(fit))`` draws (issue #17).

Reference: tests/reference/coxzph_plot.R copies the arithmetic of survival:::plot.cox.zph
(survival 3.5-3): a natural spline ``ns(x, df = 4, intercept = TRUE)`` fitted on a 40-point grid,
the band fit ± 2 sqrt(zph$var[i, i] × hat value), and the time axis at 8 rounded tenures.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import churnsurv as cs  # noqa: E402
from churnsurv.regression.cox import diagnostics  # noqa: E402


def _check(m, terms, ref, rtol):
    fit = m.fit_state_
    panels = diagnostics.schoenfeld_panels(fit, m.schoenfeld_residuals(), terms)
    for r_name, panel in zip(terms.values(), panels, strict=True):
        smooth, band, (at, labels) = panel[3], panel[5], panel[6]
        r = ref["terms"][r_name]
        np.testing.assert_allclose(smooth[:, 0], ref["pred_x"], rtol=1e-10)
        np.testing.assert_allclose(smooth[:, 1], r["yhat"], rtol=rtol, atol=1e-9)
        np.testing.assert_allclose(band[:, 0], r["lower"], rtol=rtol, atol=1e-9)
        np.testing.assert_allclose(band[:, 1], r["upper"], rtol=rtol, atol=1e-9)
        np.testing.assert_allclose(at, ref["tick_at"], rtol=1e-10)
        assert [float(x) for x in labels] == ref["tick_label"]
    return panels


def test_band_and_axis_equal_r_lung(r_reference):
    ref = r_reference("coxzph_plot.json")["lung"]
    lung = r_reference("lung.csv")[["row", "time", "status", "age", "sex"]]
    data = cs.prepare(lung, id="row", duration="time", event="status", event_value=2)
    m = cs.CoxModel("age + sex").fit(data)
    _check(m, {"age": "age", "sex": "sex"}, ref, rtol=1e-6)


def test_band_and_axis_equal_r_telco_and_are_drawn(telco, r_reference):
    ref = r_reference("coxzph_plot.json")["telco"]
    m = cs.CoxModel("Contract + MonthlyCharges").fit(telco)
    terms = {"Contract[T.One year]": "ContractOne year", "MonthlyCharges": "MonthlyCharges"}
    _check(m, terms, ref, rtol=1e-5)
    axes = m.plot_schoenfeld()
    ax = axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{v:g}" for v in ref["tick_label"]]
    assert ax.get_xlabel() == "tenure (months), on the 'km' time scale"
    assert ax.get_title() == "Contract: One year (vs Month-to-month)"
    drawn = {line.get_label(): line for line in ax.get_lines()}
    r = ref["terms"]["ContractOne year"]
    np.testing.assert_allclose(drawn["±2 SE"].get_ydata(), r["lower"], rtol=1e-5)
    assert drawn["fitted log-HR"].get_ydata()[0] == pytest.approx(m.params_.iloc[0])
    plt.close(ax.figure)


def _panel(n, seed=3):
    rng = np.random.default_rng(seed)
    g = np.sort(rng.random(n))
    resid = np.where(rng.random(n) < 0.2, 8.0, -1.0) + rng.normal(0, 0.2, n)
    grid = np.linspace(0, 1, 40)
    return ("x", g, resid, np.c_[grid, 0.1 * grid], 0.3, np.c_[grid - 0.5, grid + 0.5], None)


def _lines(ax):  # the curves' data (unlabelled lines are named by their order among children)
    return [np.asarray(line.get_ydata()).tolist() for line in ax.get_lines()]


def _points_and_notes(ax):
    (collection,) = ax.collections
    return collection.get_offsets(), [t.get_text() for t in ax.texts]


def test_many_residuals_draw_a_seeded_sample_and_say_so():
    # issue 18: a panel with more residuals than max_points draws a random sample of them (a
    # cloud of 10^5 points is unreadable and slow to draw) and states it; the spline, band and
    # axis limits are those of all the residuals
    from churnsurv.plotting.cox import plot_schoenfeld

    panel = _panel(12_000)
    (ax,) = plot_schoenfeld([panel])
    points, notes = _points_and_notes(ax)
    assert points.shape == (5_000, 2) and notes == ["5,000 of 12,000 points"]
    drawn = {(x, y) for x, y in zip(panel[1], panel[2], strict=True)}
    assert all((x, y) in drawn for x, y in points.tolist())
    (again,) = plot_schoenfeld([panel])
    np.testing.assert_array_equal(_points_and_notes(again)[0], points)  # seeded: the same
    (every,) = plot_schoenfeld([panel], max_points=None)
    assert _points_and_notes(every)[0].shape == (12_000, 2) and not every.texts
    assert ax.get_ylim() == every.get_ylim()
    assert _lines(ax) == _lines(every)
    (few,) = plot_schoenfeld([_panel(3_000)])
    assert _points_and_notes(few)[0].shape == (3_000, 2) and not few.texts
    plt.close("all")


def _drawn(ax):
    points = np.concatenate([c.get_offsets() for c in ax.collections])
    lines = [(line.get_label(), line.get_xydata().tolist()) for line in ax.get_lines()]
    ticks = [(t.get_position()[0], t.get_text()) for t in ax.get_xticklabels()]
    return points, lines, ticks, ax.get_ylim(), ax.get_title()


def test_several_terms_in_one_call_draw_the_panels_of_one_call_each(telco):
    # the report draws its violating terms in one call (shared residuals, basis and axis)
    m = cs.CoxModel("Contract + MonthlyCharges + SeniorCitizen").fit(telco)
    terms = ["MonthlyCharges", "Contract[T.Two year]", "SeniorCitizen"]
    fig, grid = plt.subplots(1, 3)
    together = m.plot_schoenfeld(terms, axes=list(grid), max_points=500)
    assert list(together) == list(grid)
    for ax, term in zip(together, terms, strict=True):
        alone = m.plot_schoenfeld(term, max_points=500)[0]
        got, want = _drawn(ax), _drawn(alone)
        np.testing.assert_array_equal(got[0], want[0])
        assert got[1:] == want[1:]
        plt.close(alone.figure)
    # one legend, in the first panel
    assert [ax.get_legend() is not None for ax in together] == [True, False, False]
    plt.close(fig)
