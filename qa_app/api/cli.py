"""`flask --app run api-token …`: personal API tokens from the command line, for operators
who set up service accounts (a BI tool, the phone system) without the web pages."""

from __future__ import annotations

from datetime import datetime

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import get_timezone

from qa_app.api.models import ApiToken
from qa_app.api.tokens import TokenRuleError, create_token, end_of_day, revoke_token, tokens_of
from qa_app.auth.cli_lookup import user_named
from qa_app.database import utcnow
from qa_app.extensions import db

api_token_group = AppGroup("api-token", help="Personal API tokens (JSON API).")


@api_token_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What will use the token, e.g. 'Power BI'.")
@click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day the token works (default: none)."
)
def create_command(email: str, name: str, until: datetime | None) -> None:
    """Create a token for EMAIL and print it; it is shown only this once."""
    owner = user_named(email)
    expires_at = end_of_day(until.date(), get_timezone()) if until else None
    try:
        new = create_token(owner, name[:80], expires_at, actor=None)
    except TokenRuleError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(new.secret)
    click.echo(f"Token {new.token.prefix}… for {owner.email}; it is not shown again.", err=True)


@api_token_group.command("list")
@click.argument("email")
def list_command(email: str) -> None:
    """List EMAIL's tokens: prefix, state, name (never the secrets)."""
    now = utcnow()
    for token in tokens_of(user_named(email)):
        state = "revoked" if token.revoked_at else "active" if token.is_usable(now) else "expired"
        click.echo(f"{token.prefix}…\t{state}\t{token.name}")


@api_token_group.command("revoke")
@click.argument("email")
@click.argument("prefix")
def revoke_command(email: str, prefix: str) -> None:
    """Revoke EMAIL's token that starts with PREFIX (as `list` shows it)."""
    owner = user_named(email)
    matches = db.session.scalars(
        sa.select(ApiToken).where(
            ApiToken.user_id == owner.id, ApiToken.prefix == prefix.rstrip("…")
        )
    ).all()
    if len(matches) != 1:
        raise click.ClickException(f"{len(matches)} tokens of {owner.email} have this prefix.")
    revoke_token(matches[0], actor=None)
    db.session.commit()
    click.echo(f"Revoked {matches[0].prefix}… ({matches[0].name}).")
