"""Password hashing and the password policy."""

from __future__ import annotations

from functools import cache
from importlib import resources

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.security import check_password_hash, generate_password_hash

# Long enough for any passphrase; bounded so that hashing a huge body cannot tie up a worker.
PASSWORD_MAX_LENGTH = 256


def hash_password(password: str) -> str:
    """Hash with the configured werkzeug method (scrypt in production)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str, password: str) -> bool:
    """Compare a password with a stored hash in constant time."""
    return check_password_hash(password_hash, password)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords too common to allow, lower-cased."""
    text = resources.files("qa_app").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Explain, in the user's language, why `password` is refused; empty when it is fine.

    The whole password is hashed (werkzeug's methods do not truncate), so length is capped
    only against abuse.
    """
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(
            ngettext("Use at least %(num)d character.", "Use at least %(num)d characters.", minimum)
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(
            ngettext(
                "Use at most %(num)d character.",
                "Use at most %(num)d characters.",
                PASSWORD_MAX_LENGTH,
            )
        )
    if password.lower() in common_passwords():
        problems.append(_("This password is too common; choose one that is hard to guess."))
    elif len(set(password)) < 4:
        problems.append(_("Use more different characters."))
    if email and password.lower() in {email.lower(), email.split("@")[0].lower()}:
        problems.append(_("Do not use your e-mail address as the password."))
    return problems
