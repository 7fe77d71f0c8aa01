"""Checking and storing per-agent daily statistics, whatever they came from.

The file import (`importer.py`) and the JSON API (`POST /api/v1/stats`) both hand rows here as
mappings of our column names to raw values, so both apply exactly the same rules: agents by
external id or e-mail, counts and durations, per-day averages turned into totals with the
day's counts (DESIGN.md), rows of one agent-day added up, and all or nothing — every bad row
is reported and nothing is written unless every row is good. Storing an agent-day again
replaces it. A file's plain rows take a shorter path to the same totals (`plain_rows.py`,
which uses the rules defined here).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

import sqlalchemy as sa

from qa_app.audit.services import record_event
from qa_app.auth.models import User
from qa_app.channels import CHANNELS
from qa_app.database import bulk_insert, serialise, utcnow
from qa_app.extensions import db
from qa_app.interactions.importer import CHANNEL_BY_WORD
from qa_app.stats.models import ALL_CHANNELS, TOTAL_COLUMNS, AgentDailyStat
from qa_app.teams.identities import NameMatch, refusal
from qa_app.uploads.cells import (
    is_blank,
    parse_date,
    parse_duration,
    parse_duration_seconds,
    parse_int,
    parse_percentage,
)
from qa_app.uploads.reader import Problem, Problems, TableError

DURATIONS = ("handle_seconds", "talk_seconds", "hold_seconds", "acw_seconds",
             "logged_in_seconds")  # fmt: skip
COUNTS = (
    "contacts_handled", "csat_responses", "csat_positive", "nps_responses", "nps_promoters",
    "nps_detractors", "fcr_eligible", "fcr_resolved", "transfers",
)  # fmt: skip
HANDLE_PARTS = ("talk_seconds", "hold_seconds", "acw_seconds")  # handle = their sum
# A part above its base is a problem: CSAT positive ≤ responses, and so on.
PART_OF_BASE = (
    ("csat_positive", "csat_responses"),
    ("fcr_resolved", "fcr_eligible"),
    ("nps_promoters", "nps_responses"),
    ("nps_detractors", "nps_responses"),
)
PERCENTAGES = ("csat_pct", "fcr_pct")
# A percentage column becomes a count of its base: CSAT % × responses, FCR % × eligible.
PERCENT_OF = {"csat_pct": ("csat_positive", "csat_responses"),
              "fcr_pct": ("fcr_resolved", "fcr_eligible")}  # fmt: skip
LOOKUP_CHUNK = 5000
STORE_CHUNK = 5000
# The database's INTEGER: a larger total cannot be stored (and no real agent-day is near it).
MAX_TOTAL = 2_147_483_647

Row = Mapping[str, object]  # our column name → the raw value given for it
DayKey = tuple[int, date, str]  # agent id, day, channel
# An agent-day and its totals in TOTAL_COLUMNS order (a tuple: millions of them may be held,
# and the cycle collector stops walking tuples of numbers).
Totals = tuple[DayKey, tuple[int, ...]]


@dataclass
class StatsReport:
    """What an import did (or would do, in a dry run)."""

    rows: int = 0
    agent_days: int = 0
    new: int = 0
    replaced: int = 0
    agents: int = 0
    first_day: date | None = None
    last_day: date | None = None
    dry_run: bool = False
    # The text encoding a CSV file was read in: how the file was read, not what it holds.
    encoding: str | None = field(default=None, compare=False)
    # Agents matched by their display name only: told as warnings, never silently.
    name_matches: list[NameMatch] = field(default_factory=list, compare=False)


@dataclass
class _RowResult:
    key: DayKey | None = None
    values: dict[str, int] = field(default_factory=dict)


def _count(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_day_row(
    number: int,
    row: Row,
    label: Callable[[str], str],
    agents: Mapping[str, User],
    problems: list[Problem],
) -> _RowResult:
    """Check one row; append its problems (at `number`, in the column `label(name)`) and
    return its agent-day key and totals. A name present in `row` is a column the source has,
    even when its value is blank."""
    result = _RowResult()

    def problem(name: str, reason: str) -> None:
        problems.append(Problem.at(number, label(name), row.get(name), reason))

    def cell(name: str, parse: Callable[[object], Any]) -> Any:
        value = row.get(name)
        if is_blank(value):
            return None
        try:
            return parse(value)
        except ValueError as error:
            problem(name, str(error))
            return None

    key = "" if is_blank(row.get("agent")) else str(row["agent"]).strip()
    user = agents.get(key) or agents.get(key.lower())
    if user is None:
        problem("agent", refusal(agents, key) if key else "empty")
    # Blank is "empty"; anything else unreadable is told by its parser. (Never by looking
    # back over `problems`: that made a file of bad rows quadratic, 30,000 rows 16 s.)
    day = None
    if is_blank(row.get("day")):
        problem("day", "empty")
    else:
        day = cell("day", parse_date)
    channel = ALL_CHANNELS
    if not is_blank(row.get("channel")):
        channel = channel_of(row["channel"])
        if not channel:
            problem("channel", "unknown channel")

    values: dict[str, int] = {}
    if is_blank(row.get("contacts_handled")):
        problem("contacts_handled", "empty (write 0 for a day without contacts)")
    for name in COUNTS:
        raw = row.get(name)
        if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 16:
            values[name] = int(raw)  # the common case, a plain count: nothing to check
            continue
        number_ = cell(name, parse_int)
        if number_ is not None and number_ < 0:
            problem(name, "negative count")
        elif number_ is not None:
            values[name] = number_
    for name in DURATIONS:
        seconds = cell(name, parse_duration_seconds)
        if seconds is not None:
            values[name] = seconds
    contacts = values.get("contacts_handled", 0)
    aht = cell("aht_seconds", parse_duration)
    if aht is not None and "handle_seconds" not in values:
        # A per-day average becomes a total: AHT × contacts (DESIGN.md), rounded once.
        values["handle_seconds"] = _count(aht * contacts)
    parts = [values[name] for name in HANDLE_PARTS if name in values]
    if "handle_seconds" not in values and parts:
        # Handle time is talk + hold + after-call work (DESIGN.md).
        values["handle_seconds"] = sum(parts)
    for name in PERCENTAGES:
        share = cell(name, parse_percentage)
        if share is None:
            continue
        part, base = PERCENT_OF[name]
        if part in values:
            continue  # the count itself is there; the percentage is only its echo
        if base not in values:
            problem(
                name,
                f"a percentage needs its base column ({base.replace('_', ' ')}) to become a total",
            )
            continue
        values[part] = _count(share * values[base] / 100)
    for part, base in PART_OF_BASE:
        if values.get(part, 0) > values.get(base, 0):
            problem(part if part in row else base, f"more than the {base.replace('_', ' ')}")
    if values.get("nps_promoters", 0) + values.get("nps_detractors", 0) > values.get(
        "nps_responses", 0
    ):
        problem(
            "nps_responses" if "nps_responses" in row else "agent",
            "promoters and detractors together exceed the NPS responses",
        )
    if "nps" in row and not ("nps_promoters" in row and "nps_detractors" in row):
        problem(
            "nps",
            "an NPS score cannot be added up; export promoters, detractors and responses instead",
        )
    if user is not None and day is not None and channel:
        result.key = (user.id, day, channel)
    result.values = values
    return result


def channel_of(value: object) -> str:
    """Our channel for a (non-blank) channel cell: "phone" for "Voice", say; "" if unknown."""
    text = str(value).strip().lower()
    return CHANNEL_BY_WORD.get(text, text if text in (*CHANNELS, ALL_CHANNELS) else "")


def collect_day_totals(
    rows: Iterable[tuple[int, Row]],
    label: Callable[[str], str],
    agents: Mapping[str, User],
    progress: Callable[[int], None] | None = None,
) -> dict[DayKey, tuple[int, ...]]:
    """Check every row and add up each agent-day's totals, a tuple in `TOTAL_COLUMNS` order
    (interval rows of one agent-day add up; per-channel rows also give the day's "all" row).
    TableError lists the problems (see `add_up`)."""

    def checked(number: int, row: Row, problems: list[Problem]) -> Totals | None:
        return row_totals(number, row, label, agents, problems)

    return add_up(rows, checked, label, progress)


def row_totals(
    number: int,
    row: Row,
    label: Callable[[str], str],
    agents: Mapping[str, User],
    problems: list[Problem],
) -> Totals | None:
    """`check_day_row`, its totals as a tuple in `TOTAL_COLUMNS` order (None: no agent-day)."""
    result = check_day_row(number, row, label, agents, problems)
    if result.key is None:
        return None
    return result.key, tuple([result.values.get(name, 0) for name in TOTAL_COLUMNS])


def add_up(
    rows: Iterable[tuple[int, Any]],
    checked: Callable[[int, Any, list[Problem]], Totals | None],
    label: Callable[[str], str],
    progress: Callable[[int], None] | None = None,
) -> dict[DayKey, tuple[int, ...]]:
    """Add up the totals `checked` gives for each row by agent-day; TableError lists every
    problem it found (the first MAX_PROBLEMS, with their count), and any total too large
    to store."""
    problems = Problems(grouped=label("agent"))  # an unknown agent is told once
    days: dict[DayKey, tuple[int, ...]] = {}
    for index, (number, row) in enumerate(rows, start=1):
        if (result := checked(number, row, problems)) is not None:
            key, totals = result
            if (stored := days.get(key)) is None:
                days[key] = totals
            else:  # another interval of the same agent-day
                days[key] = tuple([a + b for a, b in zip(stored, totals, strict=True)])
        if progress and index % 1000 == 0:
            progress(1000)
    _add_all_channel_rows(days)
    for (_agent_id, day, channel), totals in days.items():
        if max(totals) <= MAX_TOTAL:
            continue
        for name, value in zip(TOTAL_COLUMNS, totals, strict=True):
            if value > MAX_TOTAL:
                reason = f"the total for {day} ({channel}) is too large to store"
                problems.append(Problem.at(None, label(name), value, reason))
    if problems:
        raise TableError(problems)
    return days


def save_days(
    days: Mapping[DayKey, Sequence[int]],
    *,
    rows: int,
    source: str,
    actor: User,
    dry_run: bool,
    origin: Mapping[str, Any],
) -> StatsReport:
    """Report on checked agent-days and (unless `dry_run`) store them, replacing the same
    agent-days stored before; audited with `origin` (the file name, or the API)."""
    report = StatsReport(
        rows=rows,
        agent_days=len(days),
        dry_run=dry_run,
        agents=len({key[0] for key in days}),
    )
    if not dry_run:
        # Two imports of the same agent-days at once: the later one waits, then replaces.
        serialise(db.session, "stats.agent_days")
    if days:
        report.first_day = min(key[1] for key in days)
        report.last_day = max(key[1] for key in days)
        stored = _stored_ids(days)
        report.replaced = len(stored)
        report.new = report.agent_days - report.replaced
    if dry_run or not days:
        return report
    _replace(days, stored, source)
    record_event(
        "stats.imported",
        "agent_daily_stat",
        None,
        actor_id=actor.id,
        after={
            **origin,
            "source": source,
            "rows": report.rows,
            "agent_days": report.agent_days,
            "replaced": report.replaced,
            "period": [str(report.first_day), str(report.last_day)],
        },
    )
    return report


def _add_all_channel_rows(days: dict[DayKey, tuple[int, ...]]) -> None:
    """An export with one row per channel also gets each agent-day's "all" row (their sum):
    KPIs are read from "all" rows."""
    sums: dict[DayKey, tuple[int, ...]] = {}
    for (agent_id, day, channel), totals in days.items():
        if channel == ALL_CHANNELS or (agent_id, day, ALL_CHANNELS) in days:
            continue
        key = (agent_id, day, ALL_CHANNELS)
        added = sums.get(key)
        sums[key] = (
            totals if added is None else tuple([a + b for a, b in zip(added, totals, strict=True)])
        )
    days.update(sums)


def _stored_ids(days: Mapping[DayKey, Any]) -> dict[DayKey, int]:
    """The ids of the agent-days in `days` that are stored already.

    One range query per chunk of agents (their rows between the first and the last day),
    matched in memory: a tuple IN over a million keys would be compiled chunk by chunk.
    """
    agents = sorted({agent_id for agent_id, _day, _channel in days})
    first = min(day for _agent_id, day, _channel in days)
    last = max(day for _agent_id, day, _channel in days)
    found: dict[DayKey, int] = {}
    for start in range(0, len(agents), LOOKUP_CHUNK):
        query = sa.select(
            AgentDailyStat.id, AgentDailyStat.agent_id, AgentDailyStat.day, AgentDailyStat.channel
        ).where(
            AgentDailyStat.agent_id.in_(agents[start : start + LOOKUP_CHUNK]),
            AgentDailyStat.day.between(first, last),
        )
        for row_id, agent_id, day, channel in db.session.execute(
            query.execution_options(yield_per=STORE_CHUNK)
        ):
            if (agent_id, day, channel) in days:
                found[(agent_id, day, channel)] = row_id
    return found


def _replace(
    days: Mapping[DayKey, Sequence[int]], stored: Mapping[DayKey, int], source: str
) -> None:
    """Delete the stored agent-days, then insert them all: storing twice gives the same data."""
    ids = sorted(stored.values())
    table = cast(sa.Table, AgentDailyStat.__table__)
    for start in range(0, len(ids), STORE_CHUNK):
        db.session.execute(sa.delete(table).where(table.c.id.in_(ids[start : start + STORE_CHUNK])))
    now = utcnow()
    # Through the driver (COPY on PostgreSQL): a million agent-days without SQLAlchemy's
    # per-row parameter handling.
    bulk_insert(
        db.session,
        table,
        ("agent_id", "day", "channel", *TOTAL_COLUMNS, "source", "imported_at"),
        ((agent_id, day, channel, *totals, source, now)
         for (agent_id, day, channel), totals in days.items()),
    )  # fmt: skip
