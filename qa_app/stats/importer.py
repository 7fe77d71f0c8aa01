"""Importing per-agent statistics as phone systems export them (CSV or XLSX).

Columns are found by their usual names (or a mapping saved for the source). Durations may be
seconds or hh:mm:ss; per-day averages (AHT, CSAT %, FCR %) are turned into totals with the
day's counts. Rows of one agent-day (interval exports) are added up. All or nothing: every
bad row is reported, nothing is written unless the whole file is good. Importing an
agent-day again replaces it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.cells import (
    is_blank,
    parse_date,
    parse_duration,
    parse_duration_seconds,
    parse_int,
    parse_percentage,
)
from qa_app.channels import CHANNELS
from qa_app.extensions import db
from qa_app.interactions.importer import CHANNEL_BY_WORD
from qa_app.stats.models import ALL_CHANNELS, TOTAL_COLUMNS, AgentDailyStat, ColumnMapping
from qa_app.tabular import (
    Problem,
    Table,
    TableError,
    map_columns,
    normalise_header,
    read_table,
)

ALIASES: Mapping[str, tuple[str, ...]] = {
    "agent": ("agent", "agent id", "agent external id", "external id", "login", "agent login",
              "agent email", "email", "user id", "employee id"),
    "day": ("day", "date", "report date", "business date"),
    # Interval exports: the interval's start (a date and time) when there is no date column.
    "interval": ("interval", "interval start", "start time"),
    "channel": ("channel", "media type", "media"),
    "contacts_handled": ("contacts handled", "calls handled", "handled", "contacts",
                         "calls", "handled calls", "interactions handled"),
    "handle_seconds": ("handle seconds", "handle time", "total handle time",
                       "handle time total"),
    "aht_seconds": ("aht", "avg handle time", "average handle time", "aht seconds"),
    "talk_seconds": ("talk seconds", "talk time", "total talk time"),
    "hold_seconds": ("hold seconds", "hold time", "total hold time"),
    "acw_seconds": ("acw seconds", "acw", "after call work", "wrap up", "wrap time",
                    "after call work time"),
    "logged_in_seconds": ("logged in seconds", "logged in time", "staffed time", "login time",
                          "logged in", "staffed"),
    "csat_responses": ("csat responses", "csat surveys", "surveys", "survey responses"),
    "csat_positive": ("csat positive", "satisfied", "csat satisfied"),
    "csat_pct": ("csat", "csat pct", "csat %", "csat percent", "customer satisfaction"),
    "nps_responses": ("nps responses", "nps surveys"),
    "nps_promoters": ("nps promoters", "promoters"),
    "nps_detractors": ("nps detractors", "detractors"),
    "nps": ("nps", "net promoter score"),
    "fcr_eligible": ("fcr eligible", "fcr responses", "fcr surveys"),
    "fcr_resolved": ("fcr resolved", "resolved first contact", "fcr yes"),
    "fcr_pct": ("fcr", "fcr pct", "fcr %", "first contact resolution"),
    "transfers": ("transfers", "transferred", "transfer count"),
}  # fmt: skip
REQUIRED = ("agent", "contacts_handled")
DURATIONS = ("handle_seconds", "talk_seconds", "hold_seconds", "acw_seconds",
             "logged_in_seconds")  # fmt: skip
COUNTS = (
    "contacts_handled", "csat_responses", "csat_positive", "nps_responses", "nps_promoters",
    "nps_detractors", "fcr_eligible", "fcr_resolved", "transfers",
)  # fmt: skip
PERCENTAGES = ("csat_pct", "fcr_pct")
# A percentage column becomes a count of its base: CSAT % × responses, FCR % × eligible.
PERCENT_OF = {"csat_pct": ("csat_positive", "csat_responses"),
              "fcr_pct": ("fcr_resolved", "fcr_eligible")}  # fmt: skip


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


@dataclass
class _RowResult:
    key: tuple[int, date, str] | None = None
    values: dict[str, int] = field(default_factory=dict)


def _count(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


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


def _agents(table: Table, column: int) -> dict[str, User]:
    keys = sorted({str(row[column]).strip() for _, row in table.rows if not is_blank(row[column])})
    found: dict[str, User] = {}
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        lowered = [key.lower() for key in chunk]
        for user in db.session.scalars(
            sa.select(User).where(sa.or_(User.external_id.in_(chunk), User.email.in_(lowered)))
        ):
            if user.external_id:
                found[user.external_id] = user
            found[user.email] = user
    return found


def _check_row(
    number: int,
    row: list[object],
    columns: dict[str, int],
    headers: list[str],
    agents: Mapping[str, User],
    problems: list[Problem],
) -> _RowResult:
    result = _RowResult()

    def problem(name: str, reason: str) -> None:
        problems.append(Problem.at(number, headers[columns[name]], row[columns[name]], reason))

    def cell(name: str, parse: Callable[[object], Any]) -> Any:
        if name not in columns or is_blank(row[columns[name]]):
            return None
        try:
            return parse(row[columns[name]])
        except ValueError as error:
            problem(name, str(error))
            return None

    key = "" if is_blank(row[columns["agent"]]) else str(row[columns["agent"]]).strip()
    user = agents.get(key) or agents.get(key.lower())
    if user is None:
        problem(
            "agent", "unknown agent (no user with this external id or e-mail)" if key else "empty"
        )
    elif user.role != Role.AGENT:
        problem("agent", f"{user.email} is not an agent")
    day = cell("day", parse_date)
    if day is None and not any(
        p.row == number and p.column == headers[columns["day"]] for p in problems
    ):
        problem("day", "empty")
    channel = ALL_CHANNELS
    if "channel" in columns and not is_blank(row[columns["channel"]]):
        text = str(row[columns["channel"]]).strip().lower()
        channel = CHANNEL_BY_WORD.get(text, text if text in (*CHANNELS, ALL_CHANNELS) else "")
        if not channel:
            problem("channel", "unknown channel")

    values: dict[str, int] = {}
    if is_blank(row[columns["contacts_handled"]]):
        problem("contacts_handled", "empty (write 0 for a day without contacts)")
    for name in COUNTS:
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
    parts = [
        values[name] for name in ("talk_seconds", "hold_seconds", "acw_seconds") if name in values
    ]
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
    for part, base in (
        ("csat_positive", "csat_responses"),
        ("fcr_resolved", "fcr_eligible"),
        ("nps_promoters", "nps_responses"),
        ("nps_detractors", "nps_responses"),
    ):
        if values.get(part, 0) > values.get(base, 0):
            problem(part if part in columns else base, f"more than the {base.replace('_', ' ')}")
    if values.get("nps_promoters", 0) + values.get("nps_detractors", 0) > values.get(
        "nps_responses", 0
    ):
        problem(
            "nps_responses" if "nps_responses" in columns else "agent",
            "promoters and detractors together exceed the NPS responses",
        )
    if "nps" in columns and not {"nps_promoters", "nps_detractors"} <= set(columns):
        problem(
            "nps",
            "an NPS score cannot be added up; export promoters, detractors and responses instead",
        )
    if user is not None and day is not None and channel:
        result.key = (user.id, day, channel)
    result.values = values
    return result


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
) -> StatsReport:
    """Check and (unless `dry_run` or any row is bad) store the file's agent-days.

    Raises TableError with every problem; nothing is written then.
    """
    table = read_table(data, filename, max_bytes=max_bytes, max_rows=max_rows)
    aliases = _aliases(saved_mapping(source))
    headers = {normalise_header(header) for header in table.headers}
    # An interval export may have no date column: its interval start gives the day.
    has_interval = any(normalise_header(alias) in headers for alias in aliases["interval"])
    columns = map_columns(
        table.headers, aliases, required=REQUIRED + (() if has_interval else ("day",))
    )
    columns.setdefault("day", columns.get("interval", -1))
    agents = _agents(table, columns["agent"])
    problems: list[Problem] = []
    days: dict[tuple[int, date, str], dict[str, int]] = {}
    for index, (number, row) in enumerate(table.rows, start=1):
        result = _check_row(number, row, columns, table.headers, agents, problems)
        if result.key is not None:
            totals = days.setdefault(result.key, dict.fromkeys(TOTAL_COLUMNS, 0))
            for name, value in result.values.items():
                totals[name] += value  # interval rows of one agent-day add up
        if progress and index % 1000 == 0:
            progress(1000)
    if problems:
        raise TableError(problems)
    _add_all_channel_rows(days)
    report = StatsReport(
        rows=len(table.rows),
        agent_days=len(days),
        dry_run=dry_run,
        agents=len({key[0] for key in days}),
    )
    if days:
        report.first_day = min(key[1] for key in days)
        report.last_day = max(key[1] for key in days)
        report.replaced = _existing(days)
        report.new = report.agent_days - report.replaced
    if dry_run or not days:
        return report
    _replace(days, source)
    record_event(
        "stats.imported",
        "agent_daily_stat",
        None,
        actor_id=actor.id,
        after={
            "file": filename[:200],
            "source": source,
            "rows": report.rows,
            "agent_days": report.agent_days,
            "replaced": report.replaced,
            "period": [str(report.first_day), str(report.last_day)],
        },
    )
    return report


def _add_all_channel_rows(days: dict[tuple[int, date, str], dict[str, int]]) -> None:
    """An export with one row per channel also gets each agent-day's "all" row (their sum):
    KPIs are read from "all" rows."""
    sums: dict[tuple[int, date, str], dict[str, int]] = {}
    for (agent_id, day, channel), totals in days.items():
        if channel == ALL_CHANNELS or (agent_id, day, ALL_CHANNELS) in days:
            continue
        target = sums.setdefault((agent_id, day, ALL_CHANNELS), dict.fromkeys(TOTAL_COLUMNS, 0))
        for name, value in totals.items():
            target[name] += value
    days.update(sums)


def _existing(days: Mapping[tuple[int, date, str], Any]) -> int:
    keys = list(days)
    found = 0
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found += (
            db.session.scalar(
                sa.select(sa.func.count(AgentDailyStat.id)).where(
                    sa.tuple_(
                        AgentDailyStat.agent_id, AgentDailyStat.day, AgentDailyStat.channel
                    ).in_(chunk)
                )
            )
            or 0
        )
    return found


def _replace(days: Mapping[tuple[int, date, str], dict[str, int]], source: str) -> None:
    """Delete the file's agent-days, then insert them: importing twice gives the same data."""
    keys = list(days)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        db.session.execute(
            sa.delete(AgentDailyStat).where(
                sa.tuple_(AgentDailyStat.agent_id, AgentDailyStat.day, AgentDailyStat.channel).in_(
                    chunk
                )
            )
        )
    rows = [
        {"agent_id": agent_id, "day": day, "channel": channel, "source": source, **totals}
        for (agent_id, day, channel), totals in days.items()
    ]
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(AgentDailyStat), rows[start : start + 5000])
