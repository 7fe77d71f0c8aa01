"""Matching a table's header names to our column names, and reading rows by those names.

Shared by the interaction and statistics imports: each names its columns and their usual
aliases; `map_columns` finds them in a file's header (or says which are missing or
ambiguous), and `NamedRow` reads a row by our names.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qa_app.uploads.reader import Problem, Table, TableError, TableStream, normalise_header
from qa_app.uploads.units import header_without_unit

CHOOSE_COLUMN = _l(
    "remove the others from the file, or save a column mapping for this source that names "
    "the one to use"
)


def map_columns(
    headers: list[str],
    aliases: Mapping[str, Iterable[str]],
    *,
    required: Iterable[str],
    ignore: Collection[str] = (),
    by_field_name: bool = True,
) -> dict[str, int]:
    """Field name -> column index, matching each field's aliases (and, `by_field_name`, its
    own name) to the headers (a header naming its unit, "Handle Time (ms)", matches as
    "Handle Time" too); headers whose normalised name is in `ignore` match nothing."""
    required = list(required)
    keys = [normalise_header(header) for header in headers]
    bare = [normalise_header(header_without_unit(header)) for header in headers]
    found: dict[str, int] = {}
    problems: list[Problem] = []
    for field in dict.fromkeys([*aliases, *required]):
        names = list(dict.fromkeys([field, *aliases.get(field, ())][not by_field_name :]))
        wanted = {normalise_header(name) for name in names}
        matches = [
            index
            for index, key in enumerate(keys)
            if (key in wanted or bare[index] in wanted) and key not in ignore
        ]
        if len(matches) == 1:
            found[field] = matches[0]
        elif matches:
            columns = ", ".join(f'"{headers[index]}"' for index in matches)
            if field == "agent":
                reason = _(
                    "columns %(columns)s could each be the agent; %(advice)s",
                    columns=columns,
                    advice=CHOOSE_COLUMN,
                )
            else:
                reason = _(
                    'columns %(columns)s could each be "%(field)s"; %(advice)s',
                    columns=columns,
                    field=field,
                    advice=CHOOSE_COLUMN,
                )
            problems.append(Problem(None, None, None, reason))
        elif field in required:
            accepted = ", ".join(f'"{name}"' for name in names)
            reason = _(
                'missing column "%(field)s" (accepted names: %(accepted)s)',
                field=field,
                accepted=accepted,
            )
            problems.append(Problem(None, None, None, reason))
    if problems:
        raise TableError(problems)
    return found


class NamedRow(Mapping[str, object]):
    """A data row seen as our column name → cell; only the file's mapped columns are in it,
    so `name in row` says whether the file has that column at all."""

    __slots__ = ("_columns", "_values")

    def __init__(self, values: Sequence[object], columns: Mapping[str, int]) -> None:
        self._values, self._columns = values, columns

    def __getitem__(self, name: str) -> object:
        return self._values[self._columns[name]]

    # Mapping's own get and `in` go through __getitem__ and an exception: a hot path on import.
    def get(self, name: str, default: object = None) -> object:
        index = self._columns.get(name)
        return default if index is None else self._values[index]

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


def named_rows(table: Table, columns: Mapping[str, int]) -> Iterator[tuple[int, NamedRow]]:
    """The table's rows as (row number, NamedRow), for checks shared with the JSON API."""
    return ((number, NamedRow(values, columns)) for number, values in table.rows)


def header_of(table: Table | TableStream, columns: Mapping[str, int]) -> Callable[[str], str]:
    """Our column name → the file's header for it (the name itself when it has none)."""
    return lambda name: table.headers[columns[name]] if name in columns else name
