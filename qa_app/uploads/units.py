"""Duration units: what a plain number in a duration column means, and the unit a header
names (`Handle Time (ms)`, `AHT [s]`, `Talk Time (min)`, `First response time (in hrs)`).

Genesys Cloud exports milliseconds by default and Talkdesk's Explore calls fractions of a
day: a number read in the wrong unit is off by a factor of a thousand, silently. A unit the
header names wins over any default.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal, get_args

DurationUnit = Literal["seconds", "milliseconds", "minutes", "hours", "day_fraction"]
DURATION_UNITS: tuple[DurationUnit, ...] = get_args(DurationUnit)
SECONDS_PER: dict[DurationUnit, Decimal] = {
    "seconds": Decimal(1),
    "milliseconds": Decimal("0.001"),
    "minutes": Decimal(60),
    "hours": Decimal(3600),
    "day_fraction": Decimal(86400),
}
_WORDS: dict[str, DurationUnit] = {
    "ms": "milliseconds", "msec": "milliseconds", "msecs": "milliseconds",
    "millisecond": "milliseconds", "milliseconds": "milliseconds",
    "s": "seconds", "sec": "seconds", "secs": "seconds", "second": "seconds",
    "seconds": "seconds",
    "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
}  # fmt: skip
# A unit in brackets, anywhere: "(ms)", "[s]", "(in hrs)".
_BRACKETED = re.compile(r"[(\[]\s*(?:in\s+)?([a-z]+)\s*[)\]]")
# A unit as the header's last words: "... in minutes", "... seconds", "... ms".
_TRAILING = re.compile(r"(?:^|[\s_.\-])(?:in\s+)?([a-z]+)\s*$")
# Only long words count when they are not bracketed: "Handle s" is no unit, "Hold hours" is.
_LONG_WORDS = frozenset(word for word in _WORDS if len(word) > 3) | {"ms", "secs", "mins", "hrs"}


def unit_from_header(name: str) -> DurationUnit | None:
    """The duration unit a column header names, or None when it names none."""
    text = name.casefold()
    if found := _BRACKETED.search(text):
        return _WORDS.get(found[1])
    if (found := _TRAILING.search(text)) and found[1] in _LONG_WORDS:
        return _WORDS[found[1]]
    return None


def header_without_unit(name: str) -> str:
    """The header with the unit it names taken off ("Handle Time (ms)" → "Handle Time"),
    so that it matches the column's usual names; the header itself when it names none."""
    text = name.casefold()
    if (found := _BRACKETED.search(text)) and found[1] in _WORDS:
        return (name[: found.start()] + name[found.end() :]).strip()
    if (found := _TRAILING.search(text)) and found[1] in _LONG_WORDS:
        return name[: found.start()].strip()
    return name
