"""Who may open which page: the one authorisation decorator, `role_required`, and `public`.

Every view carries exactly one of them; a test walks the URL map and fails when a view has
neither. Per-record checks use the team scope (`qa_app.teams.scope`) and each feature's
permissions module.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from qa_app.auth.models import Role
from qa_app.extensions import login_manager

View = TypeVar("View", bound=Callable[..., Any])

ALL_ROLES = frozenset(Role)


def role_required(*roles: Role) -> Callable[[View], View]:
    """Allow signed-in users with one of `roles` (any role when none is given).

    Anonymous users are sent to sign in; signed-in users without the role get 403.
    """
    allowed = frozenset(roles) or ALL_ROLES

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: View) -> View:
    """Mark a view as open to anonymous visitors (sign-in page, health check)."""
    view.allowed_roles = None  # type: ignore[attr-defined]
    return view
