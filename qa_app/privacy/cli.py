"""`flask --app run privacy …`: a user's data and the anonymisation of a departed agent, for
operators who answer requests without the web pages."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from qa_app.audit.services import record_event
from qa_app.auth.cli_lookup import user_named
from qa_app.extensions import db
from qa_app.privacy.anonymise import AnonymiseError, anonymise_agent
from qa_app.privacy.personal_data import personal_data, to_json

privacy_group = AppGroup("privacy", help="Personal data: copies and anonymisation.")


@privacy_group.command("export")
@click.argument("email")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(email: str, out: Path) -> None:
    """Write everything held about EMAIL to OUT as JSON (the same file as "Download my data")."""
    user = user_named(email)
    document = personal_data(user)
    out.write_bytes(to_json(document))
    sections = {key: len(value) for key, value in document.items() if isinstance(value, list)}
    record_event(
        "privacy.data_exported", "user", user.id, after={"via": "cli", "sections": sections}
    )
    db.session.commit()
    click.echo(f"Wrote the data of user {user.id} to {out}.")


@privacy_group.command("anonymise")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def anonymise_command(email: str, yes: bool) -> None:
    """Anonymise the deactivated agent EMAIL for good (their name, address and the notes
    about them are removed; scores and statistics stay)."""
    user = user_named(email)
    if not yes:
        click.confirm(f"Anonymise {user.email} (user {user.id})? This cannot be undone", abort=True)
    try:
        key = anonymise_agent(user, actor=None)
    except AnonymiseError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"User {user.id} is now {key}.")
