"""Shipped presets: how each known phone or ticket system exports its reports.

One TOML file per export format in this folder, reviewable like a scorecard: the system and
report, whether it holds statistics or interactions, where its layout comes from (and
whether that layout is documented or only representative), its header names → our fields,
the columns that look like ours but are not, duration units, date order, time-zone handling
and channel words. `recognise` picks the preset whose columns a file's header matches best;
the importers then read the file with the preset's names and options.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC
from pathlib import Path
from typing import Any, Literal, get_args

from qa_app.channels import CHANNELS
from qa_app.errors import RuleError
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.reader import Problem, TableError, normalise_header
from qa_app.uploads.units import DURATION_UNITS, DurationUnit, header_without_unit

Kind = Literal["statistics", "interactions"]
KINDS: tuple[Kind, ...] = get_args(Kind)
LAYOUTS = ("documented", "representative")
TIMESTAMPS = ("local", "utc")
FOLDER = Path(__file__).parent
# Our fields per kind (the importers' ALIASES keys; checked here so that a typo in a preset
# is told when it is loaded, not as a missing column in a user's file).
FIELDS: dict[Kind, frozenset[str]] = {
    "statistics": frozenset(
        {
            "agent",
            "day",
            "interval",
            "channel",
            "contacts_handled",
            "handle_seconds",
            "aht_seconds",
            "talk_seconds",
            "hold_seconds",
            "acw_seconds",
            "logged_in_seconds",
            "csat_responses",
            "csat_positive",
            "csat_pct",
            "csat_negative",  # bad ratings: with the good ones, the responses
            "nps_responses",
            "nps_promoters",
            "nps_detractors",
            "nps",
            "fcr_eligible",
            "fcr_resolved",
            "fcr_pct",
            "transfers",
        }
    ),  # fmt: skip
    "interactions": frozenset(
        {
            "agent",
            "channel",
            "occurred_at",
            "duration",
            "external_ref",
            "queue",
            "customer_ref",
            "transcript",
            "recording_url",
        }
    ),  # fmt: skip
}
KEYS = {
    "name", "report", "kind", "source", "layout", "note", "columns", "ignore", "units",
    "duration_unit", "date_order", "timestamps", "channels", "day_from_title", "min_match",
    "blanks",
}  # fmt: skip
REQUIRED_KEYS = ("name", "report", "kind", "source", "layout", "columns")
# The fields whose columns a file must all have to be recognised as a preset's export.
KEY_FIELDS = frozenset(
    {"agent", "day", "interval", "contacts_handled", "occurred_at", "external_ref", "channel"}
)
MIN_MATCH = 3  # header names a file must share with a preset to be recognised as it


class PresetError(RuleError, ValueError):
    """A shipped preset file that is not valid: names the file and the key."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        super().__init__(f"preset {file}: {key}: {reason}")
        self.file, self.key, self.reason = file, key, reason


@dataclass(frozen=True)
class Preset:
    """One export format (see the module's docstring); `columns` and `ignore` are keyed by
    normalised header names."""

    key: str  # the file's name without .toml
    name: str
    report: str
    kind: Kind
    source: str
    layout: str  # "documented" or "representative"
    note: str
    headers: Mapping[str, str]  # the header as exported → our field
    ignore: tuple[str, ...]
    units: Mapping[str, DurationUnit]  # our field → unit of a plain number in it
    duration_unit: DurationUnit | None
    day_first: bool | None
    timestamps: str  # "local" (the centre's zone) or "utc"
    channels: Mapping[str, str]  # the word (case-folded) → our channel
    day_from_title: str | None  # a title line "<label>: <date>" gives every row's day
    min_match: int
    blanks: frozenset[str] = frozenset()  # cells that mean "no data" ("-")

    @property
    def title(self) -> str:
        """ "Genesys Cloud — Agents Performance export"."""
        return f"{self.name} — {self.report}"

    @functools.cached_property
    def columns(self) -> dict[str, str]:
        """Normalised header → our field."""
        return {normalise_header(header): field for header, field in self.headers.items()}

    def aliases(self) -> dict[str, tuple[str, ...]]:
        """Our field → the headers this export names it by (for `map_columns`)."""
        aliases: dict[str, tuple[str, ...]] = {}
        for header, field in self.headers.items():
            aliases[field] = (*aliases.get(field, ()), header)
        return aliases

    def ignored(self) -> frozenset[str]:
        """The normalised headers never to be taken for one of our fields."""
        return frozenset(map(normalise_header, self.ignore))

    def names(self) -> frozenset[str]:
        """Every normalised header this export may have (mapped or ignored)."""
        return frozenset(self.columns) | self.ignored()

    def options(self, base: ReadOptions) -> ReadOptions:
        """`base` (the centre's zone, an order the user chose) with this export's date
        order, time-zone handling and duration unit; an order the user chose wins."""
        return replace(
            base,
            day_first=base.day_first if base.day_first is not None else self.day_first,
            tz=UTC if self.timestamps == "utc" else base.tz,
            duration_unit=self.duration_unit or base.duration_unit,
        )

    def channel_word(self, value: object) -> object:
        """A channel cell in our words when this export's word for it is known."""
        if isinstance(value, str):
            return self.channels.get(value.strip().casefold(), value)
        return value

    def matches(self, headers: Iterable[str]) -> int:
        """How many of `headers` this export names; 0 unless they hold every column it maps
        to a key field (the agent, the day, the count, the reference, …), at least
        `min_match` of its names and at least half of the columns it maps (so that a plain
        file with common names, "Agent", "Date", "Talk Time", is not taken for it)."""
        keys = {key for header in headers for key in _keys(header)}
        mapped = len(keys & set(self.columns))
        found = mapped + len(keys & self.ignored())
        enough = found >= self.min_match and 2 * mapped >= len(self.columns)
        return found if enough and self._key_columns() <= keys else 0

    def _key_columns(self) -> set[str]:
        """The normalised headers of the key fields (the day not, when a title gives it)."""
        return {
            key
            for key, field in self.columns.items()
            if field in KEY_FIELDS and not (field == "day" and self.day_from_title)
        }


def _keys(header: str) -> set[str]:
    """A header's normalised name, with and without the unit it names."""
    return {normalise_header(header), normalise_header(header_without_unit(header))}


def _text(file: str, data: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise PresetError(file, key, "must be a non-empty text")
    return value.strip()


def _choice(file: str, data: Mapping[str, Any], key: str, allowed: Iterable[str]) -> str:
    value = _text(file, data, key)
    allowed = tuple(allowed)
    if value not in allowed:
        raise PresetError(file, key, f'"{value}" is not one of {", ".join(allowed)}')
    return value


def _table(file: str, data: Mapping[str, Any], key: str) -> dict[str, str]:
    value = data.get(key, {})
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise PresetError(file, key, 'must be a table of "text" = "text"')
    return value


def parse_preset(file: str, data: Mapping[str, Any]) -> Preset:
    """A preset from a TOML file's content; PresetError names the file and key at fault."""
    for key in data:
        if key not in KEYS:
            raise PresetError(file, key, f"unknown key (known: {', '.join(sorted(KEYS))})")
    for key in REQUIRED_KEYS:
        if key not in data:
            raise PresetError(file, key, "missing")
    kind: Kind = _choice(file, data, "kind", KINDS)  # type: ignore[assignment]  # checked
    layout = _choice(file, data, "layout", LAYOUTS)
    source = _text(file, data, "source")
    if not source.startswith(("https://", "http://")):
        raise PresetError(file, "source", "must be the URL of the layout's documentation")
    note = str(data.get("note", "")).strip()
    if layout == "representative" and not note:
        raise PresetError(file, "note", "a representative layout must say what is not verified")
    headers = _table(file, data, "columns")
    if not headers:
        raise PresetError(file, "columns", "names no column")
    for header, field in headers.items():
        if field not in FIELDS[kind]:
            raise PresetError(file, f"columns.{header}", f'"{field}" is not a {kind} field')
    if "agent" not in headers.values():
        raise PresetError(file, "columns", "names no column for the agent")
    seen: dict[str, str] = {}
    for header in headers:
        key = normalise_header(header)
        if key in seen:
            raise PresetError(file, f"columns.{header}", f'the same column as "{seen[key]}"')
        seen[key] = header
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(name, str) for name in ignore):
        raise PresetError(file, "ignore", "must be a list of header names")
    for name in ignore:
        if normalise_header(name) in seen:
            raise PresetError(file, f"ignore.{name}", "is also in columns")
    units: dict[str, DurationUnit] = {}
    for field, unit in _table(file, data, "units").items():
        if field not in FIELDS[kind]:
            raise PresetError(file, f"units.{field}", f'"{field}" is not a {kind} field')
        if unit not in DURATION_UNITS:
            raise PresetError(file, f"units.{field}", f'"{unit}" is not one of {DURATION_UNITS}')
        units[field] = unit  # checked just above: a DurationUnit
    duration_unit = data.get("duration_unit")
    if duration_unit is not None and duration_unit not in DURATION_UNITS:
        reason = f'"{duration_unit}" is not one of {", ".join(DURATION_UNITS)}'
        raise PresetError(file, "duration_unit", reason)
    date_order = data.get("date_order", "iso")
    orders = {"day-first": True, "month-first": False, "iso": None}
    if date_order not in orders:
        raise PresetError(file, "date_order", f'"{date_order}" is not one of {", ".join(orders)}')
    timestamps = _choice(file, {"timestamps": "local", **data}, "timestamps", TIMESTAMPS)
    channels: dict[str, str] = {}
    for word, channel in _table(file, data, "channels").items():
        if channel not in CHANNELS:
            reason = f'"{channel}" is not one of {", ".join(CHANNELS)}'
            raise PresetError(file, f"channels.{word}", reason)
        channels[word.strip().casefold()] = channel
    if channels and "channel" not in headers.values():
        raise PresetError(file, "channels", "the preset names no channel column")
    day_from_title = data.get("day_from_title")
    if day_from_title is not None and not (isinstance(day_from_title, str) and day_from_title):
        raise PresetError(file, "day_from_title", "must be the label of a title line")
    blanks = data.get("blanks", [])
    if not isinstance(blanks, list) or not all(isinstance(mark, str) for mark in blanks):
        raise PresetError(file, "blanks", "must be a list of texts")
    min_match = data.get("min_match", MIN_MATCH)
    if not isinstance(min_match, int) or isinstance(min_match, bool) or min_match < 2:
        raise PresetError(file, "min_match", "must be a whole number of at least 2")
    return Preset(
        key=file.removesuffix(".toml"),
        name=_text(file, data, "name"),
        report=_text(file, data, "report"),
        kind=kind,
        source=source,
        layout=layout,
        note=note,
        headers=headers,
        ignore=tuple(ignore),
        units=units,
        duration_unit=duration_unit,
        day_first=orders[date_order],
        timestamps=timestamps,
        channels=channels,
        day_from_title=day_from_title,
        min_match=min_match,
        blanks=frozenset(mark.strip() for mark in blanks),
    )


def load_preset(path: Path) -> Preset:
    """One preset file; PresetError names it and the key at fault."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise PresetError(path.name, "(file)", f"not valid TOML: {error}") from None
    return parse_preset(path.name, data)


@functools.cache
def shipped_presets() -> tuple[Preset, ...]:
    """Every preset shipped with the app, in file-name order."""
    return tuple(load_preset(path) for path in sorted(FOLDER.glob("*.toml")))


def presets_of(kind: Kind) -> tuple[Preset, ...]:
    """The shipped presets of one kind."""
    return tuple(preset for preset in shipped_presets() if preset.kind == kind)


def header_names(kind: Kind, aliases: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """The normalised names a header row of `kind` may hold: every preset's of that kind and
    the generic `aliases` (fields and their names)."""
    names = {normalise_header(name) for field, more in aliases.items() for name in (field, *more)}
    for preset in presets_of(kind):
        names |= preset.names()
    return frozenset(names)


def recognise(headers: Iterable[str], kind: Kind) -> Preset | None:
    """The preset of `kind` whose columns `headers` match best (see `Preset.matches`), or
    None when none matches enough; a tie goes to the preset with fewer columns unmatched."""
    headers = list(headers)
    best: tuple[int, float, Preset] | None = None
    for preset in presets_of(kind):
        found = preset.matches(headers)
        if found and (best is None or (found, found / len(preset.names())) > best[:2]):
            best = (found, found / len(preset.names()), preset)
    return best[2] if best else None


def with_mapping(
    preset: Preset, mapping: Mapping[str, str]
) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """The preset's aliases and ignored headers, a column mapping saved for the source
    (our field → the header) winning: its header alone names its field, and is not ignored."""
    aliases = preset.aliases()
    ignore = set(preset.ignored())
    for field, header in mapping.items():
        if header:
            aliases[field] = (header,)
            ignore.discard(normalise_header(header))
    return aliases, frozenset(ignore)


def preset_has_day(preset: Preset, headers: Iterable[str]) -> bool:
    """True when the file has a column the preset reads the day (or interval) from."""
    keys = {key for header in headers for key in _keys(header)}
    return any(preset.columns.get(key) in ("day", "interval") for key in keys)


def day_in_titles(preset: Preset, titles: Sequence[str]) -> str:
    """The date a title line gives ("Date: 12/11/2026" for `day_from_title` "Date");
    TableError when no title line gives it."""
    label = normalise_header(preset.day_from_title or "")
    for title in titles:
        head, colon, rest = title.partition(":")
        if colon and normalise_header(head) == label and rest.strip():
            return rest.strip()
    reason = (
        f'the file looks like the export "{preset.title}", whose day is given by a title '
        f'line "{preset.day_from_title}: …" above the header; the file has none'
    )
    raise TableError([Problem(None, None, None, reason)])


def preset_rows(
    rows: Iterator[tuple[int, list[object]]],
    preset: Preset,
    width: int,
    channel: int | None,
    day: str | None,
) -> Iterator[tuple[int, list[object]]]:
    """The rows with the preset's blank marks blank, its channel words in ours, and (when
    `day` is given) the day appended after the file's `width` columns."""
    blanks = preset.blanks
    for number, values in rows:
        if blanks:
            values = ["" if isinstance(v, str) and v.strip() in blanks else v for v in values]
        if channel is not None and channel < len(values):
            values[channel] = preset.channel_word(values[channel])
        if day is not None:
            values = [*values[:width], day]
        yield number, values
