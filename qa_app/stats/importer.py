"""Importing per-agent statistics as phone systems export them (CSV or XLSX).

Columns are found by the names of the export the file is recognised as (a shipped preset,
qa_app.uploads.presets), else by their usual names; a mapping saved for the source wins.
Durations may be seconds or hh:mm:ss; per-day averages (AHT, CSAT %, FCR %) are turned into
totals with the day's counts. Rows of one agent-day (interval exports) are added up. All or
nothing: bad rows are reported (the first 200 problems, and their count), nothing is written
unless the whole file is good, and the file is checked before the write transaction begins. A
file needs the agent, the day and at least one whole group of figures (volumes and times,
CSAT, NPS, FCR, transfers): a survey export without contact counts is a file like any other.
Importing an agent-day again replaces the rows of the same source only. The row checks and
the storing are `daily_rows.py`'s, shared with the JSON API; this module finds the columns of
a file.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.database import snapshot_read
from qa_app.extensions import db
from qa_app.profiles.services import known_header_names, reading_for
from qa_app.stats.daily_rows import (
    DURATION_COLUMNS,
    AgentDays,
    StatsReport,
    missing_figures,
    missing_figures_message,
    save_days,
)
from qa_app.stats.models import ColumnMapping
from qa_app.stats.plain_rows import collect_file_days
from qa_app.teams.identities import AgentMatches, match_agents
from qa_app.uploads.cells import DEFAULT_OPTIONS, ReadOptions, is_blank
from qa_app.uploads.columns import header_of, map_columns
from qa_app.uploads.dates import UNDECIDED, DateOrderError, DayOrderEvidence
from qa_app.uploads.fields import FIELD_ALIASES
from qa_app.uploads.presets import (
    Preset,
    day_in_titles,
    preset_has_day,
    preset_rows,
    with_mapping,
)
from qa_app.uploads.reader import (
    Problem,
    TableError,
    TableStream,
    normalise_header,
    stream_table,
)
from qa_app.uploads.units import DurationUnit, unit_from_header

ALIASES = FIELD_ALIASES["statistics"]
REQUIRED = ("agent",)  # and the figures of at least one group (daily_rows.missing_figures)
AGENT_CHUNK = 10_000  # rows whose agents are looked up together


def saved_mapping(source: str) -> dict[str, str]:
    """The column mapping saved for a source system ({} when none)."""
    mapping = db.session.scalar(sa.select(ColumnMapping).where(ColumnMapping.source == source))
    return dict(mapping.columns) if mapping else {}


def _aliases(mapping: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    aliases = {name: tuple(values) for name, values in ALIASES.items()}
    for name, header in mapping.items():
        if name in aliases and header:
            aliases[name] = (header, *aliases[name])
    return aliases


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a file is imported. An import makes millions of
    short-lived rows and keeps an agent-day tuple per row, none of them in a reference cycle
    (reference counting frees them); the collector would still walk the whole heap again and
    again as they pile up: a third of the time of a 1M-row import (bench/RESULTS.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_cycle_collection_paused()
def import_stats(
    data: bytes,
    filename: str,
    *,
    source: str,
    actor: User,
    max_bytes: int,
    max_rows: int,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    options: ReadOptions = DEFAULT_OPTIONS,
    profile: Preset | None = None,
    job_id: int | None = None,
) -> StatsReport:
    """Check and (unless `dry_run` or any row is bad) store the file's agent-days, its dates
    and durations read with `options` and, given, by the import `profile` (else the one
    saved for the source or the file's shape; see `check_stats_file`). `job_id` names the
    job that runs the import in its audit event.

    Raises TableError with the problems; nothing is written then. The session's open
    transaction is committed first; the file is read and checked in a read-only one
    (`snapshot_read`: on SQLite no write lock, so other users' saves go on meanwhile), and
    only the storing opens a write transaction, left open for the caller to commit.
    """
    with snapshot_read(db.session):
        days, rows, encoding, agents, preset = check_stats_file(
            data,
            filename,
            source=source,
            actor=actor,
            max_bytes=max_bytes,
            max_rows=max_rows,
            progress=progress,
            options=options,
            profile=profile,
        )
        if dry_run:  # a report only: read in the same snapshot
            report = save_days(days, rows=rows, source=source, actor=actor, dry_run=True, origin={})
            report.encoding = encoding
            report.recognised = preset.title if preset else None
            report.name_matches = agents.name_matches()
            return report
    origin: dict[str, object] = {"file": filename[:200]}
    origin |= ({"recognised": preset.title} if preset else {}) | ({"job": job_id} if job_id else {})
    report = save_days(days, rows=rows, source=source, actor=actor, dry_run=False, origin=origin)
    report.encoding = encoding
    report.recognised = preset.title if preset else None
    report.name_matches = agents.name_matches()
    return report


def check_stats_file(
    data: bytes,
    filename: str,
    *,
    source: str,
    actor: User,
    max_bytes: int,
    max_rows: int,
    progress: Callable[[int], None] | None = None,
    options: ReadOptions = DEFAULT_OPTIONS,
    profile: Preset | None = None,
) -> tuple[AgentDays, int, str | None, AgentMatches, Preset | None]:
    """The file's agent-days and totals, its number of data rows, the text encoding it
    was read in (None for a workbook), its agents (how each was matched) and the export or
    import profile it was read by; reads only.

    Raises TableError with the problems. A CSV file's rows are checked as they are read,
    their agents looked up a chunk at a time. Slash dates are read in the order
    `options.day_first` gives, else in the one the date column's own values settle (read in
    a first pass over the column), else the file is refused as ambiguous. A plain number in
    a duration column is in the unit its header names, else `options.duration_unit`.
    """

    def read(
        options: ReadOptions,
    ) -> tuple[AgentDays, int, str | None, AgentMatches, Preset | None] | None:
        """The result, or None when a slash date is met with no order decided."""
        stream, columns, preset = _open_file(data, filename, source, max_bytes, max_rows, profile)
        if preset is not None:
            options = preset.options(options)
        if options.day_first is None:
            first = next(stream.rows, None)
            if first is not None and _is_slash_date(first[1][columns["day"]]):
                return None  # the column is read first, before any row is checked
            stream.rows = itertools.chain([first] if first else [], stream.rows)
        units = _duration_units(stream.headers, columns, options, preset)
        agents = AgentMatches(source)
        rows = _with_agents(stream.rows, columns["agent"], agents, actor)
        label = header_of(stream, columns)
        try:
            days = collect_file_days(rows, columns, label, agents, progress, options, units)
        except TableError as error:
            if options.day_first is None and any(p.reason == UNDECIDED for p in error.problems):
                return None  # a slash date further down
            stream.finish()  # what is wrong with the file itself is told before its rows'
            raise
        stream.finish()
        return days, stream.count, stream.encoding, agents, preset

    if (result := read(options)) is None:
        day_first = _settled_day_first(data, filename, source, max_bytes, max_rows, profile)
        # None: no slash dates after all, and then either order reads the column alike.
        result = read(dataclasses.replace(options, day_first=day_first is not False))
    assert result is not None, "a decided order reads every slash date"
    return result


def _open_file(
    data: bytes,
    filename: str,
    source: str,
    max_bytes: int,
    max_rows: int,
    profile: Preset | None = None,
) -> tuple[TableStream, dict[str, int], Preset | None]:
    """The file's stream from its header row on, its columns, and what reads it: `profile`,
    else the import profile saved for the source or for files of its shape, else the preset
    of the export it is recognised as (its rows then given in our channel words, its blank
    marks blank, and the day a title line gives in a column of its own)."""
    names = known_header_names("statistics", profile)
    stream = stream_table(
        data, filename, max_bytes=max_bytes, max_rows=max_rows, header_names=names
    )
    preset = reading_for("statistics", source, stream.headers, profile)
    if preset is None:
        return stream, _file_columns(stream.headers, source), preset
    width = len(stream.headers)
    title_day: str | None = None
    if preset.day_from_title is not None and not preset_has_day(preset, stream.headers):
        title_day = day_in_titles(preset, stream.titles)
        stream.headers.append(preset.day_from_title)  # read as the file's own date column
    columns = _file_columns(stream.headers, source, preset)
    stream.rows = preset_rows(stream.rows, preset, width, columns.get("channel"), title_day)
    return stream, columns, preset


def _file_columns(headers: list[str], source: str, preset: Preset | None = None) -> dict[str, int]:
    """Our column name → its index in the file (the day from the interval's start when the
    file has no date column): by the preset's names when the file is a known export, else by
    the usual names; a column mapping saved for the source wins over both (not over an
    import profile, which names every column)."""
    mapping = {} if preset is not None and preset.profile else saved_mapping(source)
    if preset is None:
        aliases, ignore = _aliases(mapping), frozenset[str]()
    else:
        aliases, ignore = with_mapping(preset, mapping)
    keys = {normalise_header(header) for header in headers}
    # An interval export may have no date column: its interval start gives the day.
    has_interval = any(normalise_header(alias) in keys for alias in aliases.get("interval", ()))
    columns = _mapped_columns(
        headers,
        aliases,
        required=REQUIRED + (() if has_interval else ("day",)),
        ignore=ignore,
        by_field_name=preset is None,
    )
    columns.setdefault("day", columns.get("interval", -1))
    return columns


def _is_slash_date(value: object) -> bool:
    evidence = DayOrderEvidence()
    evidence.add(value)
    return evidence.seen


def _settled_day_first(
    data: bytes,
    filename: str,
    source: str,
    max_bytes: int,
    max_rows: int,
    profile: Preset | None = None,
) -> bool | None:
    """The order the date column's slash dates settle, read in a pass over the file that
    keeps nothing but the evidence; TableError naming the column when they settle none."""
    stream, columns, _preset = _open_file(data, filename, source, max_bytes, max_rows, profile)
    column = columns["day"]
    evidence = DayOrderEvidence()
    for _number, values in stream.rows:
        evidence.add(values[column])
    try:
        return evidence.decide(None)
    except DateOrderError as error:
        header = stream.headers[column]
        raise TableError([Problem.at(None, header, error.value, error.reason)]) from None


def _duration_units(
    headers: list[str],
    columns: Mapping[str, int],
    options: ReadOptions,
    preset: Preset | None = None,
) -> dict[str, DurationUnit | None]:
    """Each duration column's unit: the one its header names, else the preset's for it,
    else the options'."""
    units = preset.units if preset is not None else {}
    return {
        name: unit_from_header(headers[columns[name]]) or units.get(name) or options.duration_unit
        for name in DURATION_COLUMNS
        if name in columns
    }


def _mapped_columns(
    headers: list[str],
    aliases: Mapping[str, tuple[str, ...]],
    *,
    required: tuple[str, ...],
    ignore: Collection[str] = (),
    by_field_name: bool = True,
) -> dict[str, int]:
    """`map_columns` (with `ignore` and `by_field_name`), requiring the figures a file must
    carry too (`missing_figures`): the contacts where it has times; any group of figures
    where it has none."""
    match = partial(map_columns, headers, aliases, ignore=ignore, by_field_name=by_field_name)
    try:
        found = match(required=())
    except TableError:  # columns matched twice: told with the required ones missing
        return match(required=required)
    missing = missing_figures(found)
    if len(missing) != 1:  # no figures at all: one problem naming every group
        try:
            columns = match(required=required)
        except TableError as error:
            raise TableError([*error.problems, *_no_figures(missing)]) from None
        if missing:
            raise TableError(_no_figures(missing))
        return columns
    return match(required=(*required, *missing))


def _no_figures(missing: Sequence[str]) -> list[Problem]:
    return [Problem(None, None, None, missing_figures_message(missing))] if missing else []


def _with_agents(
    rows: Iterator[tuple[int, Sequence[object]]],
    column: int,
    agents: AgentMatches,
    actor: User,
) -> Iterator[tuple[int, Sequence[object]]]:
    """The rows, a chunk at a time, each chunk's agents (those `actor` may see, matched for
    the file's source) added to `agents` before its rows are given."""
    while chunk := list(itertools.islice(rows, AGENT_CHUNK)):
        keys = {str(values[column]).strip() for _, values in chunk if not is_blank(values[column])}
        looked_up = keys.difference(agents).difference(agents.refused)
        agents.merge(match_agents(looked_up, actor, agents.source))
        yield from chunk
