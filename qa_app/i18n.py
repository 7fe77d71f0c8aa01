"""Language and time-zone choice, and how numbers, dates, times and ages are shown."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from flask import current_app, g, has_request_context, request
from flask_babel import (
    format_decimal,
    format_percent,
    format_timedelta,
    get_locale,
    get_timezone,
    to_user_timezone,
)
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept

# The name of each supported language in that language, for the language menu.
LANGUAGE_NAMES = {
    "en": "English (US)",
    "en_GB": "English (UK)",
    "de": "Deutsch",
    "pl": "Polski",
    "fi": "Suomi",
    "nb": "Norsk bokmål",
}


def supported_languages() -> list[tuple[str, str]]:
    """(code, name) for each language the app has a catalogue for."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


# Browsers that ask for Norwegian ("no", or Nynorsk "nn") read Bokmål best of ours.
LANGUAGE_ALIASES = {"no": "nb", "nn": "nb"}


def select_locale() -> str | None:
    """The signed-in user's chosen language, else the browser's best supported one (the
    sign-in page follows the browser), else the centre's default (QA_DEFAULT_LOCALE). In
    the API the user is the bearer token's owner once the token is checked (a session
    cookie counts for nothing there)."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user = current_user
    if request.path.startswith("/api/") and "api_token_id" not in g:
        user = None
    if user and user.is_authenticated and user.locale in languages:
        return user.locale
    return (
        browser_language(request.accept_languages, languages)
        or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def browser_language(accepted: LanguageAccept, languages: list[str]) -> str | None:
    """The first of the browser's languages, in its order of preference, that we have:
    "en-GB" is en_GB, "de-AT" de, "no" and "nn" nb; None when we have none of them."""
    for tag, _quality in accepted:  # werkzeug keeps them best first
        primary = tag.replace("_", "-").split("-")[0].lower()
        alias = LANGUAGE_ALIASES.get(primary)
        if alias in languages:
            return alias
        found = LanguageAccept([(tag, 1)]).best_match(languages)
        if found:
            return found
    return None


def html_lang() -> str:
    """The page's language as HTML writes it (BCP 47: "en-GB", not "en_GB")."""
    return str(get_locale()).replace("_", "-")


def format_number(value: float | int | None, digits: int = 1) -> str:
    """A number in the user's locale; "–" for no data (never 0)."""
    if value is None:
        return "–"
    return format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0")


def format_signed(value: float | None, digits: int = 0) -> str:
    """A change with its sign in the user's locale ("+11", "−8" where the locale writes that
    minus); zero, as shown, without a sign; "–" for no data."""
    if value is None:
        return "–"
    shown = format_number(abs(value), digits)
    if round(abs(value), digits) == 0:
        return shown
    locale = get_locale()
    sign = locale.number_symbols["latn"]["plusSign" if value > 0 else "minusSign"]
    return sign + shown


def format_share(value: float | None, digits: int = 0) -> str:
    """A fraction (0..1) as a percentage in the user's locale ("82,5 %"); "–" for no data."""
    if value is None:
        return "–"
    pattern = get_locale().percent_formats[None].pattern.split(";")[0]
    if digits:
        # Give the locale's own pattern (spacing, sign position) a fixed number of decimals.
        pattern = re.sub(r"0(?!.*0)", "0." + "0" * digits, pattern, count=1)
    return format_percent(value, format=pattern)


def localize(naive: datetime, tz: tzinfo) -> datetime:
    """A wall-clock time in `tz` as an aware datetime.

    pytz zones (what Flask-Babel hands out) need localize(): with tzinfo= they would use the
    zone's first historical offset (Berlin +00:53, so a day would begin at 23:07 UTC).
    """
    localize_method = getattr(tz, "localize", None)
    return localize_method(naive) if localize_method is not None else naive.replace(tzinfo=tz)


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The moment `day` begins in the time zone `tz`, as an aware datetime."""
    return localize(datetime.combine(day, time.min), tz)


def local_to_utc(moment: datetime) -> datetime:
    """A date and time typed into a form (the centre's time zone) as an aware UTC datetime."""
    if moment.tzinfo is None:
        moment = localize(moment, get_timezone())
    return moment.astimezone(UTC)


def duration(seconds: int | None) -> str:
    """Seconds as m:ss or h:mm:ss with the locale's time separator (Finnish 4.05); "–" when
    unknown."""
    if seconds is None:
        return "–"
    colon = _locale().number_symbols["latn"].get("timeSeparator", ":")
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}{colon}{minutes:02d}{colon}{secs:02d}"
    return f"{minutes}{colon}{secs:02d}"


# Every date and time a page shows goes through the functions below: one per kind of
# presentation, each from Babel's data for the reader's locale.


def _locale() -> Locale:
    """The reader's locale (the default language outside a request)."""
    return get_locale() or Locale.parse(current_app.config["BABEL_DEFAULT_LOCALE"])


def day_pattern(locale: Locale | None = None) -> str:
    """The locale's numeric date pattern with a four-digit year: de dd.MM.y (03.12.2026),
    en_GB dd/MM/y, en M/d/y. CLDR's short pattern, whose two-digit year (de 03.12.26)
    reads badly for the years an evaluation or a training plan spans."""
    pattern = (locale or _locale()).date_formats["short"].pattern
    return re.sub(r"(?<!y)y{1,2}(?!y)", "y", pattern)


def format_day(day: date | datetime | None) -> str:
    """A day in the locale's numeric form ("03.12.2026"); a datetime is taken on its day in
    the user's time zone; "–" for none."""
    if day is None:
        return "–"
    if isinstance(day, datetime):
        day = to_user_timezone(day).date()
    return format_date(day, day_pattern(), locale=_locale())


def moment_pattern(locale: Locale | None = None) -> str:
    """The locale's date-and-time pattern: the numeric day and the short time, joined as the
    locale joins them (de "dd.MM.y, HH:mm", fi "d.M.y H.mm", en "M/d/y, h:mm a")."""
    locale = locale or _locale()
    joined = str(locale.datetime_formats["short"])
    time_pattern = locale.time_formats["short"].pattern
    return joined.replace("{1}", day_pattern(locale)).replace("{0}", time_pattern)


def format_moment(moment: datetime | None) -> str:
    """A date and time in the user's time zone and the locale's form, 24-hour where the
    locale uses it ("03.12.2026, 14:05", "12/3/2026, 2:05 PM"); "–" for none."""
    if moment is None:
        return "–"
    return format_datetime(to_user_timezone(moment), moment_pattern(), locale=_locale())


def format_clock(moment: datetime | None) -> str:
    """A time of day in the user's time zone and the locale's short form ("14:05",
    "2:05 PM", fi "14.05"); "–" for none."""
    if moment is None:
        return "–"
    pattern = _locale().time_formats["short"].pattern
    return format_datetime(to_user_timezone(moment), pattern, locale=_locale())


def format_wall_clock(moment: datetime) -> str:
    """A wall-clock date and time as typed into a form, in the locale's form, with no time
    zone conversion ("31.12.2026, 14:30")."""
    return format_datetime(moment.replace(tzinfo=None), moment_pattern(), locale=_locale())


def format_month(month: date, with_year: bool = True) -> str:
    """A month as the locale names it standing alone: "Dez. 2026", on a chart's axis "Dez"
    (not the "Dez." of a date; Norwegian "des", not "des.")."""
    return format_skeleton("yMMM" if with_year else "MMM", month, locale=_locale())


def format_age(moment: datetime) -> str:
    """How long ago, in a phrase of the reader's language ("3 days ago", "vor 3 Tagen")."""
    return format_timedelta(
        moment - datetime.now(UTC), granularity="hour", threshold=1.1, add_direction=True
    )


def example_day() -> date:
    """The day date fields show as an example of how to type one (31 December this year:
    day and month cannot be mistaken for each other)."""
    return date(datetime.now(UTC).year, 12, 31)


_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_ISO_DAY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_MOMENT = re.compile(
    r"(?P<day>.+?)[\s,T]+(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.]\d{2})?"
    r"\s*(?P<half>[ap]\.?\s?m\.?)?",
    re.IGNORECASE,
)


def parse_day(text: str) -> date:
    """A day typed as the locale writes it (03.12.2026, en 12/3/2026) or as ISO 2026-12-03
    (links, scripts); a two-digit year is this century's. ValueError for anything else."""
    text = _SPACES.sub(" ", text).strip()
    if _ISO_DAY.fullmatch(text):
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    parts = re.split(r"[./\- ]+", text)
    # The order of day, month and year in the locale's pattern (d.M.y, M/d/y, y-MM-dd …).
    order = list(dict.fromkeys(re.findall(r"[dMy]", day_pattern())))
    if len(parts) != 3 or not all(part.isdigit() for part in parts) or len(order) != 3:
        raise ValueError(text)
    values = dict(zip(order, (int(part) for part in parts), strict=True))
    year_text = parts[order.index("y")]
    if len(year_text) == 2:
        values["y"] += 2000
    elif len(year_text) != 4:
        raise ValueError(text)
    return date(values["y"], values["M"], values["d"])


def parse_moment(text: str) -> datetime:
    """A date and time typed as the locale writes it (03.12.2026 14:05, 12/3/2026 2:05 PM)
    or as ISO 2026-12-03T14:05; a naive wall-clock time. ValueError for anything else."""
    found = _MOMENT.fullmatch(_SPACES.sub(" ", text).strip())
    if not found:
        raise ValueError(text)
    hour, minute = int(found["hour"]), int(found["minute"])
    if found["half"]:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if found["half"].lower().startswith("p") else 0)
    return datetime.combine(parse_day(found["day"]), time(hour, minute))
