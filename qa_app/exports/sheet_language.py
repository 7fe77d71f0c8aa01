"""The language a workbook is written in: its words, the names it gives stored values
(statuses, channels), its sheet names and the number formats of its dates.

Numbers keep locale-neutral format codes ("0.0%": Excel and LibreOffice show the reader's
own decimal separator); dates and times take the order and 12- or 24-hour clock of the
export's language from Babel's locale data ("dd.mm.yyyy hh:mm" in German, "mm/dd/yyyy
h:mm AM/PM" in US English), and stay real dates either way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from babel import Locale

Translate = Callable[[str], str]

DATE = "yyyy-mm-dd"
DATE_TIME = "yyyy-mm-dd hh:mm"
# Excel refuses sheet names longer than this, or holding any of these characters, or
# beginning or ending with an apostrophe; "History" is its own.
MAX_SHEET_TITLE = 31
FORBIDDEN_IN_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")
RESERVED_SHEET_TITLES = ("history",)
_DATE_FIELDS = {"d": "dd", "M": "mm", "y": "yyyy"}


def valid_sheet_title(title: str) -> bool:
    """Whether Excel and LibreOffice accept `title` as a sheet's name as it is."""
    return (
        0 < len(title) <= MAX_SHEET_TITLE
        and not FORBIDDEN_IN_SHEET_TITLE.search(title)
        and not title.startswith("'")
        and not title.endswith("'")
        and title.strip().lower() not in RESERVED_SHEET_TITLES
    )


@dataclass(frozen=True)
class SheetLanguage:
    """How a workbook speaks: `translate` gives a marked header or name in its language,
    `label` a stored value (a status, a channel) as that language names it, and `date`
    and `date_time` are the number formats of its dates."""

    translate: Translate = str
    label: Translate = str
    date: str = DATE
    date_time: str = DATE_TIME

    def sheet_title(self, name: str) -> str:
        """A sheet's name in this language; the English name where the translation is not a
        valid sheet name (too long, or holding a character Excel refuses)."""
        title = self.translate(name)
        return title if valid_sheet_title(title) else name

    def sheet_titles(self, names: Sequence[str]) -> list[str]:
        """The names of a workbook's sheets in this language, in order."""
        return [self.sheet_title(name) for name in names]

    def number_format(self, number_format: str | None) -> str | None:
        """A column's number format in this language: the dates' own, the rest as given."""
        if number_format == DATE:
            return self.date
        if number_format == DATE_TIME:
            return self.date_time
        return number_format


def excel_date_format(locale: Locale) -> str:
    """The locale's short date as an Excel number format with a four-digit year and
    two-digit day and month: "dd.mm.yyyy" (de, pl, fi, nb), "dd/mm/yyyy" (en_GB),
    "mm/dd/yyyy" (en); ISO where the locale's pattern is not day, month and year."""
    pattern = re.sub(r"'[^']*'", "", locale.date_formats["short"].pattern)
    order = list(dict.fromkeys(letter for letter in pattern if letter in _DATE_FIELDS))
    separators = re.findall(r"[dMy]+([^dMy]+)(?=[dMy])", pattern)
    if sorted(order) != sorted(_DATE_FIELDS) or len(set(separators)) != 1:
        return DATE
    return separators[0].join(_DATE_FIELDS[letter] for letter in order)


def excel_time_format(locale: Locale) -> str:
    """Hours and minutes on the locale's clock: "h:mm AM/PM" where it counts to 12."""
    return "h:mm AM/PM" if "a" in locale.time_formats["short"].pattern else "hh:mm"


def sheet_language(locale: Locale, translate: Translate, label: Translate = str) -> SheetLanguage:
    """The workbook language of `locale`, with its gettext and value labels."""
    day = excel_date_format(locale)
    return SheetLanguage(translate, label, day, f"{day} {excel_time_format(locale)}")
