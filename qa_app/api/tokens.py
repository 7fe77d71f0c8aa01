"""Creating, listing, revoking and checking personal API tokens.

A token is `qac_` followed by 43 URL-safe characters (32 random bytes). The database keeps
its SHA-256 hash and its first 12 characters (the prefix people recognise it by), never the
secret itself; audit rows name the prefix only. Services add and flush; callers commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from qa_app.api.models import ApiToken
from qa_app.audit.services import record_event
from qa_app.auth.models import User
from qa_app.database import utcnow
from qa_app.errors import RuleError
from qa_app.extensions import db

SECRET_START = "qac_"  # noqa: S105 - the marker every token starts with
PREFIX_LENGTH = 12
# last_used_at is refreshed at most this often, so reading does not write on every request.
LAST_USED_PRECISION = timedelta(minutes=5)
# Longer bearer values are refused before hashing: a real token is 47 characters.
MAX_SECRET_LENGTH = 128


class TokenRuleError(RuleError, ValueError):
    """A token cannot be created or revoked as asked; the message says why."""


@dataclass(frozen=True)
class NewToken:
    """A token just created, with the secret that is shown exactly once."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest stored for (and looked up by) a token's secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The first moment after `day` in the centre's time zone: a token "valid until" a date
    works through that whole day."""
    return datetime.combine(day + timedelta(days=1), time.min, tz)


def create_token(
    owner: User, name: str, expires_at: datetime | None, actor: User | None
) -> NewToken:
    """Make a token for `owner` (the actor themselves, or any user when an admin acts; no
    actor for the command line)."""
    if not owner.active:
        raise TokenRuleError(_l("A deactivated user cannot be given a token."))
    if expires_at is not None and expires_at <= utcnow():
        raise TokenRuleError(_l("The token would already have expired."))
    secret = SECRET_START + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner.id,
        name=name.strip(),
        prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_secret(secret),
        created_by_id=actor.id if actor else None,
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    record_event(
        "api_token.created",
        "api_token",
        token.id,
        actor_id=actor.id if actor else None,
        after={
            "owner_id": owner.id,
            "name": token.name,
            "prefix": token.prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return NewToken(token, secret)


def revoke_token(token: ApiToken, actor: User | None) -> None:
    """Stop a token from working, for good; revoking twice changes nothing."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    record_event(
        "api_token.revoked",
        "api_token",
        token.id,
        actor_id=actor.id if actor else None,
        after={"owner_id": token.user_id, "name": token.name, "prefix": token.prefix},
    )


def tokens_of(owner: User) -> list[ApiToken]:
    """The owner's tokens, newest first, revoked and expired ones included."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .options(sa.orm.joinedload(ApiToken.created_by))
            .where(ApiToken.user_id == owner.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def token_for_secret(secret: str) -> ApiToken | None:
    """The usable token with this secret, its active owner loaded; None for anything else
    (unknown, revoked, expired, or owned by a deactivated user)."""
    if not secret.startswith(SECRET_START) or len(secret) > MAX_SECRET_LENGTH:
        return None
    digest = hash_secret(secret)
    token = db.session.scalar(
        sa.select(ApiToken)
        .options(sa.orm.joinedload(ApiToken.user))
        .where(ApiToken.token_hash == digest)
    )
    # The lookup is by hash, so timing reveals nothing about the secret; compare anyway.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if not token.is_usable(utcnow()) or not token.user.active:
        return None
    return token


def needs_touch(token: ApiToken, now: datetime) -> bool:
    """True when last_used_at is unset or older than LAST_USED_PRECISION."""
    return token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION


def record_use(token_id: int, owner_id: int, now: datetime) -> None:
    """Refresh last_used_at; the very first use is audited (once, even under concurrency:
    only one UPDATE finds last_used_at still empty)."""
    first = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.last_used_at.is_(None))
        .values(last_used_at=now)
    )
    if first.rowcount:
        record_event("api_token.first_used", "api_token", token_id, actor_id=owner_id)
        return
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.last_used_at < now - LAST_USED_PRECISION)
        .values(last_used_at=now)
    )
