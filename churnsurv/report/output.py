"""The output folder of ``churnsurv report``: checked first, locked, written whole or not at all.

What the report does with ``--out DIR``:

* **Checked before anything runs** (:func:`check_out`): ``DIR`` must be a folder or a path where
  one can be made, writable, must not contain the input file, and its ``tables`` and ``figures``
  must be real folders (not links out of ``DIR``). Any problem is one
  :class:`~churnsurv.exceptions.DataValidationError` (one line, exit status 2).
* **Locked** while the report is made (:func:`output_folder`): a second run writing to the same
  folder stops at once, exit status 2. The lock is ``DIR/.churnsurv-report.lock`` (an OS file
  lock, released when the process ends, even if it is killed).
* **Written into a temporary folder** ``DIR/.churnsurv-partial-*`` and moved into place only when
  complete (:func:`publish`); an interrupted or killed run leaves the previous report as it was
  (plus, after a kill, the hidden partial folder, which the next run removes).
* **Only files this tool wrote are ever removed.** ``DIR/.churnsurv-report.json`` (the manifest)
  lists the files of the last report; the next run removes those it does not write again and
  nothing else. Other files in ``DIR``, ``DIR/tables`` and ``DIR/figures`` are never touched,
  except ``report.html``, ``report.ipynb``, ``report-failed.ipynb`` and tables and figures with the
  names the report writes, which are replaced. The manifest's ``"complete": false`` marks a run
  that was killed while moving files into place.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from churnsurv.exceptions import DataValidationError

__all__ = [
    "FAILED_NOTEBOOK",
    "LOCK",
    "MANIFEST",
    "PARTIAL_PREFIX",
    "check_out",
    "keep_failed_notebook",
    "output_folder",
    "publish",
    "read_manifest",
]

MANIFEST = ".churnsurv-report.json"
LOCK = ".churnsurv-report.lock"
PARTIAL_PREFIX = ".churnsurv-partial-"
#: Inside a partial folder: marks it as made by this tool (only such folders are removed).
_PARTIAL_MARK = ".churnsurv-partial"
#: The notebook of a run that failed, kept for inspection beside the previous report.
FAILED_NOTEBOOK = "report-failed.ipynb"
_FOLDERS = ("tables", "figures")
#: The only paths (relative to --out) this tool writes, and so the only ones it may remove.
_OWN = re.compile(
    r"^(report\.html|report\.ipynb|report-failed\.ipynb|tables/[^/]+\.(csv|parquet)"
    r"|figures/[^/]+\.png)$"
)


def _bad_out(out: Path, why: str) -> DataValidationError:
    return DataValidationError(f"--out {str(out)!r}: {why}", column="--out", rule="bad --out")


def check_out(out: str | os.PathLike, *, input_path: str | os.PathLike | None = None) -> Path:
    """Check ``--out`` before anything runs, writing nothing; return it as an absolute path.

    Parameters
    ----------
    out : str or path-like
        The output folder (it need not exist yet).
    input_path : str or path-like, optional
        The input file, which must not lie inside ``out``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataValidationError
        With rule ``"bad --out"``: ``out`` is a file, lies below a file, cannot be written (no
        permission, read-only), contains the input, or its ``tables``/``figures`` is a link or
        a file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "notes.txt").write_text("mine")
    ...     check_out(Path(tmp, "notes.txt", "report"))
    Traceback (most recent call last):
    ...
    churnsurv.exceptions.DataValidationError: --out ...: ... is a file, so no folder can be made ...
    """
    given = Path(out).expanduser()
    path = Path(os.path.abspath(given))
    if path.exists() and not path.is_dir():
        raise _bad_out(given, "it is a file, not a folder.")
    existing = path
    while not existing.exists() and not existing.is_symlink():
        existing = existing.parent
    if existing != path and not existing.is_dir():
        raise _bad_out(given, f"{str(existing)!r} is a file, so no folder can be made below it.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _bad_out(given, f"no permission to write in {str(existing)!r} (or it is read-only).")
    path = path.resolve()
    if input_path is not None:
        source = Path(input_path).expanduser().resolve()
        if path == source or path in source.parents:
            raise _bad_out(
                given,
                f"it contains the input file {str(input_path)!r}; the report writes and replaces "
                "files there. Choose a folder that does not hold the input.",
            )
    for name in _FOLDERS:
        inner = path / name
        if inner.is_symlink():
            raise _bad_out(
                given,
                f"{name}/ is a symbolic link; the report writes only inside --out and does not "
                "follow links. Remove the link or choose another folder.",
            )
        if inner.exists() and not inner.is_dir():
            raise _bad_out(given, f"{name} is a file; the report needs a folder of that name.")
        if inner.is_dir() and not os.access(inner, os.W_OK | os.X_OK):
            raise _bad_out(given, f"no permission to write in {name}/.")
    for name in ("report.html", "report.ipynb", FAILED_NOTEBOOK):
        if (path / name).is_dir() and not (path / name).is_symlink():
            raise _bad_out(given, f"{name} is a folder; the report writes a file of that name.")
    return path


# --------------------------------------------------------------------------------------------
# the lock
# --------------------------------------------------------------------------------------------
def _try_lock(handle) -> bool:
    """Take an exclusive lock on an open file without waiting; False if another process has it."""
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def output_folder(out: Path) -> Iterator[Path]:
    """Create and lock ``out``, and yield a fresh partial folder inside it (removed on exit).

    Partial folders that a killed run left behind are removed first.

    Raises
    ------
    DataValidationError
        ``out`` cannot be created, or another run holds its lock.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle = open(out / LOCK, "a+b")  # noqa: SIM115 -- held open for the lock's lifetime
    except OSError as exc:
        raise _bad_out(out, f"cannot write there ({exc.strerror or exc}).") from None
    try:
        if not _try_lock(handle):
            raise _bad_out(
                out,
                "another churnsurv report is writing to this folder right now; wait for it to "
                "finish or choose another folder.",
            )
        for stale in out.glob(PARTIAL_PREFIX + "*"):
            if stale.is_dir() and not stale.is_symlink() and (stale / _PARTIAL_MARK).is_file():
                shutil.rmtree(stale)
        stage = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=out))
        (stage / _PARTIAL_MARK).write_text("a churnsurv report in the making\n")
        try:
            yield stage
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    finally:
        handle.close()  # releases the lock


# --------------------------------------------------------------------------------------------
# the manifest and moving files into place
# --------------------------------------------------------------------------------------------
def read_manifest(out: Path) -> tuple[list[str], bool]:
    """The files (relative to ``out``) the last report listed as its own, and whether it
    finished moving them into place; ``([], True)`` without a manifest.

    Entries that are not paths this tool writes (``report.html``, ``tables/x.csv``, ...) are
    ignored, so an edited manifest cannot make the tool remove anything else.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, MANIFEST).write_text('{"complete": true, "files": '
    ...                                        '["tables/a.csv", "../secret.csv", "/etc/x"]}')
    ...     read_manifest(Path(tmp))
    (['tables/a.csv'], True)
    """
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        files, complete = manifest.get("files", []), manifest.get("complete", False)
    except FileNotFoundError:
        return [], True
    except (OSError, ValueError, AttributeError):
        return [], False
    own = sorted({f for f in files if isinstance(f, str) and _OWN.match(f) and ".." not in f})
    return own, complete is True


def _write_manifest(out: Path, files: list[str], *, complete: bool) -> None:
    from churnsurv import __version__

    text = json.dumps(
        {
            "written_by": f"churnsurv {__version__} (churnsurv report)",
            "complete": complete,
            "files": sorted(files),
        },
        indent=1,
    )
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, out / MANIFEST)


def _remove_own(out: Path, relative: str) -> None:
    """Remove one file this tool wrote, never through a link out of ``out``."""
    path = out / relative
    folder = path.parent
    if folder != out and (folder.is_symlink() or not folder.is_dir()):
        return
    if path.is_symlink() or path.is_file():
        path.unlink()


def _made(stage: Path) -> list[str]:
    """The report's files in the partial folder, relative to it."""
    files = [p for p in ("report.html", "report.ipynb") if (stage / p).is_file()]
    for folder, pattern in (("tables", "*.csv"), ("tables", "*.parquet"), ("figures", "*.png")):
        files += [f"{folder}/{p.name}" for p in sorted((stage / folder).glob(pattern))]
    return files


def publish(stage: Path, out: Path) -> list[str]:
    """Move the finished report from ``stage`` into ``out``; return its files, sorted.

    The files of the previous report (its manifest) that this one does not write are removed,
    and nothing else; while files move, the manifest says ``"complete": false``.
    """
    old, new = read_manifest(out)[0], _made(stage)
    _write_manifest(out, sorted(set(old) | set(new)), complete=False)
    for relative in sorted(set(old) - set(new)):
        _remove_own(out, relative)
    for name in _FOLDERS:
        if (out / name).is_symlink():  # made since check_out: still never followed
            raise _bad_out(out, f"{name}/ became a symbolic link while the report ran.")
        (out / name).mkdir(exist_ok=True)
    for relative in new:
        os.replace(stage / relative, out / relative)
    _write_manifest(out, new, complete=True)
    return sorted(new)


def keep_failed_notebook(stage: Path, out: Path) -> Path:
    """Move the notebook of a failed run to ``out/report-failed.ipynb``; the report stays."""
    target = out / FAILED_NOTEBOOK
    if (stage / "report.ipynb").is_file():
        os.replace(stage / "report.ipynb", target)
        old, complete = read_manifest(out)
        if FAILED_NOTEBOOK not in old:
            _write_manifest(out, [*old, FAILED_NOTEBOOK], complete=complete)
    return target
