"""Reproducible churn reports: ``churnsurv report``.

:func:`run_report` validates the input, runs the template notebook shipped inside the package
(``churnsurv/report/templates/report.ipynb``) with papermill and exports it to a self-contained HTML
page with nbconvert. The output folder then holds

* ``report.html``: the report, with figures embedded and no external scripts (reads offline);
* ``report.ipynb``: the executed notebook, which re-runs the whole analysis in Jupyter;
* ``tables/*.csv`` and ``figures/*.png``: every table in full and every figure.

How input stays data
--------------------
Options reach the notebook only as papermill parameters: literal values (strings are escaped by
papermill) in the injected parameters cell, never pasted into code. The notebook displays every
value that comes from the data through escaped HTML (``html.escape``) or pandas tables (which
escape cells and labels), and the HTML template has no ``<script>`` element, so a column name or
category value such as ``<script>alert(1)</script>`` or ``{{7*7}}`` shows as text.

Validation happens here, before the notebook runs: every option is checked by the library's own
rules (:mod:`churnsurv._validation`, the ones :func:`churnsurv.clv` and the rest apply), then the
file is read (CSV or Parquet) and :func:`churnsurv.prepare` is called with the same arguments the
notebook uses, so a bad option ends with one :class:`~churnsurv.exceptions.DataValidationError`
instead of a notebook traceback or a section quietly skipped.
The input is read once: the table checked here is handed to the notebook in its working folder
(:mod:`churnsurv.report.handover`: the Arrow table pyarrow parsed, or a frame that gives itself
back exactly; taken only for the same file), and the notebook prepares it itself (it must run
standalone in Jupyter, where it reads the file); both read the input and look up formula
columns with the same functions, from :mod:`churnsurv.report.io`.

A part of the report that fails (an error, a model that does not converge) shows a note in its
place and the rest of the report is made (:attr:`ReportResult.failed`). The output folder is
checked, locked and written whole or not at all: :mod:`churnsurv.report.output`.

Only :mod:`churnsurv.report.cli` imports this module; it is not part of the ``import churnsurv``
API.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from churnsurv._validation import check_choice, check_fraction
from churnsurv.exceptions import DataValidationError
from churnsurv.report.checks import DEFAULT_MAX_EXCLUDED, check_input, coerce_event_value
from churnsurv.report.events import (
    CHURN_TABLE,
    compute_churn_table,
    event_options,
    write_churn_table,
)
from churnsurv.report.handover import write_checked_input
from churnsurv.report.io import PARQUET_SUFFIXES, label_columns, read_input, read_input_parsed
from churnsurv.report.options import DATASETS, check_options
from churnsurv.report.output import check_out, keep_failed_notebook, output_folder, publish
from churnsurv.report.reading import release_memory

__all__ = [
    "DATASETS",
    "ReportExecutionError",
    "ReportResult",
    "coerce_event_value",
    "export_html",
    "run_report",
    "template_path",
]

#: ``progress(cells_done, cells_total, seconds_elapsed, section)``, called after each code cell.
Progress = Callable[[int, int, float, str], None]

#: The interrupts (Ctrl-C, or SIGTERM as the command raises it) the command's signal handlers
#: raised. Python can lose such an exception: raised while it runs a weak reference's callback
#: or an object's finaliser, it is printed as "Exception ignored in ..." and the code goes on.
#: A run raises a recorded interrupt again after each cell and before it publishes the report,
#: so a signal the command received always stops it and leaves the previous report as it was.
_RECEIVED: list[KeyboardInterrupt] = []


def interrupt_received(exc: KeyboardInterrupt) -> KeyboardInterrupt:
    """Record ``exc`` for the run to raise again if it is lost (see :data:`_RECEIVED`) and
    return it, for the signal handler to raise.

    Examples
    --------
    >>> exc = interrupt_received(KeyboardInterrupt())
    >>> try:
    ...     _raise_received()
    ... except KeyboardInterrupt:
    ...     print("stopped")
    stopped
    >>> forget_interrupts()
    """
    _RECEIVED.append(exc)
    return exc


def forget_interrupts() -> None:
    """Forget the interrupts recorded so far (the command does, before it starts a run)."""
    _RECEIVED.clear()


def _raise_received() -> None:
    """Raise the first interrupt recorded, again (a new exception of its type)."""
    if _RECEIVED:
        raise type(_RECEIVED[0])()


class ReportExecutionError(RuntimeError):
    """The report notebook failed while running (a bug, not bad input).

    Attributes
    ----------
    cell : int
        1-based index of the failing cell in ``report.ipynb``.
    section : str
        Heading of the report section the cell belongs to.
    notebook : pathlib.Path
        The partially executed notebook, with the error in the failing cell's output
        (``report-failed.ipynb`` in the output folder, beside the previous report, which is
        left as it was).

    Examples
    --------
    >>> err = ReportExecutionError("ValueError: boom", cell=7, section="2. Retention",
    ...                            notebook=Path("report/report.ipynb"))
    >>> err.cell, isinstance(err, RuntimeError)
    (7, True)
    """

    def __init__(self, message: str, *, cell: int, section: str, notebook: Path) -> None:
        super().__init__(message)
        self.cell = cell
        self.section = section
        self.notebook = notebook


@dataclass
class ReportResult:
    """What :func:`run_report` wrote, and how long it took.

    Attributes
    ----------
    out : pathlib.Path
        The output folder.
    html, notebook : pathlib.Path
        ``report.html`` and ``report.ipynb``.
    tables, figures : list of pathlib.Path
        The CSV tables and PNG figures, sorted by name.
    seconds : float
        Wall-clock time of the run (validation, execution and export).
    notes : list of str
        Sections the notebook skipped and why (e.g. too few events for the Cox model), and the
        parts that failed.
    failed : list of str
        The notes of the parts that failed (an error, a model that did not converge) and were
        replaced by that note; the report is otherwise complete. ``churnsurv report`` then ends
        with "completed with skipped sections" and exit status 3.
    """

    out: Path
    html: Path
    notebook: Path
    tables: list[Path] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------------------------
def template_path(name: str = "report.ipynb") -> Path:
    """Path of a file shipped in ``churnsurv/report/templates``.

    Examples
    --------
    >>> template_path().name, template_path().is_file()
    ('report.ipynb', True)
    """
    return Path(str(resources.files("churnsurv.report").joinpath("templates").joinpath(name)))


# --------------------------------------------------------------------------------------------
# running
# --------------------------------------------------------------------------------------------
def _sections(cells) -> list[str]:
    """The heading of the report section each cell belongs to (the last markdown heading)."""
    sections, heading = [], "start"
    for cell in cells:
        match = (
            re.search(r"^#+\s+(.+)$", cell.source, re.M) if cell.cell_type == "markdown" else None
        )
        heading = match.group(1).strip() if match else heading
        sections.append(heading)
    return sections


def _engine(progress: Progress | None):
    """A papermill engine that reports each executed code cell to ``progress``."""
    from papermill.engines import NBClientEngine

    class _ChurnsurvEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, km=None, **kwargs):
            cells = nb_man.nb.cells
            total = sum(c.cell_type == "code" for c in cells)
            sections = _sections(cells)
            start, done = time.perf_counter(), [0]
            complete = nb_man.cell_complete

            def cell_complete(cell, cell_index=None, **kw):
                complete(cell, cell_index=cell_index, **kw)
                _raise_received()  # a signal whose exception was lost stops the run here
                if progress is not None and cell.cell_type == "code":
                    done[0] += 1
                    progress(done[0], total, time.perf_counter() - start, sections[cell_index])

            nb_man.cell_complete = cell_complete
            if km is None:
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
            # papermill's own client on the kernel started before the input was read; it owns
            # the kernel, so it stops it and closes its channels as one it started itself
            from papermill.clientwrap import PapermillNotebookClient
            from papermill.engines import logger

            client = PapermillNotebookClient(
                nb_man,
                km=km,
                timeout=kwargs.get("execution_timeout"),
                startup_timeout=kwargs.get("start_timeout", 60),
                kernel_name=kernel_name,
                log=logger,
                log_output=kwargs.get("log_output", False),
                stdout_file=kwargs.get("stdout_file"),
                stderr_file=kwargs.get("stderr_file"),
                shutdown_kernel=kwargs.get("shutdown_kernel", "graceful"),
            )
            client.owns_km = True
            return client.execute()

    return _ChurnsurvEngine


#: How long, in CPU cycles as a power of two, OpenBLAS's idle worker threads keep polling for
#: work before they sleep (OpenBLAS's own default is 2**28, about 0.1 s). Its smallest value,
#: 2**4: the notebook's value-at-risk section fills each block of customers' curves on two
#: threads of its own right after a matrix-vector product on OpenBLAS's threads, and on two
#: cores the workers' polling took the cores those threads need (4.3 s of that section at
#: 10,000,000 customers when the notebook's cells run alone; in whole reports the gain is within
#: their run-to-run spread, ``benchmarks/RESULTS.md``). It changes no number: only when an idle
#: worker goes to sleep.
OPENBLAS_THREAD_TIMEOUT = "4"


def kernel_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables the notebook's kernel gets on top of the command's environment.

    Figures are saved to files (``MPLBACKEND=Agg``, no GUI), the debugger's start-up check is
    off, and OpenBLAS's idle threads sleep at once (:data:`OPENBLAS_THREAD_TIMEOUT`) unless
    ``environ`` (default: this process's) sets ``OPENBLAS_THREAD_TIMEOUT`` itself.

    Examples
    --------
    >>> from churnsurv.report.run import kernel_environment
    >>> kernel_environment({})["OPENBLAS_THREAD_TIMEOUT"]
    '4'
    >>> kernel_environment({"OPENBLAS_THREAD_TIMEOUT": "28"})["OPENBLAS_THREAD_TIMEOUT"]
    '28'
    """
    given: Mapping[str, str] = os.environ if environ is None else environ
    return {
        "MPLBACKEND": "Agg",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "OPENBLAS_THREAD_TIMEOUT": given.get("OPENBLAS_THREAD_TIMEOUT", OPENBLAS_THREAD_TIMEOUT),
    }


def _kernel_manager_class():
    """Run the notebook's kernel with this Python, whatever kernelspecs are installed."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class _ThisPythonKernelManager(AsyncKernelManager):
        # the managers this run made: their kernels are stopped by hand after an interrupt
        made: list = []

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            type(self).made.append(self)
            self.output = None

        async def start_kernel(self, **kw):  # type: ignore[override]  # async, as its parent's
            # The kernel process's own output (the cells' goes to the notebook) is kept in a
            # file, added to an unexpected error (a dead kernel, a timeout): not printed over
            # the command's progress (a kernel stopped by Ctrl-C logs its cancelled handler).
            self.output = tempfile.TemporaryFile()
            kw.setdefault("stdout", self.output)
            kw.setdefault("stderr", subprocess.STDOUT)
            return await super().start_kernel(**kw)

        # Unix sockets instead of TCP ports: nothing listens on the network while the report
        # runs. They are files of the folder the kernel starts in (the report's partial output
        # folder), or of a private temporary folder for the kernel started early.
        @default("transport")
        def _default_transport(self):
            return "tcp" if sys.platform == "win32" else "ipc"

        @property
        def kernel_spec(self):
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3 (churnsurv)",
                language="python",
                env=kernel_environment(),
            )

    return _ThisPythonKernelManager


#: What the notebook's setup cell imports (about 2 s), imported by its kernel while the command
#: still reads the input; the cell then finds them loaded. Nothing is added to the notebook's
#: namespace, and the execution count does not move (a silent request, not kept in history).
_WARM_UP = """
def _churnsurv_warm_up():
    import importlib
    for name in {names!r}:
        importlib.import_module(name)
_churnsurv_warm_up()
del _churnsurv_warm_up
""".format(
    names=(
        "matplotlib.pyplot",
        "matplotlib.ticker",
        "numpy",
        "pandas",
        "IPython.display",
        "churnsurv",
        "churnsurv.plotting._axes",
        "churnsurv.report.findings",
        "churnsurv.report.tables",
        "churnsurv.report.io",
    )
)


class _EarlyKernel:
    """The notebook's kernel, started before the input is read.

    Its start-up and the setup cell's imports (about 2.7 s of one core) then overlap with
    reading and checking the input instead of following them: the whole 2.7 s on a machine
    with a core to spare; on 2 cores, where pyarrow's parser already uses both, 0.3-0.7 s at
    10,000,000 rows and about 1 s on Telco (``benchmarks/RESULTS.md``). :meth:`adopt` moves it to
    the folder the notebook runs in and hands it to papermill; :meth:`stop` kills it if it was
    not handed over (bad input, an interrupt). If it cannot be started or does not answer, the
    notebook starts its own kernel as before (:func:`_execute` with ``kernel=None``).
    """

    def __init__(self) -> None:
        from jupyter_client.blocking import BlockingKernelClient
        from jupyter_core.utils import run_sync

        self.managers = _kernel_manager_class()
        # its sockets in a private folder of its own (papermill later runs the command in the
        # notebook's folder, where a relative socket path would no longer lead to them)
        self.folder = tempfile.mkdtemp(prefix="churnsurv-kernel-")
        self.km = self.managers(kernel_name="python3", ip=os.path.join(self.folder, "kernel-ipc"))
        self.adopted = self.talking = False
        self.client = BlockingKernelClient()
        try:
            run_sync(self.km.start_kernel)(cwd=self.folder)
            self.client.load_connection_info(self.km.get_connection_info())
            # the shell channel only: a socket of this thread (the heartbeat and the others
            # would run threads of their own, for nothing)
            self.client.start_channels(
                shell=True, iopub=False, stdin=False, hb=False, control=False
            )
            self.talking = True
            self.client.execute(_WARM_UP, silent=True, store_history=False)
        except BaseException:
            self.stop()
            raise

    @classmethod
    def start(cls) -> _EarlyKernel | None:
        """A kernel starting in the background, or None when it cannot be started here."""
        try:
            return cls()
        except Exception:  # noqa: BLE001 -- the notebook starts its own, and says why if it fails
            return None

    def _alive(self) -> bool:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return process is not None and process.poll() is None

    def adopt(self, folder: Path, timeout: float) -> Any:
        """The kernel manager, once the kernel works in ``folder`` (its warm-up is then done);
        None, with the kernel stopped, if it did not answer within ``timeout`` seconds."""
        code = f"__import__('os').chdir({str(folder)!r})"
        asked = self.client.execute(code, silent=True, store_history=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._alive():
            try:
                reply = self.client.get_shell_msg(timeout=0.5)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") == asked:
                if reply["content"].get("status") != "ok":
                    break
                self._hang_up()
                self.adopted = True
                return self.km
        self.stop()
        return None

    def _hang_up(self) -> None:
        if self.talking:
            self.client.stop_channels()  # the shell socket, and the client's zmq context
            self.talking = False

    def stop(self) -> None:
        """Close the channel and, unless papermill took the kernel, kill it."""
        self._hang_up()
        if not self.adopted and self.km.has_kernel:
            from jupyter_core.utils import run_sync

            try:  # killed, its files removed and its zmq context closed
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 -- a kernel that never started: by hand
                _stop_kernels([self.km])
        if self.km.output is not None:
            self.km.output.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _execute(
    params: dict,
    out: Path,
    progress: Progress | None,
    timeout: float,
    kernel: _EarlyKernel | None = None,
) -> None:
    import papermill
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillExecutionError

    papermill_engines.register("churnsurv", _engine(progress))
    notebook = out / "report.ipynb"
    km = None if kernel is None else kernel.adopt(out, timeout=60)
    managers = kernel.managers if kernel is not None and km is not None else _kernel_manager_class()
    try:
        papermill.execute_notebook(
            str(template_path()),
            str(notebook),
            parameters=params,
            engine_name="churnsurv",
            kernel_name="python3",
            kernel_manager_class=managers,
            km=km,
            progress_bar=False,
            log_output=False,
            cwd=str(out),
            execution_timeout=timeout,
            # written once at the end (and with the error when a cell fails), not after each
            # cell: 77 writes of the whole notebook, figures included, cost 3 s between cells
            request_save_on_cell_execute=False,
            # every output is in the notebook once the last cell is done: the kernel is killed,
            # not asked to exit (a graceful exit frees its memory first: 0.7 s on Telco data)
            shutdown_kernel="immediate",
        )
    except PapermillExecutionError as exc:
        import nbformat

        nb = nbformat.read(notebook, as_version=4)
        section = _sections(nb.cells)[exc.cell_index]
        evalue = str(exc.evalue).strip().splitlines()
        raise ReportExecutionError(
            f"{exc.ename}: {evalue[0] if evalue else ''}",
            cell=exc.cell_index + 1,
            section=section,
            notebook=notebook,
        ) from None
    except KeyboardInterrupt:
        _stop_kernels(managers.made)
        raise
    except Exception as exc:
        # Ctrl-C or SIGTERM while asyncio's loop waits for the kernel can surface as the
        # RuntimeError of the kernel's clean-up on the interrupted loop: the interrupt it is
        interrupt = _interrupt_behind(exc)
        if interrupt is None:
            said = _kernel_output(managers.made)
            if said and hasattr(exc, "add_note"):  # Python 3.11+: shown under the error
                exc.add_note(f"The notebook's kernel printed:\n{said}")
            raise
        _stop_kernels(managers.made)
        raise interrupt from None
    finally:
        for manager in managers.made:
            if manager.output is not None:
                manager.output.close()


def _kernel_output(managers, limit: int = 4000) -> str:
    """The end of what the kernels printed to their own stdout and stderr."""
    said = []
    for km in managers:
        if km.output is not None:
            km.output.seek(0)
            said.append(km.output.read().decode(errors="replace"))
    return "".join(said).strip()[-limit:]


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt (Ctrl-C, or SIGTERM as the command raises it) that ``exc`` was
    raised while handling, if any."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        if isinstance(link, KeyboardInterrupt):
            return link
        seen.add(id(link))
        link = link.__context__ or link.__cause__
    return None


def _stop_kernels(managers) -> None:
    """Kill the kernels an interrupted run left running and remove their connection files."""
    for km in managers:
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        with contextlib.suppress(OSError):  # already gone: nothing to remove
            km.cleanup_connection_file()
            km.cleanup_ipc_files()


def export_html(notebook: str | os.PathLike, html_path: str | os.PathLike) -> Path:
    """Export an executed report notebook to a self-contained HTML page.

    Code is left out (the notebook has it), figures are embedded as ``data:`` URIs, and the page
    loads nothing from the network (``churnsurv/report/templates/report.html.j2``).

    Returns
    -------
    pathlib.Path
        ``html_path``.

    Examples
    --------
    >>> export_html("report/report.ipynb", "report/report.html")  # doctest: +SKIP
    PosixPath('report/report.html')
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = "Customer churn report"
    exporter = HTMLExporter(
        template_file=str(template_path("report.html.j2")),
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    html_path = Path(html_path)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def _skipped_notes(notebook: Path) -> tuple[list[str], list[str]]:
    """The notes the notebook showed (escaped HTML → plain text), and those of failed parts.

    A note is ``<p class="churnsurv-note">``; a part that failed and was skipped also has the
    class ``churnsurv-failed`` (the template's ``section`` guard writes it).
    """
    import html

    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    notes, failed = [], []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/html", "")
            for match in re.finditer(r'<p class="(churnsurv-note[^"]*)">(.*?)</p>', text, re.S):
                note = html.unescape(match.group(2))
                notes.append(note)
                if "churnsurv-failed" in match.group(1).split():
                    failed.append(note)
    return notes, failed


def run_report(
    out: str | os.PathLike,
    *,
    input_path: str | os.PathLike | None = None,
    dataset: str | None = None,
    sep: str | None = None,
    max_excluded: float = DEFAULT_MAX_EXCLUDED,
    duration: str | None = None,
    event: str | None = None,
    event_value: object = None,
    id_col: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    cutoff: str | None = None,
    date_format: str | None = None,
    time_unit: str | None = None,
    by: Sequence[str] | None = None,
    bins: int | None = None,
    formula: str | None = None,
    margin: str | None = None,
    reason: str | None = None,
    arm: str | None = None,
    annual_discount_rate: float = 0.10,
    horizon: int | None = None,
    clv_tail: str = "sbg",
    entry: str | None = None,
    within: int = 6,
    top_n: int = 20,
    min_cox_events: int = 10,
    offer_cost: float | None = None,
    success_rate: float = 0.25,
    n_boot: int = 30,
    arm_cost: Any = None,
    arm_cost_per_period: Any = None,
    seed: int = 0,
    events: dict | None = None,
    command: str = "",
    progress: Progress | None = None,
    say: Callable[[str], None] | None = None,
    timeout: float = 600,
) -> ReportResult:
    """Validate the input, run the report notebook and export it to ``out``.

    Give either ``input_path`` (CSV or Parquet) or ``dataset`` (a key of :data:`DATASETS`,
    whose defaults fill every option not given). Options mirror ``churnsurv report --help``.

    Parameters
    ----------
    out : path-like
        Output folder (created; see :mod:`churnsurv.report.output`). Checked before anything
        runs, locked while the report is made, written through a temporary folder and moved
        into place only when complete. Files the previous report listed in its manifest are
        replaced or removed; no other file is touched.
    input_path, dataset
        The data: a file (CSV-like text, Parquet or Excel: :func:`~churnsurv.report.io.read_table`),
        or a bundled data set name.
    sep : str, optional
        Delimiter of a text file (``","``, ``";"``, ``"tab"``, ``"|"``); default: sniffed.
    max_excluded : float, default 0.05
        Stop (``DataValidationError``, nothing runs) when validation would exclude more than
        this share of the rows.
    duration, event, event_value, id_col, start_date, end_date, cutoff, time_unit, margin
        As in :func:`churnsurv.prepare` (``id_col`` is its ``id``); rows that break a rule are
        excluded and reported. ``event_value`` given as text is converted to the column's type
        (:func:`coerce_event_value`).
    date_format : str, optional
        Format of text dates and of ``cutoff`` (``prepare(date_format=)``), e.g. ``"%d/%m/%Y"``.
    by : list of str, optional
        Segment columns: one set of Kaplan–Meier curves, log-rank tests and rates per column.
        A column with more than 20 levels is refused (bin it with ``bins``).
    bins : int, optional
        Numeric ``by`` columns with more distinct values are compared in this many quantile
        bins (:func:`~churnsurv.report.io.bin_segments`).
    formula : str, optional
        Right-hand side of the Cox model, e.g. ``"Contract + MonthlyCharges"``.
    reason : str, optional
        Column of churn reasons (``prepare(reason=...)``): adds the section "Why customers
        leave" (cumulative incidence by reason overall and per segment, Gray's tests, value
        lost by reason over the ``within`` window).
    annual_discount_rate : float
        CLV discounting: an annual fraction, greater than -1 and at most 1 (0.10 = 10% a year).
    horizon : int, optional
        CLV horizon, in time units: a whole number from 1 to 10,000; default five years, cut
        to the shortest segment follow-up.
    clv_tail : {"sbg", "weibull", "lognormal", "loglogistic", "none"}, default "sbg"
        How retention continues past the follow-up for CLV and value at risk (the model is
        fitted to all customers); ``"none"`` cuts the CLV horizon to the follow-up and skips
        value at risk, which needs a tail.
    entry : str, optional
        Column of entry times (tenure when the customer entered the data): left truncation,
        as in :func:`churnsurv.prepare`. Without it (and without dates) the report warns that a
        snapshot under-counts early churn.
    within : int
        Value at risk: churn probability within this many time units (1 to 10,000).
    top_n : int
        Customers listed in the value-at-risk table (at least 1).
    min_cox_events : int, default 10
        Fewer churn events than this skip the Cox model (with a note in the report).
    offer_cost, success_rate : float
        Early warning: the cost of one retention offer (default: the median margin of one
        time unit) and the chance it keeps a customer who would churn (default 0.25); they set
        the list size that maximises expected net value (:func:`churnsurv.profit_threshold`).
    n_boot : int, default 30
        Bootstrap resamples: the intervals of the call list's churn probabilities (the model
        refitted each time) and of the experiment's net values.
    arm : str, optional
        Column with the two arms of a retention experiment: adds the section "Experiment"
        (:func:`churnsurv.compare_arms`).
    arm_cost, arm_cost_per_period : float, dict or list of str, optional
        The campaign's cost per enrolled customer (once) and per period while active: one
        amount for every arm, a mapping arm -> amount, or ``["ARM=AMOUNT", ...]`` as on the
        command line; with a margin or a cost the experiment values each arm net of it.
    seed : int
        Seeds numpy in the notebook (0 to 2**32 - 1); the same input, options and seed give the
        same tables.
    events : dict, optional
        ``input_path`` is an activity log (``--events``): ``customer_id``, ``timestamp``,
        ``inactivity``, ``churn_time``, ``amount``, ``segments``, with ``cutoff``; the churn
        table is computed in DuckDB (:mod:`churnsurv.report.events`) and the report runs on it.
    command : str
        The command line, shown in the report's footer.
    progress : callable, optional
        ``progress(done, total, seconds, section)`` after each code cell.
    say : callable, optional
        ``say(line)`` with what was read (format, delimiter) and excluded, before the notebook
        runs.
    timeout : float
        Seconds allowed per cell.

    Returns
    -------
    ReportResult

    Raises
    ------
    DataValidationError
        Bad options or input (unreadable file, unknown column, event value never seen, ...),
        before anything runs. Options are checked first, by the library's own rules
        (``churnsurv._validation``: the ones :func:`churnsurv.clv`, :func:`churnsurv.prepare`,
        ... apply), and named as on the command line (``--horizon=0 must be ...``).
    ReportExecutionError
        The notebook failed outside the parts that fail alone (a part that fails becomes a
        note and is listed in ``ReportResult.failed``); the partial notebook is kept as
        ``report-failed.ipynb`` and the previous report is left as it was.

    Examples
    --------
    >>> result = run_report("report", dataset="telco", seed=0)  # doctest: +SKIP
    >>> result.html  # doctest: +SKIP
    PosixPath('report/report.html')
    """
    started = time.perf_counter()
    if (input_path is None) == (dataset is None):
        raise DataValidationError(
            "give a customer file (CSV or Parquet) or --dataset NAME (not both).",
            rule="no input",
        )
    defaults: dict = {}
    if dataset is not None:
        check_choice("--dataset", dataset, sorted(DATASETS))
        defaults = DATASETS[dataset]
    given: dict[str, Any] = dict(
        duration=duration,
        entry=entry,
        event=event,
        event_value=event_value,
        id_col=id_col,
        start_date=start_date,
        end_date=end_date,
        cutoff=cutoff,
        date_format=date_format,
        time_unit=time_unit,
        by=list(by) if by else None,
        formula=formula,
        margin=margin,
        reason=reason,
        arm=arm,
    )
    if start_date is not None and dataset is not None:
        defaults = {k: v for k, v in defaults.items() if k != "duration"}
    params = {k: (v if v is not None else defaults.get(k)) for k, v in given.items()}
    params["time_unit"] = "month" if params["time_unit"] is None else params["time_unit"]
    params["by"] = list(params["by"] or [])
    params.update(
        annual_discount_rate=annual_discount_rate,
        horizon=horizon,
        clv_tail=clv_tail,
        within=within,
        top_n=top_n,
        min_cox_events=min_cox_events,
        offer_cost=offer_cost,
        success_rate=success_rate,
        n_boot=n_boot,
        arm_cost=arm_cost,
        arm_cost_per_period=arm_cost_per_period,
        seed=seed,
        command=command,
        sep=sep,
        bins=bins,
    )
    if events is not None:
        events = event_options(events, params, input_path=input_path, dataset=dataset)
    check_options(params)
    max_excluded = check_fraction(max_excluded, name="--max-excluded")
    out = check_out(out, input_path=input_path)
    kernel = _EarlyKernel.start()  # starts and imports while the input is read and checked
    try:
        return _report(
            params,
            out,
            input_path,
            dataset,
            events,
            max_excluded,
            kernel,
            started,
            progress=progress,
            say=say,
            timeout=timeout,
        )
    finally:
        if kernel is not None:
            kernel.stop()


def _report(
    params: dict[str, Any],
    out: Path,
    input_path: str | os.PathLike | None,
    dataset: str | None,
    events: dict | None,
    max_excluded: float,
    kernel: _EarlyKernel | None,
    started: float,
    *,
    progress: Progress | None,
    say: Callable[[str], None] | None,
    timeout: float,
) -> ReportResult:
    """:func:`run_report` once the options are checked and the kernel is starting."""
    parsed = None  # the Arrow table pyarrow parsed a text file into, handed to the notebook
    if events is not None:  # the log stays in DuckDB; the churn table (one row per customer)
        raw, facts = compute_churn_table(events, max_excluded)
        source = f"event log {Path(events['log']).name} ({facts['rows_in']:,} rows), churn table"
    elif input_path is None:
        raw, source, sha256 = read_input(None, dataset)
    else:  # text ids held by pyarrow; the parse is kept for the notebook
        raw, source, sha256, parsed = read_input_parsed(
            input_path,
            id_col=params["id_col"],
            sep=params["sep"],
            categorical=label_columns(params["by"] or [], params["event"], params["formula"]),
            arrow_ids=True,
            keep_arrow=True,
        )
    params.update(
        input_path=None if input_path is None else str(Path(input_path).resolve()),
        dataset=dataset,
        events=events,
    )
    if events is not None:
        params["input_path"] = CHURN_TABLE  # written beside the notebook, below
    if params["event"] is not None and params["event"] in raw.columns:
        params["event_value"] = coerce_event_value(raw[params["event"]], params["event_value"])
    said = [f"read {source}: {len(raw):,} rows, {raw.shape[1]} columns."]
    said += check_input(params, raw, max_excluded)

    with output_folder(out) as stage:
        if events is not None:
            write_churn_table(raw, facts, stage)
        elif input_path is not None and Path(input_path).suffix.lower() not in PARQUET_SUFFIXES:
            # the notebook takes the table read here (the file is parsed once)
            parsed_with = {"id_col": params["id_col"], "sep": params["sep"]}
            params["checked_input"] = write_checked_input(
                raw, stage, sha256, table=parsed, parsed_with=parsed_with, source=input_path
            )
        del raw, parsed  # a large table is not held twice
        release_memory()  # nor kept by this process while the notebook runs
        for line in said:
            if say is not None:
                say(line)
        try:
            _execute(params, stage, progress, timeout, kernel)
        except ReportExecutionError as exc:
            exc.notebook = keep_failed_notebook(stage, out)
            raise
        _raise_received()
        export_html(stage / "report.ipynb", stage / "report.html")
        notes, failed = _skipped_notes(stage / "report.ipynb")
        _raise_received()  # the last moment a signal can still leave the old report in place
        files = publish(stage, out)
    return ReportResult(
        out=out,
        html=out / "report.html",
        notebook=out / "report.ipynb",
        tables=[out / f for f in files if f.startswith("tables/")],
        figures=[out / f for f in files if f.startswith("figures/")],
        seconds=time.perf_counter() - started,
        notes=notes,
        failed=failed,
    )
