"""Signing in and out: credential checks, throttling and server-side sessions."""

from __future__ import annotations

import enum
import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from qa_app.audit.services import record_event
from qa_app.auth.models import SignInThrottle, User, UserSession
from qa_app.auth.passwords import hash_password, verify_password
from qa_app.database import utcnow
from qa_app.extensions import db


class SignInOutcome(enum.Enum):
    """Why a sign-in attempt ended the way it did."""

    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class SignInResult:
    """The outcome of `authenticate`, with the user on success and the wait when locked."""

    outcome: SignInOutcome
    user: User | None = None
    locked_minutes: int = 0


def normalise_email(email: str) -> str:
    """E-mail addresses are compared trimmed and lower-cased."""
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    """The user with this e-mail address, if any."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def _dummy_hash() -> str:
    # Hashed per app so that an unknown e-mail costs as much as a wrong password.
    key = "_qa_dummy_password_hash"
    if key not in current_app.extensions:
        current_app.extensions[key] = hash_password(secrets.token_hex(16))
    return current_app.extensions[key]


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


# Throttle keys of client addresses; an e-mail key always holds an "@", these never do.
ADDRESS_KEY = "address:"


def authenticate(email: str, password: str, *, client_address: str | None = None) -> SignInResult:
    """Check credentials, counting failures per e-mail address whether or not it exists, and
    per client address (password spraying: one guess for each of many addresses)."""
    email = normalise_email(email)
    now = utcnow()
    limits = _throttle_limits(email, client_address)
    throttles = {key: db.session.get(SignInThrottle, key) for key in limits}
    locked = [
        throttle.locked_until
        for throttle in throttles.values()
        if throttle and throttle.locked_until and throttle.locked_until > now
    ]
    if locked:
        return SignInResult(SignInOutcome.LOCKED, locked_minutes=_minutes_until(max(locked), now))

    user = user_by_email(email)
    password_ok = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not password_ok:
        return _register_failure(limits, throttles, user, now)

    if throttles.get(email):
        db.session.delete(throttles[email])
    if not user.active:
        return SignInResult(SignInOutcome.INACTIVE)
    return SignInResult(SignInOutcome.OK, user=user)


def _throttle_limits(email: str, client_address: str | None) -> dict[str, int]:
    """The throttle keys a sign-in attempt counts against, with their failure limits."""
    config = current_app.config
    limits = {}
    if "@" in email:
        limits[email] = config["SIGN_IN_MAX_FAILURES"]
    if client_address and config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"]:
        limits[ADDRESS_KEY + client_address] = config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"]
    return limits


def _register_failure(
    limits: dict[str, int],
    throttles: dict[str, SignInThrottle | None],
    user: User | None,
    now: datetime,
) -> SignInResult:
    window = timedelta(minutes=current_app.config["SIGN_IN_LOCK_MINUTES"])
    if user is not None:
        record_event("auth.sign_in_failed", "user", user.id, actor_id=user.id)
    locked_until = None
    for key, limit in limits.items():
        throttle = throttles[key]
        if throttle is None:
            throttle = SignInThrottle(email=key, failures=0, window_started_at=now)
            db.session.add(throttle)
        elif throttle.window_started_at < now - window or throttle.locked_until:
            throttle.failures, throttle.window_started_at, throttle.locked_until = 0, now, None
        throttle.failures += 1
        if throttle.failures < limit:
            continue
        throttle.locked_until = locked_until = now + window
        if key.startswith(ADDRESS_KEY):
            record_event(
                "auth.address_locked",
                "client",
                None,
                after={"address": key.removeprefix(ADDRESS_KEY)},
            )
        elif user is not None:
            record_event("auth.locked", "user", user.id, actor_id=user.id)
    if locked_until is not None:
        return SignInResult(SignInOutcome.LOCKED, locked_minutes=_minutes_until(locked_until, now))
    return SignInResult(SignInOutcome.INVALID)


def clear_sign_in_lock(email: str) -> None:
    """Forget failed attempts for an address (an administrator reset the password)."""
    db.session.execute(sa.delete(SignInThrottle).where(SignInThrottle.email == email))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def start_session(user: User, *, ip_address: str | None, user_agent: str | None) -> str:
    """Open a server-side session for `user` and return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"]),
            ip_address=ip_address,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    user.last_sign_in_at = now
    record_event("auth.signed_in", "user", user.id, actor_id=user.id)
    return token


def user_for_session(user_id: str, token: str | None) -> User | None:
    """The active user owning a live, unrevoked, unexpired session with this token."""
    if not token or not user_id.isdigit():
        return None
    query = (
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == int(user_id),
            User.active.is_(True),
            UserSession.token_hash == _token_hash(token),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
    )
    return db.session.scalar(query)


def end_session(token: str | None) -> None:
    """Revoke the session behind a cookie token (logout, idle timeout)."""
    if not token:
        return
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.token_hash == _token_hash(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_sessions(user: User, *, keep_token: str | None = None) -> None:
    """Sign a user out everywhere (deactivation, password change), except `keep_token`."""
    query = sa.update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep_token:
        query = query.where(UserSession.token_hash != _token_hash(keep_token))
    db.session.execute(query.values(revoked_at=utcnow()))


def change_password(user: User, new_password: str, *, current_token: str | None) -> None:
    """Set a password the user chose; their other browsers are signed out."""
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    revoke_sessions(user, keep_token=current_token)
    record_event("user.password_changed", "user", user.id)
