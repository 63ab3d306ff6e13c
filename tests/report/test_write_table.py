"""write_table: the report's long tables as CSV up to a row limit, whole as Parquet above it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnsurv.exceptions import DataValidationError
from churnsurv.report.io import write_csv, write_table


def _ranked(n: int) -> pd.DataFrame:
    """A table like value_at_risk.csv: text ids (one a formula), floats, text tiers, ranks."""
    gen = np.random.default_rng(4)
    ids = [f"C{i:05d}" for i in range(n)]
    ids[1] = '=HYPERLINK("http://x")'
    frame = pd.DataFrame(
        {
            "tenure": gen.integers(0, 72, n).astype(float),
            "p_churn": gen.uniform(0, 1, n),
            "value_tier": np.where(np.arange(n) < n // 5, "top 20%", "bottom 50%"),
            "rank": np.arange(1, n + 1),
        },
        index=pd.Index(ids, name="customerID"),
    )
    frame["value_at_risk"] = frame["p_churn"] * 1e3 / 3  # digits that need all 17 to round-trip
    return frame


@pytest.mark.parametrize("index", [True, False])
def test_short_table_is_the_csv_of_write_csv_alone(tmp_path, index):
    frame = _ranked(40)
    (tmp_path / "tables").mkdir()
    path = tmp_path / "tables" / "value_at_risk.csv"
    path.with_suffix(".parquet").write_bytes(b"stale")  # from an earlier, longer table
    said = write_table(frame, path, index=index, max_csv_rows=40, what="active customers")
    assert said == "All 40 active customers: tables/value_at_risk.csv"
    write_csv(frame, tmp_path / "reference.csv", index=index)
    assert path.read_bytes() == (tmp_path / "reference.csv").read_bytes()
    assert not path.with_suffix(".parquet").exists()
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == ["value_at_risk.csv"]


@pytest.mark.parametrize("index", [True, False])
def test_long_table_is_whole_in_parquet_and_its_first_rows_in_the_csv(tmp_path, index):
    frame = _ranked(41)
    (tmp_path / "tables").mkdir()
    path = tmp_path / "tables" / "value_at_risk.csv"
    said = write_table(
        frame, path, index=index, max_csv_rows=40, what="active customers", order="by rank"
    )
    assert said == (
        "All 41 active customers: tables/value_at_risk.parquet; "
        "the first 40 by rank: tables/value_at_risk.csv"
    )
    # the Parquet file is the frame exactly: values, dtypes, index (text kept as it is)
    back = pd.read_parquet(path.with_suffix(".parquet"))
    expected = frame if index else frame.reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected, check_exact=True)
    # the CSV is what write_csv writes for the first 40 rows (formula text neutralised)
    write_csv(frame.iloc[:40], tmp_path / "reference.csv", index=index)
    assert path.read_bytes() == (tmp_path / "reference.csv").read_bytes()
    assert len(pd.read_csv(path)) == 40
    if index:
        assert "'=HYPERLINK" in path.read_text() and back.index[1].startswith("=HYPERLINK")


def test_max_csv_rows_must_be_a_count(tmp_path):
    with pytest.raises(DataValidationError, match="max_csv_rows"):
        write_table(_ranked(3), tmp_path / "t.csv", max_csv_rows=0)


@pytest.mark.parametrize("ids", ["object", "arrow", "unnamed", "numbers"])
def test_parquet_reads_back_as_to_parquet_without_looking_up_the_ids(tmp_path, ids, monkeypatch):
    """The Parquet file reads back as the frame written by DataFrame.to_parquet, and no text
    id is looked up on the way (pyarrow's probes of each column would make pandas hash every
    id: 40 s for 8.8 million)."""
    frame = _ranked(41)
    frame["value_tier"] = pd.Categorical(frame["value_tier"])
    if ids == "arrow":
        frame.index = pd.Index(pd.array(frame.index, dtype=pd.StringDtype("pyarrow")), name="id")
    elif ids == "unnamed":
        frame.index = frame.index.rename(None)
    elif ids == "numbers":
        frame.index = pd.RangeIndex(41, name="row")
    frame.to_parquet(tmp_path / "reference.parquet", engine="pyarrow", index=True)
    expected = pd.read_parquet(tmp_path / "reference.parquet")
    original = pd.Index.__contains__

    def contains(self, key):
        if len(self) == len(frame) and ids != "numbers":
            raise AssertionError(f"an id lookup of {key!r}")
        return original(self, key)

    monkeypatch.setattr(pd.Index, "__contains__", contains)
    write_table(frame, tmp_path / "t.csv", max_csv_rows=10)
    monkeypatch.undo()
    back = pd.read_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(back, expected, check_exact=True)
    pd.testing.assert_index_equal(back.index, expected.index, exact=True)
