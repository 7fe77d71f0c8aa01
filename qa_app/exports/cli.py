"""`flask --app run export evaluations OUT.xlsx [--from --to --team --agent --scorecard
--channel --lang]`: the evaluations workbook of the whole centre, from the command line;
`export calibration OUT.xlsx [--from --to --scorecard --lang]`: the calibration workbook."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from flask_babel import get_timezone

from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.channels import CHANNELS
from qa_app.database import snapshot_read
from qa_app.exports.calibration_export import (
    CalibrationFilters,
    export_audit,
    export_calibration,
)
from qa_app.exports.queries import count_evaluations
from qa_app.exports.services import export_evaluations, record_export
from qa_app.extensions import db
from qa_app.progress import progress_bar
from qa_app.scorecards.models import Scorecard
from qa_app.stats.filters import ReportFilters, default_start
from qa_app.teams.models import Team

export_group = AppGroup("export", help="Excel exports.")


@export_group.command("evaluations")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 90 days ago)."
)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@click.option("--team", "team_name", help="Only this team (its name).")
@click.option("--agent", "agent_email", help="Only this agent (their e-mail).")
@click.option("--scorecard", "slug", help="Only this scorecard (its slug).")
@click.option("--channel", type=click.Choice(CHANNELS), help="Only this channel.")
@click.option(
    "--lang",
    "language",
    help="The workbook's language, e.g. de (default: the centre's, QA_DEFAULT_LOCALE).",
)
def export_evaluations_command(
    out: Path,
    start: datetime | None,
    end: datetime | None,
    team_name: str | None,
    agent_email: str | None,
    slug: str | None,
    channel: str | None,
    language: str | None,
) -> None:
    """Write the Summary, Evaluations, Answers, Criteria and Training sheets and the Chart to
    OUT (.xlsx), in the centre's language or --lang."""
    _check_out(out)
    tz = get_timezone()
    last = end.date() if end else datetime.now(tz).date()
    first = start.date() if start else default_start(last)
    if first > last:
        raise click.ClickException("--from is after --to.")
    language = _language(language)
    filters = ReportFilters(
        first,
        last,
        tz,
        team_id=_team_id(team_name),
        agent_id=_agent_id(agent_email),
        scorecard_id=_scorecard_id(slug),
        channel=channel,
    )
    with snapshot_read(db.session), written_to(out) as handle:
        total = count_evaluations(filters)
        with progress_bar(total, "Writing evaluations") as advance:
            rows = export_evaluations(filters, handle, progress=advance, language=language)
    record_export("export.evaluations", filters, rows, via="cli")
    db.session.commit()
    click.echo(
        f"Wrote {out} ({first} to {last}): "
        + ", ".join(f"{sheet} {count} rows" for sheet, count in rows.items())
        + "."
    )


def _check_out(out: Path) -> None:
    """OUT must be an .xlsx file in an existing folder."""
    if out.suffix.lower() != ".xlsx":
        raise click.BadParameter("the file name must end in .xlsx", param_hint="OUT")
    if not out.parent.is_dir():
        raise click.BadParameter(f"no folder {out.parent}", param_hint="OUT")


@contextlib.contextmanager
def written_to(out: Path) -> Iterator[IO[bytes]]:
    """A file written beside OUT and renamed to it at the end: a failed export leaves no
    half file."""
    partial = out.with_name(f".{out.name}.partial")
    try:
        with partial.open("wb") as handle:
            yield handle
        os.replace(partial, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise


def _language(code: str | None) -> str:
    """A language the app speaks ("en-GB" is en_GB), the centre's default without one."""
    languages = list(current_app.config["LANGUAGES"])
    if code is None:
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    wanted = code.strip().replace("-", "_")
    for language in languages:
        if language.lower() == wanted.lower():
            return str(language)
    raise click.BadParameter(
        f"no language {code!r}; choose one of {', '.join(languages)}.", param_hint="--lang"
    )


def _team_id(name: str | None) -> int | None:
    if name is None:
        return None
    team_id = db.session.scalar(sa.select(Team.id).where(Team.name == name))
    if team_id is None:
        names = ", ".join(db.session.scalars(sa.select(Team.name).order_by(Team.name)))
        raise click.ClickException(f"No team named {name!r}. Existing teams: {names or 'none'}.")
    return team_id


def _agent_id(email: str | None) -> int | None:
    if email is None:
        return None
    agent_id = db.session.scalar(
        sa.select(User.id).where(User.email == email.strip().lower(), User.role == Role.AGENT)
    )
    if agent_id is None:
        raise click.ClickException(f"No agent with the e-mail {email}.")
    return agent_id


def _scorecard_id(slug: str | None) -> int | None:
    if slug is None:
        return None
    scorecard_id = db.session.scalar(sa.select(Scorecard.id).where(Scorecard.slug == slug))
    if scorecard_id is None:
        slugs = ", ".join(db.session.scalars(sa.select(Scorecard.slug).order_by(Scorecard.slug)))
        raise click.ClickException(f"No scorecard {slug!r}. Scorecards: {slugs or 'none'}.")
    return scorecard_id


@export_group.command("calibration")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day sessions closed on."
)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@click.option("--scorecard", "slug", help="Only this scorecard (its slug).")
@click.option(
    "--lang",
    "language",
    help="The workbook's language, e.g. de (default: the centre's, QA_DEFAULT_LOCALE).",
)
def export_calibration_command(
    out: Path,
    start: datetime | None,
    end: datetime | None,
    slug: str | None,
    language: str | None,
) -> None:
    """Write the Sessions, Calibration, Participants and Agreement sheets of the calibration
    sessions closed in the period (default: every one up to today) to OUT (.xlsx)."""
    _check_out(out)
    tz = get_timezone()
    last = end.date() if end else datetime.now(tz).date()
    first = start.date() if start else None
    if first is not None and first > last:
        raise click.ClickException("--from is after --to.")
    language = _language(language)
    filters = CalibrationFilters(first, last, tz, scorecard_id=_scorecard_id(slug))
    with snapshot_read(db.session), written_to(out) as handle:
        rows = export_calibration(filters, handle, language=language)
    record_event("export.calibration", "export", None, after=export_audit(filters, rows, "cli"))
    db.session.commit()
    click.echo(
        f"Wrote {out} ({first or 'first session'} to {last}): "
        + ", ".join(f"{sheet} {count} rows" for sheet, count in rows.items())
        + "."
    )
