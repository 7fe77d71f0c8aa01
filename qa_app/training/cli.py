"""`flask --app run scorecards sync` (the scorecard files and the training catalogue they
name) and `training generate` (draft plans from the evidence)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from flask_babel import get_timezone

from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.scorecards.definition import DefinitionError
from qa_app.teams.models import Team
from qa_app.training.catalogue import sync_library
from qa_app.training.proposals import propose_plans

scorecards_group = AppGroup("scorecards", help="Scorecard and training-catalogue files.")


@scorecards_group.command("sync")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of scorecard files (default: SCORECARDS_DIR or ./scorecards).",
)
def scorecards_sync_command(directory: Path | None) -> None:
    """Validate every scorecard file and the training catalogue, then load new and changed
    scorecards as new versions and make the catalogue match its file."""
    directory = directory or Path(current_app.config["SCORECARDS_DIR"])
    try:
        report, training = sync_library(directory)
    except DefinitionError as error:
        db.session.rollback()
        click.echo(
            f"Nothing was loaded: {len(error.problems)} problem(s) in {directory}:", err=True
        )
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    db.session.commit()
    for slug in report.created:
        click.echo(f"  new scorecard   {slug} (version 1)")
    for slug, number in report.new_versions:
        click.echo(f"  new version     {slug} (version {number})")
    for slug, reason in report.skipped:
        click.echo(f"  skipped         {slug}: {reason}")
    click.echo(
        f"Scorecards: {len(report.created)} new, {len(report.new_versions)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped."
    )
    if training is None:
        click.echo("Training catalogue: no training.toml in this folder; nothing changed.")
    else:
        click.echo(
            f"Training catalogue: {len(training.created)} new, {len(training.updated)} "
            f"updated, {len(training.deactivated)} withdrawn, {training.unchanged} unchanged"
            + (" (KPI mapping updated)." if training.kpis_changed else ".")
        )


training_group = AppGroup("training", help="Training plans.")


@training_group.command("generate")
@click.option("--team", "team_name", help="Only this team's agents.")
@click.option("--agent", "agent_email", help="Only this agent (e-mail).")
@click.option(
    "--days",
    type=click.IntRange(7, 730),
    help="Evidence period in days up to today (default: TRAINING_PERIOD_DAYS, 90).",
)
def training_generate_command(
    team_name: str | None, agent_email: str | None, days: int | None
) -> None:
    """Propose draft training plans from the evidence, for every active agent in scope."""
    query = sa.select(User).where(User.role == Role.AGENT, User.active.is_(True))
    if team_name:
        team_id = db.session.scalar(sa.select(Team.id).where(Team.name == team_name))
        if team_id is None:
            raise click.ClickException(f"No team named {team_name!r}.")
        query = query.where(User.team_id == team_id)
    if agent_email:
        query = query.where(User.email == agent_email.strip().lower())
    agents = db.session.scalars(query.order_by(User.display_name)).all()
    if agent_email and not agents:
        raise click.ClickException(f"No active agent with the e-mail {agent_email}.")
    tz = get_timezone()
    today = datetime.now(tz).date()
    period = (today - timedelta(days=days - 1), today) if days else None
    counts = {"created": 0, "no_gap": 0, "open_plan": 0, "no_modules": 0}
    for outcome in propose_plans(agents, today, None, tz, period):
        agent = outcome.agent
        counts[outcome.result] += 1
        if outcome.result == "created":
            assert outcome.plan is not None and outcome.proposal is not None
            modules = ", ".join(item.module for item in outcome.proposal.items)
            click.echo(f"  draft plan #{outcome.plan.id:<5} {agent.email}: {modules}")
        elif outcome.result == "open_plan":
            assert outcome.plan is not None
            click.echo(f"  skipped          {agent.email}: open plan #{outcome.plan.id}")
        elif outcome.result == "no_modules":
            click.echo(f"  skipped          {agent.email}: gaps, but no catalogue module for them")
    db.session.commit()
    click.echo(
        f"Training plans: {counts['created']} drafts proposed, {counts['no_gap']} agents "
        f"without a gap, {counts['open_plan']} with an open plan already, "
        f"{counts['no_modules']} without a matching module ({len(agents)} agents)."
    )
