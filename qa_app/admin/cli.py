"""`flask --app run create-user`: an account from the command line."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from qa_app.admin.services import UserData, create_user
from qa_app.auth.models import ROLE_VALUES, Role, User
from qa_app.auth.passwords import password_problems
from qa_app.extensions import db
from qa_app.teams.models import Team


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
