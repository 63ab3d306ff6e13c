"""Text ids held by pyarrow (``read_table(arrow_ids=True)``, the report's read) against the
previous path, ids as Python strings: the same frame values, the same ``prepare`` result (rows
kept, excluded rows with the same ids and reasons, NaN where an id is missing), the same column
facts ("Columns of the input"), on the bundled Telco file and on a 1,000-row table with
missing values, duplicate and missing ids, text events and rows that break rules; and the
table handed to the notebook (:mod:`churnsurv.report.handover`) gives the same frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
from churnsurv.report.handover import read_checked_input, write_checked_input
from churnsurv.report.io import (
    column_dtypes,
    column_facts,
    dataset_path,
    file_sha256,
    label_columns,
    read_input,
    read_table,
    read_table_parsed,
)


def _bad_table(n: int = 1000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.array([f"K{i:05d}" for i in range(n)], dtype=object)
    ids[rng.choice(n, 15, replace=False)] = ids[rng.choice(n, 15, replace=False)]  # repeats
    ids[rng.choice(n, 8, replace=False)] = None  # missing ids
    tenure = rng.integers(0, 40, n).astype(object)
    tenure[rng.choice(n, 10, replace=False)] = -3  # negative
    tenure[rng.choice(n, 5, replace=False)] = None  # missing
    tenure[rng.choice(n, 3, replace=False)] = "soon"  # not a number
    churn = rng.choice(["Yes", "No"], n, p=[0.3, 0.7]).astype(object)
    churn[rng.choice(n, 4, replace=False)] = "Maybe"  # a third label
    churn[rng.choice(n, 6, replace=False)] = None
    plan = rng.choice(["basic", "plus", "pro"], n).astype(object)
    plan[rng.choice(n, 7, replace=False)] = None
    fee = rng.uniform(5, 80, n).round(2)
    fee[rng.choice(n, 9, replace=False)] = np.nan
    return pd.DataFrame(
        {"cid": ids, "tenure": tenure, "churn": churn, "plan": plan, "fee": fee, "note": "x"}
    )


CASES = {
    "bad rows": dict(
        id="cid", duration="tenure", event="churn", event_value="Yes", segments=["plan"],
        margin="fee",
    ),
    "telco": dict(
        id="customerID", duration="tenure", event="Churn", event_value="Yes",
        segments=["Contract", "InternetService"], margin="MonthlyCharges",
    ),
}  # fmt: skip


@pytest.fixture(scope="module", params=list(CASES))
def case(request, tmp_path_factory):
    if request.param == "telco":
        return dataset_path("telco"), CASES["telco"]
    path = tmp_path_factory.mktemp("arrow_ids") / "customers.csv"
    _bad_table().to_csv(path, index=False)
    return path, CASES["bad rows"]


def _types(series: pd.Series) -> list:
    return series.map(type).tolist()


def _old_facts(raw: pd.DataFrame) -> pd.DataFrame:
    """The cell "Columns of the input" before column_facts."""
    return pd.DataFrame(
        {"dtype": column_dtypes(raw), "missing": raw.isna().sum(), "distinct values": raw.nunique()}
    ).rename_axis("column")


def test_arrow_ids_give_the_same_frame_facts_and_prepared_data(case):
    path, args = case
    labels = label_columns(args["segments"], args["event"])
    old = read_table(path, id_col=args["id"], categorical=labels)
    new = read_table(path, id_col=args["id"], categorical=labels, arrow_ids=True)
    assert old[args["id"]].dtype == object
    assert isinstance(new[args["id"]].dtype, pd.StringDtype)
    assert new.attrs["arrow_text"] == [args["id"]] and old.attrs["arrow_text"] == []
    as_read = new.astype({args["id"]: object})
    pd.testing.assert_frame_equal(as_read, old, check_exact=True)
    assert _types(as_read[args["id"]]) == _types(old[args["id"]])  # NaN where missing
    pd.testing.assert_frame_equal(column_facts(new), _old_facts(old), check_exact=True)
    pd.testing.assert_frame_equal(column_facts(old), _old_facts(old), check_exact=True)

    data_old = cs.prepare(old, on_invalid="drop", time_unit="month", **args)
    data_new = cs.prepare(new, on_invalid="drop", time_unit="month", **args)
    pd.testing.assert_frame_equal(data_new.excluded, data_old.excluded, check_exact=True)
    for name in data_old.excluded.columns:
        assert _types(data_new.excluded[name]) == _types(data_old.excluded[name]), name
    frame = data_new.frame.copy()
    frame.index = frame.index.astype(object)
    pd.testing.assert_frame_equal(frame, data_old.frame, check_exact=True)
    pd.testing.assert_frame_equal(data_new.describe(), data_old.describe(), check_exact=True)
    if path.name == "customers.csv":  # the table with bad rows breaks every kind of rule
        reasons = set("; ".join(data_old.excluded["reason"]).split("; "))
        assert {"duplicate id", "missing id", "negative duration"} <= reasons
        assert data_old.excluded["cid"].isna().sum() == 8


@pytest.mark.parametrize("arrow_ids", [False, True])
def test_the_parsed_table_handed_over_gives_the_frame_the_file_gives(case, tmp_path, arrow_ids):
    path, args = case
    labels = label_columns(args["segments"], args["event"])
    frame, table = read_table_parsed(
        path, id_col=args["id"], categorical=labels, arrow_ids=True, keep_arrow=True
    )
    assert table is not None
    sha256 = file_sha256(path)
    name = write_checked_input(
        frame, tmp_path, sha256, table=table, parsed_with={"id_col": args["id"], "sep": None}
    )
    back, source, _ = read_input(
        path, id_col=args["id"], checked=tmp_path / name, categorical=labels, arrow_ids=arrow_ids
    )
    reference = read_table(path, id_col=args["id"], categorical=labels, arrow_ids=arrow_ids)
    pd.testing.assert_frame_equal(back, reference, check_exact=True)
    for column in reference.columns:
        assert _types(back[column]) == _types(reference[column]), column
    assert back.attrs == reference.attrs
    # read with other arguments (another delimiter or id column), the file is parsed again
    assert read_checked_input(tmp_path / name, sha256, id_col=args["id"], sep=";") is None
    assert read_checked_input(tmp_path / name, sha256, id_col=None) is None
    assert read_checked_input(tmp_path / name, "0" * 64, id_col=args["id"]) is None


def test_a_parquet_input_is_read_by_the_notebook_itself(tmp_path, monkeypatch):
    """A Parquet file is not handed over: the notebook reads it as fast as a hand-over."""
    import churnsurv.report.run as report_run

    path = tmp_path / "customers.parquet"
    _bad_table().astype({"tenure": str}).to_parquet(path)
    seen: dict = {}

    def record(params, stage, progress, timeout, kernel=None):  # instead of the notebook
        seen.update(params)
        raise KeyboardInterrupt

    monkeypatch.setattr(report_run, "_execute", record)
    with pytest.raises(KeyboardInterrupt):
        report_run.run_report(
            tmp_path / "out",
            input_path=path,
            id_col="cid",
            duration="tenure",
            event="churn",
            event_value="Yes",
            max_excluded=1.0,
        )
    assert seen.get("checked_input") is None  # the template's default: read the file
