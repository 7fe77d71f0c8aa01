"""The app's private directory for an export's temporary files (used by qa_app.exports).

openpyxl's write-only sheets keep their rows in temporary files until the workbook is
zipped, and by default it names them `openpyxl.*` in the system's shared temporary
directory. They hold agents' names and evaluators' comments, and a worker killed in the
middle of an export (kill -9, a gunicorn timeout) never deletes them. So each export gets a
directory of its own (mode 0700) inside the app's scratch directory (mode 0700, by default
`instance/scratch`), removed when the export ends or fails; the directories that a killed
process left behind are removed when the app starts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "export-"
# No export runs this long: an older directory is abandoned even when its process id is in
# use again, or it belongs to another machine sharing the instance folder.
STALE_SECONDS = 24 * 3600


def scratch_root(path: str | Path) -> Path:
    """The scratch directory, created private (0700) if missing and made private if not."""
    root = Path(path)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    root.chmod(0o700)
    return root


@contextlib.contextmanager
def export_directory(root: str | Path) -> Iterator[Path]:
    """A new private directory for one export, removed with its files when the block ends."""
    owner = f"{PREFIX}{_host()}-{os.getpid()}-"
    directory = Path(tempfile.mkdtemp(prefix=owner, dir=scratch_root(root)))  # mode 0700
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def sweep(root: str | Path, *, now: float | None = None) -> list[Path]:
    """Remove the export directories whose process has ended; the directories removed."""
    directory = Path(root)
    if not directory.is_dir():
        return []
    removed = []
    moment = time.time() if now is None else now
    for entry in directory.iterdir():
        if entry.name.startswith(PREFIX) and entry.is_dir() and _abandoned(entry, moment):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _abandoned(entry: Path, now: float) -> bool:
    """True when the process that made `entry` is gone, or the directory is a day old."""
    host, _, pid = entry.name[len(PREFIX) :].rpartition("-")[0].rpartition("-")
    if host == _host() and pid.isdigit() and not _running(int(pid)):
        return True
    try:
        return now - entry.stat().st_mtime > STALE_SECONDS
    except FileNotFoundError:
        return False


def _running(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _host() -> str:
    """This machine's name without dashes (they separate the parts of a directory name)."""
    return socket.gethostname().replace("-", "_") or "host"
