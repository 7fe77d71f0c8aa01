"""Engine settings: SQLite pragmas and immediate write transactions; UTC timestamps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app import create_app
from qa_app.audit.models import AuditEvent, AuditEventImmutable
from qa_app.auth.models import Role, User
from qa_app.database import UTCDateTime, bulk_insert
from qa_app.extensions import db
from qa_app.stats.models import TOTAL_COLUMNS, AgentDailyStat
from tests.conftest import make_config


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on its own SQLite file, whatever database the suite runs on."""
    app = create_app(make_config(f"sqlite:///{tmp_path / 'engine.sqlite'}"))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_sqlite_pragmas(sqlite_app: Flask) -> None:
    app = sqlite_app
    with app.app_context(), db.engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]


def test_foreign_keys_are_enforced(app: Flask, app_context: None) -> None:
    db.session.add(
        User(
            email="x@example.test",
            display_name="X",
            role=Role.AGENT,
            password_hash="x",
            team_id=999,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_role_is_checked_by_the_database(app: Flask, app_context: None) -> None:
    db.session.add(User(email="x@example.test", display_name="X", role="owner", password_hash="x"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_write_transactions_begin_immediately(sqlite_app: Flask) -> None:
    app = sqlite_app
    statements: list[str] = []
    with app.app_context():
        sa.event.listen(
            db.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
        )
        with app.test_request_context("/", method="POST"):
            db.session.execute(sa.select(1))
            db.session.rollback()
        with app.test_request_context("/", method="GET"):
            db.session.execute(sa.select(1))
            db.session.rollback()
        db.session.execute(sa.select(1))  # a CLI command: may write
        db.session.rollback()
    begins = [statement for statement in statements if statement.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE"]


def test_concurrent_writers_wait_instead_of_failing(app: Flask, make_user: Any) -> None:
    """Two workers that read and then write at the same time both succeed (no "locked")."""
    user = make_user(Role.AGENT)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(number: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(10):
                    row = db.session.get(User, user.id)
                    row.display_name = f"worker {number}"
                    db.session.add(AuditEvent(action="test", entity_type="user", entity_id=user.id))
                    db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 40


def test_timestamps_come_back_aware_in_utc(app: Flask, app_context: None) -> None:
    local = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    event = AuditEvent(action="test", entity_type="x", entity_id=1, occurred_at=local)
    db.session.add(event)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(AuditEvent, event.id).occurred_at
    assert stored == local
    assert stored.tzinfo == UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(
            datetime(2026, 1, 1), sa.create_engine("sqlite://").dialect
        )


def test_audit_events_are_append_only(app: Flask, app_context: None) -> None:
    event = AuditEvent(action="test", entity_type="x", entity_id=1)
    db.session.add(event)
    db.session.commit()
    event.action = "changed"
    with pytest.raises(AuditEventImmutable):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditEventImmutable):
        db.session.commit()
    db.session.rollback()


def test_bulk_insert_stores_what_the_orm_would(
    app: Flask, app_context: None, make_user: Any
) -> None:
    agent_id = make_user(Role.AGENT).id
    local = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    table = AgentDailyStat.__table__
    columns = ("agent_id", "day", "channel", *TOTAL_COLUMNS, "source", "imported_at")
    zeros = (0,) * (len(TOTAL_COLUMNS) - 1)
    rows = [(agent_id, date(2026, 3, d), "all", d * 10, *zeros, "bulk", local) for d in (1, 2, 3)]
    assert bulk_insert(db.session, table, columns, rows) == 3
    db.session.add(
        AgentDailyStat(agent_id=agent_id, day=date(2026, 3, 4), contacts_handled=40,
                       source="orm", imported_at=local)
    )  # fmt: skip
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalars(
        sa.select(AgentDailyStat).where(AgentDailyStat.agent_id == agent_id)
    ).all()
    assert [(row.day, row.contacts_handled, row.handle_seconds) for row in stored] == [
        (date(2026, 3, day), day * 10, 0) for day in (1, 2, 3, 4)
    ]
    assert {row.imported_at for row in stored} == {local}
    assert all(row.imported_at.tzinfo == UTC for row in stored)

    # The database compares bulk-inserted values and the ORM's alike (SQLite compares text:
    # a time stored with its +02:00 offset would sort after 23:30 UTC of the day before).
    def count(*conditions: Any) -> int | None:
        query = sa.select(sa.func.count()).where(AgentDailyStat.agent_id == agent_id, *conditions)
        return db.session.scalar(query)

    assert count(AgentDailyStat.day.between(date(2026, 3, 2), date(2026, 3, 4))) == 3
    assert count(AgentDailyStat.imported_at <= local, AgentDailyStat.imported_at >= local) == 4
