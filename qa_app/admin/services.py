"""Managing users: every change audited, every rule checked here, not in views."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from qa_app.audit.services import changed_fields, record_event
from qa_app.auth.models import Role, User
from qa_app.auth.passwords import hash_password
from qa_app.auth.services import clear_sign_in_lock, normalise_email, revoke_sessions
from qa_app.errors import RuleError
from qa_app.extensions import db

# No look-alike characters: temporary passwords are read aloud or typed from a screen.
TEMPORARY_PASSWORD_ALPHABET = "".join(
    c for c in string.ascii_letters + string.digits if c not in "0O1lI"
)


class AdminRuleError(RuleError, ValueError):
    """A change an administrator asked for would break a rule (message is user-facing)."""


@dataclass(frozen=True)
class UserData:
    """The editable fields of a user."""

    email: str
    display_name: str
    role: Role
    team_id: int | None = None
    external_id: str | None = None
    qa_lead: bool = False


def temporary_password() -> str:
    """A random 14-character password to hand over once."""
    return "".join(secrets.choice(TEMPORARY_PASSWORD_ALPHABET) for _ in range(14))


def user_snapshot(user: User) -> dict[str, Any]:
    """The audited fields of a user."""
    return {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "team_id": user.team_id,
        "external_id": user.external_id,
        "qa_lead": user.qa_lead,
        "active": user.active,
    }


def create_user(data: UserData, password: str | None = None) -> tuple[User, str | None]:
    """Create a user; without `password`, a temporary one is made and must be changed.

    Returns the user and the temporary password (None when `password` was given).
    """
    temporary = None if password else temporary_password()
    user = User(
        email=normalise_email(data.email),
        display_name=data.display_name,
        role=data.role.value,
        team_id=data.team_id if data.role == Role.AGENT else None,
        external_id=data.external_id or None,
        qa_lead=data.qa_lead and data.role == Role.SUPERVISOR,
        password_hash=hash_password(password or temporary or ""),
        must_change_password=temporary is not None,
    )
    db.session.add(user)
    db.session.flush()
    record_event("user.created", "user", user.id, after=user_snapshot(user))
    return user, temporary


def _check_admin_kept(user: User, actor: User, *, new_role: str, active: bool) -> None:
    """Nobody removes their own admin rights, and the centre keeps one active admin."""
    if user.role != Role.ADMIN or (new_role == Role.ADMIN and active):
        return
    if user.id == actor.id:
        raise AdminRuleError(
            _l(
                "You cannot remove your own administrator rights or "
                "deactivate yourself; ask another administrator."
            )
        )
    other_admins = db.session.scalar(
        sa.select(sa.func.count(User.id)).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
        )
    )
    if not other_admins:
        raise AdminRuleError(_l("The centre must keep at least one active administrator."))


def _check_teams_keep_a_supervisor(user: User) -> None:
    """A team must keep at least one supervisor when this one changes role."""
    alone = [team.name for team in user.supervised_teams if len(team.supervisors) == 1]
    if alone:
        raise AdminRuleError(
            _l(
                "%(name)s is the only supervisor of %(teams)s; assign another supervisor "
                "there first.",
                name=user.display_name,
                teams=", ".join(alone),
            )
        )


def update_user(user: User, data: UserData, actor: User) -> None:
    """Change a user's e-mail, name, role, team, external id and QA-lead flag.

    Leaving the agent role clears the team; leaving the supervisor role drops supervised teams.
    """
    _check_admin_kept(user, actor, new_role=data.role.value, active=user.active)
    if user.role == Role.SUPERVISOR and data.role != Role.SUPERVISOR:
        _check_teams_keep_a_supervisor(user)
    before = user_snapshot(user)
    user.email = normalise_email(data.email)
    user.display_name = data.display_name
    user.role = data.role.value
    user.team_id = data.team_id if data.role == Role.AGENT else None
    user.external_id = data.external_id or None
    # Only supervisors are QA leads: leaving the role drops it.
    user.qa_lead = data.qa_lead and data.role == Role.SUPERVISOR
    if data.role != Role.SUPERVISOR:
        user.supervised_teams.clear()
    old, new = changed_fields(before, user_snapshot(user))
    if new:
        record_event("user.updated", "user", user.id, before=old, after=new)


def set_user_active(user: User, active: bool, actor: User) -> None:
    """Deactivate (signing the user out everywhere) or reactivate a user."""
    if user.active == active:
        return
    _check_admin_kept(user, actor, new_role=user.role, active=active)
    user.active = active
    if not active:
        revoke_sessions(user)
    record_event(
        "user.reactivated" if active else "user.deactivated",
        "user",
        user.id,
        before={"active": not active},
        after={"active": active},
    )


def reset_password(user: User) -> str:
    """Give a user a temporary password to change at next sign-in; unlocks the account."""
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    revoke_sessions(user)
    clear_sign_in_lock(user.email)
    record_event("user.password_reset", "user", user.id)
    return password
