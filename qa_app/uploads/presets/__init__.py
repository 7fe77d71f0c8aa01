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
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _

from qa_app.channels import CHANNELS
from qa_app.errors import RuleError
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.fields import FIELD_ALIASES, KINDS, Kind
from qa_app.uploads.reader import Problem, TableError, normalise_header
from qa_app.uploads.units import DURATION_UNITS, DurationUnit, header_without_unit

LAYOUTS = ("documented", "representative")
TIMESTAMPS = ("local", "utc")
FOLDER = Path(__file__).parent
# Our fields per kind: checked here so that a typo in a preset is told when it is loaded,
# not as a missing column in a user's file.
FIELDS: dict[Kind, frozenset[str]] = {kind: frozenset(FIELD_ALIASES[kind]) for kind in KINDS}
KEYS = {
    "name", "report", "kind", "source", "layout", "note", "columns", "ignore", "units",
    "duration_unit", "date_order", "timestamps", "channels", "day_from_title", "min_match",
    "blanks",
}  # fmt: skip
REQUIRED_KEYS = ("name", "report", "kind", "source", "layout", "columns")
# An import profile (qa_app.profiles): the reading rules a centre saved for one source, in the
# same words; `timezone` names the zone its times without an offset are in, `headers` the
# header row of the file it was made from (files with the same names are read by it).
PROFILE_KEYS = {
    "kind", "columns", "ignore", "units", "duration_unit", "date_order", "timezone",
    "channels", "headers", "blanks",
}  # fmt: skip
PROFILE_REQUIRED_KEYS = ("kind", "columns")
# The fields whose columns a file must all have to be recognised as a preset's export.
KEY_FIELDS = frozenset(
    {"agent", "day", "interval", "contacts_handled", "occurred_at", "external_ref", "channel"}
)
MIN_MATCH = 3  # header names a file must share with a preset to be recognised as it


class PresetError(RuleError, ValueError):
    """A shipped preset file that is not valid: names the file and the key."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        super().__init__(
            _("preset %(file)s: %(key)s: %(reason)s", file=file, key=key, reason=reason)
        )
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
    # An import profile's: the zone of times without an offset (None: the centre's), and the
    # normalised header names of the file it was made from.
    timezone: str | None = None
    shape: frozenset[str] = frozenset()
    profile: bool = False

    @property
    def title(self) -> str:
        """ "Genesys Cloud — Agents Performance export"; a profile's names its source."""
        if self.profile:
            return f'the import profile "{self.name}"'
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
        if self.timezone is not None:
            tz: tzinfo = ZoneInfo(self.timezone)
        else:
            tz = UTC if self.timestamps == "utc" else base.tz
        return replace(
            base,
            day_first=base.day_first if base.day_first is not None else self.day_first,
            tz=tz,
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
        raise PresetError(file, key, _("must be a non-empty text"))
    return value.strip()


def _choice(file: str, data: Mapping[str, Any], key: str, allowed: Iterable[str]) -> str:
    value = _text(file, data, key)
    allowed = tuple(allowed)
    if value not in allowed:
        reason = _('"%(value)s" is not one of %(choices)s', value=value, choices=", ".join(allowed))
        raise PresetError(file, key, reason)
    return value


def _table(file: str, data: Mapping[str, Any], key: str) -> dict[str, str]:
    value = data.get(key, {})
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise PresetError(file, key, _('must be a table of "text" = "text"'))
    return value


def parse_preset(file: str, data: Mapping[str, Any]) -> Preset:
    """A preset from a TOML file's content; PresetError names the file and key at fault."""
    _check_keys(file, data, KEYS, REQUIRED_KEYS)
    layout = _choice(file, data, "layout", LAYOUTS)
    source = _text(file, data, "source")
    if not source.startswith(("https://", "http://")):
        raise PresetError(file, "source", _("must be the URL of the layout's documentation"))
    note = str(data.get("note", "")).strip()
    if layout == "representative" and not note:
        reason = _("a representative layout must say what is not verified")
        raise PresetError(file, "note", reason)
    return _reading(
        file,
        data,
        key=file.removesuffix(".toml"),
        name=_text(file, data, "name"),
        report=_text(file, data, "report"),
        source=source,
        layout=layout,
        note=note,
    )


def parse_profile(source: str, data: Mapping[str, Any], file: str | None = None) -> Preset:
    """An import profile saved for `source` (PROFILE_KEYS) as a Preset; PresetError names
    the key at fault (and `file`, the profile's file, else the source)."""
    where = file or f"profile {source}"
    _check_keys(where, data, PROFILE_KEYS, PROFILE_REQUIRED_KEYS)
    timezone = data.get("timezone")
    if timezone is not None:
        if not isinstance(timezone, str) or not timezone.strip():
            reason = _("must be a time zone name, e.g. Europe/Berlin")
            raise PresetError(where, "timezone", reason)
        try:
            ZoneInfo(timezone.strip())
        except (ZoneInfoNotFoundError, ValueError):
            reason = _(
                '"%(value)s" is not a time zone name (e.g. Europe/Berlin, UTC)', value=timezone
            )
            raise PresetError(where, "timezone", reason) from None
    headers = data.get("headers", [])
    if not isinstance(headers, list) or not all(isinstance(name, str) for name in headers):
        raise PresetError(where, "headers", _("must be a list of header names"))
    return _reading(
        where,
        data,
        key=source,
        name=source,
        report="import profile",
        source="",
        layout="profile",
        note="",
        timezone=timezone.strip() if timezone else None,
        shape=frozenset(filter(None, map(normalise_header, headers))),
        profile=True,
    )


def _check_keys(
    file: str, data: Mapping[str, Any], known: Collection[str], required: Iterable[str]
) -> None:
    for key in data:
        if key not in known:
            reason = _("unknown key (known: %(known)s)", known=", ".join(sorted(known)))
            raise PresetError(file, key, reason)
    for key in required:
        if key not in data:
            raise PresetError(file, key, _("missing"))


def _reading(file: str, data: Mapping[str, Any], **about: Any) -> Preset:
    """The reading rules shared by presets and profiles (columns, units, dates, channels)."""
    kind: Kind = _choice(file, data, "kind", KINDS)  # type: ignore[assignment]  # checked
    headers = _table(file, data, "columns")
    if not headers:
        raise PresetError(file, "columns", _("names no column"))
    for header, field in headers.items():
        if field not in FIELDS[kind]:
            reason = _('"%(field)s" is not a %(kind)s field', field=field, kind=kind)
            raise PresetError(file, f"columns.{header}", reason)
    if "agent" not in headers.values():
        raise PresetError(file, "columns", _("names no column for the agent"))
    seen: dict[str, str] = {}
    for header in headers:
        key = normalise_header(header)
        if key in seen:
            reason = _('the same column as "%(column)s"', column=seen[key])
            raise PresetError(file, f"columns.{header}", reason)
        seen[key] = header
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(name, str) for name in ignore):
        raise PresetError(file, "ignore", _("must be a list of header names"))
    for name in ignore:
        if normalise_header(name) in seen:
            raise PresetError(file, f"ignore.{name}", _("is also in columns"))
    units: dict[str, DurationUnit] = {}
    for field, unit in _table(file, data, "units").items():
        if field not in FIELDS[kind]:
            reason = _('"%(field)s" is not a %(kind)s field', field=field, kind=kind)
            raise PresetError(file, f"units.{field}", reason)
        if unit not in DURATION_UNITS:
            reason = _(
                '"%(value)s" is not one of %(choices)s',
                value=unit,
                choices=", ".join(DURATION_UNITS),
            )
            raise PresetError(file, f"units.{field}", reason)
        units[field] = unit  # checked just above: a DurationUnit
    duration_unit = data.get("duration_unit")
    if duration_unit is not None and duration_unit not in DURATION_UNITS:
        reason = _(
            '"%(value)s" is not one of %(choices)s',
            value=duration_unit,
            choices=", ".join(DURATION_UNITS),
        )
        raise PresetError(file, "duration_unit", reason)
    date_order = data.get("date_order", "iso")
    orders = {"day-first": True, "month-first": False, "iso": None}
    if date_order not in orders:
        reason = _(
            '"%(value)s" is not one of %(choices)s', value=date_order, choices=", ".join(orders)
        )
        raise PresetError(file, "date_order", reason)
    timestamps = _choice(file, {"timestamps": "local", **data}, "timestamps", TIMESTAMPS)
    channels: dict[str, str] = {}
    for word, channel in _table(file, data, "channels").items():
        if channel not in CHANNELS:
            reason = _(
                '"%(value)s" is not one of %(choices)s', value=channel, choices=", ".join(CHANNELS)
            )
            raise PresetError(file, f"channels.{word}", reason)
        channels[word.strip().casefold()] = channel
    if channels and "channel" not in headers.values():
        raise PresetError(file, "channels", _("the preset names no channel column"))
    day_from_title = data.get("day_from_title")
    if day_from_title is not None and not (isinstance(day_from_title, str) and day_from_title):
        raise PresetError(file, "day_from_title", _("must be the label of a title line"))
    blanks = data.get("blanks", [])
    if not isinstance(blanks, list) or not all(isinstance(mark, str) for mark in blanks):
        raise PresetError(file, "blanks", _("must be a list of texts"))
    min_match = data.get("min_match", MIN_MATCH)
    if not isinstance(min_match, int) or isinstance(min_match, bool) or min_match < 2:
        raise PresetError(file, "min_match", _("must be a whole number of at least 2"))
    return Preset(
        kind=kind,
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
        **about,
    )


def load_preset(path: Path) -> Preset:
    """One preset file; PresetError names it and the key at fault."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise PresetError(
            path.name, "(file)", _("not valid TOML: %(error)s", error=error)
        ) from None
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
    reason = _(
        'the file looks like the export "%(export)s", whose day is given by a title line '
        '"%(label)s: …" above the header; the file has none',
        export=preset.title,
        label=preset.day_from_title,
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
