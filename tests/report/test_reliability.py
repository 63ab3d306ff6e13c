"""Nothing lost, nothing executed, nothing deleted (issue #12): the output folder, failing parts,
interrupted runs and the fault injection that keeps them fixed.

Most tests stop before the notebook runs (a bad --out is refused up front) or test the output
folder's pieces directly. The full runs are few: the issue's own command on simulated customers,
a file where everyone churned, a template with a section that raises, and one folder taken
through a kill, a complete run, Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import html.parser
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import weakref
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import churnsurv as cs
import churnsurv.report.output as output
import churnsurv.report.run as report_run
from churnsurv.report.cli import main
from churnsurv.report.run import template_path

ARGS = ["--id", "id", "--duration", "tenure", "--event", "churned", "--by", "plan"]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "churnsurv", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def small_frame(n: int = 120, *, seed: int = 7) -> pd.DataFrame:
    """Customers whose churn slows with tenure (a mixture), two plans, a margin."""
    rng = np.random.default_rng(seed)
    plan = np.array(["basic", "premium"])[np.arange(n) % 2]
    theta = rng.beta(np.where(plan == "basic", 1.0, 0.6), 3.0)
    churn = rng.geometric(np.clip(theta, 1e-3, 1)) - rng.random(n)
    censor = rng.uniform(1, 36, n)
    return pd.DataFrame(
        {
            "id": [f"c{i:04d}" for i in range(n)],
            "tenure": np.round(np.minimum(churn, censor), 2),
            "churned": churn <= censor,
            "plan": plan,
            "spend": np.round(20 + 10 * rng.random(n), 2),
        }
    )


@pytest.fixture
def no_notebook(monkeypatch):
    """Make running the notebook an error: a refused --out must stop before it."""

    def refuse(*args, **kwargs):
        raise AssertionError("the report notebook ran although --out was refused")

    monkeypatch.setattr(report_run, "_execute", refuse)


def one_line_error(capsys, code: int, *says: str) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("churnsurv report: error: --out "), err
    assert "Traceback" not in err
    for part in says:
        assert part in lines[0], err
    return lines[0]


# --------------------------------------------------------------------------------------------
# a bad --out: one line, exit status 2, nothing touched
# --------------------------------------------------------------------------------------------
@pytest.fixture
def customers(tmp_path) -> Path:
    path = tmp_path / "input" / "customers.csv"
    path.parent.mkdir()
    small_frame().to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("notes.txt", "it is a file, not a folder"),
        ("notes.txt/report", "notes.txt' is a file, so no folder can be made below it"),
        ("notes.txt/a/b", "notes.txt' is a file, so no folder can be made below it"),
    ],
)
def test_out_that_is_a_file_or_below_one(where, says, tmp_path, customers, capsys, no_notebook):
    (tmp_path / "notes.txt").write_text("mine")
    code = main(["report", str(customers), *ARGS, "--out", str(tmp_path / where)])
    one_line_error(capsys, code, says)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_out_without_permission(tmp_path, customers, capsys, no_notebook, monkeypatch):
    """Read-only or not ours: simulated (root may write anywhere), then real where possible."""
    parent = tmp_path / "locked"
    parent.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        output.os, "access", lambda p, mode: False if Path(p) == parent else real_access(p, mode)
    )
    code = main(["report", str(customers), *ARGS, "--out", str(parent / "report")])
    one_line_error(capsys, code, "no permission to write in", str(parent))
    assert list(parent.iterdir()) == []
    monkeypatch.undo()
    if os.geteuid() != 0:  # pragma: no cover - root ignores permissions
        parent.chmod(0o555)
        try:
            code = main(["report", str(customers), *ARGS, "--out", str(parent / "report")])
            one_line_error(capsys, code, "no permission to write in")
        finally:
            parent.chmod(0o755)


def test_out_that_contains_the_input_is_refused(tmp_path, capsys, no_notebook, monkeypatch):
    """`churnsurv report tables/ok.csv ... --out .` deleted its own input (issue #12)."""
    (tmp_path / "tables").mkdir()
    small_frame().to_csv(tmp_path / "tables" / "ok.csv", index=False)
    before = (tmp_path / "tables" / "ok.csv").read_bytes()
    monkeypatch.chdir(tmp_path)
    code = main(["report", "tables/ok.csv", *ARGS, "--out", "."])
    one_line_error(capsys, code, "it contains the input file 'tables/ok.csv'")
    assert (tmp_path / "tables" / "ok.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["ok.csv", "tables"]


def test_tables_linked_out_of_the_folder_is_refused(tmp_path, customers, capsys, no_notebook):
    """With tables/ a symlink, files outside --out were deleted (issue #12)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.csv").write_text("a,b\n1,2\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "tables").symlink_to(elsewhere, target_is_directory=True)
    code = main(["report", str(customers), *ARGS, "--out", str(out)])
    one_line_error(capsys, code, "tables/ is a symbolic link")
    assert (elsewhere / "precious.csv").read_text() == "a,b\n1,2\n"


def test_a_second_run_on_a_locked_folder_stops_at_once(tmp_path, customers, capsys, no_notebook):
    """Two runs at once on one --out mixed their files (issue #12): the folder is locked."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("the other run's page")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import fcntl, sys, time
                handle = open({str(out / output.LOCK)!r}, "a+b")
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                print("locked", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        code = main(["report", str(customers), *ARGS, "--out", str(out)])
        one_line_error(capsys, code, "another churnsurv report is writing to this folder")
    finally:
        holder.communicate("", timeout=30)
    assert (out / "report.html").read_text() == "the other run's page"
    assert not list(out.glob(output.PARTIAL_PREFIX + "*"))


# --------------------------------------------------------------------------------------------
# the manifest: only files this tool wrote are removed
# --------------------------------------------------------------------------------------------
def fake_stage(out: Path, files: dict[str, str]) -> Path:
    stage = out / (output.PARTIAL_PREFIX + "test")
    for name, text in files.items():
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        (stage / name).write_text(text)
    return stage


def test_publish_replaces_the_previous_report_and_nothing_else(tmp_path):
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "figures").mkdir()
    first = {
        "report.html": "1",
        "report.ipynb": "1",
        "tables/cox_summary.csv": "1",
        "tables/km_summary.csv": "1",
        "figures/km_all.png": "1",
    }
    assert output.publish(fake_stage(out, first), out) == sorted(first)
    # the user's own files, in the same folders
    mine = {"tables/mine.csv": "u", "figures/mine.png": "u", "notes.csv": "u", "report.md": "u"}
    for name, text in mine.items():
        (out / name).write_text(text)
    second = {"report.html": "2", "report.ipynb": "2", "tables/km_summary.csv": "2"}
    assert output.publish(fake_stage(out, second), out) == sorted(second)
    assert {n: (out / n).read_text() for n in second} == second
    assert not (out / "tables" / "cox_summary.csv").exists()  # ours, not written again
    assert not (out / "figures" / "km_all.png").exists()
    assert {n: (out / n).read_text() for n in mine} == mine  # never ours
    manifest = json.loads((out / output.MANIFEST).read_text())
    assert manifest["complete"] is True and manifest["files"] == sorted(second)


def test_publish_moves_a_parquet_table_and_removes_it_when_no_longer_written(tmp_path):
    """A table too long for a CSV is also written as Parquet (report/io.py, write_table): it is
    published with the report, listed in the manifest, counted by the command's summary, and
    removed by a later report that writes only the CSV; a user's own Parquet file is kept."""
    from churnsurv.report.cli import _count_tables

    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    first = {"report.html": "1", "tables/var.csv": "1", "tables/var.parquet": "1"}
    files = output.publish(fake_stage(out, first), out)
    assert files == sorted(first) and (out / "tables" / "var.parquet").read_text() == "1"
    assert _count_tables([out / f for f in files if f.startswith("tables/")]) == (
        "1 CSV file, 1 Parquet file"
    )
    (out / "tables" / "mine.parquet").write_text("u")
    second = {"report.html": "2", "tables/var.csv": "2"}
    assert output.publish(fake_stage(out, second), out) == sorted(second)
    assert not (out / "tables" / "var.parquet").exists()
    assert (out / "tables" / "mine.parquet").read_text() == "u"


def test_an_edited_manifest_cannot_remove_anything_else(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victims = [tmp_path / "victim.csv", out / "data.csv", out / "tables" / "x.txt"]
    (out / "tables").mkdir()
    for victim in victims:
        victim.write_text("keep")
    listed = ["../victim.csv", str(victims[0]), "data.csv", "tables/x.txt", "tables/../data.csv"]
    (out / output.MANIFEST).write_text(json.dumps({"complete": True, "files": listed}))
    output.publish(fake_stage(out, {"report.html": "new"}), out)
    assert all(victim.read_text() == "keep" for victim in victims)


def test_partial_folders_of_a_killed_run_are_removed_by_the_next(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    look_alike = out / (output.PARTIAL_PREFIX + "mine")  # not made by the tool: no mark inside
    look_alike.mkdir()
    with output.output_folder(out) as stage:
        (stage / "report.ipynb").write_text("half")
        killed = stage
    # a kill leaves the stage behind; simulate it and start again
    killed.mkdir()
    (killed / output._PARTIAL_MARK).write_text("")
    with output.output_folder(out) as stage:
        assert not killed.exists() and stage.is_dir()
    assert look_alike.is_dir() and not stage.exists()


# --------------------------------------------------------------------------------------------
# full runs: a part that fails does not lose the report
# --------------------------------------------------------------------------------------------
class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def page_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(" ".join(parser.parts).split())


def test_the_issue_command_on_simulated_customers(tmp_path):
    """sBG tail at its geometric limit (churn does not slow with tenure): exited 1 before."""
    cs.simulate_customers(3000, rng=1).customers.to_csv(tmp_path / "sim.csv", index=False)
    proc = run_cli(
        "report", "sim.csv", "--duration", "tenure", "--event", "churned", "--by", "plan",
        "--formula", "plan + channel + monthly_charges", "--margin", "monthly_margin",
        "--out", "out", "--quiet", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    text = page_text(tmp_path / "out" / "report.html")
    assert "retention comes from the tail (geometric, a constant churn probability" in text
    var = pd.read_csv(tmp_path / "out" / "tables" / "value_at_risk.csv")
    assert len(var) == (~cs.simulate_customers(3000, rng=1).customers["churned"]).sum()


def test_everyone_churned(tmp_path):
    """One churn probability for all and no one left: the sBG fit died here before."""
    frame = small_frame(150)
    frame["tenure"] = np.random.default_rng(3).geometric(0.2, 150)
    frame["churned"] = True
    frame.to_csv(tmp_path / "all.csv", index=False)
    args = ["--formula", "plan", "--margin", "spend", "--horizon", "12", "--quiet"]
    proc = run_cli("report", "all.csv", *ARGS, *args, "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Value at risk was skipped because every customer has churned" in proc.stderr
    text = page_text(tmp_path / "out" / "report.html")
    assert "every customer has churned: none is at risk" in text
    assert {"km_summary", "cox_summary", "clv_by_segment"} <= {
        p.stem for p in (tmp_path / "out" / "tables").glob("*.csv")
    }


def test_fault_injection_a_section_that_raises_fails_alone(tmp_path, monkeypatch, capsys):
    """Section 2 raises: its note, the parts that need it skipped, the rest rendered, exit 3."""
    nb = nbformat.read(template_path(), as_version=4)
    (km,) = [c for c in nb.cells if c.get("id") == "km"]
    needs = 'need("1. The data")\n'
    assert needs in km.source
    km.source = km.source.replace(needs, needs + '    raise RuntimeError("injected fault")\n')
    nbformat.write(nb, tmp_path / "report.ipynb")
    monkeypatch.setattr(report_run, "template_path", lambda name="report.ipynb": (
        tmp_path / name if name.endswith(".ipynb") else template_path(name)))  # fmt: skip
    small_frame().to_csv(tmp_path / "customers.csv", index=False)
    out = tmp_path / "out"
    args = ["--formula", "plan", "--margin", "spend", "--horizon", "12", "--quiet"]
    code = main(["report", str(tmp_path / "customers.csv"), *ARGS, *args, "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 3, captured.err
    assert "completed with skipped sections" in captured.out and "(exit status 3)" in captured.out
    failed = "2. Retention curves failed and was skipped: RuntimeError: injected fault"
    needs_2 = "was skipped because it needs 2. Retention curves, which failed."
    for said in (failed, f"3. Log-rank tests {needs_2}", f"6. CLV by segment {needs_2}"):
        assert f"skipped: {said}" in captured.err
        assert said in page_text(out / "report.html")
    assert "Traceback" not in captured.err
    # the rest of the report is there
    text = page_text(out / "report.html")
    for heading in ("4. Churn and retention rates", "5. What drives churn?", "About this report"):
        assert heading in text
    tables = {p.stem for p in (out / "tables").glob("*.csv")}
    assert {"churn_rates", "cox_summary", "ph_check", "value_at_risk", "about"} <= tables
    assert "km_summary" not in tables and "logrank" not in tables
    figures = {p.stem for p in (out / "figures").glob("*.png")}
    assert {"churn_rates", "cox_hazard_ratios", "value_at_risk"} <= figures


def test_a_failing_early_warning_section_is_skipped_and_the_experiment_still_runs(
    tmp_path, monkeypatch, capsys
):
    """Section 8 raises: its note, the parts that need it skipped, section 9 rendered, exit 3."""
    nb = nbformat.read(template_path(), as_version=4)
    (cell,) = [c for c in nb.cells if c.get("id") == "early-warning"]
    needs = 'need("1. The data")\n'
    assert needs in cell.source
    cell.source = cell.source.replace(needs, needs + '    raise RuntimeError("injected fault")\n')
    nbformat.write(nb, tmp_path / "report.ipynb")
    monkeypatch.setattr(report_run, "template_path", lambda name="report.ipynb": (
        tmp_path / name if name.endswith(".ipynb") else template_path(name)))  # fmt: skip
    small_frame(300).to_csv(tmp_path / "customers.csv", index=False)
    out = tmp_path / "out"
    args = ["--formula", "plan", "--margin", "spend", "--horizon", "12", "--arm", "plan"]
    code = main(
        ["report", str(tmp_path / "customers.csv"), *ARGS, *args, "--quiet", "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 3, captured.err
    failed = "8. Early warning: hold-out metrics failed and was skipped: RuntimeError: injected"
    needs_8 = "was skipped because it needs 8. Early warning: hold-out metrics, which failed."
    text = page_text(out / "report.html")
    terminal = " ".join(captured.err.split())  # notes are wrapped at 96 characters
    for said in (failed, f"Calibration and gains {needs_8}", f"Call list {needs_8}"):
        assert f"skipped: {said}" in terminal
        assert said in text
    assert "Decision table: which arm wins at each horizon" in text
    tables = {p.stem for p in (out / "tables").glob("*.csv")}
    assert {"experiment_decision", "experiment_rmst_contrast", "value_at_risk"} <= tables
    assert "call_list" not in tables and "early_warning_holdout" not in tables


# --------------------------------------------------------------------------------------------
# a kill, a complete run, Ctrl-C and SIGTERM on one folder
# --------------------------------------------------------------------------------------------
def _signal_state(pid: int) -> str:
    """The process's state and its pending, blocked, ignored and caught signals (bit masks from
    Linux's /proc), for a failure's message: the SIGINT test failed, rarely, with the run
    going on to exit 0 as if the signal had never reached the command's handler."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "(not readable)"
    kept = ("State", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
    return " ".join(line.replace("\t", " ") for line in lines if line.startswith(kept))


def start_and_stop(customers: Path, out: Path, sig: int, *, group: bool) -> tuple[int, str]:
    """Start a run, wait until the notebook is running section 2, then send ``sig``.

    Returns the exit status and what the command printed, followed by its signal state just
    before and 0.2 s after the signal and this process's when it started the command (see
    :func:`_signal_state`)."""
    report = [
        sys.executable, "-m", "churnsurv", "report", str(customers), *ARGS,
        "--formula", "plan", "--margin", "spend", "--horizon", "12", "--out", str(out),
    ]  # fmt: skip
    # Started as a terminal starts a foreground job: Ctrl-C and Ctrl-\ at their defaults. This
    # test's process may be ignoring them when it starts the command (a shell without job
    # control ignores them in background jobs; glibc's system() ignores them while it waits),
    # and a command started with SIGINT ignored keeps ignoring it, as under nohup: the rare
    # failure of this test (exit 0 after Ctrl-C; /proc showed SIGINT and SIGQUIT ignored).
    command = [
        sys.executable, "-c",
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
        "signal.signal(signal.SIGQUIT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])",
        *report,
    ]  # fmt: skip
    mine = _signal_state(os.getpid())
    # its own process group, as a job started from a terminal
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as proc:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "2. Retention curves" in line:
                break
        else:
            pytest.fail("the run ended before section 2: " + "".join(seen))
        state = [_signal_state(proc.pid)]
        if group:  # a terminal's Ctrl-C reaches the whole foreground job
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        time.sleep(0.2)
        state.append(_signal_state(proc.pid))
        _, rest = proc.communicate(timeout=120)
    said = "".join(seen) + rest
    return proc.returncode, (
        f"{said}\nsignal state before: {state[0]}\n0.2 s after: {state[1]}\n"
        f"this test's process when it started the command: {mine}"
    )


def report_files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != output.LOCK
    }


def test_kill_then_complete_run_then_ctrl_c_and_sigterm(tmp_path):
    customers = tmp_path / "customers.csv"
    small_frame().to_csv(customers, index=False)
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "mine.csv").write_text("x\n1\n")
    (out / "notes.txt").write_text("mine")

    # SIGKILL in the middle: no report.ipynb, no tables, nothing half-written in sight
    code, _ = start_and_stop(customers, out, signal.SIGKILL, group=True)
    assert code == -signal.SIGKILL
    visible = sorted(str(p.relative_to(out)) for p in out.rglob("*") if ".churnsurv" not in str(p))
    assert visible == ["notes.txt", "tables", "tables/mine.csv"]

    # a complete run: the report is there, the killed run's partial folder is gone
    proc = run_cli(
        "report", str(customers), *ARGS, "--formula", "plan", "--margin", "spend",
        "--horizon", "12", "--out", str(out), "--quiet",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert not list(out.glob(output.PARTIAL_PREFIX + "*"))
    assert (out / "tables" / "mine.csv").read_text() == "x\n1\n"
    assert (out / "notes.txt").read_text() == "mine"
    manifest = json.loads((out / output.MANIFEST).read_text())
    assert manifest["complete"] is True and "tables/km_summary.csv" in manifest["files"]
    assert "tables/mine.csv" not in manifest["files"]
    before = report_files(out)

    # Ctrl-C (SIGINT to the job) and SIGTERM (to the command): one line, the report unchanged
    for sig, status, says in [
        (signal.SIGINT, 130, "interrupted"),
        (signal.SIGTERM, 143, "terminated (SIGTERM)"),
    ]:
        time.sleep(0.1)
        code, err = start_and_stop(customers, out, sig, group=sig == signal.SIGINT)
        assert code == status, err
        assert "Traceback" not in err and f"churnsurv report: {says}: the previous report" in err
        assert report_files(out) == before
        assert not list(out.glob(output.PARTIAL_PREFIX + "*"))


def _lose(handler) -> None:
    """Run a signal handler where Python loses its exception: in a weak reference's callback
    (garbage collection can run one between any two bytecodes, when the signal arrives)."""

    class Thing:
        pass

    thing = Thing()
    ref = weakref.ref(thing, lambda _: handler(None, None))
    del thing  # the callback runs; the handler's exception goes to sys.unraisablehook
    assert ref() is None


@pytest.mark.parametrize("when", ["after a cell", "during the HTML export"])
def test_a_signal_whose_exception_is_lost_still_stops_the_run(when, tmp_path, monkeypatch, capsys):
    # the flake of the test above: SIGTERM's exception raised inside a WeakSet's callback was
    # printed as "Exception ignored" and the run went on to replace the report (exit 0)
    from churnsurv.report import cli

    customers = tmp_path / "customers.csv"
    small_frame().to_csv(customers, index=False)
    out = tmp_path / "out"
    argv = ["report", str(customers), *ARGS, "--formula", "plan", "--out", str(out)]
    assert main([*argv, "--quiet"]) == 0
    before = report_files(out)
    capsys.readouterr()
    if when == "after a cell":
        calls = []

        def progress(*args):
            calls.append(args)
            if len(calls) == 3:
                _lose(cli._on_sigterm)

        monkeypatch.setattr(cli, "_progress", progress)
        handler, status, says = cli._on_sigterm, 143, "terminated (SIGTERM)"
    else:
        export = report_run.export_html

        def export_and_lose(*args, **kwargs):
            _lose(cli._on_sigint)
            return export(*args, **kwargs)

        monkeypatch.setattr(report_run, "export_html", export_and_lose)
        handler, status, says = cli._on_sigint, 130, "interrupted"
    assert main(argv) == status
    err = capsys.readouterr().err
    assert f"churnsurv report: {says}: the previous report" in err
    assert "Exception ignored" not in err and "Traceback" not in err
    assert report_files(out) == before
    assert not list(out.glob(output.PARTIAL_PREFIX + "*"))
    if when == "after a cell":  # stopped at the next cell, not at the end
        assert len(calls) == 3
    # the command's handlers and hook are put back
    assert signal.getsignal(signal.SIGTERM) is not handler
    assert sys.unraisablehook is not None and "quiet" not in repr(sys.unraisablehook)


def test_an_interrupt_behind_the_kernel_clean_up_error_is_the_one_raised():
    # Ctrl-C while asyncio's loop waits for the kernel surfaces as the RuntimeError of
    # nbclient's clean-up on the interrupted loop; the command must see the interrupt (and
    # SIGTERM's subclass of it) to exit 130 / 143
    from churnsurv.report.cli import _Terminated
    from churnsurv.report.run import _interrupt_behind

    for interrupt in (KeyboardInterrupt(), _Terminated()):
        try:
            try:
                raise interrupt
            except KeyboardInterrupt:
                raise RuntimeError("Event loop stopped before Future completed.") from None
        except RuntimeError as exc:
            assert _interrupt_behind(exc) is interrupt
    assert _interrupt_behind(RuntimeError("no interrupt")) is None


SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def test_stop_kernels_kills_a_kernel_left_running(tmp_path):
    from churnsurv.report.run import _stop_kernels

    class Manager:  # what _stop_kernels reads of a jupyter_client kernel manager
        def __init__(self):
            self.provisioner = type("P", (), {})()
            self.provisioner.process = subprocess.Popen(SLEEPER)
            self.cleaned = []

        def cleanup_connection_file(self):
            self.cleaned.append("connection")

        def cleanup_ipc_files(self):
            self.cleaned.append("ipc")

    km = Manager()
    _stop_kernels([km])
    assert km.provisioner.process.poll() is not None
    assert km.cleaned == ["connection", "ipc"]


def test_kernel_output_is_the_end_of_what_the_kernels_printed():
    import tempfile

    from churnsurv.report.run import _kernel_output

    class Manager:
        def __init__(self, text):
            self.output = None
            if text is not None:
                self.output = tempfile.TemporaryFile()
                self.output.write(text.encode())

    managers = [Manager("Fatal Python error: x\n"), Manager(None), Manager("é" * 10)]
    try:
        assert _kernel_output(managers) == "Fatal Python error: x\n" + "é" * 10
        assert _kernel_output(managers, limit=3) == "ééé"
    finally:
        for km in managers:
            if km.output is not None:
                km.output.close()
