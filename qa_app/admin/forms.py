"""Forms for managing users and teams."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.teams.models import Team
from qa_app.web.forms import MultiCheckboxField, email_address, strip_whitespace, to_choices

ROLE_LABELS = Role.titles()


def _teams() -> list[tuple[int, str]]:
    return [
        tuple(row) for row in db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name))
    ]


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
    role = SelectField(
        _l("Role"), choices=to_choices((role.value, label) for role, label in ROLE_LABELS.items())
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


class TeamForm(FlaskForm):
    """Create or edit a team and choose its supervisors and agents."""

    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=80)], filters=[strip_whitespace]
    )
    release_mode = SelectField(
        _l("Releasing evaluations"),
        choices=to_choices(
            [
                ("immediate", _l("Agents see evaluations as soon as they are submitted")),
                ("manual", _l("A supervisor releases each evaluation")),
            ]
        ),
    )
    evaluations_per_agent_month = IntegerField(
        _l("Evaluations per agent and month (target)"),
        default=4,
        validators=[InputRequired(), NumberRange(0, 100)],
    )
    supervisor_ids = MultiCheckboxField(_l("Supervisors"), coerce=int)
    agent_ids = MultiCheckboxField(
        _l("Agents"),
        coerce=int,
        description=_l("Selecting an agent of another team moves them to this one."),
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, team: Team | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = team
        self.supervisor_ids.choices = self._people(Role.SUPERVISOR)
        self.agent_ids.choices = self._people(Role.AGENT)

    @staticmethod
    def _people(role: Role) -> list[SelectChoice]:
        rows = db.session.execute(
            sa.select(User.id, User.display_name, User.email, Team.name)
            .outerjoin(Team, Team.id == User.team_id)
            .where(User.role == role, User.active.is_(True))
            .order_by(User.display_name)
        )
        return to_choices(
            (user_id, f"{name} <{email}>" + (f" · {team}" if team and role == Role.AGENT else ""))
            for user_id, name, email, team in rows
        )

    def validate_name(self, field: Any) -> None:
        """Team names are unique."""
        existing = db.session.scalar(sa.select(Team.id).where(Team.name == field.data))
        if existing is not None and (self.team is None or existing != self.team.id):
            raise ValidationError(_l("Another team already has this name."))

    def validate_supervisor_ids(self, field: Any) -> None:
        """A team needs at least one supervisor."""
        if not field.data:
            raise ValidationError(_l("Choose at least one supervisor."))
