"""`flask --app run backup create OUT`, `backup restore IN [--yes]` and `integrity check`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from qa_app.database import snapshot_read
from qa_app.extensions import db
from qa_app.maintenance.backup import BackupError, create_backup, restore_backup
from qa_app.maintenance.integrity import (
    IntegrityReport,
    check_integrity,
    scored_evaluation_count,
)
from qa_app.progress import progress_bar

backup_group = AppGroup("backup", help="Back up and restore the database.")
integrity_group = AppGroup("integrity", help="Check stored scores against their answers.")


@backup_group.command("create")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def backup_create_command(out: Path) -> None:
    """Write a consistent copy of the database to OUT, while the app keeps running."""
    # One step: SQLite's copy must be one snapshot (a copy in steps restarts whenever the app
    # writes meanwhile), and pg_dump tells no progress; the bar shows it is under way.
    with progress_bar(1, f"Backing up to {out.name}") as advance:
        try:
            made = create_backup(db.engine.url, out)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        advance(1)
    click.echo(f"Backed up the {made.kind} database to {out} ({made.size:,} bytes).")


@backup_group.command("restore")
@click.argument("source", metavar="IN", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
def backup_restore_command(source: Path, yes: bool) -> None:
    """Replace every record in the database with the backup IN, then check its integrity."""
    url = db.engine.url
    if not source.is_file():
        raise click.ClickException(f"No file {source}.")
    question = (
        f"Restoring replaces every record in {url.render_as_string(hide_password=True)} "
        f"with {source}."
    )
    if not yes and not (sys.stdin is not None and sys.stdin.isatty()):
        raise click.ClickException(f"{question} Nothing was restored: add --yes to confirm.")
    if not yes and not click.confirm(f"{question} Continue?", default=False):
        raise click.ClickException("Nothing was restored.")
    db.session.remove()
    # No pooled connection may hold a lock or a stale page cache across the restore.
    db.engine.dispose()
    try:
        restored = restore_backup(url, source)
    except BackupError as exc:
        raise click.ClickException(f"{exc} Nothing was restored.") from exc
    finally:
        db.engine.dispose()
    click.echo(f"Restored the {restored.kind} database from {source}.")
    click.echo("Run `flask --app run db upgrade` if the backup is from an older version.")
    _report(_check(limit=20))


@integrity_group.command("check")
@click.option("--limit", default=20, show_default=True, help="Problems to list.")
def integrity_check_command(limit: int) -> None:
    """Recompute every scored evaluation from its answers and compare it with the stored one."""
    _report(_check(limit))


def _check(limit: int) -> IntegrityReport:
    with snapshot_read(db.session):
        total = scored_evaluation_count(db.session)
        with progress_bar(total, "Checking evaluations") as advance:
            return check_integrity(db.session, limit=limit, progress=advance)


def _report(report: IntegrityReport) -> None:
    click.echo(
        f"Integrity check: {report.evaluations:,} scored evaluations with {report.answers:,} "
        f"answers on {report.versions:,} scorecard versions."
    )
    if report.ok:
        click.echo("No problems: every stored score matches its answers.")
        return
    for mismatch in report.first:
        click.echo(f"  {mismatch}")
    more = report.problems - len(report.first)
    raise click.ClickException(
        f"{report.problems:,} problem{'' if report.problems == 1 else 's'} found"
        + (f" ({more:,} more not listed)." if more else ".")
    )
