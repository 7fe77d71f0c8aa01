"""HTML and script in every text field a user can fill: stored through the real routes,
rendered escaped on every page that shows them.

The fields come from the forms themselves: `test_every_text_field_is_swept` lists every
text field of every form in `qa_app/**/forms.py`, so a new field fails the suite until it is
given a sweep here (or a reason in NOT_RENDERED). Each sweep stores the payload through the
route people use, then reads the pages that show it; a value a form refuses must come back
escaped in the re-shown form. One test per field and database.
"""

from __future__ import annotations

import html
import importlib
import io
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from markupsafe import escape
from wtforms import HiddenField, PasswordField, StringField
from wtforms.fields.core import UnboundField

import qa_app
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import Scorecard
from qa_app.scorecards.texts import SCORECARD_LANGUAGES
from qa_app.stats.forms import mapping_form_class
from qa_app.training.models import TrainingModule
from tests.conftest import Organisation

PAYLOAD = "<script>alert(1)</script>\"'&<img src=x onerror=alert(1)>"
ESCAPED = str(escape(PAYLOAD))
RAW_MARKERS = ("<script>alert(1)", "<img src=x")
HIDDEN_INPUT = re.compile(r"<input\b[^>]*>")
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class Sweep:
    """Pages to read after storing (client, path), and responses already read (a refused
    form shown again, a page that only exists before a later step) with where they came from."""

    pages: list[tuple[FlaskClient, str]] = field(default_factory=list)
    responses: list[tuple[Any, str]] = field(default_factory=list)
    # Refused by the JSON API: the error quotes the value as JSON, never as HTML.
    json_refusal: Any = None


def refused(response: Any) -> Sweep:
    """A form that did not take the value shows it again: that page is what to read."""
    assert response.status_code in (200, 400, 401, 422), response.status_code
    return Sweep(responses=[(response, "the form shown again")])


def read(pages: list[tuple[FlaskClient, str]]) -> list[tuple[Any, str]]:
    """GET each page now (each must answer 200)."""
    responses = []
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        responses.append((response, path))
    return responses


SWEEPS: dict[str, Callable[..., Sweep]] = {}
# Text fields that are never shown back as text, and why (none so far: passwords are
# PasswordFields, which the scan leaves out).
NOT_RENDERED: dict[str, str] = {}


def sweeps(*fields: str) -> Callable[[Callable[..., Sweep]], Callable[..., Sweep]]:
    """Register a sweep for form fields named module.Form.field (or a route's own field)."""

    def register(function: Callable[..., Sweep]) -> Callable[..., Sweep]:
        for name in fields:
            SWEEPS[name] = function
        return function

    return register


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page (CSRF token, lock version, draft revision)."""
    fields: dict[str, str] = {}
    for tag in HIDDEN_INPUT.findall(page):
        attributes = dict(ATTRIBUTE.findall(tag))
        if attributes.get("type") == "hidden" and "name" in attributes:
            fields.setdefault(attributes["name"], html.unescape(attributes.get("value", "")))
    return fields


def submit(client: FlaskClient, shown_on: str, path: str, data: dict[str, Any]) -> Any:
    """Post `data` from the form on `shown_on`, with that page's hidden fields."""
    page = client.get(shown_on)
    assert page.status_code == 200, (shown_on, page.status_code)
    payload: dict[str, Any] = hidden_fields(page.get_data(as_text=True))
    payload.update(data)
    return client.post(path, data=payload)


def stored(response: Any) -> str:
    """The redirect target of a successful post (the form was accepted)."""
    messages = re.findall(
        r'class="[^"]*(?:invalid-feedback|alert)[^"]*"[^>]*>([^<]*)',
        response.get_data(as_text=True),
    )
    assert response.status_code == 302, (response.status_code, messages)
    return response.headers["Location"]


class Context:
    """What a sweep needs: the app, the centre, the records and signed-in browsers."""

    def __init__(self, app: Flask, org: Organisation, records: dict[str, int], sign_in_as: Any):
        self.app, self.org, self.records = app, org, records
        self._sign_in_as = sign_in_as
        self._browsers: dict[str, FlaskClient] = {}

    def as_(self, who: str) -> FlaskClient:
        """A browser signed in as the org's `who` (one per person)."""
        if who not in self._browsers:
            self._browsers[who] = self._sign_in_as(self.org.member(who))
        return self._browsers[who]

    def id(self, who: str) -> int:
        """A person's or team's id."""
        return self.org.member(who).id

    def scalar(self, query: Any) -> Any:
        """One value from the database."""
        with self.app.app_context():
            value = db.session.scalar(query)
            db.session.remove()
        return value


# --- people and teams ----------------------------------------------------------------------


def _user_data(ctx: Context, who: str, **changes: str) -> dict[str, Any]:
    user = ctx.org.member(who)
    data = {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "team_id": user.team_id or 0,
        "external_id": "",
    }
    data.update(changes)
    return data


@sweeps("qa_app.admin.forms.UserForm.display_name")
def _display_name(ctx: Context, text: str) -> Sweep:
    a1 = ctx.id("agent_a1")
    path = f"/admin/users/{a1}"
    stored(submit(ctx.as_("admin"), path, path, _user_data(ctx, "agent_a1", display_name=text)))
    records = ctx.records
    return Sweep(
        [
            (ctx.as_("admin"), "/admin/users"),
            (ctx.as_("admin"), path),
            (ctx.as_("supervisor_a"), "/dashboard/team"),
            (ctx.as_("supervisor_a"), f"/evaluations/{records['released_id']}"),
            (ctx.as_("supervisor_a"), f"/disputes/{records['dispute_id']}"),
            (ctx.as_("supervisor_a"), f"/training/plans/{records['plan_id']}"),
            (ctx.as_("supervisor_a"), f"/coaching/{records['session_id']}"),
            (ctx.as_("supervisor_a"), f"/stats/agents/{a1}"),
            (ctx.as_("manager"), "/exports/"),
        ]
    )


@sweeps("qa_app.admin.forms.UserForm.external_id")
def _external_id(ctx: Context, text: str) -> Sweep:
    path = f"/admin/users/{ctx.id('agent_a1')}"
    stored(submit(ctx.as_("admin"), path, path, _user_data(ctx, "agent_a1", external_id=text)))
    return Sweep([(ctx.as_("admin"), path), (ctx.as_("admin"), "/admin/users")])


@sweeps("qa_app.admin.forms.IdentityForm.external_id")
def _identity_id(ctx: Context, text: str) -> Sweep:
    """Stored on the agent's ids page; pre-filled on the link page; quoted by an import."""
    a1 = ctx.id("agent_a1")
    path = f"/admin/users/{a1}/identities"
    stored(submit(ctx.as_("admin"), path, path, {"source": "pbx", "external_id": text}))
    link = "/admin/identities/link?" + urlencode({"source": "pbx", "external_id": text})
    return Sweep(
        [(ctx.as_("admin"), path), (ctx.as_("admin"), f"/admin/users/{a1}"),
         (ctx.as_("admin"), link)]
    )  # fmt: skip


@sweeps("qa_app.admin.forms.IdentityForm.source")
def _identity_source(ctx: Context, text: str) -> Sweep:
    path = f"/admin/users/{ctx.id('agent_a1')}/identities"
    return refused(submit(ctx.as_("admin"), path, path, {"source": text, "external_id": "X"}))


@sweeps("qa_app.admin.forms.UserForm.email")
def _email(ctx: Context, text: str) -> Sweep:
    data = {"email": text, "display_name": "New", "role": "agent", "team_id": 0}
    return refused(submit(ctx.as_("admin"), "/admin/users/new", "/admin/users/new", data))


@sweeps("qa_app.privacy.forms.AnonymiseForm.confirm_email")
def _anonymise_confirmation(ctx: Context, text: str) -> Sweep:
    """A departed agent's anonymisation, confirmed with the wrong text: shown again."""
    from qa_app.auth.models import User

    with ctx.app.app_context():
        db.session.get(User, ctx.id("agent_a2")).active = False
        db.session.commit()
        db.session.remove()
    path = f"/admin/users/{ctx.id('agent_a2')}/anonymise"
    return refused(submit(ctx.as_("admin"), path, path, {"confirm_email": text}))


@sweeps("qa_app.admin.forms.UserFilterForm.q")
def _user_search(ctx: Context, text: str) -> Sweep:
    return Sweep([(ctx.as_("admin"), "/admin/users?" + _query(q=text))])


@sweeps("qa_app.teams.forms.TeamForm.name")
def _team_name(ctx: Context, text: str) -> Sweep:
    path = f"/admin/teams/{ctx.id('team_a')}"
    data = {
        "name": text,
        "release_mode": "immediate",
        "evaluations_per_agent_month": 4,
        "supervisor_ids": [ctx.id("supervisor_a")],
        "agent_ids": [ctx.id("agent_a1"), ctx.id("agent_a2")],
    }
    stored(submit(ctx.as_("admin"), path, path, data))
    return Sweep(
        [
            (ctx.as_("admin"), "/admin/teams"),
            (ctx.as_("admin"), "/admin/users"),
            (ctx.as_("supervisor_a"), "/dashboard/team"),
            (ctx.as_("manager"), "/dashboard/centre"),
            (ctx.as_("manager"), "/exports/"),
            (ctx.as_("supervisor_a"), "/evaluations/sample"),
        ]
    )


@sweeps("qa_app.evaluations.forms.SampleForm.queue", "qa_app.evaluations.forms.SampleForm.phrase")
def _sample_filter(ctx: Context, text: str, field: str) -> Sweep:
    """A filter is not stored as a column (the audit trail keeps it): a form refused for
    another field shows it again."""
    data = {
        "team_id": ctx.id("team_a"),
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "per_agent": 0,
        "due_on": "2026-11-30",
        field: text,
    }
    return refused(
        submit(ctx.as_("supervisor_a"), "/evaluations/sample", "/evaluations/sample", data)
    )


@sweeps("qa_app.api.forms.ApiTokenForm.name")
def _token_name(ctx: Context, text: str) -> Sweep:
    response = submit(ctx.as_("manager"), "/account/tokens", "/account/tokens", {"name": text})
    assert ctx.scalar(sa.text("SELECT name FROM api_token")) == text
    return Sweep(
        responses=[(response, "the new token's page")],
        pages=[
            (ctx.as_("manager"), "/account/tokens"),
            (ctx.as_("admin"), f"/admin/users/{ctx.id('manager')}/tokens"),
        ],
    )


@sweeps("qa_app.auth.forms.SignInForm.email")
def _sign_in_email(ctx: Context, text: str) -> Sweep:
    browser = ctx.app.test_client()
    return refused(submit(browser, "/login", "/login", {"email": text, "password": "x"}))


# --- evaluations, feedback and disputes ----------------------------------------------------


def _score_draft(ctx: Context, **fields: str) -> str:
    path = f"/evaluations/{ctx.records['draft_id']}/edit"
    data = {"answer-greeting": "yes", "answer-empathy": "4", "submit": "Submit", **fields}
    stored(submit(ctx.as_("supervisor_a"), path, path, data))
    return f"/evaluations/{ctx.records['draft_id']}"


def _evaluation_pages(ctx: Context, page: str) -> list[tuple[FlaskClient, str]]:
    return [
        (ctx.as_("supervisor_a"), page),
        (ctx.as_("supervisor_a"), page + "/history"),
        (ctx.as_("agent_a1"), page),
    ]


@sweeps(
    "qa_app.evaluations.forms.EvaluationTextsForm.overall_comment",
    "qa_app.evaluations.forms.EvaluationTextsForm.strengths",
    "qa_app.evaluations.forms.EvaluationTextsForm.opportunities",
)
def _evaluation_text(ctx: Context, text: str, field: str) -> Sweep:
    return Sweep(_evaluation_pages(ctx, _score_draft(ctx, **{field: text})))


@sweeps("evaluation form: comment-<criterion key>")
def _answer_comment(ctx: Context, text: str) -> Sweep:
    return Sweep(_evaluation_pages(ctx, _score_draft(ctx, **{"comment-empathy": text})))


@sweeps("qa_app.evaluations.forms.AcknowledgeForm.comment")
def _evaluation_acknowledgement(ctx: Context, text: str) -> Sweep:
    released = ctx.records["released_id"]
    path = f"/feedback/{released}/acknowledge"
    stored(submit(ctx.as_("agent_a1"), path, path, {"comment": text}))
    return Sweep(_evaluation_pages(ctx, f"/evaluations/{released}"))


@sweeps("qa_app.evaluations.forms.DisputeForm.reason")
def _dispute_reason(ctx: Context, text: str) -> Sweep:
    released = ctx.records["released_id"]
    path = f"/feedback/{released}/dispute"
    stored(submit(ctx.as_("agent_a1"), path, path, {"reason": text}))
    return Sweep(
        [
            *_evaluation_pages(ctx, f"/evaluations/{released}"),
            (ctx.as_("manager"), "/disputes/"),
            (ctx.as_("manager"), f"/disputes/{ctx.records['dispute_id'] + 1}"),
        ]
    )


@sweeps("dispute form: reason-<criterion key>")
def _dispute_criterion_reason(ctx: Context, text: str) -> Sweep:
    released = ctx.records["released_id"]
    path = f"/feedback/{released}/dispute"
    stored(
        submit(
            ctx.as_("agent_a1"), path, path, {"criterion_keys": "empathy", "reason-empathy": text}
        )
    )
    dispute = f"/disputes/{ctx.records['dispute_id'] + 1}"  # scored by supervisor A
    return Sweep(
        [
            *_evaluation_pages(ctx, f"/evaluations/{released}"),
            (ctx.as_("manager"), "/"),
            (ctx.as_("manager"), "/disputes/"),
            (ctx.as_("manager"), dispute),
        ]
    )


@sweeps("qa_app.evaluations.forms.ResolveForm.note")
def _resolution_note(ctx: Context, text: str) -> Sweep:
    path = f"/disputes/{ctx.records['dispute_id']}"
    stored(submit(ctx.as_("supervisor_a"), path, path, {"decision": "reject", "note": text}))
    disputed = f"/evaluations/{ctx.records['disputed_id']}"
    return Sweep(
        [
            (ctx.as_("supervisor_a"), disputed),
            (ctx.as_("agent_a1"), disputed),
            (ctx.as_("manager"), disputed + "/history"),
        ]
    )


# --- interactions ---------------------------------------------------------------------------

INTERACTION_FIELDS = ("external_ref", "queue", "customer_ref", "recording_url", "transcript")


@sweeps(*(f"qa_app.interactions.forms.InteractionForm.{name}" for name in INTERACTION_FIELDS))
def _interaction_field(ctx: Context, text: str, field: str) -> Sweep:
    supervisor = ctx.as_("supervisor_a")
    data = {
        "agent_id": ctx.id("agent_a1"),
        "channel": "phone",
        "occurred_at": "2026-11-10T10:00",
        field: text,
    }
    response = submit(supervisor, "/interactions/new", "/interactions/new", data)
    if response.status_code != 302:
        return refused(response)
    return Sweep([(supervisor, stored(response)), (supervisor, "/interactions/")])


@sweeps("qa_app.interactions.forms.ImportForm.source")
def _interaction_import_source(ctx: Context, text: str) -> Sweep:
    data = {"source": text, "file": (io.BytesIO(b"agent,channel\n"), "calls.csv")}
    response = submit(ctx.as_("supervisor_a"), "/interactions/import", "/interactions/import", data)
    return refused(response)


@sweeps("interaction import file: a cell value")
def _interaction_import_cell(ctx: Context, text: str) -> Sweep:
    """A bad value in an uploaded file is quoted in the list of problems."""
    content = (
        "agent,channel,occurred_at,external_ref\n"
        f'a1@example.test,"{text.replace(chr(34), chr(34) * 2)}",2026-11-10 10:00,X-1\n'
    ).encode()
    data = {"source": "import", "dry_run": "y", "file": (io.BytesIO(content), "calls.csv")}
    response = submit(ctx.as_("supervisor_a"), "/interactions/import", "/interactions/import", data)
    return refused(response)


API_INTERACTION_FIELDS = (
    "external_ref",
    "queue",
    "customer_ref",
    "transcript",
    "source",
    "recording_url",
)


@sweeps(*(f"API POST /interactions: {name}" for name in API_INTERACTION_FIELDS))
def _api_interaction(ctx: Context, text: str, field: str, api_as: Any) -> Sweep:
    body = {
        "agent": "a1@example.test",
        "channel": "phone",
        "occurred_at": "2026-11-10T10:00:00+00:00",
        "external_ref": "API-1",
        field: text,
    }
    response = api_as(ctx.org.supervisor_a).post("/api/v1/interactions", body)
    if response.status_code != 201:
        return Sweep(json_refusal=response)
    interaction_id = ctx.scalar(sa.select(sa.func.max(Interaction.id)))
    supervisor = ctx.as_("supervisor_a")
    return Sweep([(supervisor, f"/interactions/{interaction_id}"), (supervisor, "/interactions/")])


# --- scorecards -----------------------------------------------------------------------------

DRAFT = "/scorecards/test-call/draft"


def _start_draft(ctx: Context) -> FlaskClient:
    """The manager, with a draft of test-call open."""
    manager = ctx.as_("manager")
    if manager.get(DRAFT).status_code != 200:
        submit(manager, "/scorecards/test-call", "/scorecards/test-call/draft/start", {})
    return manager


def _edit_draft(ctx: Context, path: str, data: dict[str, Any]) -> Any:
    return submit(_start_draft(ctx), path, path, data)


def _draft_then_published(ctx: Context) -> Sweep:
    """The draft's pages, read now; then publish, and the published version's pages."""
    manager = ctx.as_("manager")
    _catalogue_has(ctx, "greeting-opening")  # named by test-call: publishing checks it
    before = read([(manager, DRAFT), (manager, DRAFT + "/preview")])
    response = submit(manager, DRAFT, DRAFT + "/publish", {})
    assert stored(response).endswith("/scorecards/test-call"), manager.get(DRAFT).get_data(
        as_text=True
    )[-3000:]
    assert "Published version 2" in manager.get("/scorecards/test-call").get_data(as_text=True)
    pages = [(manager, "/scorecards/test-call"), (manager, "/scorecards/test-call/versions/2")]
    pages.append((ctx.as_("supervisor_a"), "/scorecards/test-call/versions/2"))
    return Sweep(pages=pages, responses=before)


def _catalogue_has(ctx: Context, key: str) -> None:
    """Put a module in the training catalogue unless it is there."""
    with ctx.app.app_context():
        if db.session.scalar(sa.select(TrainingModule.id).where(TrainingModule.key == key)):
            return
        module = TrainingModule(
            key=key, title=key, skill="Calls", description="", expected_minutes=5
        )
        db.session.add(module)
        db.session.commit()


def _start_on_new_version(ctx: Context) -> int:
    """Start scoring a new interaction of agent A1 on the latest version; its id."""
    supervisor = ctx.as_("supervisor_a")
    data = {"agent_id": ctx.id("agent_a1"), "channel": "phone", "occurred_at": "2026-11-10T10:00"}
    interaction = stored(submit(supervisor, "/interactions/new", "/interactions/new", data))
    path = interaction.replace("/interactions/", "/evaluations/start/interaction/")
    scorecard = ctx.scalar(sa.text("SELECT id FROM scorecard WHERE slug = 'test-call'"))
    started = stored(submit(supervisor, interaction, path, {"scorecard_id": scorecard}))
    return int(started.rstrip("/").split("/")[-2])


@sweeps(
    "qa_app.scorecards.forms.ScorecardSettingsForm.name",
    "qa_app.scorecards.forms.ScorecardSettingsForm.description",
)
def _scorecard_setting(ctx: Context, text: str, field: str) -> Sweep:
    data = {"name": "Test call", "channels": ["phone"], "pass_mark": 80, field: text}
    stored(_edit_draft(ctx, DRAFT + "/settings", data))
    return _draft_then_published(ctx)


@sweeps("qa_app.scorecards.forms.ScorecardSettingsForm.slug")
def _scorecard_slug(ctx: Context, text: str) -> Sweep:
    data = {"name": "New", "slug": text, "channels": ["phone"], "pass_mark": 80}
    return refused(submit(ctx.as_("manager"), "/scorecards/new", "/scorecards/new", data))


@sweeps("qa_app.scorecards.forms.SectionForm.title")
def _section_title(ctx: Context, text: str) -> Sweep:
    stored(_edit_draft(ctx, DRAFT + "/sections/0", {"title": text}))
    return _draft_then_published(ctx)


# The translations of a scorecard's texts (issue 20): one field per language and text,
# shown by the builder for the languages other than the card's own.
TRANSLATION_FORMS = {
    "DraftSettingsForm": ("settings", ("name", "description")),
    "SectionForm": ("sections/0", ("title",)),
    "CriterionForm": ("sections/0/criteria/0", ("label", "guidance")),
}
TRANSLATED_FIELDS = [
    f"qa_app.scorecards.forms.{form}.{text}_{language}"
    for form, (_path, texts) in TRANSLATION_FORMS.items()
    for text in texts
    for language in SCORECARD_LANGUAGES
]


@sweeps(*TRANSLATED_FIELDS)
def _translation(ctx: Context, text: str, field: str) -> Sweep:
    """A translation typed in the builder: shown escaped in its input, on the builder's
    pages and, once published, to readers of that language. English is a translation of a
    card written in another language, so for `_en` the card's language becomes German."""
    name, language = field.rsplit("_", 1)
    form = next(form for form, (_path, texts) in TRANSLATION_FORMS.items() if name in texts)
    path = f"{DRAFT}/{TRANSLATION_FORMS[form][0]}"
    _catalogue_has(ctx, "greeting-opening")  # the criterion names it
    _start_draft(ctx)
    if language == "en":
        with ctx.app.app_context():
            scorecard = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == "test-call"))
            scorecard.draft = {**scorecard.draft, "language": "de"}
            db.session.commit()
    own = {
        "DraftSettingsForm": {
            "name": "Test call",
            "description": "Inbound calls.",  # a translation needs the card's own text
            "channels": ["phone"],
            "pass_mark": 80,
        },
        "SectionForm": {"title": "Opening"},
        "CriterionForm": CRITERION,
    }[form]
    stored(_edit_draft(ctx, path, {**own, field: text}))
    editor = read([(ctx.as_("manager"), path)])
    sweep = _draft_then_published(ctx)
    sweep.responses.extend(editor)
    for who in ("manager", "supervisor_a"):  # the published pages, read in that language
        with ctx.app.app_context():
            db.session.get_one(User, ctx.id(who)).locale = language
            db.session.commit()
    return sweep


CRITERION = {
    "label": "Greeting",
    "key": "greeting",
    "guidance": "Names the brand and themselves.",
    "kind": "yes_no",
    "weight": 1,
    "training-0": "greeting-opening",
}


@sweeps(
    "qa_app.scorecards.forms.CriterionForm.label",
    "qa_app.scorecards.forms.CriterionForm.guidance",
    "qa_app.scorecards.forms.CriterionForm.key",
    # A select of catalogue modules since issue 19; a forged value is refused and shown.
    "scorecard builder: training-0",
)
def _criterion_field(ctx: Context, text: str, field: str) -> Sweep:
    _catalogue_has(ctx, "greeting-opening")
    response = _edit_draft(ctx, DRAFT + "/sections/0/criteria/0", {**CRITERION, field: text})
    if response.status_code != 302:
        return refused(response)
    sweep = _draft_then_published(ctx)
    # The evaluation form of the new version shows labels and guidance.
    evaluation = _start_on_new_version(ctx)
    sweep.pages.append((ctx.as_("supervisor_a"), f"/evaluations/{evaluation}/edit"))
    return sweep


# --- training plans and coaching sessions ---------------------------------------------------


def _plan(ctx: Context) -> str:
    return f"/training/plans/{ctx.records['plan_id']}"


def _plan_pages(ctx: Context) -> list[tuple[FlaskClient, str]]:
    return [(ctx.as_("supervisor_a"), _plan(ctx)), (ctx.as_("agent_a1"), _plan(ctx))]


@sweeps("qa_app.training.forms.ItemForm.reason", "qa_app.training.forms.ItemForm.coach_notes")
def _item_text(ctx: Context, text: str, field: str) -> Sweep:
    with ctx.app.app_context():
        module = TrainingModule(
            key="call-control",
            title="Call control",
            skill="Control",
            description="Keeping the call on track.",
            expected_minutes=30,
        )
        db.session.add(module)
        db.session.commit()
        module_id = module.id
    data = {"module_id": module_id, "due_on": "2026-12-20", field: text}
    response = submit(ctx.as_("supervisor_a"), _plan(ctx), _plan(ctx) + "/items", data)
    stored(response)
    assert ctx.scalar(sa.text("SELECT count(*) FROM training_plan_item")) == 2
    return Sweep(_plan_pages(ctx))


@sweeps("qa_app.training.forms.ItemEditForm.coach_notes")
def _item_notes(ctx: Context, text: str) -> Sweep:
    path = f"{_plan(ctx)}/items/{ctx.records['item_id']}"
    stored(
        submit(ctx.as_("supervisor_a"), path, path, {"due_on": "2026-12-20", "coach_notes": text})
    )
    return Sweep([*_plan_pages(ctx), (ctx.as_("supervisor_a"), path)])


@sweeps("qa_app.training.forms.PlanNotesForm.notes")
def _plan_notes(ctx: Context, text: str) -> Sweep:
    stored(submit(ctx.as_("supervisor_a"), _plan(ctx), _plan(ctx) + "/notes", {"notes": text}))
    return Sweep(_plan_pages(ctx))


@sweeps("qa_app.training.forms.AcknowledgeForm.comment")
def _coaching_acknowledgement(ctx: Context, text: str) -> Sweep:
    agent = ctx.as_("agent_a1")
    stored(submit(agent, _plan(ctx), _plan(ctx) + "/acknowledge", {"comment": text}))
    session = f"/coaching/{ctx.records['session_id']}"
    stored(submit(agent, session, session + "/acknowledge", {"comment": text}))
    return Sweep([*_plan_pages(ctx), (agent, session), (ctx.as_("supervisor_a"), session)])


@sweeps("qa_app.training.forms.ClosePlanForm.note")
def _close_note(ctx: Context, text: str) -> Sweep:
    stored(submit(ctx.as_("supervisor_a"), _plan(ctx), _plan(ctx) + "/close", {"note": text}))
    return Sweep(_plan_pages(ctx))


@sweeps(
    "qa_app.coaching.forms.SessionForm.notes", "qa_app.coaching.forms.SessionForm.agreed_actions"
)
def _session_text(ctx: Context, text: str, field: str) -> Sweep:
    path = f"/coaching/agents/{ctx.id('agent_a1')}/new"
    data = {"held_on": "2026-11-20", "notes": "Notes", field: text}
    session = stored(submit(ctx.as_("supervisor_a"), path, path, data))
    return Sweep([(ctx.as_("supervisor_a"), session), (ctx.as_("agent_a1"), session)])


# --- calibration ----------------------------------------------------------------------------


@sweeps("qa_app.calibration.forms.NewSessionForm.title")
def _calibration_title(ctx: Context, text: str) -> Sweep:
    """Shown on the lists, the session page and in the participants' invitations."""
    data = {
        "title": text,
        "scorecard_id": str(ctx.records["scorecard_id"]),
        "interaction_ids": [str(ctx.records["interaction_id"])],
        "participant_ids": [str(ctx.id("supervisor_a")), str(ctx.id("supervisor_b"))],
        "expert_id": "0",
        "tolerance_points": "5",
        "submit": "y",
    }
    session = stored(submit(ctx.as_("manager"), "/calibration/new", "/calibration/new", data))
    return Sweep(
        [
            (ctx.as_("manager"), "/calibration/"),
            (ctx.as_("manager"), session),
            (ctx.as_("supervisor_a"), "/calibration/"),
            (ctx.as_("supervisor_a"), session),
            (ctx.as_("supervisor_a"), "/notifications/"),
        ]
    )


def _calibration_scored(ctx: Context, **fields: str) -> tuple[str, str]:
    """Supervisor A submits the one interaction of a session with `fields` among the
    answers (the session page then shows everyone's answers); (session, scoring) pages."""
    from tests.calibration.conftest import build_session

    with ctx.app.app_context():
        calibration = build_session(ctx.org, interactions=1, title="Sweep")
        db.session.commit()
        session = f"/calibration/{calibration.id}"
        scoring = f"{session}/items/{calibration.items[0].id}"
        db.session.remove()
    data = {"answer-greeting": "yes", "answer-empathy": "4", "submit": "y", "final": "y"}
    stored(submit(ctx.as_("supervisor_a"), scoring, scoring, {**data, **fields}))
    return session, scoring


@sweeps("qa_app.calibration.forms.ScoringForm.overall_comment")
def _calibration_overall_comment(ctx: Context, text: str) -> Sweep:
    session, _scoring = _calibration_scored(ctx, overall_comment=text)
    return Sweep([(ctx.as_("supervisor_a"), session)])


@sweeps("calibration scoring form: comment-<criterion key>")
def _calibration_comment(ctx: Context, text: str) -> Sweep:
    session, _scoring = _calibration_scored(ctx, **{"comment-empathy": text})
    return Sweep([(ctx.as_("supervisor_a"), session)])


# --- statistics -----------------------------------------------------------------------------


@sweeps("qa_app.stats.forms.StatsImportForm.source")
def _stats_source(ctx: Context, text: str) -> Sweep:
    data = {"source": text, "file": (io.BytesIO(b"Agent,Date\n"), "stats.csv")}
    return refused(submit(ctx.as_("manager"), "/stats/import", "/stats/import", data))


@sweeps("statistics import file: a cell value")
def _stats_cell(ctx: Context, text: str) -> Sweep:
    """An unknown agent is quoted in the list of problems."""
    agent = '"' + text.replace('"', '""') + '"'
    content = f"Agent,Date,Calls Handled\n{agent},2026-11-02,10\n".encode()
    data = {"source": "import", "dry_run": "y", "file": (io.BytesIO(content), "stats.csv")}
    return refused(submit(ctx.as_("manager"), "/stats/import", "/stats/import", data))


@sweeps("qa_app.stats.forms.ColumnMappingForm.source")
def _mapping_source(ctx: Context, text: str) -> Sweep:
    data = {"source": text}
    return refused(submit(ctx.as_("manager"), "/stats/mappings", "/stats/mappings", data))


@sweeps("qa_app.stats.forms.ColumnMappingForm.<column>")
def _mapping_column(ctx: Context, text: str) -> Sweep:
    data = {"source": "genesys", "agent": text}
    stored(submit(ctx.as_("manager"), "/stats/mappings", "/stats/mappings", data))
    manager = ctx.as_("manager")
    return Sweep([(manager, "/stats/mappings?source=genesys"), (manager, "/stats/mappings")])


def _saved_profile(ctx: Context) -> int:
    """A statistics import profile's id (its editor is the page the profile fields are on)."""
    from qa_app.profiles.models import ImportProfile

    with ctx.app.app_context():
        columns = {"Agent": "agent", "Date": "day", "Calls": "contacts_handled"}
        definition = {"kind": "statistics", "headers": list(columns), "columns": columns}
        profile = ImportProfile(kind="statistics", source="acd", definition=definition)
        db.session.add(profile)
        db.session.commit()
        profile_id = profile.id
        db.session.remove()
    return profile_id


def _profile_post(ctx: Context, **fields: str) -> Sweep:
    """The profile editor posted with `fields` (profile-…) changed; refused, shown again."""
    editor = f"/import-profiles/{_saved_profile(ctx)}"
    data = {"field": ["agent", "day", "contacts_handled"], **fields}
    return refused(submit(ctx.as_("manager"), editor, "/import-profiles/save", data))


@sweeps("qa_app.profiles.forms.ProfileForm.source")
def _profile_source(ctx: Context, text: str) -> Sweep:
    return _profile_post(ctx, **{"profile-source": text})


@sweeps("qa_app.profiles.forms.ProfileForm.timezone")
def _profile_timezone(ctx: Context, text: str) -> Sweep:
    return _profile_post(ctx, **{"profile-timezone": text})


@sweeps("qa_app.profiles.forms.ProfileForm.channels")
def _profile_channels(ctx: Context, text: str) -> Sweep:
    return _profile_post(ctx, **{"profile-channels": f"{text} = phone"})


@sweeps("qa_app.profiles.forms.SampleFileForm.source")
def _sample_source(ctx: Context, text: str) -> Sweep:
    content = b"Agent,Date,Calls\na1@example.test,2026-11-02,4\n"
    data = {"kind": "statistics", "source": text, "file": (io.BytesIO(content), "calls.csv")}
    manager = ctx.as_("manager")
    return refused(submit(manager, "/import-profiles/", "/import-profiles/sample", data))


@sweeps("import profile editor: a column name and a cell value")
def _profile_header(ctx: Context, text: str) -> Sweep:
    """A file's header and sample values are shown in the editor (and its header row is
    carried in a hidden field): escaped."""
    quoted = '"' + text.replace('"', '""') + '"'
    content = f"Agent,Date,Calls,{quoted}\n{quoted},2026-11-02,4,x\n".encode()
    data = {"kind": "statistics", "source": "acd", "file": (io.BytesIO(content), "calls.csv")}
    page = submit(ctx.as_("manager"), "/import-profiles/", "/import-profiles/sample", data)
    assert page.status_code == 200, page.status_code
    assert ESCAPED in page.get_data(as_text=True)
    return Sweep(responses=[(page, "the profile editor")])


# --- the sweep ------------------------------------------------------------------------------


def _query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def form_text_fields() -> set[str]:
    """module.Form.field of every text field of every form in qa_app/**/forms.py."""
    found: set[str] = set()
    for module_info in pkgutil.walk_packages(qa_app.__path__, "qa_app."):
        if not module_info.name.endswith(".forms"):
            continue
        module = importlib.import_module(module_info.name)
        forms = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, FlaskForm)
            and value.__module__ == module.__name__
        ]
        if module.__name__ == "qa_app.stats.forms":
            forms.append(mapping_form_class(["<column>"]))
        for form in forms:
            for owner in form.__mro__:
                for name, value in vars(owner).items():
                    if _is_text(value) and owner.__module__.startswith("qa_app."):
                        found.add(f"{owner.__module__}.{owner.__qualname__.split('.')[-1]}.{name}")
    return found


def _is_text(value: Any) -> bool:
    if not isinstance(value, UnboundField):
        return False
    kind = value.field_class
    return issubclass(kind, StringField) and not issubclass(kind, HiddenField | PasswordField)


def test_every_text_field_is_swept() -> None:
    """A text field added to a form fails here until it has a sweep."""
    fields = form_text_fields()
    assert "qa_app.evaluations.forms.DisputeForm.reason" in fields  # the scan works
    missing = fields - set(SWEEPS) - set(NOT_RENDERED)
    assert not missing, f"text fields without an HTML sweep: {sorted(missing)}"
    stale = {name for name in [*SWEEPS, *NOT_RENDERED] if name.startswith("qa_app.")} - fields
    assert not stale, f"sweeps of fields that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("field", sorted(SWEEPS))
def test_html_in_the_field_is_rendered_escaped(
    app: Flask,
    org: Organisation,
    records: dict[str, int],
    sign_in_as: Any,
    api_as: Any,
    field: str,
) -> None:
    """Store the payload through the route, then read every page that shows it."""
    ctx = Context(app, org, records, sign_in_as)
    function = SWEEPS[field]
    kwargs: dict[str, Any] = {}
    parameters = function.__code__.co_varnames[: function.__code__.co_argcount]
    if "field" in parameters:
        kwargs["field"] = field.rsplit(".", 1)[-1].rsplit(": ", 1)[-1]
    if "api_as" in parameters:
        kwargs["api_as"] = api_as
    sweep = function(ctx, PAYLOAD, **kwargs)

    if sweep.json_refusal is not None:
        refusal = sweep.json_refusal
        assert refusal.status_code == 422 and refusal.mimetype == "application/json"
        assert refusal.headers["X-Content-Type-Options"] == "nosniff"
        assert refusal.json["error"]["details"][0]["value"] == PAYLOAD
        return
    responses = [*sweep.responses, *read(sweep.pages)]
    assert responses, "a sweep must read at least one page"
    for response, where in responses:
        text = response.get_data(as_text=True)
        for marker in RAW_MARKERS:
            assert marker not in text, f"{marker!r} unescaped on {where}"
    shown = [where for response, where in responses if ESCAPED in response.get_data(as_text=True)]
    assert shown, f"the escaped payload is on none of {[where for _, where in responses]}"


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x"]
)
def test_a_recording_link_that_is_not_http_is_refused_everywhere(
    app: Flask, org: Organisation, sign_in_as: Any, api_as: Any, link: str
) -> None:
    """HTML escaping does not make a javascript: link in an href harmless: the form, the
    API and the file import all refuse anything but http(s), and store nothing."""
    supervisor = sign_in_as(org.supervisor_a)
    data = {
        "agent_id": org.agent_a1.id,
        "channel": "phone",
        "occurred_at": "2026-11-10T10:00",
        "recording_url": link,
    }
    form = submit(supervisor, "/interactions/new", "/interactions/new", data)
    assert form.status_code == 200
    assert "Use a link starting with https:// or http://." in form.get_data(as_text=True)
    body = {
        "agent": "a1@example.test",
        "channel": "phone",
        "occurred_at": "2026-11-10T10:00:00+00:00",
        "external_ref": "API-1",
        "recording_url": link,
    }
    api = api_as(org.supervisor_a).post("/api/v1/interactions", body)
    assert api.status_code == 422
    assert api.json["error"]["details"][0]["field"] == "recording_url"
    content = (
        "agent,channel,occurred_at,external_ref,recording_url\n"
        f'a1@example.test,phone,2026-11-10 10:00,X-1,"{link}"\n'
    ).encode()
    upload = {"source": "import", "file": (io.BytesIO(content), "calls.csv")}
    imported = submit(supervisor, "/interactions/import", "/interactions/import", upload)
    assert "not an http(s) link" in imported.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Interaction.id))) == 0
        db.session.remove()


def test_quotes_in_a_recording_link_stay_inside_its_href(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    """An http link with quotes and tags is stored, and its href attribute is not broken."""
    link = 'https://example.test/a"onmouseover="alert(1)"><script>alert(1)</script>'
    supervisor = sign_in_as(org.supervisor_a)
    data = {
        "agent_id": org.agent_a1.id,
        "channel": "phone",
        "occurred_at": "2026-11-10T10:00",
        "recording_url": link,
    }
    page = supervisor.get(
        stored(submit(supervisor, "/interactions/new", "/interactions/new", data))
    )
    text = page.get_data(as_text=True)
    assert f'href="{escape(link)}"' in text
    assert "<script>alert(1)" not in text and '"onmouseover="' not in text


def test_a_nul_character_in_a_form_is_refused_clearly_and_stores_nothing(
    app: Flask, org: Organisation, records: dict[str, int], sign_in_as: Any
) -> None:
    """PostgreSQL's text cannot hold U+0000: a pasted one was a 500 there (and silently
    stored on SQLite). It is refused with a message, whatever the database."""
    agent = sign_in_as(org.agent_a1)
    path = f"/feedback/{records['released_id']}/dispute"

    response = submit(agent, path, path, {"reason": "I did\x00 greet."})

    assert response.status_code == 400
    assert "contains a NUL character" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM dispute")) == 1
        db.session.remove()


@pytest.mark.parametrize(
    "path",
    ["/admin/users?q=a%00b", "/scorecards/test%00call", "/interactions/?external_ref=%00"],
)
def test_a_nul_character_in_a_path_or_query_is_refused_clearly(
    org: Organisation, sign_in_as: Any, path: str
) -> None:
    """The same for what reaches a query through the address."""
    response = sign_in_as(org.admin).get(path)
    assert response.status_code == 400
    assert "contains a NUL character" in response.get_data(as_text=True)
