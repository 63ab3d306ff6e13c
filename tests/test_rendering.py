"""Every result object renders itself: a text table for terminals and HTML for Jupyter.

The vocabulary (CONTRIBUTING.md) asks every result for ``.summary``, ``_repr_html_`` and a
readable text form; before, ``print(cs.compare_models(...))`` showed ``<object at 0x...>``.
"""

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs


@pytest.fixture(scope="module")
def results(telco):
    km = cs.KaplanMeier().fit(telco, by="Contract")
    cox = cs.CoxModel("Contract + SeniorCitizen").fit(telco)
    tail = pd.Series(0.98 ** np.arange(200.0))
    dated = cs.prepare(
        pd.DataFrame({"s": ["2020-01-05", "2020-02-03"], "e": ["2020-02-14", None]}),
        start_date="s",
        end_date="e",
        cutoff="2020-04-30",
    )
    fh = cs.datasets.load_fader_hardie_2007()
    return {
        "KaplanMeier": km,
        "LogrankResult": km.logrank(),
        "PairwiseLogrankResult": km.pairwise(),
        "CohortTable": cs.cohort_table(dated),
        "CoxModel": cox,
        "WeibullAFT": cs.WeibullAFT("Contract").fit(telco),
        "ModelComparison": cs.compare_models(telco, models=("weibull", "lognormal")),
        "CLVResult": cs.clv(km, telco, annual_discount_rate=0.1, horizon=24),
        "ValueAtRisk": cs.value_at_risk(
            cox, telco, within=6, annual_discount_rate=0.1, horizon=24, tail=tail
        ),
        "ShiftedBetaGeometric": cs.ShiftedBetaGeometric().fit(fh["regular_alive"][:8]),
        "ChurnData": telco,
    }


@pytest.mark.parametrize(
    "name, expected",
    [
        ("KaplanMeier", "Month-to-month"),
        ("LogrankResult", "statistic"),
        ("PairwiseLogrankResult", "p_adjusted"),
        ("CohortTable", "customers"),
        ("CoxModel", "hr_lower"),
        ("WeibullAFT", "std_err"),
        ("ModelComparison", "aic"),
        ("CLVResult", "annual_discount_rate"),
        ("ValueAtRisk", "value_at_risk"),
        ("ShiftedBetaGeometric", "estimate"),
        ("ChurnData", "events"),
    ],
)
def test_result_renders_as_text_and_html(results, name, expected):
    obj = results[name]
    text = str(obj)
    assert "object at 0x" not in text and "object at 0x" not in repr(obj)
    assert expected in text, text[:300]
    html = obj._repr_html_()
    assert expected in html and html.lstrip().startswith("<")
    if name != "ChurnData":
        assert isinstance(obj.summary, pd.DataFrame) and len(obj.summary) > 0
