"""Forms for managing users."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.teams.models import Team
from qa_app.uploads.transaction import UPLOAD_ACCEPT
from qa_app.web.forms import email_address, strip_whitespace, to_choices

ROLE_LABELS = Role.titles()


def _teams() -> list[tuple[int, str]]:
    rows = db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name))
    return [(team_id, name) for team_id, name in rows]


class UserForm(FlaskForm):
    """Create or edit a user (an administrator's form)."""

    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), email_address, Length(max=254)],
        filters=[strip_whitespace],
    )
    display_name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=120)], filters=[strip_whitespace]
    )
    # A new user is an agent unless the administrator says otherwise: most accounts are
    # agents, and a slip should never hand out administrator rights.
    role = SelectField(
        _l("Role"),
        choices=to_choices((role.value, label) for role, label in ROLE_LABELS.items()),
        default=Role.AGENT.value,
    )
    team_id = SelectField(
        _l("Team (agents)"),
        coerce=int,
        validators=[Optional()],
        description=_l("The team an agent belongs to. Supervisors are assigned on the team page."),
    )
    external_id = StringField(
        _l("External id"),
        validators=[Optional(), Length(max=64)],
        filters=[strip_whitespace],
        description=_l(
            "The agent's login or id in the phone or ticket system, used to match statistics."
        ),
    )
    qa_lead = BooleanField(
        _l("QA lead"),
        description=_l("A supervisor who is a QA lead runs calibration sessions, as managers do."),
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.team_id.choices = to_choices([(0, _l("No team")), *_teams()])

    def validate_email(self, field: Any) -> None:
        """E-mail addresses are unique (compared lower-case)."""
        email = (field.data or "").lower()
        existing = db.session.scalar(sa.select(User.id).where(User.email == email))
        if existing is not None and (self.user is None or existing != self.user.id):
            raise ValidationError(_l("Another user already has this e-mail address."))

    def validate_external_id(self, field: Any) -> None:
        """External ids are unique: statistics are matched on them."""
        if not field.data:
            return
        existing = db.session.scalar(sa.select(User.id).where(User.external_id == field.data))
        if existing is not None and (self.user is None or existing != self.user.id):
            raise ValidationError(_l("Another user already has this external id."))

    def validate_qa_lead(self, field: Any) -> None:
        """Only supervisors are named QA leads (managers run calibration anyway)."""
        if field.data and self.role.data != Role.SUPERVISOR:
            raise ValidationError(
                _l("Only supervisors are named QA leads; managers run calibration sessions anyway.")
            )

    def validate_team_id(self, field: Any) -> None:
        """Only agents belong to a team."""
        if field.data and self.role.data != Role.AGENT:
            raise ValidationError(_l("Only agents belong to a team; leave this empty."))


class UserFilterForm(FlaskForm):
    """Search and filter the user list (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Role"),
        choices=to_choices([("", _l("All roles")), *ROLE_LABELS.items()]),
        validators=[Optional()],
    )
    team_id = SelectField(_l("Team"), coerce=int, validators=[Optional()])
    include_inactive = BooleanField(_l("Include deactivated users"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team_id.choices = to_choices([(0, _l("All teams")), *_teams()])


SOURCE_VALIDATORS = [DataRequired(), Length(max=40), Regexp(r"^[A-Za-z0-9_. -]+$")]


class IdentityForm(FlaskForm):
    """An agent's id in one source system."""

    source = StringField(
        _l("Source system"),
        validators=SOURCE_VALIDATORS,
        filters=[strip_whitespace],
        description=_l("As typed in the import's “Source system”, e.g. genesys or five9."),
    )
    external_id = StringField(
        _l("Id in that system"),
        validators=[DataRequired(), Length(max=128)],
        filters=[strip_whitespace],
        description=_l(
            "The agent column's value in that system's exports: a login, user id or name."
        ),
    )
    submit = SubmitField(_l("Add"))


class LinkIdentityForm(IdentityForm):
    """Link an id an import did not know to one of the agents."""

    user_id = SelectField(_l("Agent"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Link"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agents = db.session.execute(
            sa.select(User.id, User.display_name, User.email)
            .where(User.role == Role.AGENT, User.active.is_(True))
            .order_by(User.display_name, User.email)
        )
        self.user_id.choices = to_choices(
            [(0, _l("Choose an agent")), *((i, f"{name} ({email})") for i, name, email in agents)]
        )


class IdentityImportForm(FlaskForm):
    """Upload an agent list: E-mail and/or Name, Source, External ID."""

    file = FileField(
        _l("CSV or XLSX file"),
        validators=[FileRequired()],
        render_kw={"accept": UPLOAD_ACCEPT},
    )
    dry_run = BooleanField(_l("Only check the file (dry run)"), default=True)
    submit = SubmitField(_l("Import"))
