"""Back up the database to one file and restore it: SQLite through its online backup API,
PostgreSQL through `pg_dump -Fc` and `pg_restore`.

No Flask here: the functions take the database URL, so the command line and the tests call
them alike. A backup is written beside its target and renamed at the end, so a failed run
never leaves a half file under the name asked for.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
# A table every QA Coach database has: a SQLite file without it is some other program's.
MARKER_TABLE = "alembic_version"
# SQLite pages copied per step when progress is reported (4 MiB with the default page size).
PAGES_PER_STEP = 1024

# Told how many of the source's pages are copied so far, and how many there are in all.
PageProgress = Callable[[int, int], None]


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupFile:
    """What a backup file holds: `kind` is "sqlite" or "postgresql"."""

    path: Path
    kind: str
    size: int


def file_kind(path: Path) -> str:
    """Tell a SQLite backup from a PostgreSQL custom-format dump by its first bytes."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}.") from exc
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    if head.lstrip().startswith(b"--"):
        raise BackupError(
            f"{path} is a plain SQL script, not a backup made by `backup create` "
            "(a PostgreSQL backup is a pg_dump custom-format file, -Fc)."
        )
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump custom-format file.")


def create_backup(url: sa.URL, out: Path, progress: PageProgress | None = None) -> BackupFile:
    """Write a consistent copy of the database at `url` to `out`; safe while the app runs.
    `progress` hears of SQLite's pages as they are copied (pg_dump tells no progress)."""
    kind = _kind(url)
    if not out.parent.is_dir():
        raise BackupError(f"No folder {out.parent}.")
    with _written_atomically(out) as partial:
        if kind == "sqlite":
            with _sqlite_errors():
                _sqlite_backup(_sqlite_path(url), partial, progress)
        else:
            _run_pg("pg_dump", url, ["--format=custom", "--file", str(partial)])
    return BackupFile(out, kind, out.stat().st_size)


def restore_backup(url: sa.URL, source: Path) -> BackupFile:
    """Replace the contents of the database at `url` with the backup `source`.

    The file must be of the database's own kind. SQLite is overwritten page by page under
    one lock; PostgreSQL restores in one transaction: either way all or nothing.
    """
    kind = _kind(url)
    found = file_kind(source)
    if found != kind:
        raise BackupError(
            f"{source} is a {_title(found)} backup, but the database is {_title(kind)}: "
            f"restore it into a {_title(found)} database."
        )
    if kind == "sqlite":
        _check_sqlite_backup(source)
        with _sqlite_errors():
            _sqlite_restore(source, _sqlite_path(url))
    else:
        _run_pg("pg_restore", url, ["--list", str(source)], database=False)
        _run_pg(
            "pg_restore",
            url,
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                # Only the name: host, user and password reach libpq through its environment.
                f"--dbname={url.database}",
                str(source),
            ],
        )
    return BackupFile(source, kind, source.stat().st_size)


def _kind(url: sa.URL) -> str:
    name = url.get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


def _title(kind: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[kind]


@contextlib.contextmanager
def _written_atomically(out: Path) -> Iterator[Path]:
    partial = out.with_name(f".{out.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        yield partial
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


# SQLite -------------------------------------------------------------------------------------


def _sqlite_path(url: sa.URL) -> Path:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("Only a SQLite database in a file can be backed up or restored.")
    return Path(database)


@contextlib.contextmanager
def _sqlite_errors() -> Iterator[None]:
    """SQLite's own errors (a locked, unwritable or missing file) as a BackupError."""
    try:
        yield
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite: {exc}.") from exc


def _read_only(path: Path) -> sqlite3.Connection:
    # A file: URI, percent-encoded, so that "?", "#" or "%" in a path stay part of it.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _sqlite_backup(database: Path, out: Path, progress: PageProgress | None = None) -> None:
    if not database.is_file():
        raise BackupError(f"No SQLite database at {database}.")
    source = _read_only(database)
    target = sqlite3.connect(out)
    try:
        if progress is None:
            # The backup API copies a consistent snapshot while other connections keep writing.
            source.backup(target)
        else:
            _sqlite_backup_in_steps(source, target, progress)
        # One self-contained file: no -wal or -shm beside it needed to open it.
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
        source.close()


def _sqlite_backup_in_steps(
    source: sqlite3.Connection, target: sqlite3.Connection, progress: PageProgress
) -> None:
    """Copy in steps of PAGES_PER_STEP pages, reporting each, from one snapshot.

    Between two steps SQLite restarts a copy whose source another connection changed, so
    under steady writes a copy in steps would never end. The source's read transaction,
    held across the steps, pins its snapshot (WAL: writers go on; the copy is what the
    database held when it began, as the one-step copy is)."""
    source.execute("BEGIN")
    try:
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        source.backup(
            target,
            pages=PAGES_PER_STEP,
            progress=lambda _status, remaining, total: progress(total - remaining, total),
        )
    finally:
        source.rollback()


def _check_sqlite_backup(source: Path) -> None:
    connection = _read_only(source)
    try:
        problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise BackupError(f"{source} is damaged: {'; '.join(problems[:3])}.")
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MARKER_TABLE,)
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} cannot be read as a SQLite database: {exc}.") from exc
    finally:
        connection.close()
    if found is None:
        raise BackupError(f"{source} is a SQLite database, but not a QA Coach one.")


def _sqlite_restore(source: Path, database: Path) -> None:
    reader = _read_only(source)
    target = sqlite3.connect(database, timeout=30)
    try:
        # Copied into the live file under its write lock: other connections wait, then see
        # the restored data (the same page-by-page copy as the backup, the other way round).
        reader.backup(target)
        target.execute("PRAGMA journal_mode = WAL")
    finally:
        target.close()
        reader.close()


# PostgreSQL ---------------------------------------------------------------------------------


def _pg_environment(url: sa.URL, *, database: bool = True) -> dict[str, str]:
    """libpq's environment for `url`: the password never appears on a command line."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    settings = {
        "PGHOST": url.host or url.query.get("host"),
        "PGPORT": str(url.port) if url.port else url.query.get("port"),
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database if database else None,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    env.update({key: str(value) for key, value in settings.items() if value})
    return env


def _pg_binary(name: str, major: int | None) -> str:
    """The server's own major version of the tool if installed, else PATH, else the newest."""
    installed = sorted(
        Path("/").glob(PG_BIN_GLOB.lstrip("/")),
        key=lambda path: int(re.sub(r"\D", "", path.parent.name) or 0),
    )
    candidates = [path / name for path in installed if path.parent.name == str(major)]
    on_path = shutil.which(name)
    candidates += [Path(on_path)] if on_path else []
    candidates += [path / name for path in reversed(installed)]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(
        f"{name} was not found on PATH or in {PG_BIN_GLOB}: install the PostgreSQL client "
        "tools (Debian: apt-get install postgresql-client)."
    )


def _server_major(url: sa.URL) -> int | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def _run_pg(name: str, url: sa.URL, arguments: list[str], *, database: bool = True) -> None:
    binary = _pg_binary(name, _server_major(url) if database else None)
    result = subprocess.run(  # noqa: S603 - fixed program, arguments of our own
        [binary, *arguments],
        env=_pg_environment(url, database=database),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{name} failed: " + " ".join(detail[-3:]))
