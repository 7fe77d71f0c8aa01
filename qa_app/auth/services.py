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
from qa_app.auth.throttle import Attempt, attempt_failed, attempt_succeeded, begin_attempt
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
    """Check credentials, counting the attempt per e-mail address whether or not it exists, and
    per client address (password spraying: one guess for each of many addresses), before the
    password is checked."""
    email = normalise_email(email)
    user = user_by_email(email)
    password_hash = user.password_hash if user else _dummy_hash()
    attempt = begin_attempt(_throttle_limits(email, client_address))
    if attempt.locked_until is not None:
        return _locked(attempt.locked_until, attempt.started_at)

    password_ok = verify_password(password_hash, password)
    if user is None or not password_ok:
        return _register_failure(attempt, user, "auth.sign_in_failed")

    attempt_succeeded(attempt, reset=email)
    if not user.active:
        return SignInResult(SignInOutcome.INACTIVE)
    return SignInResult(SignInOutcome.OK, user=user)


def check_current_password(
    user: User, password: str, *, client_address: str | None = None
) -> SignInResult:
    """Check a signed-in user's current password (to set a new one) under the sign-in limits
    of their e-mail address and of the client: it is the same password being guessed, from a
    stolen session this time. OK, INVALID or LOCKED."""
    password_hash, email = user.password_hash, user.email
    attempt = begin_attempt(_throttle_limits(email, client_address))
    if attempt.locked_until is not None:
        return _locked(attempt.locked_until, attempt.started_at)
    if not verify_password(password_hash, password):
        return _register_failure(attempt, user, "auth.current_password_failed")
    attempt_succeeded(attempt, reset=email)
    return SignInResult(SignInOutcome.OK, user=user)


def _locked(until: datetime, now: datetime) -> SignInResult:
    return SignInResult(SignInOutcome.LOCKED, locked_minutes=_minutes_until(until, now))


def _throttle_limits(email: str, client_address: str | None) -> dict[str, int]:
    """The throttle keys a sign-in attempt counts against, with their failure limits."""
    config = current_app.config
    limits = {}
    if "@" in email:
        limits[email] = config["SIGN_IN_MAX_FAILURES"]
    if client_address and config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"]:
        limits[ADDRESS_KEY + client_address] = config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"]
    return limits


def _register_failure(attempt: Attempt, user: User | None, action: str) -> SignInResult:
    """Record a wrong password (`action`) and the locks it set."""
    if user is not None:
        record_event(action, "user", user.id, actor_id=user.id)
    failure = attempt_failed(attempt)
    for key in failure.locked_keys:
        if key.startswith(ADDRESS_KEY):
            record_event(
                "auth.address_locked",
                "client",
                None,
                after={"address": key.removeprefix(ADDRESS_KEY)},
            )
        elif user is not None:
            record_event("auth.locked", "user", user.id, actor_id=user.id)
    if failure.locked_until is not None:
        return _locked(failure.locked_until, attempt.started_at)
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
