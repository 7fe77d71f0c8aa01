"""The team form: name, release setting, target, supervisors and agents."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: WTForms 3.3, stubs 3.2
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.teams.models import Team
from qa_app.teams.services import REVIEWER_ROLES
from qa_app.web.forms import MultiCheckboxField, strip_whitespace, to_choices


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
    dispute_reviewer_ids = MultiCheckboxField(
        _l("Dispute reviewers"),
        coerce=int,
        description=_l(
            "Who decides this team's disputes besides its supervisors: supervisors of other "
            "teams, QA leads, managers. Nobody decides a dispute about an evaluation they "
            "scored; with no reviewer left, a dispute goes to the managers."
        ),
    )
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
        self.dispute_reviewer_ids.choices = self._reviewers()
        self.agent_ids.choices = self._people(Role.AGENT)

    @staticmethod
    def _reviewers() -> list[SelectChoice]:
        rows = db.session.execute(
            sa.select(User.id, User.display_name, User.email, User.role)
            .where(User.role.in_(REVIEWER_ROLES), User.active.is_(True))
            .order_by(User.display_name)
        )
        return to_choices(
            (user_id, f"{name} <{email}> · {Role(role).label}")
            for user_id, name, email, role in rows
        )

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
