"""`backup create` and `backup restore`: SQLite's online backup, PostgreSQL's pg_dump and
pg_restore, the refusals, and the integrity check of the restored database."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app import create_app
from qa_app.extensions import db
from qa_app.maintenance import backup
from qa_app.maintenance.backup import BackupError
from tests.conftest import make_config
from tests.maintenance.maintenance_fixtures import (
    evaluation_scores,
    execute_sql,
    own_sqlite_app,
    run_command,
)


def _dialect(app: Flask) -> str:
    return sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


def _require_pg_tools() -> None:
    """pg_dump and pg_restore must be there: skipped without them, except under CI."""
    try:
        for name in ("pg_dump", "pg_restore"):
            backup._pg_binary(name, None)
    except BackupError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {exc}")
        pytest.skip(str(exc))


@pytest.fixture
def target_url(app: Flask, tmp_path: Path) -> Iterator[str]:
    """An empty scratch database of the app's kind to restore into, dropped afterwards."""
    if _dialect(app) == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    _require_pg_tools()
    source = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"qa_restore_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(source, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def target_app(target_url: str) -> Iterator[Flask]:
    """The app on the scratch database."""
    application = create_app(make_config(target_url))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


TEAM_INSERT = (
    "INSERT INTO team (name, release_mode, created_at) "
    "VALUES ('{name}', 'immediate', '2026-11-01 00:00:00')"
)


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on its own migrated SQLite file, whatever database the suite runs on."""
    with own_sqlite_app(tmp_path / "own.sqlite") as application:
        yield application


def _team_names(app: Flask) -> set[str]:
    with app.app_context():
        names = set(db.session.scalars(sa.text("SELECT name FROM team")))
        db.session.remove()
    return names


def _backup(app: Flask, out: Path) -> None:
    result = run_command(app, "backup", "create", str(out))
    assert result.exit_code == 0, result.output
    assert f"to {out}" in result.output


def test_backup_and_restore_pass_the_integrity_check(
    app: Flask, records: dict[str, int], target_app: Flask, tmp_path: Path
) -> None:
    """A backup restored into an empty database holds the same evaluations, and checks."""
    out = tmp_path / "qa.backup"
    _backup(app, out)
    assert backup.file_kind(out) == _dialect(app)

    result = run_command(target_app, "backup", "restore", str(out), "--yes")

    assert result.exit_code == 0, result.output
    assert "No problems" in result.output
    assert evaluation_scores(target_app) == evaluation_scores(app)
    assert len(evaluation_scores(app)) == 4
    check = run_command(target_app, "integrity", "check")
    assert check.exit_code == 0, check.output
    assert "3 scored evaluations" in check.output


def test_a_tampered_restored_score_is_reported_and_a_second_restore_repairs_it(
    app: Flask, records: dict[str, int], target_app: Flask, tmp_path: Path
) -> None:
    """Restore replaces what is there: a score changed by SQL after a restore is caught by
    the check, and restoring the backup again brings the right score back."""
    out = tmp_path / "qa.backup"
    _backup(app, out)
    assert run_command(target_app, "backup", "restore", str(out), "--yes").exit_code == 0
    released = records["released_id"]
    execute_sql(target_app, "UPDATE evaluation SET score = 12.5 WHERE id = :id", id=released)

    check = run_command(target_app, "integrity", "check")
    assert check.exit_code == 1
    right = {row[0]: row[2] for row in evaluation_scores(app)}[released]
    assert f"evaluation {released}: score stored 12.5, recomputed {right!r}" in check.output
    assert "1 problem found." in check.output

    again = run_command(target_app, "backup", "restore", str(out), "--yes")
    assert again.exit_code == 0, again.output
    assert evaluation_scores(target_app) == evaluation_scores(app)


def test_restore_refuses_without_confirmation(
    app: Flask, records: dict[str, int], tmp_path: Path
) -> None:
    """Without --yes (and no terminal to ask on) nothing is restored."""
    out = tmp_path / "qa.backup"
    _backup(app, out)
    execute_sql(app, "UPDATE evaluation SET score = 1 WHERE id = :id", id=records["released_id"])
    before = evaluation_scores(app)

    result = run_command(app, "backup", "restore", str(out))

    assert result.exit_code == 1
    assert "Nothing was restored: add --yes to confirm." in result.output
    assert evaluation_scores(app) == before


def _foreign_backup(kind: str, path: Path) -> Path:
    """A backup file of the other kind of database than `kind`."""
    if kind == "sqlite":
        path.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
    else:
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE alembic_version (version_num TEXT)")
        connection.commit()
        connection.close()
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("other kind", "backup, but the database is"),
        (b"hello, world\n", "neither a SQLite database nor a pg_dump custom-format file"),
        (b"-- PostgreSQL database dump\nCREATE TABLE x ();\n", "is a plain SQL script"),
        (b"", "neither a SQLite database nor a pg_dump custom-format file"),
    ],
    ids=["other-kind", "text", "plain-sql", "empty"],
)
def test_restore_refuses_a_file_of_the_wrong_kind(
    app: Flask, records: dict[str, int], tmp_path: Path, content: Any, message: str
) -> None:
    """A file that is not a backup of this kind of database is refused, the data untouched."""
    source = tmp_path / "wrong.backup"
    if content == "other kind":
        _foreign_backup(_dialect(app), source)
    else:
        source.write_bytes(content)
    before = evaluation_scores(app)

    result = run_command(app, "backup", "restore", str(source), "--yes")

    assert result.exit_code == 1
    assert message in result.output
    assert "Nothing was restored." in result.output
    assert "Traceback" not in result.output
    assert evaluation_scores(app) == before


def test_restore_refuses_a_sqlite_file_of_another_program(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    """A SQLite database without QA Coach's tables is not restored over ours."""
    execute_sql(sqlite_app, TEAM_INSERT.format(name="Kept"))
    source = tmp_path / "other.sqlite"
    connection = sqlite3.connect(source)
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.commit()
    connection.close()

    result = run_command(sqlite_app, "backup", "restore", str(source), "--yes")

    assert result.exit_code == 1
    assert "is a SQLite database, but not a QA Coach one" in result.output
    assert _team_names(sqlite_app) == {"Kept"}


def test_restore_of_a_missing_file_is_refused(app: Flask, tmp_path: Path) -> None:
    """A mistyped file name gets a clear message."""
    result = run_command(app, "backup", "restore", str(tmp_path / "nope.backup"), "--yes")
    assert result.exit_code == 1
    assert f"No file {tmp_path / 'nope.backup'}" in result.output


def test_backup_into_a_missing_folder_is_refused(app: Flask, tmp_path: Path) -> None:
    """The folder must exist; no half file is left anywhere."""
    result = run_command(app, "backup", "create", str(tmp_path / "no" / "qa.backup"))
    assert result.exit_code == 1
    assert f"No folder {tmp_path / 'no'}" in result.output
    assert list(tmp_path.iterdir()) == []


def test_sqlite_backup_is_consistent_while_another_connection_writes(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    """The online backup copies the committed data while a writer holds the write lock:
    the writer's uncommitted row is not in it, and the writer is not disturbed."""
    execute_sql(sqlite_app, TEAM_INSERT.format(name="Committed"))
    database = sa.make_url(sqlite_app.config["SQLALCHEMY_DATABASE_URI"]).database
    writer = sqlite3.connect(database, isolation_level=None)
    out = tmp_path / "online.backup"
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(TEAM_INSERT.format(name="Uncommitted"))
        _backup(sqlite_app, out)
        writer.execute("COMMIT")
    finally:
        writer.close()

    copy = sqlite3.connect(out)
    teams = {name for (name,) in copy.execute("SELECT name FROM team")}
    journal = copy.execute("PRAGMA journal_mode").fetchone()[0]
    copy.close()
    assert teams == {"Committed"}
    assert _team_names(sqlite_app) == {"Committed", "Uncommitted"}
    assert journal == "delete"  # one self-contained file, no -wal beside it


def test_postgres_tools_get_the_password_only_through_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """pg_dump's command line never holds the password; libpq reads PGPASSWORD."""
    calls: list[tuple[list[str], dict[str, str]]] = []

    class Done:
        returncode, stdout, stderr = 0, "", ""

    def fake_run(arguments: list[str], env: dict[str, str], **_: Any) -> Done:
        calls.append((arguments, env))
        Path(arguments[arguments.index("--file") + 1]).write_bytes(b"PGDMP")
        return Done()

    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    monkeypatch.setattr(backup, "_server_major", lambda url: None)
    monkeypatch.setattr(backup, "_pg_binary", lambda name, major: f"/bin/{name}")
    monkeypatch.setenv("PGPASSWORD", "inherited")
    url = sa.make_url("postgresql+psycopg://qa:s3cret%20pw@db.internal:6543/qa_coach")

    made = backup.create_backup(url, tmp_path / "qa.dump")

    ((arguments, env),) = calls
    assert made.kind == "postgresql"
    assert not any("s3cret" in argument for argument in arguments)
    assert arguments[:2] == ["/bin/pg_dump", "--format=custom"]
    assert env["PGPASSWORD"] == "s3cret pw"
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"]) == (
        "db.internal",
        "6543",
        "qa",
        "qa_coach",
    )


def test_sqlite_backup_and_restore_with_odd_characters_in_the_file_name(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    """ "?", "#" and "%" in a path are part of the file name, not of a URI's query."""
    execute_sql(sqlite_app, TEAM_INSERT.format(name="Before"))
    out = tmp_path / "odd ?#% name.backup"
    _backup(sqlite_app, out)
    execute_sql(sqlite_app, "DELETE FROM team")

    result = run_command(sqlite_app, "backup", "restore", str(out), "--yes")

    assert result.exit_code == 0, result.output
    assert _team_names(sqlite_app) == {"Before"}


def test_restore_into_a_folder_that_does_not_exist_is_a_clear_error(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    """SQLite's own errors come back as a message, not a traceback."""
    out = tmp_path / "qa.backup"
    _backup(sqlite_app, out)
    nowhere = create_app(make_config(f"sqlite:///{tmp_path / 'missing' / 'qa.sqlite'}"))

    result = run_command(nowhere, "backup", "restore", str(out), "--yes")

    assert result.exit_code == 1
    assert "SQLite: unable to open database file. Nothing was restored." in result.output


def test_a_backup_in_steps_reports_its_pages_and_copies_one_snapshot_under_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web's backup reports SQLite's pages as it copies them. Another connection writes
    between every two steps (SQLite restarts a stepped copy whose source changed, for ever
    under steady writes): the copy still ends, counts only upwards, and holds the database
    as it was when it began."""
    source = tmp_path / "live.sqlite"
    writer = sqlite3.connect(source)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("CREATE TABLE note (body BLOB)")
    writer.executemany("INSERT INTO note VALUES (?)", [(os.urandom(400),) for _ in range(2000)])
    writer.commit()
    monkeypatch.setattr(backup, "PAGES_PER_STEP", 16)
    seen: list[tuple[int, int]] = []

    def progress(copied: int, total: int) -> None:
        seen.append((copied, total))
        if len(seen) > 500:
            raise RuntimeError("the copy keeps starting over")
        writer.execute("INSERT INTO note VALUES (x'00')")
        writer.commit()

    out = tmp_path / "copy.sqlite"
    try:
        backup.create_backup(sa.make_url(f"sqlite:///{source}"), out, progress)
    finally:
        writer.close()
    copied = [step[0] for step in seen]
    assert len(seen) > 10
    assert copied == sorted(copied)
    assert seen[-1][0] == seen[-1][1]
    connection = sqlite3.connect(out)
    try:
        assert connection.execute("SELECT count(*) FROM note").fetchone() == (2000,)
    finally:
        connection.close()
