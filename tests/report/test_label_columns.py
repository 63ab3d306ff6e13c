"""The report reads its segment and event columns as categoricals (issue #18, item 5).

The reference is the same file read with every text column as Python strings (as pandas'
parser gives them, and the report did before): the labels, and every table the report makes
from them -- Kaplan-Meier summaries by segment, log-rank tests, churn rates, the Cox model --
must be the same, in the same order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.report.handover import write_checked_input
from churnsurv.report.io import column_dtypes, file_sha256, label_columns, read_input, read_table


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    rng = np.random.default_rng(18)
    n = 3000
    # labels whose first appearance is not their sorted order, one of them missing once
    plan = rng.choice(["pro", "basic", "Plus", "basic plus"], n, p=[0.2, 0.4, 0.2, 0.2])
    plan[5] = ""
    frame = pd.DataFrame(
        {
            "id": [f"{i:05d}" for i in range(n)],
            "tenure": rng.integers(1, 40, n),
            "churn": np.where(rng.random(n) < 0.3, "Yes", "No"),
            "plan": plan,
            "region": rng.choice(["west", "east", "north"], n),
            "fee": rng.uniform(10, 90, n).round(2),
        }
    )
    path = tmp_path_factory.mktemp("labels") / "customers.csv"
    frame.to_csv(path, index=False)
    return path


def test_segment_and_event_columns_are_read_as_sorted_categoricals(csv):
    labels = label_columns(["plan", "region"], "churn")
    frame = read_table(csv, id_col="id", categorical=labels)
    text = read_table(csv, id_col="id")
    assert frame.attrs["categorical"] == ["plan", "region", "churn"]
    for name in labels:
        assert list(frame[name].cat.categories) == sorted(text[name].dropna().unique())
        pd.testing.assert_series_equal(frame[name].astype(object), text[name])
    assert frame["id"].dtype == object and frame["id"].iloc[0] == "00000"
    assert column_dtypes(frame).equals(text.dtypes.astype(str))
    # handed over to the notebook as it was read, categoricals included
    name = write_checked_input(frame, csv.parent, file_sha256(csv))
    back, _, _ = read_input(csv, id_col="id", checked=csv.parent / name)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert back.attrs["categorical"] == frame.attrs["categorical"]


def test_the_analyses_give_the_same_tables(csv):
    args = dict(id="id", duration="tenure", event="churn", event_value="Yes", time_unit="month")
    results = []
    for categorical in ([], label_columns(["plan", "region"], "churn")):
        raw = read_table(csv, id_col="id", categorical=categorical)
        data = cs.prepare(raw, on_invalid="drop", segments=["plan", "region"], **args)
        cox_data = cs.prepare(raw, on_invalid="drop", covariates=["plan", "region", "fee"], **args)
        km = cs.KaplanMeier().fit(data, by="plan")
        results.append(
            [
                len(data.excluded),
                km.summary.reset_index(),
                km.logrank().summary,
                km.pairwise(adjust="holm").table,
                cs.churn_rates(data, period="month", by="region"),
                cs.CoxModel("plan + region + fee").fit(cox_data).summary,
            ]
        )
    text, codes = results
    assert text[0] == codes[0] == 1  # the row with a missing plan
    for a, b in zip(text[1:], codes[1:], strict=True):
        for frame in (a, b):  # labels compared as text: the dtype of a label column may differ
            for col in frame.columns:
                if isinstance(frame[col].dtype, pd.CategoricalDtype):
                    frame[col] = frame[col].astype(object)
        pd.testing.assert_frame_equal(a, b, check_exact=True, check_index_type=False)
