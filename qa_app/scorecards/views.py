"""Scorecard list, versions and TOML download; creating and archiving scorecards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.channels import CHANNEL_LABELS
from qa_app.extensions import db
from qa_app.scorecards import builder_views  # noqa: F401  (its routes join the blueprint)
from qa_app.scorecards.blueprint import bp
from qa_app.scorecards.definition import to_toml
from qa_app.scorecards.drafts import new_draft
from qa_app.scorecards.forms import KIND_LABELS, ScorecardSettingsForm
from qa_app.scorecards.lookup import EDITORS, READERS, scorecard_or_404
from qa_app.scorecards.models import Scorecard, ScorecardVersion
from qa_app.scorecards.services import set_archived
from qa_app.scorecards.texts import localized, localized_definition
from qa_app.web.forms import PostForm, required_data


@bp.app_template_filter("in_reader_language")
def in_reader_language(value: Any, default_language: str = "en") -> Any:
    """Templates: a scorecard definition (every text) or one text in the reader's language."""
    if isinstance(value, Mapping) and "sections" in value:
        return localized_definition(value)
    return localized(value, default_language)


def version_or_404(scorecard: Scorecard, number: int) -> ScorecardVersion:
    """One published version of a scorecard."""
    return db.first_or_404(
        sa.select(ScorecardVersion).where(
            ScorecardVersion.scorecard_id == scorecard.id, ScorecardVersion.number == number
        )
    )


@bp.route("/")
@role_required(*READERS)
def index() -> ResponseReturnValue:
    """Every scorecard with its latest version and whether a draft is open."""
    latest = (
        sa.select(
            ScorecardVersion.scorecard_id,
            sa.func.max(ScorecardVersion.number).label("number"),
            sa.func.max(ScorecardVersion.published_at).label("published_at"),
        )
        .group_by(ScorecardVersion.scorecard_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Scorecard, latest.c.number, latest.c.published_at)
        .outerjoin(latest, latest.c.scorecard_id == Scorecard.id)
        .order_by(Scorecard.status, Scorecard.name)
    ).all()
    return render_template("scorecards/index.html", rows=rows, can_edit=_can_edit())


def _can_edit() -> bool:
    return current_user.role in EDITORS


@bp.route("/new", methods=["GET", "POST"])
@role_required(*EDITORS)
def create() -> ResponseReturnValue:
    """Start a new scorecard as a draft in the builder."""
    form = ScorecardSettingsForm(creating=True)
    if form.validate_on_submit():
        scorecard = Scorecard(slug=form.slug.data, name=form.name.data)
        scorecard.draft = new_draft(
            required_data(form.name.data),
            required_data(form.slug.data),
            required_data(form.channels.data),
            required_data(form.pass_mark.data),
            form.description.data or "",
        )
        scorecard.draft_revision = 1
        db.session.add(scorecard)
        db.session.commit()
        flash(_("Draft created. Add sections and criteria, then publish."), "success")
        return redirect(url_for("scorecards.draft", slug=scorecard.slug))
    return render_template("scorecards/settings.html", form=form, scorecard=None)


@bp.route("/<slug>")
@role_required(*READERS)
def detail(slug: str) -> ResponseReturnValue:
    """A scorecard's versions, its draft and the actions on it."""
    scorecard = scorecard_or_404(slug)
    versions = list(reversed(scorecard.versions))
    return render_template(
        "scorecards/detail.html",
        scorecard=scorecard,
        versions=versions,
        can_edit=_can_edit(),
        post_form=PostForm(),
    )


@bp.route("/<slug>/versions/<int:number>")
@role_required(*READERS)
def version(slug: str, number: int) -> ResponseReturnValue:
    """A published version, shown as supervisors see the form, with its guidance."""
    scorecard = scorecard_or_404(slug)
    published = version_or_404(scorecard, number)
    return render_template(
        "scorecards/version.html",
        scorecard=scorecard,
        version=published,
        definition=published.definition,
        kind_labels=KIND_LABELS,
        channel_labels=CHANNEL_LABELS,
    )


@bp.route("/<slug>/versions/<int:number>/download")
@role_required(*READERS)
def download(slug: str, number: int) -> ResponseReturnValue:
    """The version as a scorecard file that `scorecards sync` accepts unchanged."""
    scorecard = scorecard_or_404(slug)
    published = version_or_404(scorecard, number)
    header = (
        f"Scorecard {published.name!r}, version {published.number}, published "
        f"{format_datetime(published.published_at, 'yyyy-MM-dd HH:mm')}.\n"
        "Keep it as scorecards/{0}.toml and run `flask --app run scorecards sync`.".format(
            scorecard.slug
        )
    )
    body = to_toml(published.definition, header=header)
    # The slug is [a-z0-9-] only, so the file name needs no further escaping.
    return Response(
        body,
        mimetype="application/toml",
        headers={"Content-Disposition": f'attachment; filename="{scorecard.slug}.toml"'},
    )


@bp.route("/<slug>/archive", methods=["POST"])
@role_required(*EDITORS)
def archive(slug: str) -> ResponseReturnValue:
    """Archive a scorecard (archived=1) or bring it back (archived=0)."""
    scorecard = scorecard_or_404(slug)
    value = request.form.get("archived")
    if value not in ("0", "1"):
        abort(400)
    set_archived(scorecard, value == "1")
    db.session.commit()
    if value == "1":
        flash(_("%(name)s is archived: no new evaluations use it.", name=scorecard.name), "info")
    else:
        flash(_("%(name)s is active again.", name=scorecard.name), "success")
    return redirect(url_for("scorecards.detail", slug=slug))
