"""Cursor pagination for the API's lists.

Every list is ordered by id and answered as `{"data": [...], "next": URL or null}`. The
cursor in `next` is opaque to clients (it encodes the last id seen), so pages stay stable
while records are added, and no page is ever counted with OFFSET.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from flask import request, url_for
from flask_babel import gettext as _

from qa_app.api.params import WHOLE_NUMBER, invalid, text_param
from qa_app.extensions import db


class Identified(Protocol):
    """A record with an integer id, the order every API list is paged in."""

    @property
    def id(self) -> int: ...


Item = TypeVar("Item", bound=Identified)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_PREFIX = "after:"


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of records, and the URL of the next page (None on the last one)."""

    items: Sequence[Item]
    next_url: str | None

    def body(self, represent: Callable[[Item], dict[str, Any]]) -> dict[str, Any]:
        """The list's JSON body."""
        return {"data": [represent(item) for item in self.items], "next": self.next_url}


def encode_cursor(last_id: int) -> str:
    """The opaque cursor pointing after `last_id`."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor points after; a 400 for anything we did not make."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid("cursor", cursor, _("not a cursor from a 'next' link")) from None
    number = text.removeprefix(CURSOR_PREFIX)
    if not text.startswith(CURSOR_PREFIX) or not number.isdigit() or len(number) > 18:
        raise invalid("cursor", cursor, _("not a cursor from a 'next' link"))
    return int(number)


def page_limit() -> int:
    """`limit`: records per page, 1 to MAX_LIMIT (default DEFAULT_LIMIT)."""
    value = text_param("limit")
    if value is None:
        return DEFAULT_LIMIT
    if not WHOLE_NUMBER.fullmatch(value) or not 1 <= int(value) <= MAX_LIMIT:
        raise invalid(
            "limit", value, _("a whole number from 1 to %(largest)d expected", largest=MAX_LIMIT)
        )
    return int(value)


def paginate(query: sa.Select[Item], id_column: sa.SQLColumnExpression[int]) -> Page[Item]:
    """The page of `query` after the request's cursor, ordered by `id_column`."""
    limit = page_limit()
    cursor = text_param("cursor")
    if cursor is not None:
        query = query.where(id_column > decode_cursor(cursor))
    rows = list(db.session.scalars(query.order_by(id_column).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(rows, None)
    rows = rows[:limit]
    args = {key: value for key, value in request.args.items(multi=True) if key != "cursor"}
    next_url = url_for(
        request.endpoint or "",
        **(request.view_args or {}),
        **args,
        cursor=encode_cursor(rows[-1].id),
        _external=True,
    )
    return Page(rows, next_url)
