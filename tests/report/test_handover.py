"""The input is read once: ``churnsurv report`` hands the table it checked to the notebook.

The reference is the notebook's own reading of the file (:func:`read_table`, as before the
hand-over): the table handed over must be the same frame exactly -- values, dtypes, and the
missing-value objects (NaN in text and True/False columns, as pandas' parser leaves them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import churnsurv.report.run as report_run
from churnsurv.report.handover import (
    CHECKED_INPUT,
    read_checked_input,
    recorded_sha256,
    write_checked_input,
)
from churnsurv.report.io import file_sha256, read_input, read_table
from churnsurv.report.reading import read_table_parsed

AWKWARD = (
    "id,tenure,churned,plan,active,empty,signup,charge\n"
    "0042,3,Yes,basic,True,,2024-01-05,19.99\n"
    "0043,12,No,,False,,2023-02-01,\n"
    "0044,1,Yes,pro,,,05/06/2024,7.5\n"
    "0045,7,No,basic,True,,,1e3\n"
)


def _strictly_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for name in a.columns:  # None is not NaN, True is not 1 (assert_frame_equal lets them pass)
        assert a[name].map(type).tolist() == b[name].map(type).tolist(), name


@pytest.mark.parametrize("sep", [",", ";"])
def test_handed_over_table_is_the_table_read_from_the_file(tmp_path, sep):
    path = tmp_path / "customers.csv"
    path.write_text(AWKWARD.replace(",", sep))
    reference = read_table(path, id_col="id")
    assert reference["plan"].isna().sum() == 1 and reference["empty"].isna().all()
    name = write_checked_input(reference, tmp_path, file_sha256(path))
    assert name == CHECKED_INPUT
    frame, source, sha256 = read_input(path, id_col="id", checked=tmp_path / name)
    _strictly_equal(frame, reference)
    assert frame.attrs["format"] == reference.attrs["format"]
    assert (source, sha256) == (read_input(path, id_col="id")[1], file_sha256(path))


def test_a_table_of_another_file_is_not_taken(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(AWKWARD)
    name = write_checked_input(read_table(path, id_col="id"), tmp_path, file_sha256(path))
    path.write_text(AWKWARD.replace("0045,7", "0045,8"))  # the file changed since
    frame, _, _ = read_input(path, id_col="id", checked=tmp_path / name)
    assert frame["tenure"].tolist() == [3, 12, 1, 8]
    assert read_checked_input(tmp_path / name, file_sha256(path)) is None
    assert read_checked_input(tmp_path / "missing.parquet", file_sha256(path)) is None


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"x": pd.Series([1, "a", 2.5], dtype=object)}),  # Parquet cannot hold it
        pd.DataFrame({"x": pd.Series(["a", None, np.nan], dtype=object)}),  # None and NaN
        pd.DataFrame({"x": [1.0, 2.0]}, index=[5, 7]),  # not a range index
    ],
)
def test_a_table_parquet_would_change_is_not_handed_over(tmp_path, frame):
    assert write_checked_input(frame, tmp_path, "0" * 64) is None
    assert not (tmp_path / CHECKED_INPUT).exists()


def test_the_command_hands_its_table_to_the_notebook(tmp_path, monkeypatch):
    path = tmp_path / "customers.csv"
    path.write_text(AWKWARD)
    seen: dict = {}

    def record(params, stage, progress, timeout, kernel=None):  # instead of the notebook
        seen.update(params)
        seen["frame"] = read_input(path, id_col="id", checked=stage / params["checked_input"])
        # the file's state as the command hashed it: the notebook does not hash it again
        seen["recorded"] = recorded_sha256(stage / params["checked_input"], path)
        raise KeyboardInterrupt

    monkeypatch.setattr(report_run, "_execute", record)
    with pytest.raises(KeyboardInterrupt):
        report_run.run_report(
            tmp_path / "out",
            input_path=path,
            id_col="id",
            duration="tenure",
            event="churned",
            event_value="Yes",
            max_excluded=1.0,
        )
    assert seen["checked_input"] == CHECKED_INPUT
    assert seen["recorded"] == file_sha256(path)
    # the table the notebook reads alone (the event column as a categorical: label_columns)
    reference = read_table(path, id_col="id", categorical=["churned"])
    _strictly_equal(seen["frame"][0], reference)
    assert isinstance(reference["churned"].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize("change", [None, "content", "modification time"])
def test_the_notebook_hashes_the_file_again_only_when_it_changed(tmp_path, monkeypatch, change):
    import os

    from churnsurv.report import io as report_io
    from churnsurv.report import reading

    path = tmp_path / "customers.csv"
    path.write_text(AWKWARD)
    sha = file_sha256(path)  # the command's hash, as it read the file
    name = write_checked_input(read_table(path, id_col="id"), tmp_path, sha, source=path)
    if change == "content":
        path.write_text(AWKWARD.replace("0045,7", "0045,8"))
    elif change == "modification time":
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    reading._SCANNED.clear()  # the notebook's kernel is another process
    hashed = []
    real = report_io.file_sha256
    monkeypatch.setattr(report_io, "file_sha256", lambda p: hashed.append(p) or real(p))
    frame, _, sha_read = read_input(path, id_col="id", checked=tmp_path / name)
    # a changed file is hashed to compare, and hashed (from its cache) as it is parsed again
    assert len(hashed) == {None: 0, "modification time": 1, "content": 2}[change]
    assert recorded_sha256(tmp_path / name, path) == (sha if change is None else None)
    assert frame["tenure"].tolist() == [3, 12, 1, 8 if change == "content" else 7]
    assert sha_read == file_sha256(path)


def test_the_ids_kept_in_arrow_memory_are_copied_out_of_the_mapped_file(tmp_path):
    # the notebook keeps them for the whole run: as views they would keep the file mapped
    import pyarrow as pa

    from churnsurv.report.handover import _open, _own_ids

    path = tmp_path / "customers.csv"
    path.write_text(AWKWARD)
    frame, table = read_table_parsed(path, id_col="id", keep_arrow=True)
    name = write_checked_input(frame, tmp_path, file_sha256(path), table=table,
                               parsed_with={"id_col": "id", "sep": None})  # fmt: skip
    mapped = _open(tmp_path / name).read_all()
    owned = _own_ids(mapped, "id")
    assert owned.equals(mapped) and owned.schema == mapped.schema
    for before, after in zip(mapped["id"].chunks, owned["id"].chunks, strict=True):
        assert all(
            b is None or a.address != b.address
            for b, a in zip(before.buffers(), after.buffers(), strict=True)
        )
    assert _own_ids(mapped, None) is mapped
    assert isinstance(owned["id"], pa.ChunkedArray)
