"""Import profiles: find the one that reads a file, save one from the editor's choices, and
write one as a file for the command line (`--profile FILE`)."""

from __future__ import annotations

import functools
import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from qa_app.audit.services import record_event
from qa_app.auth.models import User
from qa_app.errors import RuleError
from qa_app.extensions import db
from qa_app.profiles.models import ImportProfile
from qa_app.uploads.fields import DAY_FIELDS, FIELD_ALIASES, REQUIRED, Kind
from qa_app.uploads.presets import Preset, PresetError, header_names, parse_profile, recognise
from qa_app.uploads.reader import normalise_header
from qa_app.uploads.units import header_without_unit

MAX_COLUMNS = 200  # in the editor: a wider file is not a report export


class ProfileError(RuleError, ValueError):
    """Choices in the profile editor that cannot make a profile (names what to change)."""


def _preset(row: ImportProfile) -> Preset:
    return parse_profile(row.source, row.definition)


def saved_profiles(kind: Kind | None = None) -> list[ImportProfile]:
    """The saved profiles (of one kind), by kind and source."""
    query = sa.select(ImportProfile).order_by(ImportProfile.kind, ImportProfile.source)
    if kind is not None:
        query = query.where(ImportProfile.kind == kind)
    return list(db.session.scalars(query))


def profile_of(kind: Kind, source: str) -> ImportProfile | None:
    """The profile saved for `source`'s files of `kind`."""
    return db.session.scalar(
        sa.select(ImportProfile).where(ImportProfile.kind == kind, ImportProfile.source == source)
    )


def find_profile(kind: Kind, source: str, headers: Iterable[str]) -> Preset | None:
    """The profile that reads a file of `kind` with these headers imported as `source`: the
    one saved for the source, else the one made from a file with the same header names (the
    last saved, if several were); None when neither exists."""
    own = profile_of(kind, source)
    if own is not None:
        return _preset(own)
    shape = frozenset(filter(None, map(normalise_header, headers)))
    for row in sorted(saved_profiles(kind), key=lambda row: row.updated_at, reverse=True):
        preset = _preset(row)
        if preset.shape == shape:
            return preset
    return None


def profile_names(kind: Kind) -> frozenset[str]:
    """The normalised header names the saved profiles of `kind` know (to find a file's
    header row below its title lines)."""
    names: set[str] = set()
    for row in saved_profiles(kind):
        names |= _preset(row).names()
    return frozenset(names)


@functools.cache
def _usual_names(kind: Kind) -> frozenset[str]:
    return header_names(kind, FIELD_ALIASES[kind])


def known_header_names(kind: Kind, profile: Preset | None = None) -> frozenset[str]:
    """Every normalised name a header row of `kind` may hold (to find it below title
    lines): the usual names, every shipped preset's, and `profile`'s, else every saved
    profile's."""
    return _usual_names(kind) | (profile.names() if profile is not None else profile_names(kind))


def reading_for(
    kind: Kind, source: str, headers: Sequence[str], profile: Preset | None = None
) -> Preset | None:
    """What reads a file of `kind` with these headers imported as `source`: `profile`, else
    the profile saved for the source or for files of this shape (`find_profile`), else the
    shipped preset of the export it is recognised as; None: the usual column names."""
    return profile or find_profile(kind, source, headers) or recognise(headers, kind)


def suggested_fields(headers: Sequence[str], kind: Kind) -> list[str]:
    """Our field for each header as the importer would guess it ("" for none): by the
    export the headers are recognised as, else by the usual names; a field goes to the
    first column that could be it only."""
    preset = recognise(headers, kind)
    names = (
        preset.columns
        if preset is not None
        else {
            normalise_header(name): field
            for field, aliases in FIELD_ALIASES[kind].items()
            for name in (field, *aliases)
        }
    )
    taken: set[str] = set()
    fields: list[str] = []
    for header in headers:
        field = names.get(normalise_header(header)) or names.get(
            normalise_header(header_without_unit(header)), ""
        )
        fields.append("" if field in taken else field)
        taken.add(field)
    return fields


def profile_definition(
    kind: Kind,
    headers: Sequence[str],
    fields: Sequence[str],
    *,
    date_order: str | None,
    timezone: str | None,
    duration_unit: str | None,
    channels: Mapping[str, str],
) -> dict[str, Any]:
    """The definition of a profile for files with `headers`, each read as the field
    chosen for it ("" : ignored); ProfileError when a field is chosen twice or one a file
    of `kind` needs is not chosen."""
    chosen: dict[str, str] = {}
    for header, field in zip(headers, fields, strict=True):
        if not field:
            continue
        if field in chosen.values():
            first = next(name for name, taken in chosen.items() if taken == field)
            raise ProfileError(
                _(
                    '"%(header)s" and "%(first)s" are both chosen as %(field)s; keep one',
                    header=header,
                    first=first,
                    field=field,
                )
            )
        chosen[header] = field
    missing = [field for field in REQUIRED[kind] if field not in chosen.values()]
    if kind == "statistics" and not set(DAY_FIELDS) & set(chosen.values()):
        missing.append(_(" or ").join(DAY_FIELDS))
    if missing:
        raise ProfileError(_("choose a column for: %(fields)s", fields=", ".join(missing)))
    definition: dict[str, Any] = {
        "kind": kind,
        "headers": list(headers),
        "columns": chosen,
        "ignore": [header for header in headers if header and header not in chosen],
    }
    if date_order:
        definition["date_order"] = date_order
    if timezone:
        definition["timezone"] = timezone
    if duration_unit:
        definition["duration_unit"] = duration_unit
    if channels:
        definition["channels"] = dict(channels)
    return definition


def save_profile(kind: Kind, source: str, definition: dict[str, Any], actor: User) -> ImportProfile:
    """Save (or replace) the profile of `source`'s files of `kind`, audited; PresetError
    when the definition is not a valid profile. Left for the caller to commit."""
    parse_profile(source, definition)  # raises what is wrong
    row = profile_of(kind, source)
    before = dict(row.definition) if row is not None else None
    if row is None:
        row = ImportProfile(kind=kind, source=source, definition=definition)
        db.session.add(row)
    else:
        row.definition = definition
    row.updated_by_id = actor.id
    db.session.flush()
    record_event(
        "import_profile.saved",
        "import_profile",
        row.id,
        before=before,
        after={"source": source, **definition},
        actor_id=actor.id,
    )
    return row


def delete_profile(row: ImportProfile, actor: User) -> None:
    """Delete a profile, audited. Left for the caller to commit."""
    record_event(
        "import_profile.deleted",
        "import_profile",
        row.id,
        before={"source": row.source, **row.definition},
        actor_id=actor.id,
    )
    db.session.delete(row)


def _toml_value(value: Any) -> str:
    """A string or a list of strings in TOML (JSON's string escapes are TOML's)."""
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_value, value)) + "]"
    return json.dumps(value, ensure_ascii=False)


def profile_toml(row: ImportProfile) -> str:
    """The profile as a file for `--profile FILE` (and for review)."""
    lines = [f"# Import profile for the source {json.dumps(row.source)}, exported from QA Coach."]
    tables: dict[str, Mapping[str, str]] = {}
    for key, value in row.definition.items():
        if isinstance(value, dict):
            tables[key] = value
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    for key, table in tables.items():
        lines += ["", f"[{key}]"]
        lines += [f"{_toml_value(name)} = {_toml_value(value)}" for name, value in table.items()]
    return "\n".join(lines) + "\n"


def read_profile_file(text: str, source: str, file: str, kind: Kind) -> Preset:
    """A profile file's reading rules for `source`; PresetError naming the file and key when
    it is not a valid profile of `kind`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PresetError(file, "(file)", _("not valid TOML: %(error)s", error=error)) from None
    preset = parse_profile(source, data, file)
    if preset.kind != kind:
        reason = _(
            "a %(kind)s profile; this import reads %(expected)s", kind=preset.kind, expected=kind
        )
        raise PresetError(file, "kind", reason)
    return preset
