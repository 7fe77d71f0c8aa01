"""Finding the user a command-line argument names."""

from __future__ import annotations

import click

from qa_app.auth.models import User
from qa_app.auth.services import user_by_email


def user_named(email: str) -> User:
    """The user with this e-mail address; a clear command-line error when there is none."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with the e-mail {email}.")
    return user
