"""`flask --app run import-interactions FILE`: an interaction list in, as the web import."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import get_timezone, ngettext

from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.interactions.importer import import_interactions
from qa_app.profiles.services import read_profile_file
from qa_app.progress import estimated_rows, progress_bar
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.dates import DATE_ORDERS
from qa_app.uploads.fields import Kind
from qa_app.uploads.presets import Preset, PresetError
from qa_app.uploads.reader import TableError

F = TypeVar("F", bound=Callable[..., object])
DATE_ORDER_HELP = (
    "How slash dates such as 12/11/2026 are read (default: the recognised export's order, "
    "else decided from the file's own dates; a file they leave ambiguous is refused)."
)


def system_actor() -> User:
    """Command-line imports are recorded against the first active administrator."""
    admin = db.session.scalar(
        sa.select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    )
    if admin is None:
        raise click.ClickException("Create an administrator first (create-user --role admin).")
    return admin


def refuse(error: TableError, name: str) -> NoReturn:
    """Tell a refused file's problems on standard error, roll back, and exit with 1."""
    db.session.rollback()
    # In the centre's language (QA_DEFAULT_LOCALE): a command has no reader of its own.
    heading = ngettext(
        "Nothing was imported: %(num)d problem in %(file)s:",
        "Nothing was imported: %(num)d problems in %(file)s:",
        error.total,
        file=name,
    )
    click.echo("\n" + heading, err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)
    if error.total > len(error.problems):
        more = error.total - len(error.problems)
        click.echo("  " + ngettext("… and %(num)d more.", "… and %(num)d more.", more), err=True)
    sys.exit(1)


def profile_option(kind: Kind) -> Callable[[F], F]:
    """`--profile FILE`: read the file with an import profile file (as downloaded from the
    Import profiles page) instead of the profile saved for the source."""
    return click.option(
        "--profile",
        "profile_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=f"An import profile file (TOML) to read the {kind} file with.",
    )


def load_profile(path: Path | None, source: str, kind: Kind) -> Preset | None:
    """The profile file's reading rules (None without a file); exits naming what is wrong."""
    if path is None:
        return None
    try:
        return read_profile_file(path.read_text(encoding="utf-8"), source, path.name, kind)
    except (PresetError, UnicodeDecodeError) as error:
        raise click.ClickException(f"The profile is not valid: {error}") from None


def how_read(recognised: str | None, encoding: str | None) -> str:
    """The sentences the web import adds to its result: the export the file was recognised
    as and the text encoding it was read in."""
    return (f" Recognised as {recognised}." if recognised else "") + (
        f" Read as {encoding} text." if encoding else ""
    )


@click.command("import-interactions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option(
    "--source",
    default="import",
    show_default=True,
    help="Source system (an interaction's reference is unique per source and agent; selects "
    "the import profile saved for it).",
)
@click.option("--date-order", type=click.Choice(sorted(DATE_ORDERS)), help=DATE_ORDER_HELP)
@profile_option("interactions")
@with_appcontext
def import_interactions_command(
    file: Path, dry_run: bool, source: str, date_order: str | None, profile_file: Path | None
) -> None:
    """Import an interaction list from a CSV or XLSX export (all rows or none)."""
    config = current_app.config
    limit = config["MAX_CONTENT_LENGTH"]
    size = file.stat().st_size
    if size > limit:
        raise click.ClickException(
            f"{file.name} is {size:,} bytes; the limit is {limit:,} bytes (MAX_UPLOAD_MB)."
        )
    profile = load_profile(profile_file, source, "interactions")
    data = file.read_bytes()
    with progress_bar(estimated_rows(data), "Checking rows") as advance:
        try:
            report = import_interactions(
                data,
                file.name,
                source=source,
                actor=system_actor(),
                dry_run=dry_run,
                max_bytes=limit,
                max_rows=config["IMPORT_MAX_ROWS"],
                options=ReadOptions(day_first=DATE_ORDERS.get(date_order or ""), tz=get_timezone()),
                profile=profile,
                progress=advance,
            )
        except TableError as error:
            refuse(error, file.name)
    db.session.commit()
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} {report.new} interactions for {report.agents} agents from {report.rows} "
        f"rows ({report.already_imported} already imported)."
        + how_read(report.recognised, report.encoding)
    )
    for match in report.name_matches:
        click.echo(f"Warning: {match}.", err=True)
