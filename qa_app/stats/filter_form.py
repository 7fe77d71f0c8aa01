"""The period and filter form that dashboards and exports share (it builds ReportFilters)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, ValidationError
from wtforms.validators import Optional

from qa_app.auth.models import User
from qa_app.channels import CHANNEL_LABELS, CHANNELS
from qa_app.extensions import db
from qa_app.scorecards.models import Scorecard
from qa_app.stats.filters import ReportFilters, default_start, scope_of
from qa_app.teams.models import Team
from qa_app.teams.scope import teams_visible_to
from qa_app.web.forms import LocaleDateField, to_choices, within_day_range


def set_filter_choices(form: Any, user: User) -> None:
    """Fill a filter form's team, scorecard and channel choices, each "all" first."""
    # Ids and names only: a large centre's dozens of teams as objects cost every view.
    teams = db.session.execute(teams_visible_to(user).with_only_columns(Team.id, Team.name))
    form.team_id.choices = to_choices([(0, _("All teams")), *((id_, name) for id_, name in teams)])
    scorecards = db.session.execute(
        sa.select(Scorecard.slug, Scorecard.name).order_by(Scorecard.name)
    )
    form.scorecard.choices = to_choices(
        [("", _("All scorecards")), *((slug, name) for slug, name in scorecards)]
    )
    form.channel.choices = to_choices(
        [("", _("All channels")), *((channel, CHANNEL_LABELS[channel]) for channel in CHANNELS)]
    )


class DashboardForm(FlaskForm):
    """Period, team, scorecard and channel; every field optional."""

    class Meta:
        csrf = False

    start = LocaleDateField(_l("From"), validators=[Optional(), within_day_range])
    end = LocaleDateField(_l("To"), validators=[Optional(), within_day_range])
    team_id = SelectField(_l("Team"), coerce=int, validators=[Optional()], default=0)
    scorecard = SelectField(_l("Scorecard"), validators=[Optional()], default="")
    channel = SelectField(_l("Channel"), validators=[Optional()], default="")

    def validate_end(self, field: LocaleDateField) -> None:
        """The period must not end before it starts."""
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The period ends before it starts."))

    def filters(self, user: User) -> ReportFilters:
        """The chosen filters within the user's scope; the last 90 days by default."""
        today: date = datetime.now(get_timezone()).date()
        end = self.end.data or today
        start = self.start.data or default_start(end)
        self.start.data, self.end.data = start, end
        scorecard_id = db.session.scalar(
            sa.select(Scorecard.id).where(Scorecard.slug == self.scorecard.data)
        )
        return ReportFilters(
            start,
            end,
            get_timezone(),
            team_id=self.team_id.data or None,
            scorecard_id=scorecard_id,
            channel=self.channel.data or None,
            scope=scope_of(user),
        )


def read_dashboard_form(args: Any, user: User) -> tuple[DashboardForm, bool]:
    """The filter form read from a query string, and whether its values are usable.

    When they are not, the errors show, and the choices that were accepted still apply: a
    refused field (a day out of range, a team id that is no choice) is never used, and a
    refused day drops the whole period (a period is a pair) for the default one.
    """
    form = DashboardForm(args)
    set_filter_choices(form, user)
    valid = form.validate() if args else True
    if not valid:
        if form.start.errors or form.end.errors:
            form.start.data = form.end.data = None
        for field in form:
            if field.errors:
                field.data = field.default
    return form, valid
