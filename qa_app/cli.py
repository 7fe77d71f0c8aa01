"""`flask --app run …` commands: thin wrappers over services, one commit each."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import get_timezone

from qa_app.admin.services import UserData, create_user
from qa_app.audit.services import record_event
from qa_app.auth.models import ROLE_VALUES, Role, User
from qa_app.auth.passwords import password_problems
from qa_app.demo.activity import seed_activity
from qa_app.demo.organisation import has_users, seed_demo
from qa_app.demo.stats import seed_stats
from qa_app.demo.training import seed_training
from qa_app.exports.cli import export_group
from qa_app.extensions import db
from qa_app.scorecards.definition import DefinitionError
from qa_app.scorecards.services import has_scorecards
from qa_app.stats.importer import import_stats
from qa_app.stats.services import agent_picture
from qa_app.teams.models import Team
from qa_app.training.catalogue import sync_library
from qa_app.training.proposals import propose_plan
from qa_app.uploads.reader import TableError


def _read_password() -> str:
    """Prompt twice on a terminal; otherwise read one line from standard input."""
    if sys.stdin is not None and sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLE_VALUES), required=True, help="The user's role.")
@click.option("--team", "team_name", help="Team name (agents only).")
@click.option("--name", "display_name", help="Display name (default: from the e-mail).")
def create_user_command(
    email: str, role: str, team_name: str | None, display_name: str | None
) -> None:
    """Create a user; the password is read from a prompt or from standard input."""
    email = email.strip().lower()
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise click.ClickException(f"A user with the e-mail {email} already exists.")
    team_id = None
    if team_name:
        if role != Role.AGENT:
            raise click.ClickException(
                "--team is for agents; assign supervisors to teams in the admin pages."
            )
        team_id = db.session.scalar(sa.select(Team.id).where(Team.name == team_name))
        if team_id is None:
            names = ", ".join(db.session.scalars(sa.select(Team.name).order_by(Team.name)))
            raise click.ClickException(
                f"No team named {team_name!r}. Existing teams: {names or 'none'}."
            )
    password = _read_password()
    problems = password_problems(password, email=email)
    if problems:
        raise click.ClickException("Password refused: " + " ".join(problems))
    name = display_name or email.split("@")[0].replace(".", " ").title()
    user, _ = create_user(UserData(email, name, Role(role), team_id), password=password)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


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
    summary = seed_demo(seed=seed, password=password)
    if not has_scorecards():
        # The demo evaluations need the shipped scorecards; `make run` syncs them first.
        sync_library(Path(current_app.config["SCORECARDS_DIR"]))
    activity = seed_activity(seed, date.today())
    stat_rows = seed_stats(seed, date.today())
    training = seed_training(date.today())
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
            },
        )
    db.session.commit()
    click.echo(
        f"Demo data: {summary.created_users} users, {summary.created_teams} teams, "
        f"{activity.interactions} interactions, {activity.evaluations} evaluations, "
        f"{stat_rows} agent-days of statistics, {training.plans} training plans and "
        f"{training.sessions} coaching sessions created."
    )
    click.echo(f"Demo logins (password {password}):")
    shown = [login for login in summary.logins if login.role != Role.AGENT][:5]
    shown += [login for login in summary.logins if login.role == Role.AGENT][:2]
    for login in shown:
        team = f"  ({login.team})" if login.team else ""
        click.echo(f"  {login.role:<10} {login.email:<26} {login.name}{team}")
    agents = sum(1 for login in summary.logins if login.role == Role.AGENT)
    click.echo(
        f"  … and {agents - 2} more agents: agent03@demo.test to agent{agents:02d}@demo.test"
    )


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


@click.command("import-stats")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option(
    "--source",
    default="import",
    show_default=True,
    help="Source system (selects a saved column mapping).",
)
@with_appcontext
def import_stats_command(file: Path, dry_run: bool, source: str) -> None:
    """Import per-agent daily statistics from a CSV or XLSX export (all rows or none)."""
    config = current_app.config
    size = file.stat().st_size
    if size > config["STATS_MAX_MB"] * 1024 * 1024:
        raise click.ClickException(
            f"{file.name} is {size:,} bytes; the limit is "
            f"{config['STATS_MAX_MB']} MB (STATS_MAX_MB)."
        )
    with click.progressbar(
        length=max(1, size // 60), label="Checking rows", file=sys.stderr
    ) as bar:
        try:
            report = import_stats(
                file.read_bytes(),
                file.name,
                source=source,
                actor=_system_actor(),
                dry_run=dry_run,
                max_bytes=size + 1,
                max_rows=config["STATS_MAX_ROWS"],
                progress=bar.update,
            )
        except TableError as error:
            db.session.rollback()
            click.echo(
                f"\nNothing was imported: {len(error.problems)} problem(s) in {file.name}:",
                err=True,
            )
            for problem in error.problems[:200]:
                click.echo(f"  {problem}", err=True)
            if len(error.problems) > 200:
                click.echo(f"  … and {len(error.problems) - 200} more", err=True)
            sys.exit(1)
    db.session.commit()
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} {report.agent_days} agent-days ({report.new} new, {report.replaced} "
        f"replaced) for {report.agents} agents from {report.rows} rows, "
        f"{report.first_day} to {report.last_day}."
    )


def _system_actor() -> User:
    """Command-line imports are recorded against the first active administrator."""
    admin = db.session.scalar(
        sa.select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    )
    if admin is None:
        raise click.ClickException("Create an administrator first (create-user --role admin).")
    return admin


report_group = AppGroup("report", help="Figures for scripts.")


@report_group.command("agent")
@click.argument("email")
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 90 days ago)."
)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@click.option("--format", "output", type=click.Choice(["json"]), default="json", show_default=True)
def report_agent_command(
    email: str, start: datetime | None, end: datetime | None, output: str
) -> None:
    """Print an agent's QA and KPI figures for a period (null where there is no data)."""
    agent = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if agent is None or agent.role != Role.AGENT:
        raise click.ClickException(f"No agent with the e-mail {email}.")
    tz = get_timezone()
    last = end.date() if end else datetime.now(tz).date()
    first = start.date() if start else last - timedelta(days=89)
    if first > last:
        raise click.ClickException("--from is after --to.")
    picture = agent_picture(agent, first, last, tz)
    click.echo(
        json.dumps(
            {
                "agent": agent.email,
                "from": first.isoformat(),
                "to": last.isoformat(),
                **picture.report(),
            },
            indent=2,
        )
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
    for agent in agents:
        outcome = propose_plan(agent, today, None, tz, period)
        counts[outcome.result] += 1
        if outcome.result == "created":
            modules = ", ".join(item.module for item in outcome.proposal.items)
            click.echo(f"  draft plan #{outcome.plan.id:<5} {agent.email}: {modules}")
        elif outcome.result == "open_plan":
            click.echo(f"  skipped          {agent.email}: open plan #{outcome.plan.id}")
        elif outcome.result == "no_modules":
            click.echo(f"  skipped          {agent.email}: gaps, but no catalogue module for them")
    db.session.commit()
    click.echo(
        f"Training plans: {counts['created']} drafts proposed, {counts['no_gap']} agents "
        f"without a gap, {counts['open_plan']} with an open plan already, "
        f"{counts['no_modules']} without a matching module ({len(agents)} agents)."
    )


def register_cli(app: Flask) -> None:
    """Add the project's commands to `flask`."""
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(scorecards_group)
    app.cli.add_command(import_stats_command)
    app.cli.add_command(report_group)
    app.cli.add_command(training_group)
    app.cli.add_command(export_group)
    from qa_app.api.cli import api_token_group

    app.cli.add_command(api_token_group)
    from qa_app.privacy.cli import privacy_group

    app.cli.add_command(privacy_group)
    from qa_app.maintenance.cli import backup_group, integrity_group

    app.cli.add_command(backup_group)
    app.cli.add_command(integrity_group)
