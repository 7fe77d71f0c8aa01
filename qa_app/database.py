"""Engine set-up and column types shared by every model.

SQLite gets WAL, a busy timeout, foreign keys, and transactions that SQLAlchemy begins
itself (the pysqlite recipe in SQLAlchemy's SQLite dialect documentation). Requests that may
write begin with `BEGIN IMMEDIATE`, so two gunicorn workers queue on the write lock instead
of one failing with "database is locked" when it upgrades a read transaction.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeAlias

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, scoped_session

# GET and friends never change state (see README, "Security"), so they need no write lock.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BULK_CHUNK = 5000  # rows per executemany in `bulk_insert`
# Set inside `snapshot_read`: a long read in a POST request or a CLI command.
_READING_ONLY: ContextVar[bool] = ContextVar("reading_only", default=False)
# A session, or Flask-SQLAlchemy's `db.session`, which proxies it for the current context.
DatabaseSession: TypeAlias = Session | scoped_session[Any]


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (a callable column default)."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime, stored as UTC on every database and read back aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _sqlite_begin_statement() -> str:
    if _READING_ONLY.get() or (has_request_context() and request.method in READ_ONLY_METHODS):
        return "BEGIN"
    return "BEGIN IMMEDIATE"


@contextmanager
def snapshot_read(session: DatabaseSession) -> Iterator[None]:
    """Run a long read (an export) in one consistent snapshot that blocks no writer.

    The session's open transaction is committed first. Inside, SQLite begins a plain
    (deferred) transaction even in a POST request or a CLI command, so other users' saves do
    not queue behind the export's write lock; PostgreSQL reads at REPEATABLE READ, so every
    query of the export sees the same data. The read transaction is rolled back at the end.
    """
    session.commit()
    token = _READING_ONLY.set(True)
    try:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield
    finally:
        session.rollback()
        _READING_ONLY.reset(token)


# SQLite's result codes (sqlite3.Error.sqlite_errorcode & 0xFF) and PostgreSQL's SQLSTATEs
# for "the database cannot save": full disk, read-only, I/O failure.
_SQLITE_UNWRITABLE = {8: "read-only", 10: "I/O error", 13: "full"}
_POSTGRESQL_UNWRITABLE = {"25006": "read-only", "53100": "full", "58030": "I/O error"}


def storage_failure(error: BaseException) -> str | None:
    """Why `error` means nothing can be saved ("full", "read-only", "I/O error"), or None.

    Covers the database's own refusals (SQLite SQLITE_FULL/READONLY/IOERR, PostgreSQL
    disk_full, read_only_sql_transaction, io_error) and a full disk under a file the app
    writes (an export's temporary files).
    """
    if isinstance(error, sa.exc.DBAPIError):
        original = error.orig
        code = getattr(original, "sqlite_errorcode", None)
        if isinstance(code, int):
            return _SQLITE_UNWRITABLE.get(code & 0xFF)
        return _POSTGRESQL_UNWRITABLE.get(getattr(original, "sqlstate", None) or "")
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "full"
    if isinstance(error, OSError) and error.errno == errno.EROFS:
        return "read-only"
    return None


def serialise(session: DatabaseSession, name: str) -> None:
    """Queue this transaction behind any other holding the lock `name`, until it ends.

    For writers that read before they write (an import replacing agent-days, skipping
    interactions already stored): two at once would both miss the other's rows. PostgreSQL
    takes a transaction-scoped advisory lock; SQLite writers are already queued by
    `BEGIN IMMEDIATE`.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


UNICODE_LOWER = "unicode_lower"


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class lowercase(sa.sql.expression.FunctionElement[str]):  # noqa: N801  (an SQL function)
    """lower(text) that folds every alphabet on every database: PostgreSQL's lower() (by
    the database's character type), and on SQLite the Python function registered on connect."""

    type = sa.String()
    inherit_cache = True


@compiles(lowercase)
def _lowercase(element: lowercase, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(lowercase, "sqlite")
def _lowercase_on_sqlite(element: lowercase, compiler: Any, **kw: Any) -> str:
    return f"{UNICODE_LOWER}({compiler.process(element.clauses, **kw)})"


def configure_engine(engine: sa.Engine, busy_timeout_ms: int) -> None:
    """Attach the per-dialect connection settings to an engine."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite would defer it until the first write).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # SQLite's own lower() folds ASCII only; searches fold "Ü" as PostgreSQL does.
        dbapi_connection.create_function(UNICODE_LOWER, 1, _unicode_lower, deterministic=True)
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql(_sqlite_begin_statement())


def bulk_insert(
    session: DatabaseSession, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert `rows` (values in `columns` order) in the session's transaction, through the
    driver: `COPY` on PostgreSQL, `executemany` of plain tuples on SQLite. For a large load
    this skips SQLAlchemy's per-row parameter handling; each column's own bind conversion
    (dates, UTC times) is still applied, remembered per distinct value, but Python-side
    column defaults are not: give every column that has one. Returns the count."""
    session.flush()  # the session's pending changes go first, as with any statement
    dialect = session.get_bind().dialect
    convert = [
        (index, to)
        for index, name in enumerate(columns)
        if (to := _bind_converter(table.c[name].type, dialect)) is not None
    ]

    def converted_rows() -> Iterator[Sequence[Any]]:
        for row in rows:
            row = list(row)
            for index, to in convert:
                row[index] = to(row[index])
            yield row

    converted = converted_rows() if convert else iter(rows)
    driver = session.connection().connection.driver_connection
    # None only once a connection is invalidated; the session's own one is live.
    assert driver is not None
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
    target = dialect.identifier_preparer.format_table(table)
    count = 0
    if dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {target} ({quoted}) FROM STDIN") as copy:
            for row in converted:
                copy.write_row(row)
                count += 1
        return count
    marks = ", ".join("?" for _ in columns)
    # Only the table's own names, quoted by the dialect, go into the statement.
    statement = f"INSERT INTO {target} ({quoted}) VALUES ({marks})"  # noqa: S608
    cursor = driver.cursor()
    try:
        while chunk := list(itertools.islice(converted, BULK_CHUNK)):
            cursor.executemany(statement, chunk)
            count += len(chunk)
    finally:
        cursor.close()
    return count


def _bind_converter(
    column_type: sa.types.TypeEngine[Any], dialect: sa.Dialect
) -> Callable[[Any], Any] | None:
    """The column type's bind conversion on this dialect (None when values pass as they are)."""
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    return None if process is None else functools.lru_cache(maxsize=4096)(process)
