"""What the profile editor shows: a file's header row, sample values and the field the
importer would take each column for, or a saved profile's choices."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

from qa_app.auth.models import Role
from qa_app.profiles.models import ImportProfile
from qa_app.profiles.services import MAX_COLUMNS, known_header_names, suggested_fields
from qa_app.uploads.cells import is_blank
from qa_app.uploads.fields import KINDS, Kind
from qa_app.uploads.reader import TableError, stream_table

SAMPLE_ROWS = 3  # values shown under each column
SAMPLE_CHARS = 40
# Who may save a profile of each kind: those who import that kind.
ROLES: dict[Kind, frozenset[Role]] = {
    "statistics": frozenset({Role.ADMIN, Role.MANAGER}),
    "interactions": frozenset({Role.SUPERVISOR, Role.MANAGER}),
}


def kinds_for(role: Role) -> tuple[Kind, ...]:
    """The kinds of profile a user of `role` may see and save."""
    return tuple(kind for kind in KINDS if role in ROLES[kind])


@dataclass
class Column:
    """One column in the editor: its header, a few of its values, our field ("": ignored)."""

    header: str
    field: str
    samples: list[str] = default(default_factory=list)


@dataclass
class Editor:
    """The editor's content for one source's files of one kind."""

    kind: Kind
    source: str
    columns: list[Column]
    options: dict[str, Any] = default(default_factory=dict)  # date_order, timezone, …
    channels: dict[str, str] = default(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]


def _shown(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= SAMPLE_CHARS else text[: SAMPLE_CHARS - 1] + "…"


def editor_for_file(
    kind: Kind, source: str, data: bytes, filename: str, *, max_bytes: int, max_rows: int
) -> Editor | None:
    """The editor for a file: its header row (found as the importer finds it), the first
    SAMPLE_ROWS values of each column and the field each would be taken for; None when the
    file has no header row to show (its problems say why) or is too wide to be a report."""
    names = known_header_names(kind)
    try:
        stream = stream_table(
            data, filename, max_bytes=max_bytes, max_rows=max_rows, header_names=names
        )
        rows = [values for _number, values in itertools.islice(stream.rows, SAMPLE_ROWS)]
    except TableError:
        return None
    if not stream.headers or len(stream.headers) > MAX_COLUMNS:
        return None
    fields = suggested_fields(stream.headers, kind)
    columns = [
        Column(
            header,
            fields[index],
            [_shown(row[index]) for row in rows if index < len(row) and not is_blank(row[index])],
        )
        for index, header in enumerate(stream.headers)
    ]
    return Editor(kind, source, columns)


def editor_for_profile(row: ImportProfile) -> Editor:
    """The editor for a saved profile: the header row it was made from, each with the
    field chosen for it (no sample values: none are kept)."""
    definition = row.definition
    chosen: dict[str, str] = definition.get("columns", {})
    headers: list[str] = definition.get("headers") or list(chosen)
    kind: Kind = "statistics" if row.kind == "statistics" else "interactions"
    return Editor(
        kind,
        row.source,
        [Column(header, chosen.get(header, "")) for header in headers],
        options={key: definition.get(key) for key in ("date_order", "timezone", "duration_unit")},
        channels=dict(definition.get("channels", {})),
    )
