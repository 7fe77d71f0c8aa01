"""Reading JSON request bodies: one object or a batch (a list of objects), each field of the
JSON type the OpenAPI document declares.

The field tables here are the single source of both the type checks and the request schemas
in the document. Type problems are all reported at once (422, with the item index and the
field); the business rules come afterwards, from the checks the file imports use. Dates,
times, and the figures a field marks `text`, may be sent as text: the file imports' parsers
read it (qa_app.uploads.cells), so "00:05:12", "87,5 %" and "04.01.2027" mean here what
they mean in a file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import ngettext

from qa_app.api.errors import ApiError, Detail
from qa_app.uploads.reader import CONTROL_CHARACTERS, longer_than

TEXT_NUMBER_LIMIT = 100  # a date, time or figure written as text is never longer
JSON_TYPES = {"string", "integer", "number", "boolean", "date", "date-time"}
LARGEST_NUMBER = 2_147_483_647  # the database's INTEGER


@dataclass(frozen=True)
class Field:
    """One field of a request item: its name, JSON type, whether it is required, and the
    sentence the OpenAPI document shows for it. A number with `text` may also be sent as
    text, read by the file imports' parsers ("00:05:12", "87,5 %"); dates and times are
    always text, read by them too."""

    name: str
    type: str
    description: str
    required: bool = False
    text: bool = False
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        assert self.type in JSON_TYPES, self.type


def read_json_body() -> object:
    """The request body parsed as JSON: 415 unless it says it is JSON, 400 unless it is."""
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError(
            415,
            "unsupported_media_type",
            _("Send the body as JSON with 'Content-Type: application/json'."),
        )
    try:
        return json.loads(request.get_data(cache=False), parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        message = _("The body is not valid JSON: %(error)s.", error=error)
        raise ApiError(400, "invalid_json", message) from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def read_items(body: object, fields: Sequence[Field], max_items: int) -> list[dict[str, Any]]:
    """The items of a body that is one object or a list of objects, each checked against
    `fields`; 422 with every type problem (item index, field, reason), 413 for too many.

    Types come first: the content rules (unknown agents, negative counts…) are checked once
    every item has the right types, and then every content problem is reported at once."""
    items: list[Any] = body if isinstance(body, list) else [body]
    if not items:
        reason = _("an empty list: send at least one item")
        raise _invalid([Detail(None, None, None, reason)])
    if len(items) > max_items:
        raise ApiError(
            413,
            "too_many_items",
            ngettext(
                "At most %(num)d item per request; send the rest in another request.",
                "At most %(num)d items per request; send the rest in another request.",
                max_items,
            ),
        )
    details: list[Detail] = []
    known = {field.name for field in fields}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            details.append(Detail(index, None, _shown(item), _("an object expected")))
            continue
        for field in fields:  # in the document's order, whatever order the item has
            value = item.get(field.name)
            reason = _("required") if value is None and field.required else None
            if value is not None:
                reason = _type_problem(field, value)
            if reason:
                shown = None if value is None else _shown(value)
                details.append(Detail(index, field.name, shown, reason))
        for name in sorted(set(item) - known, key=str):
            details.append(Detail(index, _text(name), None, _("unknown field")))
    if details:
        raise _invalid(details)
    return [{key: value for key, value in item.items() if value is not None} for item in items]


def _invalid(details: list[Detail]) -> ApiError:
    return ApiError(422, "validation_failed", _("The request body is not valid."), details)


def _type_problem(field: Field, value: object) -> str | None:
    """Why `value` is not of the field's JSON type (None when it is)."""
    if field.type == "boolean":
        return None if isinstance(value, bool) else _("true or false expected")
    if field.type in ("integer", "number") and not (field.text and isinstance(value, str)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            if field.type == "number":
                return _("a number expected")
            return _("a whole number expected")
        if field.type == "integer" and not isinstance(value, int):
            return _("a whole number expected")
        if not math.isfinite(value) or abs(value) > LARGEST_NUMBER:
            return _("too large")
        return None
    if not isinstance(value, str):
        return _("text expected")
    if "\x00" in value or not _encodable(value):
        return _("not valid text (a NUL character or a broken Unicode sequence)")
    if control := CONTROL_CHARACTERS.search(value):
        code_point = f"U+{ord(control.group()):04X}"
        return _("contains a control character (%(character)s)", character=code_point)
    if len(value) > TEXT_NUMBER_LIMIT and field.type != "string":
        return longer_than(TEXT_NUMBER_LIMIT)
    return None  # dates, times and numbers as text: the shared parsers read them


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: object) -> str:
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")[:60]


def _shown(value: object) -> str:
    """A value as the error details show it: JSON, shortened, always valid text."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 60 else text[:59] + "…"


DATE_FORMATS = (
    "Written as in an export: 2026-11-02, 02.11.2026, 2026/11/02, Mon, 2 Nov 2026, and with "
    "a time 2026-11-02T10:15:00Z, 2026-11-02T10:15:00+01:00, 2026-11-02 10:15 (no zone: the "
    "centre's time zone), 11/2/26 10:15 AM; slash dates in the order the query parameter "
    "date_order gives, else the one the batch's own dates settle."
)


def json_schema(fields: Sequence[Field], title: str) -> dict[str, Any]:
    """The JSON Schema (OpenAPI 3.1) of one item made of `fields`."""
    properties: dict[str, Any] = {}
    for field in fields:
        kind = {"date": "string", "date-time": "string"}.get(field.type, field.type)
        types = [kind] + (["string"] if field.text else []) + ([] if field.required else ["null"])
        schema: dict[str, Any] = {
            "type": types[0] if len(types) == 1 else types,
            "description": field.description,
        }
        if field.type in ("date", "date-time"):
            schema["description"] += " " + DATE_FORMATS
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        if field.minimum is not None:
            schema["minimum"] = field.minimum
        if field.maximum is not None:
            schema["maximum"] = field.maximum
        properties[field.name] = schema
    return {
        "title": title,
        "type": "object",
        "properties": properties,
        "required": [field.name for field in fields if field.required],
        "additionalProperties": False,
    }
