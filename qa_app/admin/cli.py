"""`flask --app run create-user`: an account from the command line; `agents link-ids FILE`:
agents' ids in the phone and ticket systems from an agent list."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import ngettext

from qa_app.admin.identities import import_identities
from qa_app.admin.services import UserData, create_user
from qa_app.auth.models import ROLE_VALUES, Role, User
from qa_app.auth.passwords import password_problems
from qa_app.extensions import db
from qa_app.teams.models import Team
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


agents_group = AppGroup("agents", help="Agents' ids in the phone and ticket systems.")


@agents_group.command("link-ids")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the list and report; write nothing.")
def link_ids_command(file: Path, dry_run: bool) -> None:
    """Add agents' ids from a CSV or XLSX list (E-mail or Name, Source, External ID), all
    rows or none."""
    admin = db.session.scalar(
        sa.select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    )
    if admin is None:
        raise click.ClickException("Create an administrator first (create-user --role admin).")
    try:
        report = import_identities(
            file.read_bytes(),
            file.name,
            actor=admin,
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
            max_rows=current_app.config["IMPORT_MAX_ROWS"],
            dry_run=dry_run,
        )
    except TableError as error:
        db.session.rollback()
        heading = ngettext(
            "Nothing was added: %(num)d problem in %(file)s:",
            "Nothing was added: %(num)d problems in %(file)s:",
            error.total,
            file=file.name,
        )
        click.echo(heading, err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        if error.total > len(error.problems):
            more = error.total - len(error.problems)
            click.echo(
                "  " + ngettext("… and %(num)d more.", "… and %(num)d more.", more), err=True
            )
        sys.exit(1)
    db.session.commit()
    verb = "Would add" if dry_run else "Added"
    click.echo(
        f"{verb} {report.added} ids from {report.rows} rows "
        f"({report.unchanged} were already there)."
    )
