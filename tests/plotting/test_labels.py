"""Every figure shows labels from the data literally: a ``$`` never starts mathtext (issue #12).

A segment such as ``"$5_$10"`` (prices) made matplotlib parse ``$5_$`` as maths, which fails
when the figure is drawn, and the report lost every figure drawn after it.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import churnsurv as cs  # noqa: E402
from churnsurv.plotting import km as km_plots  # noqa: E402
from churnsurv.plotting._axes import plain_text  # noqa: E402
from churnsurv.plotting.clv import plot_clv, plot_value_at_risk  # noqa: E402
from churnsurv.plotting.cox import (  # noqa: E402
    forest_plot,
    plot_curves,
    plot_model_comparison,
    plot_schoenfeld,
)

DOLLARS = "$5_$10"  # mathtext "5_" has no subscript: drawing fails
MATHS = "$x^2$"  # valid mathtext: would be typeset as x squared
LABELS = [DOLLARS, MATHS, "plain"]


def drawn_texts(fig) -> list[str]:
    """Draw the figure (as saving it does) and return every text on it."""
    fig.savefig(io.BytesIO(), format="png")
    texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    plt.close(fig)
    return texts


def shown_literally(texts: list[str], label: str) -> bool:
    return plain_text(label) in texts


def test_plain_text_escapes_every_dollar_and_matplotlib_shows_it_as_is():
    assert plain_text(DOLLARS) == r"\$5_\$10"
    assert plain_text(r"a\$b$c") == r"a\\$b\$c"  # an escaped dollar in the data stays two chars
    fig, ax = plt.subplots()
    text = ax.text(0, 0, plain_text(DOLLARS))
    fig.savefig(io.BytesIO(), format="png")
    # matplotlib's own reading: not maths, and "\$" shown as "$"
    assert text._preprocess_math(text.get_text()) == (DOLLARS, False)
    plt.close(fig)


def test_survival_curves_and_risk_table():
    frame = pd.DataFrame(
        {
            "tenure": np.tile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3),
            "churned": np.tile([True, False, True, True, False, True], 3),
            "price": np.repeat(LABELS, 6),
        }
    )
    data = cs.prepare(frame, duration="tenure", event="churned", segments="price")
    ax = cs.KaplanMeier().fit(data, by="price").plot()
    texts = drawn_texts(ax.figure)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for label in LABELS:
        assert plain_text(label) in legend, label
        assert texts.count(plain_text(label)) >= 2, label  # legend and risk-table row


def test_cohort_heatmap_labels():
    table = pd.DataFrame([[1.0, 0.8], [1.0, np.nan]], index=[DOLLARS, MATHS], columns=[0, "$1$"])
    texts = drawn_texts(km_plots.plot_cohort_heatmap(table).figure)
    assert shown_literally(texts, DOLLARS) and shown_literally(texts, MATHS)
    assert shown_literally(texts, "$1$")


def test_clv_bars_and_value_at_risk_ids_and_tiers():
    summary = pd.DataFrame({"clv": [100.0, 250.0, 80.0]}, index=LABELS)
    texts = drawn_texts(plot_clv(summary, {"horizon": 60, "time_unit": "month"}).figure)
    assert all(shown_literally(texts, label) for label in LABELS)
    top = pd.DataFrame(
        {"value_at_risk": [30.0, 20.0, 10.0], "value_tier": [DOLLARS, "$b$", DOLLARS]},
        index=["$id_$1", MATHS, "c3"],
    )
    texts = drawn_texts(plot_value_at_risk(top).figure)
    for label in ("$id_$1", MATHS, DOLLARS, "$b$"):
        assert shown_literally(texts, label), label


def test_cox_figures():
    texts = drawn_texts(
        forest_plot(LABELS, [0.5, 2.0, 1.0], [0.4, 1.5, 0.8], [0.7, 2.6, 1.2]).figure
    )
    assert all(shown_literally(texts, label) for label in LABELS)
    curves = pd.DataFrame([[1.0, 0.8], [1.0, 0.9], [1.0, 0.7]], index=LABELS, columns=[0, 1])
    texts = drawn_texts(plot_curves(curves, title=f"Partial effect of {DOLLARS}").figure)
    assert all(shown_literally(texts, label) for label in LABELS)
    assert shown_literally(texts, f"Partial effect of {DOLLARS}")
    g = np.linspace(0, 1, 20)
    axes = plot_schoenfeld([(DOLLARS, g, g, np.c_[g, g], 0.5)])
    assert shown_literally(drawn_texts(axes[0].figure), DOLLARS)
    t = np.arange(5.0)
    ax = plot_model_comparison(t, np.exp(-t / 4), {MATHS: (t, np.exp(-t / 4))})
    assert shown_literally(drawn_texts(ax.figure), MATHS)


@pytest.mark.parametrize("label", ["$", "$$", "100$", "a$b$c$", "\\$"])
def test_odd_dollars_draw(label):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label=plain_text(label))
    ax.legend()
    assert shown_literally(drawn_texts(fig), label)
