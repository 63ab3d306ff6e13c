"""csv_arrow.csv_bytes: the report's CSV tables formatted by pyarrow, byte for byte as the
pandas path (``neutralise_formulas(frame).to_csv``) writes them; None where it falls back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from churnsurv.report import csv_arrow
from churnsurv.report.csv_arrow import csv_bytes
from churnsurv.report.io import neutralise_formulas, write_csv

#: Floats where Python's repr and Arrow's text choose the notation differently, and the
#: boundaries of the range where Arrow's text is used.
FLOATS = [
    1e-20, 1e20, np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-4, np.nextafter(1e-4, 0), 1e-5,
    1e10, np.nextafter(1e10, 0), 1e15, 1.5e16, 0.1, 1 / 3, 123.0, -7.0, 5e-324,
    1.7976931348623157e308, 2.5, 1000 / 3, 12345.678, 0.30000000000000004,
]  # fmt: skip
TEXT = [
    "a,b", 'q"x', "n\nl", "=1+1", "+x", "-y", "@z", "\tq", "\rr", "", None, np.nan, pd.NA,
    "plain", " lead", "é, ü", '"', "=HYPERLINK(\"http://x\", \"click\")", "x\ry", "-",
    "ok", "ok", "ok", "ok",
]  # fmt: skip


def _pandas(frame: pd.DataFrame, index: bool = True) -> bytes:
    return neutralise_formulas(frame).to_csv(index=index).encode()


def _table(n: int = len(FLOATS)) -> pd.DataFrame:
    text4 = ["-1", "x", None, 'y"'] * 6
    return pd.DataFrame(
        {
            "float": FLOATS[:n],
            "int": np.arange(n) - 3,
            "uint": np.arange(n, dtype=np.uint8),
            "bool": np.arange(n) % 3 == 0,
            "text": TEXT[:n],
            "category": pd.Categorical(["=a", "b", None, "c,d"] * 6)[:n],
            "string": pd.array(text4[:n], dtype="string"),
            "arrow string": pd.array(text4[:n], dtype="string[pyarrow]"),
        },
        index=pd.Index(["=id", "b,c", *(f"i{k}" for k in range(n - 2))], name="customerID"),
    )


@pytest.mark.parametrize("index", [True, False])
def test_same_bytes_as_pandas_for_every_handled_dtype(index):
    frame = _table()
    assert csv_bytes(frame, index=index) == _pandas(frame, index)


@pytest.mark.parametrize(
    "ids",
    [
        pd.RangeIndex(24),
        pd.Index([f"=c{k}" for k in range(24)], dtype="string[pyarrow]", name="id"),
        pd.Index([f"c{k}" for k in range(24)]),  # no name: an empty first header cell
        # the report's ids: pandas' "str" dtype (Arrow storage, NaN for missing)
        pd.Index([f"@c{k}" for k in range(24)], dtype=pd.StringDtype("pyarrow", np.nan)),
        pd.CategoricalIndex([f"-c{k % 3}" for k in range(24)], name="seg"),
        pd.Index(np.arange(24) * 1.5, name="x"),
    ],
)
def test_same_bytes_for_each_kind_of_index(ids):
    frame = _table().set_axis(ids)
    assert csv_bytes(frame) == _pandas(frame)


def test_formula_like_labels_in_the_header_are_neutralised():
    frame = _table().rename(columns={"float": "=f", "int": "a,b", "bool": 'q"'})
    frame = frame.rename_axis("@id")
    assert csv_bytes(frame) == _pandas(frame)
    assert csv_bytes(frame).decode().splitlines()[0].startswith("'@id,'=f,")


def test_floats_round_trip_as_repr_over_many_magnitudes():
    gen = np.random.default_rng(18)
    x = np.concatenate(
        [
            gen.standard_normal(3000) * 10.0 ** gen.integers(-12, 25, 3000),
            gen.uniform(0, 1, 3000),
            np.round(gen.uniform(0, 1e4, 3000), 2),
            gen.integers(-(10**6), 10**6, 1000).astype(float),
        ]
    )
    frame = pd.DataFrame({"x": x, "y": x[::-1]})
    assert csv_bytes(frame) == _pandas(frame)


def test_long_tables_are_formatted_in_pieces(monkeypatch):
    monkeypatch.setattr(csv_arrow, "_ROWS", 5)
    frame = _table()
    assert csv_bytes(frame) == _pandas(frame)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"mixed": [1, "a"], "k": 1}),  # object column holding numbers
        pd.DataFrame({"raw": [b"x", b"y"], "k": 1}),  # bytes: pandas writes "b'x'"
        pd.DataFrame({"when": pd.to_datetime(["2020-01-01", "2021-01-01"]), "k": 1}),
        pd.DataFrame({"f32": np.array([0.1, 2], np.float32), "k": 1}),
        pd.DataFrame({"nullable": pd.array([1, None], dtype="Int64"), "k": 1}),
        pd.DataFrame({"cat": pd.Categorical([1, 2]), "k": 1}),  # categories that are numbers
        pd.DataFrame({"cat": pd.Categorical([b"x", b"y"]), "k": 1}),  # categories of bytes
        pd.DataFrame({"cat": pd.Categorical(["x", 1]), "k": 1}),  # mixed categories
        pd.DataFrame({("a", "b"): [1.0, 2.0], ("a", "c"): [3.0, 4.0]}),  # MultiIndex columns
        pd.DataFrame({1: [1.0, 2.0], "k": 1}),  # a label that is not text
        pd.DataFrame({"k": [1.0, 2.0]}).set_index([["a", "b"], ["c", "d"]]),  # MultiIndex rows
        pd.DataFrame({"x": [1.0]}).iloc[:0],  # no rows
    ],
)
def test_other_tables_fall_back_and_write_csv_still_writes_the_pandas_bytes(frame, tmp_path):
    assert csv_bytes(frame) is None
    write_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == _pandas(frame)


def test_one_field_per_row_falls_back():
    # the csv module writes an empty single field as "" (a row with no field is not a row)
    frame = pd.DataFrame({"x": ["a", ""]})
    assert csv_bytes(frame, index=False) is None
    assert csv_bytes(frame, index=True) == _pandas(frame, True)


def test_write_csv_writes_the_arrow_bytes(tmp_path):
    frame = _table()
    write_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == _pandas(frame)


def test_neutralise_formulas_on_text_and_on_mixed_objects():
    # text only: one Arrow pass; mixed with numbers: cell by cell; the same quotes either way
    text = pd.DataFrame({"s": ["=a", "b", None, "-c", np.nan]})
    mixed = pd.DataFrame({"s": ["=a", 1, None, "-c", b"=x"]})
    assert neutralise_formulas(text)["s"].tolist()[:2] == ["'=a", "b"]
    assert neutralise_formulas(text)["s"].tolist()[3] == "'-c"
    assert neutralise_formulas(mixed)["s"].tolist() == ["'=a", 1, None, "'-c", b"=x"]
