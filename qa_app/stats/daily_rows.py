"""Checking and storing per-agent daily statistics, whatever they came from.

The file import (`importer.py`) and the JSON API (`POST /api/v1/stats`) both hand rows here as
mappings of our column names to raw values, so both apply exactly the same rules: agents by
external id or e-mail, counts and durations, per-day averages turned into totals with the
day's counts (DESIGN.md), rows of one agent-day added up, and all or nothing — every bad row
is reported and nothing is written unless every row is good. Statistics are kept per source
(the phone system, a survey tool …): storing a source's agent-day again replaces that source's
row only, and a total the source does not give is stored as NULL ("no figure", where 0 is a
figure). A file's plain rows take a shorter path to the same totals (`plain_rows.py`,
which uses the rules defined here).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from operator import itemgetter
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _

from qa_app.audit.services import record_event
from qa_app.auth.models import User
from qa_app.channels import CHANNELS
from qa_app.database import bulk_insert, serialise, utcnow
from qa_app.extensions import db
from qa_app.interactions.importer import CHANNEL_BY_WORD
from qa_app.stats.models import ALL_CHANNELS, TOTAL_COLUMNS, AgentDailyStat
from qa_app.teams.identities import NameMatch, refusal
from qa_app.uploads.cells import (
    DEFAULT_OPTIONS,
    ReadOptions,
    is_blank,
    parse_date,
    parse_duration,
    parse_duration_seconds,
    parse_int,
    parse_percentage,
)
from qa_app.uploads.reader import Problem, Problems, TableError
from qa_app.uploads.units import DurationUnit

DURATIONS = ("handle_seconds", "talk_seconds", "hold_seconds", "acw_seconds",
             "logged_in_seconds")  # fmt: skip
# Every column holding a duration, each read in its unit (`check_day_row`'s `units`).
DURATION_COLUMNS = (*DURATIONS, "aht_seconds")
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
# What a source may give, in groups: a file or an API item needs at least one of them (a
# survey tool's export has no contact counts). Times need their contacts; a group's other
# parts are checked on each row (a count of satisfied customers needs its responses …).
VOLUMES = ("contacts_handled", "handle_seconds", "aht_seconds", *HANDLE_PARTS,
           "logged_in_seconds")  # fmt: skip
FIGURE_GROUPS = (
    VOLUMES,
    ("csat_responses", "csat_positive", "csat_pct", "csat_negative"),
    ("nps_responses", "nps_promoters", "nps_detractors", "nps"),
    ("fcr_eligible", "fcr_resolved", "fcr_pct"),
    ("transfers",),
)
# A group's first column stands for it where a source gives none.
ANY_FIGURES = tuple(group[0] for group in FIGURE_GROUPS)
# A base given without any of its parts would be a KPI of 0 % from a source that never said.
BASE_NEEDS = (
    ("csat_responses", ("csat_positive", "csat_pct")),
    ("fcr_eligible", ("fcr_resolved", "fcr_pct")),
    ("nps_responses", ("nps_promoters", "nps_detractors", "nps")),
)
# Bad ratings are not stored: with the good ones they make the responses a survey tool
# does not export (Zendesk Explore: good and bad satisfaction tickets, often no rated ones).
NEGATIVE = "csat_negative"
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
class AgentDays(dict[DayKey, tuple[int, ...]]):
    """Checked agent-days and their totals (in `TOTAL_COLUMNS` order), and `given`: the totals
    their source gives. The others are 0 in the tuples and stored as NULL."""

    given: frozenset[str] = frozenset(TOTAL_COLUMNS)
    # The FCR % was read as a share of each day's contacts (`fcr_base_is_contacts`).
    fcr_from_contacts: bool = False


def fcr_base_is_contacts(names: Collection[str]) -> bool:
    """Whether a source's FCR % is a share of the day's contacts: it gives the percentage
    and the contacts, but neither the eligible contacts nor the resolved ones. AHT is read
    over the same contacts (an average × contacts); the import's result says so."""
    return (
        "fcr_pct" in names
        and "contacts_handled" in names
        and "fcr_eligible" not in names
        and "fcr_resolved" not in names
    )


def given_totals(names: Iterable[str]) -> frozenset[str]:
    """The totals a source gives when it has the columns (or fields) `names`: its totals, and
    those it gives through an average (AHT × contacts), a percentage or the parts of handle
    time."""
    names = set(names)
    given = names.intersection(TOTAL_COLUMNS)
    if "aht_seconds" in names or names.intersection(HANDLE_PARTS):
        given.add("handle_seconds")
    given.update(PERCENT_OF[name][0] for name in PERCENTAGES if name in names)
    if fcr_base_is_contacts(names):
        given.add("fcr_eligible")
    if NEGATIVE in names:
        given.add("csat_responses")
    return frozenset(given)


def missing_figures(names: Collection[str]) -> list[str]:
    """The columns (or fields) a source with the columns `names` must have and has not:
    the contacts where it gives times; any group of figures (FIGURE_GROUPS) where it gives
    none (told as the first column of each)."""
    if not any(name in names for group in FIGURE_GROUPS for name in group):
        return list(ANY_FIGURES)
    if "contacts_handled" not in names and any(name in names for name in VOLUMES):
        return ["contacts_handled"]
    return []


def missing_figures_message(missing: Sequence[str]) -> str:
    """What `missing_figures` found, in words."""
    if len(missing) == 1:
        return _(
            'missing column "%(column)s" (needed with handle and logged-in times)',
            column=missing[0],
        )
    names = _(" or ").join(f'"{name}"' for name in missing)
    return _(
        "missing column %(columns)s (a source gives at least one group of figures)",
        columns=names,
    )


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
    # The export the file was recognised as ("Genesys Cloud — Agents Performance export").
    recognised: str | None = field(default=None, compare=False)
    # Agents matched by their display name only: told as warnings, never silently.
    name_matches: list[NameMatch] = field(default_factory=list, compare=False)
    # The FCR % had no eligible-contacts column: each day's contacts were its base.
    fcr_from_contacts: bool = field(default=False, compare=False)


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
    options: ReadOptions = DEFAULT_OPTIONS,
    units: Mapping[str, DurationUnit | None] | None = None,
) -> _RowResult:
    """Check one row; append its problems (at `number`, in the column `label(name)`) and
    return its agent-day key and totals. A name present in `row` is a column the source has,
    even when its value is blank. Dates are read with `options` (their order settled for the
    column); a plain number in a duration column in its unit in `units` (our column name →
    unit; else `options.duration_unit`, else seconds)."""
    result = _RowResult()
    units, default_unit = units or {}, options.duration_unit

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
        problem("agent", refusal(agents, key) if key else _("empty"))
    # Blank is "empty"; anything else unreadable is told by its parser. (Never by looking
    # back over `problems`: that made a file of bad rows quadratic, 30,000 rows 16 s.)
    day = None
    if is_blank(row.get("day")):
        problem("day", _("empty"))
    else:
        day = cell("day", partial(parse_date, options=options))
    channel = ALL_CHANNELS
    if not is_blank(row.get("channel")):
        channel = channel_of(row["channel"])
        if not channel:
            problem("channel", _("unknown channel"))

    values: dict[str, int] = {}
    if "contacts_handled" in row and is_blank(row["contacts_handled"]):
        problem("contacts_handled", _("empty (write 0 for a day without contacts)"))
    for name in COUNTS:
        raw = row.get(name)
        if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 16:
            values[name] = int(raw)  # the common case, a plain count: nothing to check
            continue
        number_ = cell(name, parse_int)
        if number_ is not None and number_ < 0:
            problem(name, _("negative count"))
        elif number_ is not None:
            values[name] = number_
    _add_negative(cell(NEGATIVE, parse_int), row, values, problem)
    for name in DURATIONS:
        seconds = cell(name, partial(parse_duration_seconds, unit=units.get(name, default_unit)))
        if seconds is not None:
            values[name] = seconds
    contacts = values.get("contacts_handled", 0)
    aht = cell("aht_seconds", partial(parse_duration, unit=units.get("aht_seconds", default_unit)))
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
        if name == "fcr_pct" and base not in row and fcr_base_is_contacts(row.keys()):
            values[base] = contacts  # FCR % of the day's contacts, as AHT is an average of
        if base not in values:
            problem(
                name,
                _(
                    "a percentage needs its base column (%(column)s) to become a total",
                    column=base.replace("_", " "),
                ),
            )
            continue
        values[part] = _count(share * values[base] / 100)
    for part, base in PART_OF_BASE:
        if values.get(part, 0) > values.get(base, 0):
            problem(
                part if part in row else base,
                _("more than the %(column)s", column=base.replace("_", " ")),
            )
    if values.get("nps_promoters", 0) + values.get("nps_detractors", 0) > values.get(
        "nps_responses", 0
    ):
        problem(
            "nps_responses" if "nps_responses" in row else "agent",
            _("promoters and detractors together exceed the NPS responses"),
        )
    if "nps" in row and not ("nps_promoters" in row and "nps_detractors" in row):
        problem(
            "nps",
            _(
                "an NPS score cannot be added up; export promoters, detractors and responses "
                "instead"
            ),
        )
    for base, results in BASE_NEEDS:
        # No responses need no results (0 positive of 0); some responses do.
        if values.get(base) and not any(name in row for name in results):
            needed = _(" or ").join(name.replace("_", " ") for name in results)
            problem(
                base,
                _("a count of responses needs its results beside it (%(columns)s)", columns=needed),
            )
    if user is not None and day is not None and channel:
        result.key = (user.id, day, channel)
    result.values = values
    return result


def _add_negative(
    negative: int | None, row: Row, values: dict[str, int], problem: Callable[[str, str], None]
) -> None:
    """The CSAT responses from the good and bad ratings, where the row gives no responses;
    where it does, the two together must not exceed them."""
    if negative is None:
        return
    positive = values.get("csat_positive", 0)
    if negative < 0:
        problem(NEGATIVE, _("negative count"))
    elif "csat_positive" not in row:
        problem(NEGATIVE, _("bad ratings need the good ones beside them (csat positive)"))
    elif "csat_responses" not in values:
        values["csat_responses"] = positive + negative
    elif positive + negative > values["csat_responses"]:
        problem(NEGATIVE, _("good and bad ratings together are more than the csat responses"))


def channel_of(value: object) -> str:
    """Our channel for a (non-blank) channel cell: "phone" for "Voice", say; "" if unknown."""
    text = str(value).strip().lower()
    return CHANNEL_BY_WORD.get(text, text if text in (*CHANNELS, ALL_CHANNELS) else "")


def collect_day_totals(
    rows: Iterable[tuple[int, Row]],
    label: Callable[[str], str],
    agents: Mapping[str, User],
    progress: Callable[[int], None] | None = None,
    options: ReadOptions = DEFAULT_OPTIONS,
) -> AgentDays:
    """Check every row and add up each agent-day's totals, a tuple in `TOTAL_COLUMNS` order
    (interval rows of one agent-day add up; per-channel rows also give the day's "all" row).
    Each row must carry whole groups of figures (`missing_figures`); the totals given are
    those any row gives (a field another row has is 0 where it is left out, as a blank cell
    in a file's column). TableError lists the problems (see `add_up`)."""
    names: set[str] = set()

    def checked(number: int, row: Row, problems: list[Problem]) -> Totals | None:
        names.update(row)
        if missing := missing_figures(row.keys()):
            message = missing_figures_message(missing)
            problems.append(Problem.at(number, label(missing[0]), None, message))
        return row_totals(number, row, label, agents, problems, options)

    return add_up(rows, checked, label, progress, given=names)


def row_totals(
    number: int,
    row: Row,
    label: Callable[[str], str],
    agents: Mapping[str, User],
    problems: list[Problem],
    options: ReadOptions = DEFAULT_OPTIONS,
    units: Mapping[str, DurationUnit | None] | None = None,
) -> Totals | None:
    """`check_day_row`, its totals as a tuple in `TOTAL_COLUMNS` order (None: no agent-day)."""
    result = check_day_row(number, row, label, agents, problems, options, units)
    if result.key is None:
        return None
    return result.key, tuple([result.values.get(name, 0) for name in TOTAL_COLUMNS])


def add_up(
    rows: Iterable[tuple[int, Any]],
    checked: Callable[[int, Any, list[Problem]], Totals | None],
    label: Callable[[str], str],
    progress: Callable[[int], None] | None = None,
    *,
    given: Collection[str],
) -> AgentDays:
    """Add up the totals `checked` gives for each row by agent-day; TableError lists every
    problem it found (the first MAX_PROBLEMS, with their count), and any total too large
    to store. `given`: the source's columns (or fields), read once the rows are checked,
    which say what totals it gives (`given_totals`)."""
    problems = Problems(grouped=label("agent"))  # an unknown agent is told once
    days = AgentDays()
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
                reason = _(
                    "the total for %(day)s (%(channel)s) is too large to store",
                    day=day,
                    channel=channel,
                )
                problems.append(Problem.at(None, label(name), value, reason))
    if problems:
        raise TableError(problems)
    days.given = given_totals(given)
    days.fcr_from_contacts = fcr_base_is_contacts(frozenset(given))
    return days


def save_days(
    days: AgentDays,
    *,
    rows: int,
    source: str,
    actor: User,
    dry_run: bool,
    origin: Mapping[str, Any],
) -> StatsReport:
    """Report on checked agent-days and (unless `dry_run`) store them as `source`'s,
    replacing that source's rows of the same agent-days (other sources' rows stay: `replaced`
    counts only this source's); audited with `origin` (the file name, or the API)."""
    report = StatsReport(
        rows=rows,
        agent_days=len(days),
        dry_run=dry_run,
        agents=len({key[0] for key in days}),
        fcr_from_contacts=days.fcr_from_contacts,
    )
    if not dry_run:
        # Two imports of the same agent-days at once: the later one waits, then replaces.
        serialise(db.session, "stats.agent_days")
    if days:
        report.first_day = min(key[1] for key in days)
        report.last_day = max(key[1] for key in days)
        stored = _stored_ids(days, source)
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


def _stored_ids(days: Mapping[DayKey, Any], source: str) -> dict[DayKey, int]:
    """The ids of `source`'s rows of the agent-days in `days` that are stored already.

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
            AgentDailyStat.source == source,
        )
        for row_id, agent_id, day, channel in db.session.execute(
            query.execution_options(yield_per=STORE_CHUNK)
        ):
            if (agent_id, day, channel) in days:
                found[(agent_id, day, channel)] = row_id
    return found


def _replace(days: AgentDays, stored: Mapping[DayKey, int], source: str) -> None:
    """Delete the source's stored agent-days, then insert them all: storing twice gives the
    same data. Only the totals the source gives are inserted; the others are NULL."""
    ids = sorted(stored.values())
    table = cast(sa.Table, AgentDailyStat.__table__)
    for start in range(0, len(ids), STORE_CHUNK):
        db.session.execute(sa.delete(table).where(table.c.id.in_(ids[start : start + STORE_CHUNK])))
    now = utcnow()
    given = [index for index, name in enumerate(TOTAL_COLUMNS) if name in days.given]
    names = [TOTAL_COLUMNS[index] for index in given]
    pick = _picker(given)
    # Through the driver (COPY on PostgreSQL): a million agent-days without SQLAlchemy's
    # per-row parameter handling.
    bulk_insert(
        db.session,
        table,
        ("agent_id", "day", "channel", *names, "source", "imported_at"),
        ((agent_id, day, channel, *pick(totals), source, now)
         for (agent_id, day, channel), totals in days.items()),
    )  # fmt: skip


def _picker(indices: Sequence[int]) -> Callable[[tuple[int, ...]], Sequence[int]]:
    """A function giving the totals at `indices` (all of them: the tuple itself)."""
    if len(indices) == len(TOTAL_COLUMNS):
        return lambda totals: totals
    if len(indices) == 1:
        index = indices[0]
        return lambda totals: (totals[index],)
    return itemgetter(*indices)
