"""The scorecard web builder end to end, through the browser: create a scorecard, add and
edit sections and criteria, preview, publish, download the file, sync it back, archive.

Every form is posted as a browser would post it: with the CSRF token and the draft
revision of the page it was shown on.
"""

from __future__ import annotations

import copy
import html
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from qa_app.audit.models import AuditEvent
from qa_app.extensions import db
from qa_app.scorecards.definition import content_hash, parse_toml, validate_definition
from qa_app.scorecards.models import (
    PublishedVersionImmutable,
    Scorecard,
    ScorecardCriterion,
    ScorecardVersion,
)
from qa_app.training.models import TrainingModule
from tests.conftest import CSRF_INPUT, SCORECARD_TOML, Organisation

REVISION_INPUT = re.compile(r'name="revision"[^>]*value="(-?\d+)"')
FLASH = re.compile(r'<div class="alert alert-(\w+)" role="alert">(.*?)</div>', re.S)

EDIT_CONFLICT = (
    "Someone else changed this draft since you opened it, so your change was not saved. "
    "This is the current draft."
)
PUBLISH_CONFLICT = (
    "Someone else changed this draft since you opened it. Check it and publish again."
)
KEY_TAKEN = "Another criterion of this scorecard already has this key."
KEY_LOCKED = "The key of a published criterion cannot change; add a new criterion instead."

SLUG = "web-call"
SETTINGS = {
    "name": "Web call",
    "slug": SLUG,
    "description": "Built in the browser.",
    "channels": ["phone", "chat"],
    "pass_mark": "75",
}
OPENING = [
    {
        "label": "Greeting",
        "key": "greeting",
        "guidance": 'Says "Good morning", names the brand — and themselves.',
        "training-0": "greeting-opening",
    },
    {
        "label": "Active listening",
        "guidance": "Lets the customer finish.\nSums up the request before solving it.",
        "kind": "scale",
        "weight": "2",
        "na_allowed": True,
    },
]
COMPLIANCE = [
    {
        "label": "Identity check",
        "key": "id_check",
        "guidance": "Asks two security questions (never reads out C:\\ paths).",
        "critical": True,
    },
    {
        "label": "Data protection",
        "guidance": "Shares nothing before the identity is checked.",
        "kind": "scale",
        "scale_min": "0",
        "scale_max": "10",
        "critical": True,
        "fail_below": "6",
        "training-0": "gdpr-basics",
        "training-1": "data-protection",
    },
    {
        "label": "Resolution",
        "guidance": "Solves the request or books a call-back.",
        "kind": "points",
        "points_max": "20",
        "weight": "1.5",
    },
]
# What the forms above must store: the canonical form of the file format.
WEB_CALL: dict[str, Any] = {
    "name": "Web call",
    "slug": SLUG,
    "description": "Built in the browser.",
    "channels": ["phone", "chat"],
    "pass_mark": 75,
    "sections": [
        {
            "title": "Opening",
            "criteria": [
                {
                    "key": "greeting",
                    "label": "Greeting",
                    "guidance": 'Says "Good morning", names the brand — and themselves.',
                    "kind": "yes_no",
                    "weight": 1,
                    "na_allowed": False,
                    "critical": False,
                    "training": ["greeting-opening"],
                },
                {
                    "key": "active_listening",
                    "label": "Active listening",
                    "guidance": "Lets the customer finish.\nSums up the request before solving it.",
                    "kind": "scale",
                    "min": 1,
                    "max": 5,
                    "weight": 2,
                    "na_allowed": True,
                    "critical": False,
                    "training": [],
                },
            ],
        },
        {
            "title": "Compliance",
            "weight": 2,
            "criteria": [
                {
                    "key": "id_check",
                    "label": "Identity check",
                    "guidance": "Asks two security questions (never reads out C:\\ paths).",
                    "kind": "yes_no",
                    "weight": 1,
                    "na_allowed": False,
                    "critical": True,
                    "training": [],
                },
                {
                    "key": "data_protection",
                    "label": "Data protection",
                    "guidance": "Shares nothing before the identity is checked.",
                    "kind": "scale",
                    "min": 0,
                    "max": 10,
                    "weight": 1,
                    "na_allowed": False,
                    "critical": True,
                    "fail_below": 6,
                    "training": ["gdpr-basics", "data-protection"],
                },
                {
                    "key": "resolution",
                    "label": "Resolution",
                    "guidance": "Solves the request or books a call-back.",
                    "kind": "points",
                    "max": 20,
                    "weight": 1.5,
                    "na_allowed": False,
                    "critical": False,
                    "training": [],
                },
            ],
        },
    ],
}
# (key, label, section title, section position, position, kind, weight, critical, N/A)
WEB_CALL_ROWS = [
    ("greeting", "Greeting", "Opening", 1, 1, "yes_no", 1, False, False),
    ("active_listening", "Active listening", "Opening", 1, 2, "scale", 2, False, True),
    ("id_check", "Identity check", "Compliance", 2, 3, "yes_no", 1, True, False),
    ("data_protection", "Data protection", "Compliance", 2, 4, "scale", 1, True, False),
    ("resolution", "Resolution", "Compliance", 2, 5, "points", 1.5, False, False),
]


# --- the browser -------------------------------------------------------------------------


class Browser:
    """A signed-in browser that posts the forms it was shown."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def page(self, path: str, status: int = 200) -> str:
        response = self.client.get(path)
        assert response.status_code == status, (path, response.status_code)
        return response.get_data(as_text=True)

    def hidden(self, path: str) -> dict[str, str]:
        """The CSRF token and the draft revision of the form(s) on `path`."""
        page = self.page(path)
        token = CSRF_INPUT.search(page)
        assert token, f"no CSRF token on {path}"
        fields = {"csrf_token": token.group(1) or token.group(2)}
        revision = REVISION_INPUT.search(page)
        if revision:
            fields["revision"] = revision.group(1)
        return fields

    def submit(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        shown_on: str | None = None,
        hidden: dict[str, str] | None = None,
    ) -> TestResponse:
        """Post `data` from the form shown on `shown_on` (default: `path` itself), or with
        `hidden` fields taken from a page loaded earlier."""
        payload: dict[str, Any] = dict(hidden or self.hidden(shown_on or path))
        payload.update(data or {})
        return self.client.post(path, data=payload)


def at(slug: str, rest: str = "") -> str:
    return f"/scorecards/{slug}{rest}"


def draft_path(slug: str = SLUG) -> str:
    return at(slug, "/draft")


def location(response: TestResponse) -> str:
    assert response.status_code == 302, response.status_code
    return urlsplit(response.headers["Location"]).path


def flashes(page: str) -> list[tuple[str, str]]:
    return [(category, html.unescape(text).strip()) for category, text in FLASH.findall(page)]


def text_of(page: str) -> str:
    """The page as a reader sees it: no tags, single spaces."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def field_errors(page: str, field: str) -> str:
    """The messages shown under one form field ("" when it has none)."""
    match = re.search(rf'<div id="{field}-errors"[^>]*>(.*?)</div>\s*</div>', page, re.S)
    if not match:
        return ""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))).strip()


def input_tag(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert match, f"no input {name}"
    return match.group(0)


def selected_modules(page: str) -> list[str]:
    """The module chosen in each training module select of a criterion form, in order."""
    selects = re.findall(r'<select[^>]*name="training-\d+"[^>]*>(.*?)</select>', page, re.S)
    chosen = [re.search(r'<option selected value="([^"]*)"', select) for select in selects]
    return [match.group(1) if match else "" for match in chosen]


def criterion_form(**fields: Any) -> dict[str, Any]:
    """The criterion form as a browser posts it: unticked checkboxes are not sent."""
    data: dict[str, Any] = {
        "label": "",
        "key": "",
        "guidance": "",
        "kind": "yes_no",
        "scale_min": "1",
        "scale_max": "5",
        "points_max": "",
        "weight": "1",
        "fail_below": "",
        "training-0": "",
    }
    for name, value in fields.items():
        if value is True:
            data[name] = "y"
        elif value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def create(browser: Browser, **overrides: Any) -> TestResponse:
    return browser.submit("/scorecards/new", {**SETTINGS, **overrides})


def add_section(browser: Browser, slug: str, title: str, weight: str = "") -> None:
    response = browser.submit(at(slug, "/draft/sections/new"), {"title": title, "weight": weight})
    assert location(response) == draft_path(slug)


def add_criterion(browser: Browser, slug: str, section: int, **fields: Any) -> None:
    path = at(slug, f"/draft/sections/{section}/criteria/new")
    response = browser.submit(path, criterion_form(**fields))
    assert response.status_code == 302, field_errors(response.get_data(as_text=True), "label")
    assert location(response) == draft_path(slug)


def build_web_call(browser: Browser) -> None:
    """The whole WEB_CALL scorecard, built form by form."""
    assert location(create(browser)) == draft_path()
    add_section(browser, SLUG, "Opening")
    for fields in OPENING:
        add_criterion(browser, SLUG, 0, **fields)
    add_section(browser, SLUG, "Compliance", "2")
    for fields in COMPLIANCE:
        add_criterion(browser, SLUG, 1, **fields)


def publish(browser: Browser, slug: str = SLUG) -> TestResponse:
    return browser.submit(at(slug, "/draft/publish"), shown_on=draft_path(slug))


# --- the database, read directly ---------------------------------------------------------


def draft_of(app: Flask, slug: str) -> tuple[dict[str, Any] | None, int]:
    with app.app_context():
        scorecard = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == slug))
        assert scorecard is not None, slug
        return scorecard.draft, scorecard.draft_revision


def scorecard_exists(app: Flask, slug: str) -> bool:
    with app.app_context():
        return db.session.scalar(sa.select(Scorecard.id).where(Scorecard.slug == slug)) is not None


def status_of(app: Flask, slug: str) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Scorecard.status).where(Scorecard.slug == slug))


def versions_of(app: Flask, slug: str) -> list[dict[str, Any]]:
    with app.app_context():
        versions = db.session.scalars(
            sa.select(ScorecardVersion)
            .join(Scorecard)
            .where(Scorecard.slug == slug)
            .order_by(ScorecardVersion.number)
        )
        return [
            {
                "number": v.number,
                "name": v.name,
                "pass_mark": v.pass_mark,
                "definition": v.definition,
                "content_hash": v.content_hash,
                "source": v.source,
                "published_by_id": v.published_by_id,
            }
            for v in versions
        ]


def stored_bytes(app: Flask, slug: str) -> dict[int, tuple[Any, ...]]:
    """Each version's row as the database holds it: definition as text, hash, criteria."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                ScorecardVersion.id,
                ScorecardVersion.number,
                sa.cast(ScorecardVersion.definition, sa.Text),
                ScorecardVersion.content_hash,
                ScorecardVersion.name,
                ScorecardVersion.pass_mark,
                ScorecardVersion.published_at,
            )
            .join(Scorecard)
            .where(Scorecard.slug == slug)
        ).all()
        return {
            number: (text, digest, name, mark, published, criterion_rows_by_id(version_id))
            for version_id, number, text, digest, name, mark, published in rows
        }


def criterion_rows_by_id(version_id: int) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(
                ScorecardCriterion.key,
                ScorecardCriterion.label,
                ScorecardCriterion.section_title,
                ScorecardCriterion.section_position,
                ScorecardCriterion.position,
                ScorecardCriterion.kind,
                ScorecardCriterion.weight,
                ScorecardCriterion.critical,
                ScorecardCriterion.na_allowed,
            )
            .where(ScorecardCriterion.version_id == version_id)
            .order_by(ScorecardCriterion.position)
        )
    ]


def criterion_rows(app: Flask, slug: str, number: int) -> list[tuple[Any, ...]]:
    with app.app_context():
        version_id = db.session.scalar(
            sa.select(ScorecardVersion.id)
            .join(Scorecard)
            .where(Scorecard.slug == slug, ScorecardVersion.number == number)
        )
        return criterion_rows_by_id(version_id)


def events(app: Flask) -> list[dict[str, Any]]:
    """Every scorecard audit event, oldest first."""
    with app.app_context():
        return [
            {
                "action": e.action,
                "entity_id": e.entity_id,
                "actor_id": e.actor_id,
                "before": e.before,
                "after": e.after,
            }
            for e in db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.entity_type == "scorecard")
                .order_by(AuditEvent.id)
            )
        ]


def scorecard_id(app: Flask, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Scorecard.id).where(Scorecard.slug == slug))


def sync(app: Flask, directory: Path) -> Any:
    """`flask scorecards sync --dir DIRECTORY`, inside an application context as `flask`
    runs it (see test_commands_run_under_the_bare_test_runner in tests/test_cli.py)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["scorecards", "sync", "--dir", str(directory)])


# --- fixtures ----------------------------------------------------------------------------

# The training catalogue the builder offers: every module the forms above name, and one
# withdrawn from the catalogue file since (inactive).
CATALOGUE = ("greeting-opening", "empathy-statements", "de-escalation-1", "gdpr-basics",
             "data-protection")  # fmt: skip
WITHDRAWN = "retired-module"


@pytest.fixture(autouse=True)
def catalogue(app: Flask) -> tuple[str, ...]:
    with app.app_context():
        for position, key in enumerate((*CATALOGUE, WITHDRAWN), start=1):
            db.session.add(
                TrainingModule(
                    key=key,
                    title=key.replace("-", " ").capitalize(),
                    skill="Calls",
                    description="",
                    expected_minutes=30,
                    position=position,
                    active=key != WITHDRAWN,
                )
            )
        db.session.commit()
    return CATALOGUE


@pytest.fixture
def manager(org: Organisation, sign_in_as: Callable[..., FlaskClient]) -> Browser:
    return Browser(sign_in_as(org.manager))


@pytest.fixture
def web_call(manager: Browser, app: Flask) -> str:
    """WEB_CALL built in the builder by the manager, not yet published."""
    build_web_call(manager)
    return SLUG


@pytest.fixture
def published_web_call(manager: Browser, web_call: str) -> str:
    """WEB_CALL built in the builder and published as version 1."""
    assert location(publish(manager)) == at(web_call)
    return web_call


# --- creating a scorecard ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_creating_a_scorecard_opens_its_empty_draft(
    role: str, app: Flask, org: Organisation, sign_in_as: Callable[..., FlaskClient]
) -> None:
    browser = Browser(sign_in_as(org.member(role)))
    assert 'href="/scorecards/new"' in browser.page("/scorecards/")

    response = create(browser)

    assert location(response) == draft_path()
    assert draft_of(app, SLUG) == (
        {
            "name": "Web call",
            "slug": SLUG,
            "description": "Built in the browser.",
            "channels": ["phone", "chat"],
            "pass_mark": 75,
            "sections": [],
        },
        1,
    )
    assert versions_of(app, SLUG) == []
    page = browser.page(draft_path())
    assert ("success", "Draft created. Add sections and criteria, then publish.") in flashes(page)
    assert "Draft of Web call" in page
    assert "No scorecards yet" not in browser.page("/scorecards/")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param({"slug": "Web Call"}, "slug", "Use lowercase letters", id="slug-upper"),
        pytest.param({"slug": "web_call"}, "slug", "Use lowercase letters", id="slug-underscore"),
        pytest.param({"slug": "-web"}, "slug", "Use lowercase letters", id="slug-leading-hyphen"),
        pytest.param({"slug": "web--call"}, "slug", "Use lowercase letters", id="slug-double-hyph"),
        pytest.param({"slug": "web-"}, "slug", "Use lowercase letters", id="slug-trailing-hyph"),
        pytest.param({"slug": "wéb"}, "slug", "Use lowercase letters", id="slug-accent"),
        pytest.param({"slug": ""}, "slug", "This field is required.", id="slug-empty"),
        pytest.param(
            {"slug": "   "},
            "slug",
            "This field is required.",
            id="slug-blank",
        ),
        pytest.param(
            {"slug": "test-call"},
            "slug",
            "Another scorecard already uses this short name.",
            id="slug-taken",
        ),
        pytest.param({"slug": "a" * 65}, "slug", "longer than 64 characters", id="slug-long"),
        pytest.param({"name": "  "}, "name", "This field is required.", id="name-empty"),
        pytest.param({"name": "n" * 121}, "name", "longer than 120 characters", id="name-long"),
        pytest.param({"channels": []}, "channels", "Choose at least one channel.", id="no-chan"),
        pytest.param({"channels": ["fax"]}, "channels", "not a valid choice", id="bad-channel"),
        pytest.param({"pass_mark": "101"}, "pass_mark", "between 0 and 100", id="mark-101"),
        pytest.param({"pass_mark": "-1"}, "pass_mark", "between 0 and 100", id="mark-negative"),
        pytest.param({"pass_mark": "nan"}, "pass_mark", "between 0 and 100", id="mark-nan"),
        pytest.param({"pass_mark": "high"}, "pass_mark", "Not a valid float", id="mark-text"),
    ],
)
def test_create_refuses_bad_settings(
    overrides: dict[str, Any],
    field: str,
    message: str,
    app: Flask,
    manager: Browser,
    make_scorecard: Callable[..., str],
) -> None:
    make_scorecard()  # test-call
    slug = overrides.get("slug", SLUG)

    response = create(manager, **overrides)

    assert response.status_code == 200
    assert message in field_errors(response.get_data(as_text=True), field)
    with app.app_context():
        assert db.session.scalars(sa.select(Scorecard.slug)).all() == ["test-call"]
    if slug != "test-call":
        assert not scorecard_exists(app, slug)


def test_the_slug_new_is_refused_or_reachable(app: Flask, manager: Browser) -> None:
    response = create(manager, slug="new")

    if response.status_code == 200:  # refused: fine
        assert field_errors(response.get_data(as_text=True), "slug")
        assert not scorecard_exists(app, "new")
        return
    # Accepted: then its detail page must be reachable like any other scorecard's.
    add_section(manager, "new", "Opening")
    add_criterion(manager, "new", 0, label="Greeting", guidance="Says hello.")
    assert location(publish(manager, "new")) == "/scorecards/new"
    detail = manager.page("/scorecards/new")
    assert 'href="/scorecards/new/versions/1/download"' in detail


def test_a_draft_without_sections_or_criteria_cannot_be_published(
    app: Flask, manager: Browser
) -> None:
    create(manager)
    page = manager.page(draft_path())
    assert re.search(r'class="btn btn-success" disabled>', page)

    response = publish(manager)

    assert location(response) == draft_path()
    page = manager.page(draft_path())
    refused = ("danger", "The draft cannot be published yet; fix the problems listed below.")
    assert refused in flashes(page)
    assert "Sections : Add at least one section, with at least one criterion." in text_of(page)
    assert "[[sections]]" not in page
    assert f'<a href="{at(SLUG, "/draft/sections/new")}">Sections</a>' in page

    add_section(manager, SLUG, "Opening")
    assert location(publish(manager)) == draft_path()
    page = manager.page(draft_path())
    assert refused in flashes(page)
    assert "Section “Opening” : Add at least one criterion to this section." in text_of(page)
    assert f'<a href="{at(SLUG, "/draft/sections/0/criteria/new")}">' in page

    assert versions_of(app, SLUG) == []
    assert draft_of(app, SLUG)[0]["sections"] == [{"title": "Opening", "criteria": []}]
    assert [e["action"] for e in events(app)] == []


# --- sections ----------------------------------------------------------------------------


def test_adding_sections_with_and_without_a_weight(app: Flask, manager: Browser) -> None:
    create(manager)
    assert 'name="weight"' in manager.page(at(SLUG, "/draft/sections/new"))

    add_section(manager, SLUG, "Opening")
    add_section(manager, SLUG, "Compliance", "2.5")
    add_section(manager, SLUG, "Closing", "3")

    draft, revision = draft_of(app, SLUG)
    assert draft["sections"] == [
        {"title": "Opening", "criteria": []},
        {"title": "Compliance", "weight": 2.5, "criteria": []},
        {"title": "Closing", "weight": 3, "criteria": []},
    ]
    assert [list(section) for section in draft["sections"]][1] == ["title", "weight", "criteria"]
    assert revision == 4
    page = text_of(manager.page(draft_path()))
    assert "Opening weighted by its criteria" in page
    assert "Compliance weight 2.5" in page


@pytest.mark.parametrize("path", ["/draft/sections/new", "/draft/sections/0"])
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        pytest.param({"title": "X", "weight": "0"}, "weight", "Must be greater than 0.", id="w0"),
        pytest.param({"title": "X", "weight": "-1"}, "weight", "Must be greater than 0.", id="w-1"),
        pytest.param(
            {"title": "X", "weight": "-0.5"}, "weight", "Must be greater than 0.", id="w-half"
        ),
        pytest.param({"title": "X", "weight": "lots"}, "weight", "Not a valid float", id="w-text"),
        pytest.param({"title": "", "weight": ""}, "title", "This field is required.", id="t-empty"),
        pytest.param({"title": "  ", "weight": "1"}, "title", "This field is required.", id="t-ws"),
        pytest.param({"title": "t" * 121}, "title", "longer than 120 characters", id="t-long"),
    ],
)
def test_section_form_refuses_bad_values(
    path: str,
    data: dict[str, str],
    field: str,
    message: str,
    app: Flask,
    manager: Browser,
    scorecard_with_draft: str,
) -> None:
    before = draft_of(app, scorecard_with_draft)

    response = manager.submit(at(scorecard_with_draft, path), data)

    assert response.status_code == 200
    assert message in field_errors(response.get_data(as_text=True), field)
    assert draft_of(app, scorecard_with_draft) == before


# --- criteria ----------------------------------------------------------------------------


def test_building_criteria_of_every_kind(app: Flask, manager: Browser, web_call: str) -> None:
    draft, revision = draft_of(app, web_call)

    assert draft == WEB_CALL
    assert revision == 1 + 2 + len(OPENING) + len(COMPLIANCE)
    assert validate_definition(draft) == WEB_CALL
    page = text_of(manager.page(draft_path()))
    assert "Scale (e.g. 1 to 5) 0–10 · weight 1 · critical (fails below 6)" in page
    assert "Points (0 to a maximum) 0–20 · weight 1.5" in page
    assert "Scale (e.g. 1 to 5) 1–5 · weight 2 · N/A allowed" in page
    assert "To publish, fix:" not in page


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        pytest.param(
            {"kind": "yes_no", "scale_min": "9", "scale_max": "1", "points_max": "-3"},
            {"kind": "yes_no"},
            id="yes-no-ignores-bounds",
        ),
        pytest.param(
            {
                "kind": "scale",
                "scale_min": "-2",
                "scale_max": "2",
                "critical": True,
                "fail_below": "0",
            },
            {"kind": "scale", "min": -2, "max": 2, "critical": True, "fail_below": 0},
            id="scale-negative-range",
        ),  # fmt: skip
        pytest.param(
            {"kind": "scale", "critical": True, "fail_below": "5"},
            {"kind": "scale", "min": 1, "max": 5, "critical": True, "fail_below": 5},
            id="fail-below-at-max",
        ),
        pytest.param(
            {"kind": "points", "points_max": "2.5", "critical": True, "fail_below": "2.5"},
            {"kind": "points", "max": 2.5, "critical": True, "fail_below": 2.5},
            id="points-fractional",
        ),
        pytest.param(
            {"kind": "points", "points_max": "10.0", "weight": "3.0", "na_allowed": True},
            {"kind": "points", "max": 10, "weight": 3, "na_allowed": True},
            id="whole-floats-stored-as-ints",
        ),
        pytest.param(
            {
                "training-0": "empathy-statements",
                "training-1": "",
                "training-2": "de-escalation-1",
                "training-3": "empathy-statements",
            },
            {"training": ["empathy-statements", "de-escalation-1"]},
            id="training-in-order-each-once",
        ),
    ],
)
def test_criterion_form_stores_the_canonical_criterion(
    fields: dict[str, Any],
    stored: dict[str, Any],
    app: Flask,
    manager: Browser,
    scorecard_with_draft: str,
) -> None:
    add_criterion(
        manager, scorecard_with_draft, 0, label="Tone", guidance="Warm and calm.", **fields
    )

    criteria = draft_of(app, scorecard_with_draft)[0]["sections"][0]["criteria"]
    expected = {
        "key": "tone",
        "label": "Tone",
        "guidance": "Warm and calm.",
        "kind": "yes_no",
        "weight": 1,
        "na_allowed": False,
        "critical": False,
        "training": [],
        **stored,
    }
    assert criteria[2] == expected
    assert [c["key"] for c in criteria] == ["greeting", "empathy", "tone"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        pytest.param(
            {"critical": True, "na_allowed": True},
            "na_allowed",
            "a critical criterion cannot be N/A",
            id="critical-and-na",
        ),
        pytest.param(
            {"kind": "scale", "fail_below": "3"},
            "fail_below",
            "only critical criteria have fail_below",
            id="fail-below-not-critical",
        ),
        pytest.param(
            {"critical": True, "fail_below": "1"},
            "fail_below",
            "only scale and points criteria have fail_below",
            id="fail-below-yes-no",
        ),
        pytest.param(
            {"kind": "scale", "critical": True, "fail_below": "1"},
            "fail_below",
            "must be a number above 1 and at most 5, got 1.0",
            id="fail-below-at-scale-min",
        ),
        pytest.param(
            {"kind": "points", "points_max": "10", "critical": True, "fail_below": "11"},
            "fail_below",
            "must be a number above 0 and at most 10",
            id="fail-below-above-points-max",
        ),
        pytest.param(
            {"kind": "scale", "scale_min": "5", "scale_max": "5"},
            "scale_min",
            "a scale needs numbers min < max, got 5..5",
            id="scale-min-equals-max",
        ),
        pytest.param(
            {"kind": "scale", "scale_min": "7", "scale_max": "3"},
            "scale_min",
            "a scale needs numbers min < max, got 7..3",
            id="scale-min-above-max",
        ),
        pytest.param(
            {"kind": "scale", "scale_min": ""},
            "scale_min",
            "a scale needs numbers min < max, got None..5",
            id="scale-min-empty",
        ),
        pytest.param(
            {"kind": "scale", "scale_min": "one"},
            "scale_min",
            "Not a valid integer value.",
            id="scale-min-text",
        ),
        pytest.param(
            {"kind": "scale", "scale_min": "0", "scale_max": "101"},
            "scale_max",
            "a scale spans at most 100 steps",
            id="scale-too-long",
        ),
        pytest.param(
            {"kind": "points"},
            "points_max",
            "points criteria need max > 0, got None",
            id="points-without-max",
        ),
        pytest.param(
            {"kind": "points", "points_max": "0"},
            "points_max",
            "points criteria need max > 0, got 0",
            id="points-max-zero",
        ),
        pytest.param(
            {"kind": "points", "points_max": "-5"},
            "points_max",
            "points criteria need max > 0",
            id="points-max-negative",
        ),
        pytest.param(
            {"training-0": "Active Listening"},
            "training",
            "'Active Listening' is not a module key like 'active-listening'",
            id="training-not-a-key",
        ),
        pytest.param(
            {"training-0": "empathy-statements", "training-1": "bad_key"},
            "training",
            "'bad_key' is not a module key",
            id="training-one-bad-key",
        ),
        pytest.param(
            {"training-0": "empathy-statements", "training-1": "no-such-module"},
            "training",
            "“no-such-module” is not in the training catalogue; choose a module from the list.",
            id="training-not-in-the-catalogue",
        ),
        pytest.param(
            {"training-0": "retired-module"},
            "training",
            "“retired-module” is not in the training catalogue",
            id="training-withdrawn-from-the-catalogue",
        ),
        pytest.param(
            {"key": "Bad Key"},
            "key",
            "use lowercase letters, digits and underscores, starting with a letter",
            id="key-format",
        ),
        pytest.param(
            {"key": "1st_try"}, "key", "use lowercase letters, digits", id="key-starts-with-digit"
        ),
        pytest.param({"key": "k" * 65}, "key", "longer than 64 characters", id="key-long"),
        pytest.param(
            {"weight": "-1"}, "weight", "must be a number greater than 0, got -1.0", id="weight-neg"
        ),
        pytest.param(
            {"weight": "0"},
            "weight",
            "must be a number greater than 0, got 0.0",
            id="weight-zero",
        ),
        pytest.param({"weight": ""}, "weight", "This field is required.", id="weight-empty"),
        pytest.param({"label": ""}, "label", "This field is required.", id="label-empty"),
        pytest.param({"label": "l" * 201}, "label", "longer than 200 characters", id="label-long"),
        pytest.param({"guidance": " "}, "guidance", "This field is required.", id="guidance-empty"),
        pytest.param({"kind": "stars"}, "kind", "Not a valid choice", id="kind-unknown"),
    ],
)
def test_criterion_form_shows_the_file_rules_beside_the_field(
    fields: dict[str, Any],
    field: str,
    message: str,
    app: Flask,
    manager: Browser,
    scorecard_with_draft: str,
) -> None:
    before = draft_of(app, scorecard_with_draft)
    path = at(scorecard_with_draft, "/draft/sections/0/criteria/new")
    data = criterion_form(**{"label": "Tone", "guidance": "Warm and calm.", **fields})

    response = manager.submit(path, data)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in field_errors(page, field)
    others = {"label", "key", "guidance", "kind", "scale_min", "scale_max", "points_max",
              "weight", "na_allowed", "critical", "fail_below", "training"} - {field}  # fmt: skip
    assert {name: field_errors(page, name) for name in others if field_errors(page, name)} == {}
    assert draft_of(app, scorecard_with_draft) == before


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        pytest.param(
            "/draft/sections/0/criteria/new",
            criterion_form(label="Tone", guidance="Warm.", weight="nan"),
            "weight",
            id="criterion-weight-nan",
        ),
        pytest.param(
            "/draft/sections/0/criteria/new",
            criterion_form(label="Tone", guidance="Warm.", weight="inf"),
            "weight",
            id="criterion-weight-inf",
        ),
        pytest.param(
            "/draft/sections/0/criteria/new",
            criterion_form(label="Tone", guidance="Warm.", kind="points", points_max="inf"),
            "points_max",
            id="points-max-inf",
        ),
        pytest.param(
            "/draft/sections/new", {"title": "Closing", "weight": "inf"}, "weight", id="section-inf"
        ),
    ],
)
def test_numbers_that_are_not_finite_are_refused(
    path: str,
    data: dict[str, Any],
    field: str,
    app: Flask,
    manager: Browser,
    scorecard_with_draft: str,
) -> None:
    before = draft_of(app, scorecard_with_draft)

    response = manager.submit(at(scorecard_with_draft, path), data)

    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), field)
    assert draft_of(app, scorecard_with_draft) == before


@pytest.mark.parametrize(
    ("labels", "keys"),
    [
        pytest.param(["Active listening"], ["active_listening"], id="words"),
        pytest.param(["Empathy", "Empathy"], ["empathy_2", "empathy_3"], id="taken"),
        pytest.param(["Greeting!"], ["greeting_2"], id="punctuation-then-taken"),
        pytest.param(["3rd-party check"], ["c_3rd_party_check"], id="leading-digit"),
        pytest.param(["¿Qué tal?"], ["qu_tal"], id="accents"),
        pytest.param(["!!!"], ["criterion"], id="nothing-left"),
        pytest.param(["x" * 200], ["x" * 56], id="long-label"),
    ],
)
def test_an_empty_key_is_made_from_the_label(
    labels: list[str], keys: list[str], app: Flask, manager: Browser, scorecard_with_draft: str
) -> None:
    for label in labels:
        add_criterion(manager, scorecard_with_draft, 0, label=label, guidance="Good.")

    draft = draft_of(app, scorecard_with_draft)[0]
    assert [c["key"] for c in draft["sections"][0]["criteria"]] == ["greeting", "empathy", *keys]
    validate_definition(draft)  # every made-up key is a valid, unique key


def test_a_criterion_key_must_be_unique_in_the_scorecard(
    app: Flask, manager: Browser, scorecard_with_draft: str
) -> None:
    slug = scorecard_with_draft
    add_section(manager, slug, "Closing")
    add_criterion(manager, slug, 1, label="Summary", key="summary", guidance="Sums up.")
    before = draft_of(app, slug)

    # A new criterion with a key of this section, then of another section.
    for section, key in ((0, "greeting"), (1, "empathy"), (1, "summary")):
        path = at(slug, f"/draft/sections/{section}/criteria/new")
        response = manager.submit(path, criterion_form(label="X", key=key, guidance="Y."))
        assert response.status_code == 200
        assert ("danger", KEY_TAKEN) in flashes(response.get_data(as_text=True))
        assert draft_of(app, slug) == before

    # Renaming a (not yet published) criterion to a key in use.
    path = at(slug, "/draft/sections/1/criteria/0")
    response = manager.submit(path, criterion_form(label="Summary", key="empathy", guidance="Y."))
    assert response.status_code == 200
    assert ("danger", KEY_TAKEN) in flashes(response.get_data(as_text=True))
    assert draft_of(app, slug) == before


def test_editing_a_criterion(app: Flask, manager: Browser, web_call: str) -> None:
    path = at(web_call, "/draft/sections/1/criteria/1")
    page = manager.page(path)
    assert 'value="Data protection"' in input_tag(page, "label")
    assert 'value="data_protection"' in input_tag(page, "key")
    assert "readonly" not in input_tag(page, "key")
    assert '<option selected value="scale">' in page
    assert 'value="0"' in input_tag(page, "scale_min")
    assert 'value="10"' in input_tag(page, "scale_max")
    assert "checked" in input_tag(page, "critical")
    assert "checked" not in input_tag(page, "na_allowed")
    assert 'value="6"' in input_tag(page, "fail_below")
    assert selected_modules(page) == ["gdpr-basics", "data-protection", ""]
    assert "Shares nothing before the identity is checked." in page

    response = manager.submit(
        path,
        criterion_form(
            label="Data privacy",
            key="",
            guidance="Reads out nothing before the identity is checked.",
            kind="points",
            points_max="10",
            weight="2",
            critical=True,
            fail_below="5",
        ),
    )

    assert location(response) == draft_path()
    assert ("success", "Criterion saved.") in flashes(manager.page(draft_path()))
    draft = draft_of(app, web_call)[0]
    expected = copy.deepcopy(WEB_CALL)
    expected["sections"][1]["criteria"][1] = {
        "key": "data_protection",
        "label": "Data privacy",
        "guidance": "Reads out nothing before the identity is checked.",
        "kind": "points",
        "max": 10,
        "weight": 2,
        "na_allowed": False,
        "critical": True,
        "fail_below": 5,
        "training": [],
    }
    assert draft == expected

    # A key that was never published may still change.
    response = manager.submit(
        path, criterion_form(label="Data privacy", key="privacy", guidance="Nothing.")
    )
    assert location(response) == draft_path()
    keys = [c["key"] for s in draft_of(app, web_call)[0]["sections"] for c in s["criteria"]]
    assert keys == ["greeting", "active_listening", "id_check", "privacy", "resolution"]


def test_editing_a_section(app: Flask, manager: Browser, web_call: str) -> None:
    page = manager.page(at(web_call, "/draft/sections/1"))
    assert 'value="Compliance"' in input_tag(page, "title")
    assert re.search(r'value="2(\.0)?"', input_tag(page, "weight"))

    response = manager.submit(
        at(web_call, "/draft/sections/1"), {"title": "Compliance and privacy", "weight": ""}
    )
    assert location(response) == draft_path()
    response = manager.submit(
        at(web_call, "/draft/sections/0"), {"title": "Opening", "weight": "3"}
    )
    assert location(response) == draft_path()

    sections = draft_of(app, web_call)[0]["sections"]
    assert [(s["title"], s.get("weight")) for s in sections] == [
        ("Opening", 3),
        ("Compliance and privacy", None),
    ]
    assert list(sections[0]) == ["title", "weight", "criteria"]
    assert [s["criteria"] for s in sections] == [s["criteria"] for s in WEB_CALL["sections"]]


@pytest.mark.parametrize(
    "path",
    [
        "/draft/sections/2",
        "/draft/sections/2/criteria/new",
        "/draft/sections/0/criteria/2",
        "/draft/sections/1/criteria/0",
    ],
)
def test_editing_what_does_not_exist_is_not_found(
    path: str, manager: Browser, scorecard_with_draft: str
) -> None:
    manager.page(at(scorecard_with_draft, path), status=404)


# --- moving and removing -----------------------------------------------------------------


def titles_and_keys(app: Flask, slug: str) -> list[tuple[str, list[str]]]:
    sections = draft_of(app, slug)[0]["sections"]
    return [(s["title"], [c["key"] for c in s["criteria"]]) for s in sections]


def test_moving_sections_and_criteria(
    app: Flask, manager: Browser, scorecard_with_draft: str
) -> None:
    slug = scorecard_with_draft
    add_criterion(manager, slug, 0, label="Tone", guidance="Warm.")
    add_section(manager, slug, "Middle")
    add_section(manager, slug, "Closing")
    opening = ["greeting", "empathy", "tone"]
    assert titles_and_keys(app, slug) == [("Opening", opening), ("Middle", []), ("Closing", [])]

    steps = [
        ({"section": "2", "offset": "-1"}, ["Opening", "Closing", "Middle"], opening),
        ({"section": "0", "offset": "-1"}, ["Opening", "Closing", "Middle"], opening),
        ({"section": "2", "offset": "1"}, ["Opening", "Closing", "Middle"], opening),
        ({"section": "0", "offset": "1"}, ["Closing", "Opening", "Middle"], opening),
        (
            {"section": "1", "criterion": "0", "offset": "1"},
            ["Closing", "Opening", "Middle"],
            ["empathy", "greeting", "tone"],
        ),
        (
            {"section": "1", "criterion": "2", "offset": "-1"},
            ["Closing", "Opening", "Middle"],
            ["empathy", "tone", "greeting"],
        ),
        (
            {"section": "1", "criterion": "2", "offset": "1"},
            ["Closing", "Opening", "Middle"],
            ["empathy", "tone", "greeting"],
        ),
        (
            {"section": "1", "criterion": "0", "offset": "-1"},
            ["Closing", "Opening", "Middle"],
            ["empathy", "tone", "greeting"],
        ),
    ]
    for fields, titles, keys in steps:
        response = manager.submit(at(slug, "/draft/move"), fields, shown_on=draft_path(slug))
        assert location(response) == draft_path(slug), fields
        state = titles_and_keys(app, slug)
        assert [title for title, _ in state] == titles, fields
        assert dict(state)["Opening"] == keys, fields

    assert ("success", "Moved.") in flashes(manager.page(draft_path(slug)))


def test_the_draft_page_offers_only_possible_moves(
    manager: Browser, scorecard_with_draft: str
) -> None:
    add_section(manager, scorecard_with_draft, "Closing")
    page = manager.page(draft_path(scorecard_with_draft))

    moves = re.findall(
        r'name="section" value="(\d+)">\s*(?:<input type="hidden" name="criterion" '
        r'value="(\d+)">)?\s*<input type="hidden" name="offset" value="(-?1)">',
        page,
    )
    assert sorted(moves) == [("0", "", "1"), ("0", "0", "1"), ("0", "1", "-1"), ("1", "", "-1")]


@pytest.mark.parametrize(
    ("endpoint", "fields", "status"),
    [
        pytest.param("move", {"section": "0"}, 400, id="move-without-offset"),
        pytest.param("move", {"section": "0", "offset": "2"}, 400, id="move-two-places"),
        pytest.param("move", {"section": "0", "offset": "-2"}, 400, id="move-minus-two"),
        pytest.param("move", {"offset": "1"}, 400, id="move-without-section"),
        pytest.param("move", {"section": "-1", "offset": "1"}, 400, id="move-negative-section"),
        pytest.param("move", {"section": "x", "offset": "1"}, 400, id="move-section-not-a-number"),
        pytest.param("move", {"section": "5", "offset": "1"}, 404, id="move-missing-section"),
        pytest.param(
            "move", {"section": "0", "criterion": "5", "offset": "1"}, 404, id="move-missing-crit"
        ),
        pytest.param("move", {"section": "0", "offset": "1", "revision": ""}, 400, id="move-norev"),
        pytest.param("remove", {}, 400, id="remove-without-section"),
        pytest.param("remove", {"section": "5"}, 404, id="remove-missing-section"),
        pytest.param("remove", {"section": "0", "criterion": "5"}, 404, id="remove-missing-crit"),
        pytest.param("remove", {"section": "0", "criterion": "-1"}, 400, id="remove-negative"),
    ],
)
def test_bad_move_and_remove_requests_change_nothing(
    endpoint: str,
    fields: dict[str, str],
    status: int,
    app: Flask,
    manager: Browser,
    scorecard_with_draft: str,
) -> None:
    slug = scorecard_with_draft
    before = draft_of(app, slug)

    response = manager.submit(at(slug, f"/draft/{endpoint}"), fields, shown_on=draft_path(slug))

    assert response.status_code == status
    assert draft_of(app, slug) == before


def test_removing_a_criterion_and_a_section(app: Flask, manager: Browser, web_call: str) -> None:
    response = manager.submit(
        at(web_call, "/draft/remove"), {"section": "1", "criterion": "1"}, shown_on=draft_path()
    )
    assert location(response) == draft_path()
    assert titles_and_keys(app, web_call) == [
        ("Opening", ["greeting", "active_listening"]),
        ("Compliance", ["id_check", "resolution"]),
    ]

    response = manager.submit(
        at(web_call, "/draft/remove"), {"section": "0"}, shown_on=draft_path()
    )
    assert location(response) == draft_path()
    assert titles_and_keys(app, web_call) == [("Compliance", ["id_check", "resolution"])]
    assert draft_of(app, web_call)[0]["sections"][0]["weight"] == 2
    assert ("success", "Removed.") in flashes(manager.page(draft_path()))

    # The removed keys are free again.
    add_criterion(manager, web_call, 0, label="Greeting", guidance="Hello.")
    assert titles_and_keys(app, web_call)[0][1][-1] == "greeting"


def test_editing_the_draft_settings(app: Flask, manager: Browser, web_call: str) -> None:
    path = at(web_call, "/draft/settings")
    page = manager.page(path)
    assert 'name="slug"' not in page
    assert 'value="Web call"' in input_tag(page, "name")
    checked = {
        re.search(r'value="(\w+)"', tag).group(1)  # type: ignore[union-attr]
        for tag in re.findall(r'<input[^>]*name="channels"[^>]*>', page)
        if "checked" in tag
    }
    assert checked == {"phone", "chat"}

    response = manager.submit(
        path,
        {
            "name": "Web call (new)",
            "slug": "hacked",
            "description": "",
            "channels": ["email"],
            "pass_mark": "82.5",
        },
    )

    assert location(response) == draft_path()
    draft = draft_of(app, web_call)[0]
    expected = {
        **{k: v for k, v in WEB_CALL.items() if k != "description"},
        "name": "Web call (new)",
        "channels": ["email"],
        "pass_mark": 82.5,
    }
    assert draft == expected
    assert list(draft) == ["name", "slug", "channels", "pass_mark", "sections"]
    assert not scorecard_exists(app, "hacked")


# --- preview -----------------------------------------------------------------------------


def test_preview_shows_every_criterion_with_disabled_inputs(
    manager: Browser, web_call: str
) -> None:
    page = manager.page(at(web_call, "/draft/preview"))
    form = page.split('<h1 class="h3">Web call</h1>', 1)[1].split("</main>", 1)[0]
    readable = text_of(form)

    for section in WEB_CALL["sections"]:
        assert section["title"] in readable
        for criterion in section["criteria"]:
            assert criterion["label"] in readable
            assert text_of(criterion["guidance"]) in readable
    controls = re.findall(r"<(?:input|textarea)\b[^>]*>", form)
    assert controls
    assert [tag for tag in controls if not re.search(r"\bdisabled\b", tag)] == []
    names = [re.search(r'name="([^"]+)"', tag).group(1) for tag in controls]  # type: ignore[union-attr]
    assert {name: names.count(name) for name in names} == {
        "answer-greeting": 2,  # yes, no
        "answer-active_listening": 6,  # 1..5 and N/A
        "answer-id_check": 2,
        "answer-data_protection": 11,  # 0..10
        "answer-resolution": 1,  # a number up to 20
        "comment-greeting": 1,
        "comment-active_listening": 1,
        "comment-id_check": 1,
        "comment-data_protection": 1,
        "comment-resolution": 1,
    }
    assert readable.count("critical") == 2


# --- publishing --------------------------------------------------------------------------


def test_publishing_a_built_draft_makes_version_1(
    app: Flask, org: Organisation, manager: Browser, web_call: str
) -> None:
    response = publish(manager)

    assert location(response) == at(web_call)
    page = manager.page(at(web_call))
    assert ("success", "Published version 1.") in flashes(page)
    assert "web builder" in page
    assert [
        {k: v for k, v in version.items() if k != "definition"}
        for version in versions_of(app, SLUG)
    ] == [
        {
            "number": 1,
            "name": "Web call",
            "pass_mark": 75,
            "content_hash": content_hash(WEB_CALL),
            "source": "builder",
            "published_by_id": org.manager.id,
        }
    ]
    assert versions_of(app, SLUG)[0]["definition"] == WEB_CALL
    assert criterion_rows(app, SLUG, 1) == WEB_CALL_ROWS
    assert draft_of(app, SLUG)[0] is None
    manager.page(draft_path(), status=404)
    assert events(app) == [
        {
            "action": "scorecard.published",
            "entity_id": scorecard_id(app, SLUG),
            "actor_id": org.manager.id,
            "before": None,
            "after": {"version": 1, "source": "builder", "content_hash": content_hash(WEB_CALL)},
        }
    ]
    assert "version 1" in text_of(manager.page("/scorecards/"))


def test_publishing_an_unchanged_draft_publishes_nothing(
    app: Flask, manager: Browser, scorecard_with_draft: str
) -> None:
    before = stored_bytes(app, scorecard_with_draft)
    events_before = events(app)

    response = publish(manager, scorecard_with_draft)

    assert location(response) == at(scorecard_with_draft)
    page = manager.page(at(scorecard_with_draft))
    assert (
        "info",
        "The draft is identical to the latest version; nothing was published.",
    ) in flashes(page)
    assert stored_bytes(app, scorecard_with_draft) == before
    assert events(app) == events_before


def test_starting_a_draft_copies_the_latest_version(
    app: Flask, org: Organisation, manager: Browser, make_scorecard: Callable[..., str]
) -> None:
    slug = make_scorecard()
    detail = manager.page(at(slug))
    assert "Edit (new draft)" in detail
    latest = versions_of(app, slug)[-1]["definition"]

    response = manager.submit(at(slug, "/draft/start"), shown_on=at(slug))

    assert location(response) == draft_path(slug)
    assert draft_of(app, slug) == (latest, 1)
    assert events(app)[-1] == {
        "action": "scorecard.draft_started",
        "entity_id": scorecard_id(app, slug),
        "actor_id": org.manager.id,
        "before": None,
        "after": {"from_version": 1},
    }
    badges = re.findall(
        r'<span class="badge text-bg-light">published</span>', manager.page(draft_path(slug))
    )
    assert len(badges) == 2  # greeting and empathy: their keys are locked

    # Starting again while a draft is open keeps the draft and its edits.
    manager.submit(at(slug, "/draft/sections/0"), {"title": "Welcome"})
    edited = draft_of(app, slug)
    assert location(manager.submit(at(slug, "/draft/start"), shown_on=at(slug))) == draft_path(slug)
    assert draft_of(app, slug) == edited
    assert edited[0]["sections"][0]["title"] == "Welcome"


def test_a_published_key_cannot_be_renamed(
    app: Flask, manager: Browser, scorecard_with_draft: str
) -> None:
    slug = scorecard_with_draft
    path = at(slug, "/draft/sections/0/criteria/0")
    page = manager.page(path)
    assert "readonly" in input_tag(page, "key")
    assert "This key is published and stays as it is." in page
    before = draft_of(app, slug)

    response = manager.submit(
        path, criterion_form(label="Greeting", key="welcome", guidance="Says hello.")
    )

    assert response.status_code == 200
    assert ("danger", KEY_LOCKED) in flashes(response.get_data(as_text=True))
    assert draft_of(app, slug) == before

    # The rest of a published criterion may change; the key stays.
    response = manager.submit(
        path, criterion_form(label="Welcome", key="", guidance="Says hello.", kind="scale")
    )
    assert location(response) == draft_path(slug)
    greeting = draft_of(app, slug)[0]["sections"][0]["criteria"][0]
    assert (greeting["key"], greeting["label"], greeting["kind"]) == (
        "greeting",
        "Welcome",
        "scale",
    )


def test_publishing_a_changed_draft_makes_the_next_version(
    app: Flask, org: Organisation, manager: Browser, scorecard_with_draft: str
) -> None:
    slug = scorecard_with_draft
    version_1 = stored_bytes(app, slug)[1]
    manager.submit(
        at(slug, "/draft/sections/0/criteria/1"),
        criterion_form(
            label="Empathy", guidance="Names the customer's feeling.", kind="scale", weight="2",
            **{"training-0": "empathy-statements"},
        ),
    )  # fmt: skip

    response = publish(manager, slug)

    assert location(response) == at(slug)
    assert ("success", "Published version 2.") in flashes(manager.page(at(slug)))
    versions = versions_of(app, slug)
    assert [(v["number"], v["source"]) for v in versions] == [(1, "file"), (2, "builder")]
    expected = parse_toml(SCORECARD_TOML)
    expected["sections"][0]["criteria"][1]["guidance"] = "Names the customer's feeling."
    assert versions[1]["definition"] == expected
    assert stored_bytes(app, slug)[1] == version_1
    assert events(app)[-1]["after"] == {
        "version": 2,
        "source": "builder",
        "content_hash": content_hash(expected),
    }
    assert events(app)[-1]["actor_id"] == org.manager.id


# --- two editors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rest", "data", "message"),
    [
        pytest.param("/draft/sections/0", {"title": "Second"}, EDIT_CONFLICT, id="edit-section"),
        pytest.param("/draft/sections/new", {"title": "Extra"}, EDIT_CONFLICT, id="new-section"),
        pytest.param(
            "/draft/sections/0/criteria/new",
            criterion_form(label="Closing", guidance="Says goodbye."),
            EDIT_CONFLICT,
            id="new-criterion",
        ),
        pytest.param(
            "/draft/sections/0/criteria/1",
            criterion_form(label="Empathy", guidance="Other text.", kind="scale"),
            EDIT_CONFLICT,
            id="edit-criterion",
        ),
        pytest.param(
            "/draft/move",
            {"section": "0", "criterion": "0", "offset": "1"},
            EDIT_CONFLICT,
            id="move",
        ),  # fmt: skip
        pytest.param("/draft/remove", {"section": "0", "criterion": "0"}, EDIT_CONFLICT, id="rm"),
        pytest.param(
            "/draft/settings",
            {"name": "Other", "channels": ["chat"], "pass_mark": "50"},
            EDIT_CONFLICT,
            id="settings",
        ),
        pytest.param("/draft/publish", {}, PUBLISH_CONFLICT, id="publish"),
    ],
)
def test_a_stale_edit_is_refused_and_the_first_edit_kept(
    rest: str,
    data: dict[str, Any],
    message: str,
    app: Flask,
    org: Organisation,
    sign_in_as: Callable[..., FlaskClient],
    scorecard_with_draft: str,
) -> None:
    slug = scorecard_with_draft
    first = Browser(sign_in_as(org.manager))
    second = Browser(sign_in_as(org.admin))
    first_form = first.hidden(at(slug, "/draft/sections/0"))
    # The second editor opens the page of their change (the draft page for buttons).
    second_page = at(slug, rest) if "sections" in rest or "settings" in rest else draft_path(slug)
    second_form = second.hidden(second_page)
    assert first_form["revision"] == second_form["revision"] == "1"

    response = first.submit(at(slug, "/draft/sections/0"), {"title": "First"}, hidden=first_form)
    assert location(response) == draft_path(slug)
    after_first = draft_of(app, slug)
    assert after_first[1] == 2

    response = second.submit(at(slug, rest), data, hidden=second_form)

    assert location(response) == draft_path(slug)
    assert ("warning", message) in flashes(second.page(draft_path(slug)))
    assert draft_of(app, slug) == after_first
    assert after_first[0]["sections"][0]["title"] == "First"
    assert [v["number"] for v in versions_of(app, slug)] == [1]


def test_a_stale_discard_is_refused(
    app: Flask, org: Organisation, sign_in_as: Callable[..., FlaskClient], web_call: str
) -> None:
    first = Browser(sign_in_as(org.manager))
    second = Browser(sign_in_as(org.admin))
    stale = second.hidden(draft_path())
    first.submit(at(web_call, "/draft/sections/0"), {"title": "First"})
    after_first = draft_of(app, web_call)

    response = second.submit(at(web_call, "/draft/discard"), hidden=stale)

    assert location(response) == draft_path()
    assert scorecard_exists(app, web_call)
    assert draft_of(app, web_call) == after_first


# --- discarding --------------------------------------------------------------------------


def test_discarding_a_never_published_scorecard_removes_it(
    app: Flask, org: Organisation, manager: Browser, web_call: str
) -> None:
    identifier = scorecard_id(app, web_call)

    response = manager.submit(at(web_call, "/draft/discard"), shown_on=draft_path())

    assert location(response) == "/scorecards/"
    assert not scorecard_exists(app, web_call)
    index = manager.page("/scorecards/")
    assert ("info", "Draft discarded.") in flashes(index)
    assert web_call not in index
    manager.page(at(web_call), status=404)
    assert events(app) == [
        {
            "action": "scorecard.draft_discarded",
            "entity_id": identifier,
            "actor_id": org.manager.id,
            "before": {"slug": web_call},
            "after": None,
        }
    ]


def test_discarding_the_draft_of_a_published_scorecard_keeps_its_versions(
    app: Flask, manager: Browser, published_web_call: str
) -> None:
    slug = published_web_call
    manager.submit(at(slug, "/draft/start"), shown_on=at(slug))
    manager.submit(at(slug, "/draft/sections/0"), {"title": "Changed"})
    before = stored_bytes(app, slug)

    response = manager.submit(at(slug, "/draft/discard"), shown_on=draft_path(slug))

    assert location(response) == at(slug)
    assert draft_of(app, slug)[0] is None
    assert stored_bytes(app, slug) == before
    page = manager.page(at(slug))
    assert ("info", "Draft discarded.") in flashes(page)
    assert "Edit (new draft)" in page
    assert events(app)[-1]["action"] == "scorecard.draft_discarded"


# --- archiving ---------------------------------------------------------------------------


def index_status(page: str, name: str) -> str:
    row = re.search(rf"<tr>\s*<td><a [^>]*>{re.escape(name)}</a>.*?</tr>", page, re.S)
    assert row, name
    return " ".join(re.findall(r'<span class="badge [^"]*">([^<]+)</span>', row.group(0)))


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_archiving_and_restoring(
    role: str,
    app: Flask,
    org: Organisation,
    sign_in_as: Callable[..., FlaskClient],
    make_scorecard: Callable[..., str],
) -> None:
    browser = Browser(sign_in_as(org.member(role)))
    slug = make_scorecard()
    identifier = scorecard_id(app, slug)
    assert index_status(browser.page("/scorecards/"), "Test call") == "active"

    response = browser.submit(at(slug, "/archive"), {"archived": "1"}, shown_on=at(slug))

    assert location(response) == at(slug)
    assert status_of(app, slug) == "archived"
    page = browser.page(at(slug))
    assert ("info", "Test call is archived: no new evaluations use it.") in flashes(page)
    assert "Restore" in page and "Edit (new draft)" not in page
    assert index_status(browser.page("/scorecards/"), "Test call") == "archived"
    # Archiving again changes nothing and records nothing.
    browser.submit(at(slug, "/archive"), {"archived": "1"}, shown_on=at(slug))

    response = browser.submit(at(slug, "/archive"), {"archived": "0"}, shown_on=at(slug))

    assert location(response) == at(slug)
    assert status_of(app, slug) == "active"
    assert ("success", "Test call is active again.") in flashes(browser.page(at(slug)))
    assert index_status(browser.page("/scorecards/"), "Test call") == "active"
    actor = org.member(role).id
    assert [e for e in events(app) if e["action"] != "scorecard.published"] == [
        {
            "action": "scorecard.archived",
            "entity_id": identifier,
            "actor_id": actor,
            "before": {"status": "active"},
            "after": {"status": "archived"},
        },
        {
            "action": "scorecard.restored",
            "entity_id": identifier,
            "actor_id": actor,
            "before": {"status": "archived"},
            "after": {"status": "active"},
        },
    ]
    assert len(versions_of(app, slug)) == 1


@pytest.mark.parametrize("value", ["2", "", "true", "yes", "-1", None])
def test_archive_accepts_only_0_and_1(
    value: str | None, app: Flask, manager: Browser, make_scorecard: Callable[..., str]
) -> None:
    slug = make_scorecard()
    events_before = events(app)
    data = {} if value is None else {"archived": value}

    response = manager.submit(at(slug, "/archive"), data, shown_on=at(slug))

    assert response.status_code == 400
    assert status_of(app, slug) == "active"
    assert events(app) == events_before


# --- download and the round trip through a file ------------------------------------------


@pytest.mark.parametrize("reader", ["manager", "supervisor_a"])
def test_download_is_the_stored_version_as_a_file(
    reader: str,
    app: Flask,
    org: Organisation,
    sign_in_as: Callable[..., FlaskClient],
    published_web_call: str,
) -> None:
    client = sign_in_as(org.member(reader))

    response = client.get(at(published_web_call, "/versions/1/download"))

    assert response.status_code == 200
    assert response.mimetype == "application/toml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="web-call.toml"'
    body = response.get_data(as_text=True)
    assert body.startswith("# Scorecard 'Web call', version 1, published ")
    stored = versions_of(app, published_web_call)[0]["definition"]
    assert parse_toml(body, expected_slug="web-call") == stored == WEB_CALL
    assert client.get(at(published_web_call, "/versions/2/download")).status_code == 404
    assert client.get(at("no-such-card", "/versions/1/download")).status_code == 404


def test_round_trip_builder_download_sync(
    app: Flask, manager: Browser, published_web_call: str, tmp_path: Path
) -> None:
    slug = published_web_call
    download = manager.client.get(at(slug, "/versions/1/download"))
    assert download.status_code == 200
    file = tmp_path / f"{slug}.toml"
    file.write_bytes(download.data)
    version_1 = stored_bytes(app, slug)
    assert list(version_1) == [1]

    result = sync(app, tmp_path)

    assert result.exit_code == 0, result.output
    assert "Scorecards: 0 new, 0 updated, 1 unchanged, 0 skipped." in result.output
    assert stored_bytes(app, slug) == version_1
    assert [e["action"] for e in events(app)] == ["scorecard.published"]

    # Change one guidance text in the downloaded file and sync again.
    old = "Shares nothing before the identity is checked."
    new = "Shares no account details before the identity is checked."
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1
    file.write_text(text.replace(old, new), encoding="utf-8")

    result = sync(app, tmp_path)

    assert result.exit_code == 0, result.output
    assert f"new version     {slug} (version 2)" in result.output
    assert "Scorecards: 0 new, 1 updated, 0 unchanged, 0 skipped." in result.output
    versions = versions_of(app, slug)
    expected = copy.deepcopy(WEB_CALL)
    expected["sections"][1]["criteria"][1]["guidance"] = new
    assert [(v["number"], v["source"]) for v in versions] == [(1, "builder"), (2, "file")]
    assert versions[1]["definition"] == expected
    assert versions[1]["content_hash"] == content_hash(expected)
    assert criterion_rows(app, slug, 2) == WEB_CALL_ROWS
    assert stored_bytes(app, slug)[1] == version_1[1]
    again = manager.client.get(at(slug, "/versions/1/download"))
    assert again.data == download.data

    # The same file once more: nothing new.
    result = sync(app, tmp_path)
    assert "Scorecards: 0 new, 0 updated, 1 unchanged, 0 skipped." in result.output
    assert [v["number"] for v in versions_of(app, slug)] == [1, 2]


def test_a_module_the_catalogue_does_not_have_is_refused_on_its_field(
    app: Flask, manager: Browser, scorecard_with_draft: str
) -> None:
    """A draft copied from a version whose module was since withdrawn from the catalogue
    cannot be published: `scorecards sync` would refuse its file, and every file with it."""
    slug = scorecard_with_draft
    with app.app_context():
        scorecard = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == slug))
        draft = copy.deepcopy(scorecard.draft)
        draft["sections"][0]["criteria"][0]["training"] = ["greeting-opening", WITHDRAWN]
        scorecard.draft = draft
        db.session.commit()
    page = manager.page(draft_path(slug))
    assert re.search(r'class="btn btn-success" disabled>', page)

    response = publish(manager, slug)

    assert location(response) == draft_path(slug)
    page = manager.page(draft_path(slug))
    assert (
        "Criterion “Greeting” in section “Opening”, Training modules : "
        "“retired-module” is not in the training catalogue; choose a module from the list."
    ) in text_of(page)
    fix = at(slug, "/draft/sections/0/criteria/0")
    assert f'<a href="{fix}">' in page
    assert versions_of(app, slug) == versions_of(app, slug)[:1]
    # The criterion's form tells it beside the module selects, the module still shown.
    form = manager.page(fix)
    message = "“retired-module” is not in the training catalogue"
    assert message in field_errors(form, "training")
    assert selected_modules(form) == ["greeting-opening", WITHDRAWN, ""]
    assert {name for name in ("label", "key", "guidance") if field_errors(form, name)} == set()

    # Saving it unchanged is refused there too; choosing a catalogue module publishes.
    fields = {"label": "Greeting", "key": "greeting", "guidance": "Names the brand and "
              "themselves.", "training-0": "greeting-opening", "training-1": WITHDRAWN}  # fmt: skip
    refused = manager.submit(fix, criterion_form(**fields))
    assert refused.status_code == 200
    assert message in field_errors(refused.get_data(as_text=True), "training")
    saved = manager.submit(fix, criterion_form(**{**fields, "training-1": "empathy-statements"}))
    assert location(saved) == draft_path(slug)
    assert location(publish(manager, slug)) == at(slug)
    latest = versions_of(app, slug)[-1]["definition"]
    assert latest["sections"][0]["criteria"][0]["training"] == [
        "greeting-opening",
        "empathy-statements",
    ]


def test_the_module_selects_offer_the_catalogue_in_use(
    manager: Browser, scorecard_with_draft: str
) -> None:
    page = manager.page(at(scorecard_with_draft, "/draft/sections/0/criteria/new"))
    selects = re.findall(r'<select[^>]*name="training-(\d+)"[^>]*>(.*?)</select>', page, re.S)
    assert [number for number, _options in selects] == ["0", "1", "2"]
    offered = re.findall(r'<option(?: selected)? value="([^"]*)"', selects[0][1])
    assert offered == ["", *CATALOGUE]  # catalogue order; nothing withdrawn
    assert 'name="training"' not in page  # no free text


def test_every_card_the_builder_publishes_loads_with_scorecards_sync(
    app: Flask, manager: Browser, tmp_path: Path
) -> None:
    """Load the shipped files (scorecards and catalogue), build a card choosing every module
    the builder offers, and try the modules it does not; its downloaded file then loads with
    the shipped files and catalogue."""
    folder = tmp_path / "scorecards"
    shutil.copytree(Path(__file__).resolve().parents[2] / "scorecards", folder)
    assert sync(app, folder).exit_code == 0
    assert location(create(manager)) == draft_path()
    add_section(manager, SLUG, "Everything")
    page = manager.page(at(SLUG, "/draft/sections/0/criteria/new"))
    select = re.search(r'<select[^>]*name="training-0"[^>]*>(.*?)</select>', page, re.S)
    assert select
    offered = [key for key in re.findall(r'value="([^"]*)"', select.group(1)) if key]
    shipped = re.findall(r'^key = "([^"]+)"', (folder / "training.toml").read_text(), re.M)
    assert offered == shipped  # the fixture's extra modules were withdrawn by the sync
    for number, key in enumerate(offered):
        add_criterion(manager, SLUG, 0, label=f"Skill {number}", guidance="Good.",
                      **{"training-0": key})  # fmt: skip
    path = at(SLUG, "/draft/sections/0/criteria/new")
    for key in (*CATALOGUE[3:], WITHDRAWN, "no-such-module"):
        refused = manager.submit(
            path, criterion_form(label="X", guidance="Y.", **{"training-0": key})
        )
        assert refused.status_code == 200
        assert "is not in the training catalogue" in field_errors(
            refused.get_data(as_text=True), "training"
        )
    assert location(publish(manager)) == at(SLUG)
    download = manager.client.get(at(SLUG, "/versions/1/download"))
    (folder / f"{SLUG}.toml").write_bytes(download.data)

    result = sync(app, folder)

    assert result.exit_code == 0, result.output
    assert "Scorecards: 0 new, 0 updated, 4 unchanged, 0 skipped." in result.output


def test_round_trip_with_guidance_typed_in_a_browser(
    app: Flask, manager: Browser, tmp_path: Path
) -> None:
    assert location(create(manager, description="Line one.\r\nLine two.")) == draft_path()
    add_section(manager, SLUG, "Opening")
    add_criterion(
        manager,
        SLUG,
        0,
        label="Greeting",
        guidance="Names the brand.\r\nNames themselves.",
    )
    assert location(publish(manager)) == at(SLUG)
    download = manager.client.get(at(SLUG, "/versions/1/download"))
    (tmp_path / f"{SLUG}.toml").write_bytes(download.data)
    stored = versions_of(app, SLUG)[0]["definition"]

    assert parse_toml(download.get_data(as_text=True)) == stored
    result = sync(app, tmp_path)
    assert "Scorecards: 0 new, 0 updated, 1 unchanged, 0 skipped." in result.output
    assert [v["number"] for v in versions_of(app, SLUG)] == [1]


# --- published versions never change -----------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda v, c: setattr(v, "name", "Renamed"), id="version-name"),
        pytest.param(lambda v, c: setattr(v, "pass_mark", 10), id="version-pass-mark"),
        pytest.param(
            lambda v, c: setattr(v, "definition", {**v.definition, "name": "Renamed"}),
            id="version-definition",
        ),
        pytest.param(lambda v, c: setattr(v, "content_hash", "0" * 64), id="version-hash"),
        pytest.param(lambda v, c: setattr(v, "number", 7), id="version-number"),
        pytest.param(lambda v, c: db.session.delete(v), id="version-delete"),
        pytest.param(lambda v, c: setattr(c, "label", "Renamed"), id="criterion-label"),
        pytest.param(lambda v, c: setattr(c, "weight", 9), id="criterion-weight"),
        pytest.param(lambda v, c: setattr(c, "critical", True), id="criterion-critical"),
        pytest.param(lambda v, c: db.session.delete(c), id="criterion-delete"),
    ],
)
def test_published_versions_are_immutable(
    change: Callable[[ScorecardVersion, ScorecardCriterion], None],
    app: Flask,
    published_web_call: str,
) -> None:
    before = stored_bytes(app, published_web_call)
    with app.app_context():
        version = db.session.scalar(sa.select(ScorecardVersion))
        criterion = version.criteria[0]
        change(version, criterion)
        with pytest.raises(PublishedVersionImmutable, match="is published and cannot change"):
            db.session.commit()
        db.session.rollback()
    assert stored_bytes(app, published_web_call) == before


# --- who may do what ---------------------------------------------------------------------

BUILDER_PAGES = [
    "/scorecards/new",
    "/scorecards/test-call/draft",
    "/scorecards/test-call/draft/settings",
    "/scorecards/test-call/draft/sections/new",
    "/scorecards/test-call/draft/sections/0",
    "/scorecards/test-call/draft/sections/0/criteria/new",
    "/scorecards/test-call/draft/sections/0/criteria/0",
    "/scorecards/test-call/draft/preview",
]
BUILDER_POSTS = [
    ("/scorecards/new", {**SETTINGS}),
    ("/scorecards/test-call/archive", {"archived": "1"}),
    ("/scorecards/test-call/draft/start", {}),
    ("/scorecards/test-call/draft/settings", {"name": "X", "channels": ["chat"], "pass_mark": "1"}),
    ("/scorecards/test-call/draft/sections/new", {"title": "X"}),
    ("/scorecards/test-call/draft/sections/0", {"title": "X"}),
    (
        "/scorecards/test-call/draft/sections/0/criteria/new",
        criterion_form(label="X", guidance="Y"),
    ),
    ("/scorecards/test-call/draft/sections/0/criteria/0", criterion_form(label="X", guidance="Y")),
    ("/scorecards/test-call/draft/move", {"section": "0", "criterion": "0", "offset": "1"}),
    ("/scorecards/test-call/draft/remove", {"section": "0"}),
    ("/scorecards/test-call/draft/publish", {}),
    ("/scorecards/test-call/draft/discard", {}),
]
READ_PAGES = [
    "/scorecards/",
    "/scorecards/test-call",
    "/scorecards/test-call/versions/1",
    "/scorecards/test-call/versions/1/download",
]


def everything_stored(app: Flask) -> tuple[Any, ...]:
    with app.app_context():
        scorecards = db.session.execute(
            sa.select(Scorecard.slug, Scorecard.status, Scorecard.draft_revision)
        ).all()
    return (
        [tuple(row) for row in scorecards],
        draft_of(app, "test-call"),
        stored_bytes(app, "test-call"),
        events(app),
    )


def test_supervisors_read_scorecards_but_cannot_build(
    app: Flask,
    org: Organisation,
    sign_in_as: Callable[..., FlaskClient],
    scorecard_with_draft: str,
) -> None:
    supervisor = Browser(sign_in_as(org.supervisor_a))
    index = supervisor.page("/scorecards/")
    assert "Test call" in index
    assert 'href="/scorecards/new"' not in index and "draft open" not in index
    detail = supervisor.page("/scorecards/test-call")
    assert "Edit (new draft)" not in detail and "Archive" not in detail
    version = text_of(supervisor.page("/scorecards/test-call/versions/1"))
    assert "Names the brand and themselves." in version
    assert "Acknowledges the customer's situation." in version
    download = supervisor.client.get("/scorecards/test-call/versions/1/download")
    assert download.status_code == 200 and download.mimetype == "application/toml"
    before = everything_stored(app)

    for path in BUILDER_PAGES:
        assert supervisor.client.get(path).status_code == 403, path
    token = supervisor.hidden("/account")["csrf_token"]
    for path, data in BUILDER_POSTS:
        payload = {**data, "csrf_token": token, "revision": "1"}
        assert supervisor.client.post(path, data=payload).status_code == 403, path

    assert everything_stored(app) == before


def test_agents_get_403_everywhere_in_scorecards(
    app: Flask,
    org: Organisation,
    sign_in_as: Callable[..., FlaskClient],
    scorecard_with_draft: str,
) -> None:
    agent = Browser(sign_in_as(org.agent_a1))
    before = everything_stored(app)

    for path in READ_PAGES + BUILDER_PAGES:
        assert agent.client.get(path).status_code == 403, path
    token = agent.hidden("/account")["csrf_token"]
    for path, data in BUILDER_POSTS:
        payload = {**data, "csrf_token": token, "revision": "1"}
        assert agent.client.post(path, data=payload).status_code == 403, path

    assert everything_stored(app) == before


def test_anonymous_visitors_are_sent_to_sign_in(
    client: FlaskClient, scorecard_with_draft: str
) -> None:
    for path in READ_PAGES + BUILDER_PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert urlsplit(response.headers["Location"]).path == "/login", path


# --- texts in several languages ----------------------------------------------------------


def test_builder_edits_translations_and_keeps_them_in_the_file(
    app: Flask, manager: Browser, published_web_call: str, tmp_path: Path
) -> None:
    """Each text has a field per other language; the draft, the published version and the
    downloaded file carry the translations, and `sync` reads that file back unchanged."""
    slug = published_web_call
    assert location(manager.submit(at(slug, "/draft/start"), shown_on=at(slug))) == draft_path()
    path = at(slug, "/draft/sections/0/criteria/0")
    page = manager.page(path)
    for name in ("label_de", "label_pl", "label_fi", "label_nb", "guidance_de"):
        assert f'name="{name}"' in page, name
    assert 'name="label_en"' not in page  # English is the main field of an English card

    response = manager.submit(
        path,
        criterion_form(
            label="Greeting",
            key="greeting",
            guidance='Says "Good morning", names the brand — and themselves.',
            label_de="Begrüßung",
            label_pl="Powitanie",
            guidance_de="Sagt „Guten Morgen“, nennt die Marke — und sich selbst.",
            **{"training-0": "greeting-opening"},
        ),
    )
    assert location(response) == draft_path()
    section = manager.submit(
        at(slug, "/draft/sections/0"), {"title": "Opening", "title_fi": "Avaus", "weight": ""}
    )
    assert location(section) == draft_path()
    settings = manager.submit(
        at(slug, "/draft/settings"),
        {
            "name": "Web call",
            "name_nb": "Nettsamtale",
            "description": "Built in the browser.",
            "channels": ["phone", "chat"],
            "pass_mark": "75",
        },
    )
    assert location(settings) == draft_path()
    # The form shows the translations it stored.
    page = manager.page(path)
    assert 'value="Begrüßung"' in input_tag(page, "label_de")
    assert 'value="Powitanie"' in input_tag(page, "label_pl")
    assert 'value=""' in input_tag(page, "label_fi") or "value" not in input_tag(page, "label_fi")

    assert location(publish(manager, slug)) == at(slug)

    expected = copy.deepcopy(WEB_CALL)
    expected["name"] = {"en": "Web call", "nb": "Nettsamtale"}
    expected["sections"][0]["title"] = {"en": "Opening", "fi": "Avaus"}
    greeting = expected["sections"][0]["criteria"][0]
    greeting["label"] = {"en": "Greeting", "de": "Begrüßung", "pl": "Powitanie"}
    greeting["guidance"] = {
        "en": 'Says "Good morning", names the brand — and themselves.',
        "de": "Sagt „Guten Morgen“, nennt die Marke — und sich selbst.",
    }
    versions = versions_of(app, slug)
    assert [v["number"] for v in versions] == [1, 2]  # translations are a change
    assert versions[1]["definition"] == expected
    # The columns keep the scorecard's own language.
    assert criterion_rows(app, slug, 2) == WEB_CALL_ROWS

    download = manager.client.get(at(slug, "/versions/2/download"))
    text = download.get_data(as_text=True)
    assert 'label.en = "Greeting"\nlabel.de = "Begrüßung"\nlabel.pl = "Powitanie"\n' in text
    assert 'title.fi = "Avaus"' in text
    assert parse_toml(text) == expected
    (tmp_path / f"{slug}.toml").write_bytes(download.data)
    result = sync(app, tmp_path)
    assert "Scorecards: 0 new, 0 updated, 1 unchanged, 0 skipped." in result.output


def test_builder_refuses_a_translation_that_is_too_long_beside_its_field(
    app: Flask, manager: Browser, web_call: str
) -> None:
    path = at(web_call, "/draft/sections/0/criteria/0")
    response = manager.submit(
        path,
        criterion_form(
            label="Greeting", key="greeting", guidance="Says hello.", label_de="B" * 201
        ),
    )
    assert response.status_code == 200
    assert "200" in field_errors(response.get_data(as_text=True), "label_de")
    assert draft_of(app, web_call)[0]["sections"][0]["criteria"][0]["label"] == "Greeting"
