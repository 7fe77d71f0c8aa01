"""`flask --app run notifications remind`: the daily reminders, for cron or a systemd timer."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from qa_app.extensions import db
from qa_app.reminders.services import remind
from qa_app.training.plans import centre_today

notifications_group = AppGroup("notifications", help="Notifications: the daily reminders.")


@notifications_group.command("remind")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to remind for (YYYY-MM-DD; default today in the centre's time zone).",
)
def remind_command(day: datetime | None) -> None:
    """Tell coaches of overdue plan items, evaluators of assignments due and participants of
    calibration sessions due by tomorrow, once a day:
    run it daily (a second run on the same day adds nothing). E-mails go out after the
    commit when SMTP is configured."""
    today = day.date() if day is not None else centre_today()
    result = remind(today)
    db.session.commit()
    click.echo(
        f"Reminders for {today.isoformat()}: {result.overdue_items} about overdue plan items, "
        f"{result.assignments_due} about assignments due; {result.already_sent} already sent."
    )
    click.echo(f"Calibration: {result.calibration_due} about sessions due by tomorrow.")
