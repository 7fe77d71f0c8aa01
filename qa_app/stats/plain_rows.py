"""The plain rows of a statistics file, converted in one step.

Almost every row a phone system exports has the same shape: a known agent, a date, plain
counts, durations (seconds or h:mm:ss), parts no larger than their bases. `PlainRows`
is built once per file from its columns and turns such a row straight into its agent-day key
and totals, in `TOTAL_COLUMNS` order. Anything else — a blank required cell, "1,234",
"12.5%", an unknown agent, promoters above responses — it declines (returns None), and the
caller runs the full checks of `daily_rows.check_day_row`, which accept or explain it.

So a row's totals never depend on the path it took: this module accepts a subset of what
`check_day_row` accepts and gives the same totals for it (tests/test_plain_rows.py compares
the two on generated rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from qa_app.auth.models import Role, User
from qa_app.stats.daily_rows import (
    BASE_NEEDS,
    COUNTS,
    DURATIONS,
    HANDLE_PARTS,
    PART_OF_BASE,
    AgentDays,
    Totals,
    add_up,
    channel_of,
    row_totals,
)
from qa_app.stats.models import ALL_CHANNELS, TOTAL_COLUMNS
from qa_app.uploads.cells import (
    DEFAULT_OPTIONS,
    MAX_MAGNITUDE,
    ReadOptions,
    is_blank,
    parse_date,
    parse_duration_seconds,
)
from qa_app.uploads.columns import NamedRow
from qa_app.uploads.reader import Problem
from qa_app.uploads.units import DurationUnit

# Columns whose value needs arithmetic or a message on every row: their files take the full
# checks throughout (a per-day average, a percentage, an NPS score that cannot be added up,
# bad ratings that make the CSAT responses).
FULL_CHECK_COLUMNS = frozenset({"aht_seconds", "csat_pct", "fcr_pct", "nps", "csat_negative"})
# Distinct cells remembered per file and kind ("0:04:12", "12" and agents come back often);
# a file of distinct values just stops being remembered.
REMEMBERED = 100_000
_LARGEST = int(MAX_MAGNITUDE)  # the full checks' bound on any figure
_BLANK = ("", None)
_INDEX = {name: index for index, name in enumerate(TOTAL_COLUMNS)}
_BOUNDED = tuple((_INDEX[part], _INDEX[base]) for part, base in PART_OF_BASE)
_HANDLE, _TALK, _HOLD, _ACW = (_INDEX[name] for name in ("handle_seconds", *HANDLE_PARTS))
_PROMOTERS, _DETRACTORS, _RESPONSES = (
    _INDEX["nps_promoters"], _INDEX["nps_detractors"], _INDEX["nps_responses"])  # fmt: skip


class PlainRows:
    """Converts the plain rows of one file (its columns: our name → index in a row)."""

    def __init__(
        self,
        columns: Mapping[str, int],
        agents: Mapping[str, Any],
        options: ReadOptions = DEFAULT_OPTIONS,
        units: Mapping[str, DurationUnit | None] | None = None,
    ) -> None:
        units = units or {}
        self.options = options
        self._seconds_in: dict[DurationUnit | None, dict[str, int]] = {}
        # Responses without their results: every row is told so by the full checks.
        self._incomplete = any(
            base in columns and not any(part in columns for part in parts)
            for base, parts in BASE_NEEDS
        )
        self.enabled = not FULL_CHECK_COLUMNS.intersection(columns) and not self._incomplete
        self._agent = columns["agent"]
        self._day = columns.get("day", -1)
        self._channel = columns.get("channel")
        self._contacts = columns.get("contacts_handled")  # a survey file has none
        self._counts = [(_INDEX[n], columns[n]) for n in COUNTS if n in columns]
        # (target, column, unit, the cells read in that unit so far)
        self._seconds = [
            (_INDEX[n], columns[n], unit, self._seconds_in.setdefault(unit, {}))
            for n in DURATIONS
            if n in columns
            for unit in [units.get(n, options.duration_unit)]
        ]
        self._handle = columns.get("handle_seconds")
        self._parts = any(name in columns for name in HANDLE_PARTS)
        self._bounded = [(p, b) for p, b in _BOUNDED if TOTAL_COLUMNS[p] in columns]
        self._nps = "nps_promoters" in columns or "nps_detractors" in columns
        self._agents = agents  # read as rows come: a stream's agents are added as it goes
        self._agent_ids: dict[str, int] = {}  # the cell → the agent's id, or -1
        self._counts_of: dict[str, int] = {}
        self._days: dict[object, date] = {}
        self._channels: dict[object, str] = {}

    def __call__(self, values: Sequence[Any]) -> Totals | None:
        """The row's agent-day and totals, or None when it needs the full checks."""
        agent_id = self._agent_ids.get(values[self._agent])
        if agent_id is None:
            agent_id = self._agent_id(values[self._agent])
        day = self._day_of(values[self._day])
        if agent_id < 0 or day is None or self._incomplete:
            return None
        if self._contacts is not None and values[self._contacts] in _BLANK:
            return None
        channel = ALL_CHANNELS
        if self._channel is not None and values[self._channel] not in _BLANK:
            channel = self._channel_of(values[self._channel])
            if not channel:
                return None
        totals = [0] * len(TOTAL_COLUMNS)
        known = self._counts_of
        for target, column in self._counts:
            value = values[column]
            number = known.get(value)
            if number is None:
                if value in _BLANK:
                    continue
                number = self._count(value)
                if number is None:
                    return None
            totals[target] = number
        for target, column, unit, known in self._seconds:
            value = values[column]
            if value in _BLANK:
                continue
            seconds = known.get(value) if type(value) is str else None
            if seconds is None:
                try:  # the same parser as the full checks, with its own fast paths
                    seconds = parse_duration_seconds(value, unit)
                except ValueError:
                    return None
                if type(value) is str and len(known) < REMEMBERED:
                    known[value] = seconds
            totals[target] = seconds
        if self._parts and (self._handle is None or values[self._handle] in _BLANK):
            # Handle time is talk + hold + after-call work (DESIGN.md); absent parts are 0.
            totals[_HANDLE] = totals[_TALK] + totals[_HOLD] + totals[_ACW]
        for part, base in self._bounded:
            if totals[part] > totals[base]:
                return None
        if self._nps and totals[_PROMOTERS] + totals[_DETRACTORS] > totals[_RESPONSES]:
            return None
        return (agent_id, day, channel), tuple(totals)

    def _agent_id(self, value: object) -> int:
        """The id of the agent a cell names, or -1 when the full checks must say why not.
        Found as they find it: the key as given, then lower-cased (the caller has looked up
        every key of the rows given so far)."""
        agent_id = -1
        key = "" if is_blank(value) else str(value).strip()  # an id may be a number cell
        user = self._agents.get(key) or self._agents.get(key.lower()) if key else None
        if user is not None and user.role == Role.AGENT:
            agent_id = user.id
        if type(value) is str and len(self._agent_ids) < REMEMBERED:
            self._agent_ids[value] = agent_id  # text only: 1, 1.0 and True are one dict key
        return agent_id

    def _count(self, value: object) -> int | None:
        """A count written plainly (digits, remembered) or a workbook's whole number."""
        if type(value) is str:
            if value.isdigit() and value.isascii() and len(value) < 16:
                if len(self._counts_of) < REMEMBERED:
                    self._counts_of[value] = int(value)
                return int(value)
            return None
        return value if type(value) is int and 0 <= value < _LARGEST else None

    def _day_of(self, value: object) -> date | None:
        """The day of a date cell (None when the full checks must say why not)."""
        try:
            return self._days[value]
        except KeyError:
            pass
        except TypeError:
            return None  # an unhashable cell: the full checks say what it is
        try:
            day = parse_date(value, self.options)
        except ValueError:
            return None
        if len(self._days) < REMEMBERED:
            self._days[value] = day
        return day

    def _channel_of(self, value: object) -> str:
        """Our channel for a channel cell ("" when the full checks must say why not)."""
        try:
            return self._channels[value]
        except KeyError:
            pass
        except TypeError:
            return ""
        channel = channel_of(value)
        if channel and type(value) is str:
            self._channels[value] = channel
        return channel


def collect_file_days(
    rows: Iterable[tuple[int, Sequence[Any]]],
    columns: Mapping[str, int],
    label: Callable[[str], str],
    agents: Mapping[str, User],
    progress: Callable[[int], None] | None = None,
    options: ReadOptions = DEFAULT_OPTIONS,
    units: Mapping[str, DurationUnit | None] | None = None,
) -> AgentDays:
    """`daily_rows.collect_day_totals` for a file's rows (values by column index; `columns`:
    our name → index): its plain rows converted in one step, every other row fully checked.
    Dates are read with `options`, durations in their column's unit in `units`."""
    plain = PlainRows(columns, agents, options, units)

    def checked(number: int, values: Sequence[Any], problems: list[Problem]) -> Totals | None:
        if plain.enabled and (converted := plain(values)) is not None:
            return converted
        row = NamedRow(values, columns)
        return row_totals(number, row, label, agents, problems, options, units)

    return add_up(rows, checked, label, progress, given=columns.keys())
