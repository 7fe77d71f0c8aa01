"""`flask --app run seed-demo`: the demo centre, for `make run` and trying the app."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.database import utcnow
from qa_app.demo.activity import seed_activity
from qa_app.demo.calibration import seed_calibration
from qa_app.demo.organisation import has_users, seed_demo
from qa_app.demo.stats import seed_stats
from qa_app.demo.training import seed_training
from qa_app.extensions import db
from qa_app.progress import progress_bar
from qa_app.scorecards.services import has_scorecards
from qa_app.training.catalogue import sync_library


@click.command("seed-demo")
@with_appcontext
@click.option("--seed", default=1, show_default=True, help="Random seed for names.")
@click.option(
    "--if-empty", is_flag=True, help="Seed only when the database has no users yet (first start)."
)
def seed_demo_command(seed: int, if_empty: bool) -> None:
    """Create the demo organisation (idempotent) and print the demo logins."""
    if if_empty and has_users():
        demo_admin = db.session.scalar(sa.select(User.id).where(User.email == "admin@demo.test"))
        if demo_admin is None:
            click.echo("The database already has users; demo data not seeded.")
            return
    password = current_app.config["DEMO_PASSWORD"]
    # Six steps: people, scorecards, six months of activity, statistics, training,
    # calibration.
    with progress_bar(6, "Seeding the demo centre") as advance:
        summary = seed_demo(seed=seed, password=password)
        advance(1)
        if not has_scorecards():
            # The demo evaluations need the shipped scorecards; `make run` syncs them first.
            sync_library(Path(current_app.config["SCORECARDS_DIR"]))
        advance(1)
        # The UTC date: everything seeded lies before today's midnight in UTC, so in the past
        # wherever the server's clock is set (a local date can be a day ahead of UTC's).
        today = utcnow().date()
        activity = seed_activity(seed, today)
        advance(1)
        stat_rows = seed_stats(seed, today)
        advance(1)
        training = seed_training(today)
        advance(1)
        calibration = seed_calibration(seed, today)
        advance(1)
    if summary.created_users or summary.created_teams or activity.interactions or stat_rows:
        record_event(
            "demo.seeded",
            "system",
            None,
            after={
                "users": summary.created_users,
                "teams": summary.created_teams,
                "interactions": activity.interactions,
                "evaluations": activity.evaluations,
                "disputes": activity.disputes,
                "agent_days": stat_rows,
                "training_plans": training.plans,
                "coaching_sessions": training.sessions,
                "calibration_sessions": calibration.sessions,
            },
        )
    db.session.commit()
    click.echo(
        f"Demo data: {summary.created_users} users, {summary.created_teams} teams, "
        f"{activity.interactions} interactions, {activity.evaluations} evaluations, "
        f"{stat_rows} agent-days of statistics, {training.plans} training plans and "
        f"{training.sessions} coaching sessions created."
    )
    if calibration.sessions:
        click.echo(
            f"Calibration: {calibration.sessions} sessions ({calibration.scorings} scorings); "
            "the first supervisor is a QA lead and their expert."
        )
    click.echo(f"Demo logins (password {password}):")
    shown = [login for login in summary.logins if login.role != Role.AGENT]
    shown += [login for login in summary.logins if login.role == Role.AGENT][:2]
    for login in shown:
        team = f"  ({login.team})" if login.team else ""
        click.echo(f"  {login.role:<10} {login.email:<26} {login.name}{team}")
    agents = sum(1 for login in summary.logins if login.role == Role.AGENT)
    click.echo(
        f"  … and {agents - 2} more agents: agent03@demo.test to agent{agents:02d}@demo.test"
    )
