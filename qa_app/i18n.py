"""Language and time-zone choice, and number formatting for templates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo

from flask import current_app, g, has_request_context, request
from flask_babel import format_decimal, format_percent, get_locale, get_timezone
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
    """Seconds as m:ss or h:mm:ss; "–" when unknown."""
    if seconds is None:
        return "–"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
