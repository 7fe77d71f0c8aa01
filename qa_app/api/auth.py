"""Bearer-token authentication for the API, and the decorator every API view carries.

The `Authorization: Bearer <token>` header alone decides who is calling: session cookies are
never consulted, so CSRF cannot reach the API. The token acts with its owner's role and team
scope; the owner becomes Flask-Login's current user for the request, so audit rows and
services see them exactly as on the web pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request
from flask_babel import gettext as _
from flask_babel import refresh

from qa_app.api.errors import ApiError
from qa_app.api.models import ApiToken
from qa_app.api.token_limits import count_failure, refuse_when_over_limit
from qa_app.api.tokens import needs_touch, record_use, token_for_secret
from qa_app.auth.access import ALL_ROLES
from qa_app.auth.models import Role, User
from qa_app.database import utcnow
from qa_app.extensions import db, login_manager

View = TypeVar("View", bound=Callable[..., Any])

# RFC 6750: the scheme is case-insensitive; the token is URL-safe characters only.
BEARER = re.compile(r"\s*bearer\s+([A-Za-z0-9._~+/=-]+)\s*", re.IGNORECASE)
REALM = 'Bearer realm="QA Coach API"'


def _unauthorized(message: str, *, invalid_token: bool = False) -> ApiError:
    challenge = REALM + (', error="invalid_token"' if invalid_token else "")
    code = "invalid_token" if invalid_token else "unauthorized"
    return ApiError(401, code, message, headers={"WWW-Authenticate": challenge})


def authenticate(header: str | None) -> ApiToken:
    """The usable token named by an Authorization header; ApiError 401 otherwise."""
    if not header:
        raise _unauthorized(_("Send a personal API token as 'Authorization: Bearer <token>'."))
    match = BEARER.fullmatch(header)
    if match is None:
        raise _unauthorized(_("The Authorization header must read 'Bearer <token>'."))
    token = token_for_secret(match.group(1))
    if token is None:
        raise _unauthorized(
            _(
                "This token is not valid: it is mistyped, expired or revoked, or its owner is "
                "deactivated."
            ),
            invalid_token=True,
        )
    return token


def _authenticate_counted(header: str | None) -> ApiToken:
    """authenticate(), refused while the client's address is over its failed-token limit; a
    header that names no valid token counts as a failure (no header at all does not)."""
    address = request.remote_addr or "unknown"
    refuse_when_over_limit(address)
    try:
        return authenticate(header)
    except ApiError:
        if header:
            count_failure(address)
        raise


def _act_as(token: ApiToken) -> User:
    """Make the token's owner the current user; record the use (own short transaction)."""
    now = utcnow()
    token_id, owner_id, owner = token.id, token.user_id, token.user
    if needs_touch(token, now):
        # End the read transaction first: on SQLite a write that upgrades a read transaction
        # can fail at once instead of waiting for the lock.
        db.session.commit()
        record_use(token_id, owner_id, now)
        db.session.commit()
    g.api_token_id = token_id
    # What flask_login.login_user does, minus the session cookie.
    login_manager._update_request_context_with_user(owner)
    refresh()  # from here on the API speaks the owner's language (qa_app.i18n.select_locale)
    return owner


def token_required(*roles: Role) -> Callable[[View], View]:
    """Allow callers whose token's owner has one of `roles` (any role when none is given).

    No or a bad token → 401; a role that may not → 403; both in the API's JSON error shape.
    """
    allowed = frozenset(roles) or ALL_ROLES

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            owner = _act_as(_authenticate_counted(request.headers.get("Authorization")))
            if owner.role not in allowed:
                message = _(
                    "Tokens of users with the role %(role)s may not use this endpoint.",
                    role=Role(owner.role).label,
                )
                raise ApiError(403, "forbidden", message)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]  # for route checks
        wrapped.authentication = "token"  # type: ignore[attr-defined]  # for route checks
        return cast(View, wrapped)

    return decorator
