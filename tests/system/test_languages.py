"""Every page of every role in every language, in Chromium (issue 20, "Done when").

One server, one demo database and one browser serve all six languages: each demo person signs
in once, and the language is switched through their own setting (`User.locale`) between
rounds. For each language, role and page the test checks that

- no English text is left on a page in German, Polish, Finnish or Norwegian: the English
  phrases come from the source's own messages (every msgid of at least two words whose
  translation differs from it, or that has none yet), never from a hand-written list;
- the navigation and the page do not overflow sideways at 1366×768, nor (menu collapsed) at a
  phone's 390×844;
- a known date of the demo (a coaching session's day) is written in the locale's form, and
  not in the US form outside en.

All findings are gathered and reported together, so one run shows every page to fix.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask

from qa_app.extensions import db
from qa_app.i18n import LANGUAGE_NAMES
from tests.system.test_browser import CHROMIUM, CHROMIUM_ARGS, _need_browser, sign_in
from tests.system.test_browser import demo_app as demo_app  # noqa: F401 - a fixture
from tests.system.test_browser import live_server as live_server  # noqa: F401 - a fixture
from tests.test_i18n import PLACEHOLDER, _catalogue, _extracted

pytestmark = pytest.mark.browser

LANGUAGES = ("en", "en_GB", "de", "pl", "fi", "nb")
PEOPLE = {
    "admin": "admin@demo.test",
    "manager": "manager@demo.test",
    "supervisor": "supervisor@demo.test",
    "agent": "agent@demo.test",
}
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# Pages not (all) in the navigation; each is kept for the roles that may open it.
OTHER_PAGES = (
    "/account",
    "/notifications/",
    "/exports/",
    "/exports/feedback",
    "/audit/",
    "/stats/import",
    "/stats/me",
    "/stats/targets",
    "/stats/mappings",
    "/interactions/import",
    "/import-profiles/",
    "/admin/identities/import",
    "/training/catalogue",
    "/training/follow-up",
    "/evaluations/sample",
    "/evaluations/assignments",
)
# Detail pages: the first link of each kind found on the pages above is visited too.
DETAIL = re.compile(
    r"/(evaluations/\d+(/history)?|disputes/\d+|training/plans/\d+|coaching/\d+"
    r"|stats/agents/\d+|scorecards/[a-z0-9-]+(/versions/\d+)?|interactions/\d+"
    r"|admin/teams/\d+|admin/users/\d+|import-profiles/\d+|feedback/\d+/(dispute|acknowledge))"
)
COACHING_SESSION = re.compile(r"/coaching/(\d+)")
WORD = re.compile(r"[A-Za-z]+")
SPACE = re.compile(r"\s+")
OVERFLOW = """() => {
  const nav = document.querySelector('nav.navbar');
  return {
    nav: [nav.scrollWidth, nav.clientWidth],
    body: [document.body.scrollWidth, document.body.clientWidth],
  };
}"""


def _text(value: str) -> str:
    return SPACE.sub(" ", value).strip()


def _english_phrases(language: str) -> list[str]:
    """English phrases that must not appear on a page in `language`: every source message of
    two words or more whose translation is missing or differs from it (of a message with
    placeholders, each part between them of three words or more). Phrases that some
    translation of this language contains (brand names, "CSAT %") and the language menu's
    names are left out."""
    catalogue = _catalogue(language)
    translations: dict[str, list[str]] = {}
    for message in catalogue:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        for msgid in ids:
            translations[msgid] = [form for form in forms if form]
    written = " ".join(_text(form) for forms in translations.values() for form in forms)
    written += " " + " ".join(LANGUAGE_NAMES.values())
    phrases = set()
    for message in _extracted().values():
        for msgid in [message] if isinstance(message, str) else message:
            forms = translations.get(msgid, [])
            if forms and all(_text(form) == _text(msgid) for form in forms):
                continue  # kept in English on purpose
            parts = PLACEHOLDER.split(msgid.replace("%%", "%"))
            # A part between placeholders ("is not") needs three words to be telling.
            least = 2 if len(parts) == 1 else 3
            for part in parts:
                part = _text(part).strip(" .,:;()–-·“”«»")
                if len(WORD.findall(part)) >= least and part not in written:
                    phrases.add(part)
    return sorted(phrases, key=len, reverse=True)


def _english_on(text: str, phrases: list[str]) -> list[str]:
    found = []
    for phrase in phrases:
        start = text.find(phrase)
        while start != -1:
            before = text[start - 1 : start]
            after = text[start + len(phrase) : start + len(phrase) + 1]
            if not (before.isalpha() or after.isalpha()):
                found.append(phrase)
                break
            start = text.find(phrase, start + 1)
    return found


def _coaching_and_a_plan(app: Flask) -> date:
    """The demo has neither: the supervisor coaches agent@demo.test on a day whose number
    cannot be a month (the 20th of last month), and issues a plan with one module of the
    training catalogue (loaded as `scorecards sync` does)."""
    from qa_app.auth.models import User
    from qa_app.coaching.sessions import record_session
    from qa_app.training import plans
    from qa_app.training.catalogue import CATALOGUE_FILE, read_catalogue, sync_catalogue
    from qa_app.training.models import TrainingModule

    with app.app_context():
        catalogue = read_catalogue(Path(app.config["SCORECARDS_DIR"]) / CATALOGUE_FILE)
        assert catalogue is not None
        sync_catalogue(catalogue)
        people = {
            user.email: user
            for user in db.session.scalars(sa.select(User).where(User.email.in_(PEOPLE.values())))
        }
        coach, agent = people[PEOPLE["supervisor"]], people[PEOPLE["agent"]]
        today = plans.centre_today()
        held_on = (today.replace(day=1) - timedelta(days=1)).replace(day=20)
        plan = plans.create_plan(agent, today - timedelta(days=90), today, coach)
        module = db.session.scalars(sa.select(TrainingModule).order_by(TrainingModule.id)).first()
        plans.add_item(plan, module, today + timedelta(days=14), coach)
        plans.issue_plan(plan, coach)
        record_session(coach, agent, held_on, "Went through two calls together.", None)
        db.session.commit()
        return held_on


def _set_language(app: Flask, language: str | None) -> None:
    from qa_app.auth.models import User

    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.email.in_(PEOPLE.values())).values(locale=language)
        )
        db.session.commit()


def _local_path(url: str, base: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme and f"{parts.scheme}://{parts.netloc}" != base:
        return None
    return parts.path


def _kind(path: str) -> str:
    """Pages of one kind: /evaluations/12 and /evaluations/40, each scorecard's page."""
    return re.sub(r"\d+", "N", re.sub(r"^/scorecards/[a-z0-9-]+", "/scorecards/S", path))


class Findings:
    """What the round found, by check, kept for one report at the end."""

    def __init__(self) -> None:
        self.english: dict[str, set[str]] = defaultdict(set)  # phrase → "lang role page"
        self.overflow: dict[str, list[str]] = defaultdict(list)  # "lang role width part" → pages
        self.dates: list[str] = []
        self.checked_dates = 0

    def report(self) -> str:
        lines = [f"{len(self.english)} English phrases left on translated pages:"]
        for phrase, where in sorted(self.english.items(), key=lambda item: -len(item[1]))[:60]:
            example = sorted(where)[0]
            lines.append(f"  {phrase!r}: {len(where)} pages, e.g. {example}")
        lines.append(f"{len(self.overflow)} overflows (language, role, width, element):")
        for what, pages in sorted(self.overflow.items()):
            lines.append(f"  {what}: {len(pages)} pages, e.g. {pages[0]}")
        lines.append(f"{len(self.dates)} dates not in the locale's form:")
        lines += [f"  {line}" for line in self.dates[:40]]
        return "\n".join(lines)


@pytest.fixture
def people(live_server: str) -> Iterator[dict[str, Any]]:  # noqa: F811 - the imported fixture
    """One signed-in browser page per demo person, all in one Chromium."""
    sync_playwright = _need_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = {}
        for role, email in PEOPLE.items():
            page = browser.new_context(viewport=DESKTOP).new_page()
            sign_in(page, live_server, email)
            pages[role] = page
        yield pages
        browser.close()


def _pages_of(page: Any, base: str) -> list[str]:
    """The pages a person reaches: the navigation, the other pages they may open, and the
    first detail page of each kind linked from those."""
    page.goto(f"{base}/")
    links = page.locator("nav.navbar a[href]").evaluate_all("(as) => as.map(a => a.href)")
    start = [path for path in (_local_path(link, base) for link in links) if path]
    start += [path for path in OTHER_PAGES if page.request.get(f"{base}{path}").status == 200]
    start = list(dict.fromkeys(start))
    kinds = {_kind(path) for path in start}
    details: list[str] = []
    queue = list(start)
    while queue:  # details found on detail pages are visited too
        path = queue.pop(0)
        page.goto(f"{base}{path}")
        hrefs = page.locator("main a[href]").evaluate_all("(as) => as.map(a => a.href)")
        for href in hrefs:
            found = _local_path(href, base)
            if found and DETAIL.fullmatch(found) and _kind(found) not in kinds:
                if page.request.get(f"{base}{found}").status != 200:
                    continue  # linked, but not for this person (a dispute of their own)
                kinds.add(_kind(found))
                details.append(found)
                queue.append(found)
    return start + details


def test_every_page_of_every_role_reads_in_each_language(
    people: dict[str, Any],
    live_server: str,  # noqa: F811 - the imported fixture
    demo_app: Flask,  # noqa: F811 - the imported fixture
) -> None:
    base = live_server
    held_on = _coaching_and_a_plan(demo_app)
    paths = {role: _pages_of(page, base) for role, page in people.items()}
    findings = Findings()
    try:
        for language in LANGUAGES:
            _set_language(demo_app, language)
            phrases = [] if language.startswith("en") else _english_phrases(language)
            for role, page in people.items():
                for path in paths[role]:
                    where = f"{language} {role} {path}"
                    page.goto(f"{base}{path}")
                    assert page.locator("html").get_attribute("lang") == language.replace(
                        "_", "-"
                    ), where
                    text = _text(page.locator("body").inner_text())
                    for phrase in _english_on(text, phrases):
                        findings.english[phrase].add(where)
                    for part, (scroll, client) in page.evaluate(OVERFLOW).items():
                        if scroll > client:
                            what = f"{language} {role} 1366 {part}"
                            findings.overflow[what].append(f"{path} ({scroll} px)")
                    if COACHING_SESSION.fullmatch(path):
                        _check_date(findings, where, text, held_on)
                page.set_viewport_size(PHONE)
                page.goto(f"{base}/")
                for part, (scroll, client) in page.evaluate(OVERFLOW).items():
                    if scroll > client:
                        findings.overflow[f"{language} {role} 390 {part}"].append(
                            f"/ ({scroll} px)"
                        )
                page.set_viewport_size(DESKTOP)
    finally:
        _set_language(demo_app, None)
    visited = sum(len(found) for found in paths.values())
    print(f"{visited} pages × {len(LANGUAGES)} languages; {findings.checked_dates} dates checked")
    for role, found in paths.items():
        print(f"  {role}: {' '.join(found)}")
    if findings.checked_dates < len(LANGUAGES):
        findings.dates.append("no coaching session page was reached")
    assert not (findings.english or findings.overflow or findings.dates), findings.report()


def _check_date(findings: Findings, where: str, text: str, day: date) -> None:
    """The day in one of the locale's own forms, and (outside en) in none of the US ones."""
    language = where.split()[0]
    findings.checked_dates += 1
    local = [format_date(day, form, locale=language) for form in ("short", "medium", "long")]
    local.append(format_date(day, "full", locale=language))
    if not any(form in text for form in local):
        findings.dates.append(f"{where}: none of {local}")
    if language != "en":
        american = [format_date(day, form, locale="en_US") for form in ("short", "medium")]
        if any(form in text for form in american):
            findings.dates.append(f"{where}: US form {american}")
