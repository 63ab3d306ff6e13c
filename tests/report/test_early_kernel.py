"""The notebook's kernel starts before the input is read (``run._EarlyKernel``).

Its start-up and the setup cell's imports overlap with reading and checking the input. These
tests check what must not change because of it: a bad input still ends with the same error and
leaves no kernel, no socket file and no open zmq context behind (warnings are errors here, so
an unclosed context fails the test); a kernel that does not answer is stopped and the notebook
starts its own; the notebook the kernel runs is the same as one run by a kernel papermill
starts itself (execution counts from 1, nothing added to its namespace, run in its folder).
"""

from __future__ import annotations

import gc
import json
import time
from pathlib import Path

import pytest

import churnsurv.report.run as report_run
from churnsurv.exceptions import DataValidationError


def _kernels(seen: list):
    """Record each early kernel made, for the checks after the run."""
    start = report_run._EarlyKernel.start

    def recorded():
        kernel = start()
        seen.append(kernel)
        return kernel

    return recorded


def _gone(kernel) -> bool:
    process = kernel.km.provisioner.process if kernel.km.provisioner else None
    return (process is None or process.poll() is not None) and not Path(kernel.folder).exists()


def test_bad_input_leaves_no_kernel_behind(tmp_path, monkeypatch):
    path = tmp_path / "customers.csv"
    path.write_text("id,tenure,churned\nA,3,1\nB,-2,0\n")  # a negative tenure
    seen: list = []
    monkeypatch.setattr(report_run._EarlyKernel, "start", _kernels(seen))
    with pytest.raises(DataValidationError, match="negative duration"):
        report_run.run_report(
            tmp_path / "out",
            input_path=path,
            id_col="id",
            duration="tenure",
            event="churned",
            max_excluded=0,
        )
    assert len(seen) == 1 and seen[0] is not None
    assert _gone(seen[0])
    assert not (tmp_path / "out").exists()
    gc.collect()  # an unclosed zmq context would warn here (an error in these tests)


def test_a_kernel_that_does_not_answer_is_stopped(tmp_path):
    kernel = report_run._EarlyKernel()
    try:
        kernel.client.execute("import time; time.sleep(60)", silent=True, store_history=False)
        started = time.monotonic()
        assert kernel.adopt(tmp_path, timeout=2) is None
        assert time.monotonic() - started < 30
        assert _gone(kernel)
    finally:
        kernel.stop()
    gc.collect()


def test_the_report_runs_on_the_early_kernel_as_on_its_own(
    tmp_path, monkeypatch, twelve_month_table
):
    path = tmp_path / "customers.csv"
    twelve_month_table.head(400).to_csv(path, index=False)
    args = dict(
        input_path=path,
        id_col="account",
        duration="months",
        event="churned",
        by=["plan"],
        formula="plan + usage",
        margin="spend",
    )
    seen: list = []
    monkeypatch.setattr(report_run._EarlyKernel, "start", _kernels(seen))
    early = report_run.run_report(tmp_path / "early", **args)
    assert len(seen) == 1 and seen[0].adopted and _gone(seen[0])
    monkeypatch.setattr(report_run._EarlyKernel, "start", lambda: None)
    own = report_run.run_report(tmp_path / "own", **args)

    def cells(result):
        nb = json.loads(result.notebook.read_text())
        return [c for c in nb["cells"] if c["cell_type"] == "code"]

    for result in (early, own):
        counts = [c["execution_count"] for c in cells(result)]
        assert counts == list(range(1, len(counts) + 1))
    assert [c["source"] for c in cells(early)] == [c["source"] for c in cells(own)]
    assert early.failed == own.failed == []
    for name in ("km_summary.csv", "cox_summary.csv", "clv_by_segment.csv"):
        assert (early.out / "tables" / name).read_text() == (own.out / "tables" / name).read_text()
    assert not list(early.out.glob("kernel-ipc*")) and not list(own.out.glob("kernel-ipc*"))
    gc.collect()


def test_kernel_environment_keeps_a_users_openblas_setting():
    assert report_run.kernel_environment({})["OPENBLAS_THREAD_TIMEOUT"] == "4"
    mine = {"OPENBLAS_THREAD_TIMEOUT": "20", "MPLBACKEND": "TkAgg"}
    env = report_run.kernel_environment(mine)
    assert env["OPENBLAS_THREAD_TIMEOUT"] == "20"  # the user's choice stays
    assert env["MPLBACKEND"] == "Agg"  # figures go to files whatever the user's backend


def test_the_warm_up_adds_nothing_to_the_namespace(tmp_path):
    from jupyter_client.blocking import BlockingKernelClient

    kernel = report_run._EarlyKernel()
    said: list = []
    try:
        km = kernel.adopt(tmp_path, timeout=60)
        assert km is not None
        client = BlockingKernelClient()
        client.load_connection_info(km.get_connection_info())
        client.start_channels()
        try:
            reply = client.execute_interactive(
                "import json, os, sys\n"
                "print(json.dumps([sorted(dir()), os.getcwd(), 'churnsurv' in sys.modules,\n"
                "  [os.environ.get(k) for k in ('MPLBACKEND', 'OPENBLAS_THREAD_TIMEOUT')]]))",
                timeout=30,
                output_hook=lambda msg: said.append(msg["content"].get("text", "")),
            )
        finally:
            client.stop_channels()
    finally:
        kernel.adopted = False  # not handed to papermill here: the test stops it
        kernel.stop()
    assert reply["content"]["status"] == "ok"
    assert reply["content"]["execution_count"] == 1  # the warm-up and the move were not counted
    names, cwd, warmed, env = json.loads("".join(said))
    assert Path(cwd) == tmp_path and warmed  # run in the notebook's folder, imports done
    # the kernel's own variables (OpenBLAS reads its variable when numpy loads it, at start-up)
    assert env == ["Agg", report_run.kernel_environment()["OPENBLAS_THREAD_TIMEOUT"]]
    assert not {"importlib", "matplotlib", "pandas", "churnsurv"} & set(names)
    assert not [n for n in names if "warm" in n]
    assert _gone(kernel)
