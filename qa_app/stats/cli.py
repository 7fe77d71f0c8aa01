"""`flask --app run import-stats FILE` (answering as the web import) and `report agent EMAIL`:
statistics in, figures out."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import get_timezone

from qa_app.auth.models import Role, User
from qa_app.day_range import is_within, outside_reason
from qa_app.extensions import db
from qa_app.interactions.cli import (
    DATE_ORDER_HELP,
    how_read,
    load_profile,
    profile_option,
    refuse,
    system_actor,
)
from qa_app.progress import estimated_rows, progress_bar
from qa_app.stats.agent_performance import agent_performance
from qa_app.stats.filters import ReportFilters, default_start
from qa_app.stats.importer import import_stats
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.dates import DATE_ORDERS
from qa_app.uploads.reader import TableError


@click.command("import-stats")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option(
    "--source",
    default="import",
    show_default=True,
    help="Source system (selects the import profile or column mapping saved for it).",
)
@click.option(
    "--date-order",
    type=click.Choice(sorted(DATE_ORDERS)),
    help=DATE_ORDER_HELP,
)
@profile_option("statistics")
@with_appcontext
def import_stats_command(
    file: Path, dry_run: bool, source: str, date_order: str | None, profile_file: Path | None
) -> None:
    """Import per-agent daily statistics from a CSV or XLSX export (all rows or none)."""
    config = current_app.config
    profile = load_profile(profile_file, source, "statistics")
    size = file.stat().st_size
    if size > config["STATS_MAX_MB"] * 1024 * 1024:
        raise click.ClickException(
            f"{file.name} is {size:,} bytes; the limit is "
            f"{config['STATS_MAX_MB']} MB (STATS_MAX_MB)."
        )
    data = file.read_bytes()
    with progress_bar(estimated_rows(data), "Checking rows") as advance:
        try:
            report = import_stats(
                data,
                file.name,
                source=source,
                actor=system_actor(),
                dry_run=dry_run,
                max_bytes=size + 1,
                max_rows=config["STATS_MAX_ROWS"],
                progress=advance,
                options=ReadOptions(day_first=DATE_ORDERS.get(date_order or ""), tz=get_timezone()),
                profile=profile,
            )
        except TableError as error:
            refuse(error, file.name)
    db.session.commit()
    verb = "Would import" if dry_run else "Imported"
    click.echo(
        f"{verb} {report.agent_days} agent-days ({report.new} new, {report.replaced} "
        f"replaced) for {report.agents} agents from {report.rows} rows, "
        f"{report.first_day} to {report.last_day}." + how_read(report.recognised, report.encoding)
    )
    if report.fcr_from_contacts:
        click.echo(
            "Note: the file gives FCR as a percentage but has no column of FCR-eligible "
            "contacts, so each day's FCR was taken as a share of its contacts handled, as AHT is."
        )
    for match in report.name_matches:
        click.echo(f"Warning: {match}.", err=True)


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
    first = start.date() if start else default_start(last)
    for option, day in (("--from", first), ("--to", last)):
        if not is_within(day):
            raise click.ClickException(f"{option} {day} is {outside_reason()}.")
    if first > last:
        raise click.ClickException("--from is after --to.")
    performance = agent_performance(ReportFilters(first, last, tz, agent_id=agent.id))
    click.echo(
        json.dumps(
            {
                "agent": agent.email,
                "from": first.isoformat(),
                "to": last.isoformat(),
                **performance.public_figures(),
            },
            indent=2,
        )
    )
