"""Importing interaction lists exported by phone and ticket systems (CSV or XLSX).

All or nothing: bad rows are reported (row, column, value, reason; the first 200 problems
and their count) and nothing is written unless the whole file is good. The external
reference is unique per source system and agent, so importing the same file again adds
nothing. The row checks (`check_interactions`) are shared with the JSON API's
`POST /api/v1/interactions`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from qa_app.audit.services import record_event
from qa_app.auth.models import User
from qa_app.database import serialise, snapshot_read
from qa_app.extensions import db
from qa_app.i18n import localize
from qa_app.interactions.models import Interaction
from qa_app.interactions.outcomes import (
    DEFAULT_CSAT_POSITIVE_FROM,
    csat_positive_from,
    read_csat,
    read_nps,
    read_yes_no,
)
from qa_app.profiles.services import known_header_names, reading_for
from qa_app.teams.identities import AgentMatches, NameMatch, match_agents
from qa_app.uploads.cells import (
    DEFAULT_OPTIONS,
    ReadOptions,
    is_blank,
    parse_datetime,
    parse_duration_seconds,
)
from qa_app.uploads.columns import NamedRow, header_of, map_columns, named_rows
from qa_app.uploads.dates import DateOrderError, settle_day_first
from qa_app.uploads.fields import FIELD_ALIASES
from qa_app.uploads.presets import Preset, preset_rows
from qa_app.uploads.reader import Problem, Problems, TableError, longer_than, read_table
from qa_app.uploads.units import DurationUnit, unit_from_header

ALIASES = FIELD_ALIASES["interactions"]
REQUIRED = ("agent", "channel", "occurred_at", "external_ref")
CHANNEL_WORDS = {
    "phone": ("phone", "voice", "call", "telephone", "telephony", "inbound", "outbound"),
    "chat": ("chat", "webchat", "web chat", "messaging", "messenger", "whatsapp", "sms"),
    "email": ("email", "e-mail", "mail"),
    "in_person": ("in person", "in_person", "face to face", "walk-in", "walk in", "branch"),
    "social": ("social", "social media", "facebook", "twitter", "x", "instagram", "linkedin"),
}
CHANNEL_BY_WORD = {word: channel for channel, words in CHANNEL_WORDS.items() for word in words}
TEXT_LIMITS = {"external_ref": 128, "queue": 80, "customer_ref": 128, "transcript": 100_000,
               "recording_url": 500}  # fmt: skip
SOURCE_LIMIT = 40  # Interaction.source
MAX_DURATION = 2_147_483_647  # the database's INTEGER
LOOKUP_CHUNK = 5000
Row = Mapping[str, object]  # our field name → the raw value given for it
RecordKey = tuple[str, str, int]  # source, external reference, agent id


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    rows: int = 0
    new: int = 0
    already_imported: int = 0
    agents: int = 0
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)
    # The text encoding a CSV file was read in: how the file was read, not what it holds.
    encoding: str | None = field(default=None, compare=False)
    # The export the file was recognised as ("Talkdesk — Calls report export").
    recognised: str | None = field(default=None, compare=False)
    # Agents matched by their display name only: told as warnings, never silently.
    name_matches: list[NameMatch] = field(default_factory=list, compare=False)


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def existing_ids(keys: Iterable[RecordKey]) -> dict[RecordKey, int]:
    """(source, external reference, agent id) → id, for those of `keys` already stored."""
    wanted = set(keys)
    by_source: dict[str, set[str]] = {}
    for source, ref, _agent_id in wanted:
        by_source.setdefault(source, set()).add(ref)
    found: dict[RecordKey, int] = {}
    for source, refs in by_source.items():
        for chunk in _chunks(sorted(refs)):
            rows = db.session.execute(
                sa.select(Interaction.external_ref, Interaction.agent_id, Interaction.id).where(
                    Interaction.source == source, Interaction.external_ref.in_(chunk)
                )
            )
            for stored_ref, agent_id, id_ in rows:
                if stored_ref is not None and (source, stored_ref, agent_id) in wanted:
                    found[(source, stored_ref, agent_id)] = id_
    return found


def record_key(record: Mapping[str, Any]) -> RecordKey:
    """What makes a checked record the same interaction as a stored one: its source, its
    reference and its agent. Not the reference alone: then another team's call with the
    same reference would answer with their interaction's id, or refuse this one, and so
    tell that it exists."""
    return record["source"], record["external_ref"], record["agent_id"]


def _text(value: object) -> str:
    return "" if is_blank(value) else str(value).strip()


def local_moment(options: ReadOptions) -> Callable[[object], datetime]:
    """Every way in's reading of a time, as an aware UTC datetime: written with `Z` or an
    offset, as written; without, a local time in the centre's zone (`options.tz`)."""

    def read(value: object) -> datetime:
        moment = parse_datetime(value, options)
        if moment.tzinfo is None:
            moment = localize(moment, options.tz)
        return moment.astimezone(UTC)

    return read


def settled_options(values: Iterable[object], options: ReadOptions, column: str) -> ReadOptions:
    """`options` with the order of a column's slash dates decided (see
    qa_app.uploads.dates.settle_day_first); TableError naming `column` when it cannot be."""
    try:
        day_first = settle_day_first(values, options.day_first)
    except DateOrderError as error:
        raise TableError([Problem.at(None, column, error.value, error.reason)]) from None
    return dataclasses.replace(options, day_first=day_first)


def check_interactions(
    rows: Iterable[tuple[int, Row]],
    label: Callable[[str], str],
    actor: User,
    *,
    read_moment: Callable[[object], datetime],
    default_source: str,
    agent_keys: Iterable[tuple[object, object]],
    unit: str = "row",
    duration_unit: DurationUnit | None = None,
    matched: dict[str, AgentMatches] | None = None,
    positive_from: float = DEFAULT_CSAT_POSITIVE_FROM,
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Check every row (a mapping of our field names to raw values; a name present is a
    column the source has); return the records ready to insert and the problems, each at
    its row number and in the column `label(name)`. `agent_keys` are the rows' source (None:
    `default_source`) and agent values, looked up at once for each source; the look-ups
    (how each agent was matched) are put in `matched` by source when it is given. A plain
    number of the duration is in `duration_unit` (None: seconds); a CSAT score alone counts
    as positive from `positive_from`."""
    keys_by_source: dict[str, set[str]] = {}
    for source_value, key in agent_keys:
        keys_by_source.setdefault(_text(source_value) or default_source, set()).add(_text(key))
    matches = {source: match_agents(keys, actor, source) for source, keys in keys_by_source.items()}
    if matched is not None:
        matched.update(matches)
    problems = Problems(grouped=label("agent"), unit=unit)  # an unknown agent is told once
    records: list[dict[str, Any]] = []
    first_of_key: dict[tuple[str, str], int] = {}

    for number, row in rows:

        def problem(name: str, reason: str, value: object = None, _n: int = number) -> None:
            problems.append(Problem.at(_n, label(name), value, reason))

        record: dict[str, Any] = {"source": _text(row.get("source")) or default_source}
        if len(record["source"]) > SOURCE_LIMIT:
            problem("source", longer_than(SOURCE_LIMIT), record["source"])
        key = _text(row.get("agent"))
        agents = matches.get(record["source"]) or AgentMatches(record["source"])
        user = agents.get(key)  # the values as given: an e-mail in any case is among them
        if not key:
            problem("agent", _("empty"))
        elif user is None:
            problem("agent", agents.reason(key), key)
        elif not user.active:
            problem("agent", _("%(email)s is deactivated", email=user.email), key)
        else:
            record["agent_id"] = user.id

        channel_text = _text(row.get("channel")).lower()
        channel = CHANNEL_BY_WORD.get(channel_text)
        if channel is None:
            problem(
                "channel",
                _("unknown channel (use phone, chat, email, in_person or social)"),
                channel_text or None,
            )
        record["channel"] = channel

        try:
            record["occurred_at"] = read_moment(row.get("occurred_at"))
        except ValueError as error:
            problem("occurred_at", str(error), row.get("occurred_at"))

        if not is_blank(row.get("duration")):
            try:
                record["duration_seconds"] = parse_duration_seconds(row["duration"], duration_unit)
            except ValueError as error:
                problem("duration", str(error), row["duration"])
            else:
                if record["duration_seconds"] > MAX_DURATION:
                    problem("duration", _("too long to be one contact"), row["duration"])

        for name, limit in TEXT_LIMITS.items():
            value = _text(row.get(name))
            if len(value) > limit:
                problem(name, longer_than(limit), value)
            record[name] = value or None

        ref = record.get("external_ref")
        if not ref:
            problem("external_ref", _("empty: a call or ticket id is needed to import once only"))
        elif (record["source"], ref) in first_of_key:
            first = first_of_key[(record["source"], ref)]
            same = (
                _("the same reference as item %(first)s", first=first)
                if unit == "item"
                else _("the same reference as row %(first)s", first=first)
            )
            problem("external_ref", same, ref)
        else:
            first_of_key[(record["source"], ref)] = number
        url = record.get("recording_url")
        if url and urlsplit(url).scheme not in ("http", "https"):
            problem("recording_url", _("not an http(s) link"), url)
        _read_outcomes(row, record, positive_from, problem)
        records.append(record)
    return records, problems


def _read_outcomes(
    row: Row,
    record: dict[str, Any],
    positive_from: float,
    problem: Callable[[str, str, object], None],
) -> None:
    """Put the row's customer outcomes (qa_app.interactions.outcomes) in `record`, each None
    when not given; a CSAT positive column, when the file has one, says more than the
    score's place on the scale."""
    readers: dict[str, Callable[[object], object]] = {
        "csat_score": lambda value: read_csat(value, positive_from),
        "csat_positive": read_yes_no,
        "nps_score": read_nps,
        "resolved_first_contact": read_yes_no,
    }
    read: dict[str, Any] = {}
    for name, reader in readers.items():
        try:
            read[name] = reader(row.get(name))
        except ValueError as error:
            problem(name, str(error), row.get(name))
            read[name] = None
    score, positive = read.pop("csat_score") or (None, None)
    record["csat_score"] = score
    record["csat_positive"] = positive if read["csat_positive"] is None else read["csat_positive"]
    record["nps_score"] = read["nps_score"]
    record["resolved_first_contact"] = read["resolved_first_contact"]


def new_records(
    records: list[dict[str, Any]], actor: User
) -> tuple[list[dict[str, Any]], dict[RecordKey, int]]:
    """The checked records not stored yet (ready to insert), and the ids of those that are
    (see `record_key`).

    Holds the import lock until the transaction ends: a second import of the same file at
    once waits, then finds these rows stored and skips them.
    """
    serialise(db.session, "interactions.import")
    existing = existing_ids(record_key(r) for r in records)
    new = [dict(r, created_by_id=actor.id) for r in records if record_key(r) not in existing]
    return new, existing


def _report(
    records: list[dict[str, Any]],
    existing: Mapping[RecordKey, int],
    *,
    dry_run: bool = False,
    encoding: str | None = None,
) -> ImportReport:
    """What importing the checked `records` does, `existing` being those stored already."""
    new = [r for r in records if record_key(r) not in existing]
    return ImportReport(
        rows=len(records),
        new=len(new),
        already_imported=len(existing),
        agents=len({r["agent_id"] for r in new}),
        dry_run=dry_run,
        encoding=encoding,
    )


_Row = tuple[int, NamedRow]


def _counted(rows: Iterable[_Row], progress: Callable[[int], None]) -> Iterator[_Row]:
    """The rows, calling progress(1) as each is checked."""
    for row in rows:
        yield row
        progress(1)


def import_interactions(
    data: bytes,
    filename: str,
    *,
    source: str,
    actor: User,
    tz: tzinfo | None = None,
    max_bytes: int,
    max_rows: int,
    dry_run: bool = False,
    options: ReadOptions = DEFAULT_OPTIONS,
    profile: Preset | None = None,
    progress: Callable[[int], None] | None = None,
    job_id: int | None = None,
) -> ImportReport:
    """Read, check and (unless `dry_run` or any row is bad) insert the file's interactions,
    their times read with `options` in the centre's zone `tz` (see `local_moment`; the
    order of slash dates decided for the column first) and a plain number of the duration in
    the unit its header names, else `options.duration_unit`. Read by the import `profile`
    when it is given, else by the one saved for the source or for files of its shape, else by
    the preset of the export it is recognised as, else by the usual column names. `job_id`
    names the job that runs the import in its audit event.

    Raises TableError with the problems; nothing is written then. The session's open
    transaction is committed first; the file is read and checked in a read-only one
    (`snapshot_read`: on SQLite no write lock, so other users' saves go on meanwhile), and
    only the storing opens a write transaction, left open for the caller to commit.
    """
    if tz is not None:
        options = dataclasses.replace(options, tz=tz)
    with snapshot_read(db.session):
        names = known_header_names("interactions", profile)
        table = read_table(
            data, filename, max_bytes=max_bytes, max_rows=max_rows, header_names=names
        )
        preset = reading_for("interactions", source, table.headers, profile)
        if preset is None:
            columns = map_columns(table.headers, ALIASES, required=REQUIRED)
        else:
            columns = map_columns(
                table.headers,
                preset.aliases(),
                required=REQUIRED,
                ignore=preset.ignored(),
                by_field_name=False,
            )
            options = preset.options(options)
            width, channel = len(table.headers), columns.get("channel")
            table.rows = list(preset_rows(iter(table.rows), preset, width, channel, None))
        label = header_of(table, columns)
        when = columns["occurred_at"]
        options = settled_options(
            (row[when] for _, row in table.rows), options, label("occurred_at")
        )
        duration_unit = options.duration_unit
        if "duration" in columns:
            preset_unit = preset.units.get("duration") if preset else None
            duration_unit = unit_from_header(label("duration")) or preset_unit or duration_unit
        matched: dict[str, AgentMatches] = {}
        rows = named_rows(table, columns)
        records, problems = check_interactions(
            _counted(rows, progress) if progress is not None else rows,
            label,
            actor,
            read_moment=local_moment(options),
            default_source=source,
            agent_keys=((None, row[columns["agent"]]) for _, row in table.rows),
            duration_unit=duration_unit,
            matched=matched,
            positive_from=csat_positive_from(),
        )
        if problems:
            raise TableError(problems)
        recognised = preset.title if preset else None
        name_matches = [m for found in matched.values() for m in found.name_matches()]
        if dry_run:  # a report only: read in the same snapshot
            keys = (record_key(r) for r in records)
            report = _report(records, existing_ids(keys), dry_run=True, encoding=table.encoding)
            report.recognised = recognised
            report.name_matches = name_matches
            return report
    new, existing = new_records(records, actor)
    report = _report(records, existing, encoding=table.encoding)
    report.recognised = recognised
    report.name_matches = name_matches
    if not new:
        return report
    db.session.execute(sa.insert(Interaction), new)
    record_event(
        "interactions.imported",
        "interaction",
        None,
        actor_id=actor.id,
        after={
            "file": filename[:200],
            "source": source,
            "rows": report.rows,
            "new": report.new,
            "already_imported": report.already_imported,
            **({"recognised": recognised} if recognised else {}),
            **({"job": job_id} if job_id else {}),
        },
    )
    return report
