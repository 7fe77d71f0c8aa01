"""Counting password guesses so that no more are checked than the limits allow.

Each attempt is counted against every key it concerns (an e-mail address, a client address)
before its password is checked, by one atomic statement per key: an insert that, when the row
exists, adds one in the database (INSERT … ON CONFLICT DO UPDATE … RETURNING on PostgreSQL and
SQLite). Two workers can therefore never both read 4 and both write 5, and nobody inserts a
row another has just inserted. An attempt that finds a key over its limit is refused unchecked.

The window is the one sign-in throttling always had: a key's count starts at its first
failure and is forgotten `SIGN_IN_LOCK_MINUTES` later, unless the limit was reached; then the
key is locked for `SIGN_IN_LOCK_MINUTES` from the failure that reached it, and the next
attempt after the lock starts a new count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from qa_app.auth.models import SignInThrottle
from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import db

# Core statements: the counter is changed in the database, never through loaded objects.
THROTTLE = cast(sa.Table, SignInThrottle.__table__)


@dataclass(frozen=True)
class Attempt:
    """A password check counted against `limits` (key → limit); refused when `locked_until`
    is set, which is then the end of the lock to report."""

    limits: Mapping[str, int]
    started_at: datetime
    counted: tuple[str, ...] = ()
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Failure:
    """What a failed check changed: the keys it locked, and until when."""

    locked_keys: list[str] = field(default_factory=list)
    locked_until: datetime | None = None


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["SIGN_IN_LOCK_MINUTES"])


def _count_statement(key: str, now: datetime, window: timedelta) -> sa.Executable:
    """Add one to the key's count, or start it at one (a new key, an ended window or lock);
    leave a locked key as it is. Returns the count and the lock."""
    column = THROTTLE.c
    # An ended window (no lock) or an ended lock starts a new count.
    stale = sa.or_(
        sa.and_(column.locked_until.is_(None), column.window_started_at < now - window),
        column.locked_until <= now,
    )
    locked = column.locked_until > now
    started = sa.literal(now, UTCDateTime())
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert(THROTTLE) if dialect == "postgresql" else sqlite.insert(THROTTLE)
    return (
        insert.values(email=key, failures=1, window_started_at=now, locked_until=None)
        .on_conflict_do_update(
            index_elements=[column.email],
            set_={
                "failures": sa.case(
                    (stale, 1), (locked, column.failures), else_=column.failures + 1
                ),
                "window_started_at": sa.case((stale, started), else_=column.window_started_at),
                "locked_until": sa.case((stale, sa.null()), else_=column.locked_until),
            },
        )
        .returning(column.failures, column.locked_until)
    )


def begin_attempt(limits: Mapping[str, int]) -> Attempt:
    """Count an attempt against each key, before its password is checked; refuse it when a
    key is locked or already at its limit.

    Commits the session's transaction, which must hold no unfinished change: the attempt
    counts even if the check never finishes, and no lock is held during the slow hash.
    """
    now = utcnow()
    window = _window()
    counted: list[str] = []
    lock_ends: list[datetime] = []
    # One order for every attempt, so two attempts never wait for each other's rows in turn.
    for key in sorted(limits):
        failures, locked_until = db.session.execute(_count_statement(key, now, window)).one()
        if locked_until is not None:  # a lock that has not ended (an ended one was cleared)
            lock_ends.append(locked_until)  # not counted
            continue
        counted.append(key)
        if failures > limits[key]:
            # Checks under way hold the last places; a failure among them sets the lock.
            lock_ends.append(now + window)
    if lock_ends:
        _uncount(counted)  # refused unchecked: it costs no place
    db.session.commit()
    if lock_ends:
        return Attempt(limits, now, locked_until=max(lock_ends))
    return Attempt(limits, now, counted=tuple(counted))


def _uncount(keys: list[str]) -> None:
    if keys:
        db.session.execute(
            sa.update(THROTTLE)
            .where(THROTTLE.c.email.in_(keys), THROTTLE.c.failures > 0)
            .values(failures=THROTTLE.c.failures - 1)
        )


def attempt_failed(attempt: Attempt) -> Failure:
    """The password was wrong: lock each key whose count reached its limit, for the window
    from this attempt. Each lock is set once, so exactly one failure reports it."""
    until = attempt.started_at + _window()
    locked_keys = []
    for key in attempt.counted:
        locked = db.session.execute(
            sa.update(THROTTLE)
            .where(
                THROTTLE.c.email == key,
                THROTTLE.c.failures >= attempt.limits[key],
                THROTTLE.c.locked_until.is_(None),
            )
            .values(locked_until=until)
            .returning(THROTTLE.c.email)
        ).first()
        if locked is not None:
            locked_keys.append(key)
    return Failure(locked_keys, until if locked_keys else None)


def attempt_succeeded(attempt: Attempt, *, reset: str) -> None:
    """The password was right: forget the count of `reset` (the account's key) unless it is
    locked, and give back this attempt's place under the other keys, so that people signing
    in from one office address never lock it."""
    db.session.execute(
        sa.delete(THROTTLE).where(THROTTLE.c.email == reset, THROTTLE.c.locked_until.is_(None))
    )
    _uncount([key for key in attempt.counted if key != reset])
