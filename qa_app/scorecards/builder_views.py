"""The web builder: edit a scorecard's draft, preview it, publish it as a new version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.channels import CHANNEL_LABELS
from qa_app.extensions import db
from qa_app.scorecards import drafts as draft_ops
from qa_app.scorecards.blueprint import bp
from qa_app.scorecards.definition import DefinitionError, check_criterion, validate_definition
from qa_app.scorecards.forms import (
    KIND_LABELS,
    CriterionForm,
    DraftSettingsForm,
    MoveForm,
    RevisionForm,
    SectionForm,
)
from qa_app.scorecards.lookup import EDITORS, scorecard_or_404
from qa_app.scorecards.models import Scorecard
from qa_app.scorecards.problems import DraftProblem, describe
from qa_app.scorecards.texts import definition_language, localized
from qa_app.scorecards.training_modules import known_module_keys
from qa_app.web.forms import required_data
from qa_app.web.transaction import committing


def _draft_or_redirect(slug: str) -> Scorecard:
    scorecard = scorecard_or_404(slug)
    if scorecard.draft is None:
        abort(404)
    return scorecard


def _to_draft(scorecard: Scorecard) -> ResponseReturnValue:
    return redirect(url_for("scorecards.draft", slug=scorecard.slug))


def _apply(
    scorecard: Scorecard, revision: int, edit: Callable[[dict[str, Any]], None], done: str
) -> ResponseReturnValue | None:
    """Apply an edit; on success commit and go back to the draft, else return None."""
    try:
        with committing(done) as outcome:
            draft_ops.change_draft(scorecard, revision, edit)
    except draft_ops.DraftConflict:  # already rolled back, like the IndexError below
        flash(
            _(
                "Someone else changed this draft since you opened it, so your change was not "
                "saved. This is the current draft."
            ),
            "warning",
        )
        return _to_draft(scorecard)
    except IndexError:
        abort(404)
    return _to_draft(scorecard) if outcome.saved else None


@bp.route("/<slug>/draft/start", methods=["POST"])
@role_required(*EDITORS)
def start_draft(slug: str) -> ResponseReturnValue:
    """Open a draft copy of the latest version for editing."""
    scorecard = scorecard_or_404(slug)
    draft_ops.start_draft(scorecard)
    db.session.commit()
    return _to_draft(scorecard)


@bp.route("/<slug>/draft")
@role_required(*EDITORS)
def draft(slug: str) -> ResponseReturnValue:
    """The draft: settings, sections and criteria with their actions."""
    scorecard = _draft_or_redirect(slug)
    draft = scorecard.draft or {}
    problems: list[tuple[DraftProblem, str]] = []
    try:
        validate_definition(draft, known_modules=known_module_keys())
    except DefinitionError as error:
        for problem in error.problems:
            described = describe(problem, draft)
            problems.append((described, _fixed_at(scorecard, described)))
    return render_template(
        "scorecards/draft.html",
        scorecard=scorecard,
        draft=scorecard.draft,
        problems=problems,
        form=RevisionForm(revision=scorecard.draft_revision),
        kind_labels=KIND_LABELS,
        channel_labels=CHANNEL_LABELS,
        locked=draft_ops.published_keys(scorecard),
    )


def _fixed_at(scorecard: Scorecard, problem: DraftProblem) -> str:
    """The builder page where a problem is fixed."""
    slug = scorecard.slug
    if problem.section is None:
        if problem.settings:
            return url_for("scorecards.draft_settings", slug=slug)
        return url_for("scorecards.new_section", slug=slug)
    if problem.criterion is not None:
        return url_for(
            "scorecards.edit_criterion",
            slug=slug,
            section=problem.section,
            criterion=problem.criterion,
        )
    criteria = (scorecard.draft or {})["sections"][problem.section].get("criteria")
    endpoint = "scorecards.edit_section" if criteria else "scorecards.new_criterion"
    return url_for(endpoint, slug=slug, section=problem.section)


@bp.route("/<slug>/draft/settings", methods=["GET", "POST"])
@role_required(*EDITORS)
def draft_settings(slug: str) -> ResponseReturnValue:
    """Name, description, channels and pass mark of the draft."""
    scorecard = _draft_or_redirect(slug)
    current = scorecard.draft or {}
    form = DraftSettingsForm()
    form.language = definition_language(current)
    if request.method == "GET":
        form.process(
            data={
                "channels": current.get("channels", []),
                "pass_mark": current.get("pass_mark"),
                "revision": scorecard.draft_revision,
            }
        )
        form.load_text("name", current.get("name"))
        form.load_text("description", current.get("description", ""))
    if form.validate_on_submit():
        response = _apply(
            scorecard,
            form.revision_number,
            lambda d: draft_ops.update_settings(
                d,
                name=form.text("name"),
                channels=required_data(form.channels.data),
                pass_mark=required_data(form.pass_mark.data),
                description=form.text("description"),
            ),
            _("Settings saved."),
        )
        if response:
            return response
    return render_template("scorecards/settings.html", form=form, scorecard=scorecard)


@bp.route("/<slug>/draft/sections/new", methods=["GET", "POST"], endpoint="new_section")
@bp.route("/<slug>/draft/sections/<int:section>", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_section(slug: str, section: int | None = None) -> ResponseReturnValue:
    """Add a section or change its title and weight."""
    scorecard = _draft_or_redirect(slug)
    sections = (scorecard.draft or {}).get("sections", [])
    if section is not None and section >= len(sections):
        abort(404)
    form = SectionForm()
    form.language = definition_language(scorecard.draft or {})
    if request.method == "GET":
        form.revision.data = str(scorecard.draft_revision)
        if section is not None:
            form.load_text("title", sections[section]["title"])
            form.weight.data = sections[section].get("weight")
    if form.validate_on_submit():
        response = _apply(
            scorecard,
            form.revision_number,
            lambda d: draft_ops.save_section(d, section, form.text("title"), form.weight.data),
            _("Section saved."),
        )
        if response:
            return response
    return render_template(
        "scorecards/section_form.html", form=form, scorecard=scorecard, section=section
    )


@bp.route(
    "/<slug>/draft/sections/<int:section>/criteria/new",
    methods=["GET", "POST"],
    endpoint="new_criterion",
)
@bp.route("/<slug>/draft/sections/<int:section>/criteria/<int:criterion>", methods=["GET", "POST"])
@role_required(*EDITORS)
def edit_criterion(slug: str, section: int, criterion: int | None = None) -> ResponseReturnValue:
    """Add a criterion to a section or change one."""
    scorecard = _draft_or_redirect(slug)
    sections = (scorecard.draft or {}).get("sections", [])
    if section >= len(sections) or (
        criterion is not None and criterion >= len(sections[section]["criteria"])
    ):
        abort(404)
    locked = draft_ops.published_keys(scorecard)
    existing = sections[section]["criteria"][criterion] if criterion is not None else None
    form = CriterionForm()
    form.language = definition_language(scorecard.draft or {})
    if request.method == "GET":
        form.revision.data = str(scorecard.draft_revision)
        if existing:
            form.load(existing)
            # What stops publishing (a module the catalogue no longer has …) shows at once.
            form.show_problems(check_criterion(existing, known_module_keys(), form.language)[1])
    key_locked = bool(existing and existing["key"] in locked)
    if key_locked:
        form.key.render_kw = {"readonly": True}
    if form.validate_on_submit():
        response = _apply(
            scorecard,
            form.revision_number,
            lambda d: draft_ops.save_criterion(d, section, criterion, form.canonical, locked),
            _("Criterion saved."),
        )
        if response:
            return response
    return render_template(
        "scorecards/criterion_form.html",
        form=form,
        scorecard=scorecard,
        section=section,
        section_title=localized(sections[section]["title"], form.language),
        criterion=criterion,
        key_locked=key_locked,
    )


@bp.route("/<slug>/draft/move", methods=["POST"])
@role_required(*EDITORS)
def move(slug: str) -> ResponseReturnValue:
    """Move a section or criterion one place up (offset -1) or down (+1)."""
    scorecard = _draft_or_redirect(slug)
    form = MoveForm()
    if not form.validate_on_submit() or form.offset.data is None:
        abort(400)
    return _apply(
        scorecard,
        form.revision_number,
        lambda d: draft_ops.move(
            d,
            required_data(form.section.data),
            form.criterion.data,
            required_data(form.offset.data),
        ),
        _("Moved."),
    ) or abort(400)


@bp.route("/<slug>/draft/remove", methods=["POST"])
@role_required(*EDITORS)
def remove(slug: str) -> ResponseReturnValue:
    """Delete a section (with its criteria) or a criterion from the draft."""
    scorecard = _draft_or_redirect(slug)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    return _apply(
        scorecard,
        form.revision_number,
        lambda d: draft_ops.remove(d, required_data(form.section.data), form.criterion.data),
        _("Removed."),
    ) or abort(400)


@bp.route("/<slug>/draft/preview")
@role_required(*EDITORS)
def preview(slug: str) -> ResponseReturnValue:
    """The draft as the evaluation form supervisors will fill in."""
    scorecard = _draft_or_redirect(slug)
    return render_template(
        "scorecards/preview.html",
        scorecard=scorecard,
        definition=scorecard.draft,
        kind_labels=KIND_LABELS,
    )


@bp.route("/<slug>/draft/publish", methods=["POST"])
@role_required(*EDITORS)
def publish(slug: str) -> ResponseReturnValue:
    """Check the draft like a scorecard file and publish it as a new immutable version."""
    scorecard = _draft_or_redirect(slug)
    form = RevisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = draft_ops.publish_draft(scorecard, form.revision_number, current_user.id)
    except draft_ops.DraftConflict:
        db.session.rollback()
        flash(
            _("Someone else changed this draft since you opened it. Check it and publish again."),
            "warning",
        )
        return _to_draft(scorecard)
    except DefinitionError:
        db.session.rollback()
        flash(_("The draft cannot be published yet; fix the problems listed below."), "danger")
        return _to_draft(scorecard)
    db.session.commit()
    if version is None:
        flash(_("The draft is identical to the latest version; nothing was published."), "info")
    else:
        flash(_("Published version %(n)d.", n=version.number), "success")
    return redirect(url_for("scorecards.detail", slug=slug))


@bp.route("/<slug>/draft/discard", methods=["POST"])
@role_required(*EDITORS)
def discard(slug: str) -> ResponseReturnValue:
    """Throw the draft away; published versions are untouched."""
    scorecard = _draft_or_redirect(slug)
    form = RevisionForm()
    if not form.validate_on_submit():
        abort(400)
    if form.revision_number != scorecard.draft_revision:
        flash(
            _(
                "Someone else changed this draft since you opened it, so it was not discarded. "
                "This is the current draft."
            ),
            "warning",
        )
        return _to_draft(scorecard)
    still_exists = draft_ops.discard_draft(scorecard)
    db.session.commit()
    flash(_("Draft discarded."), "info")
    if not still_exists:
        return redirect(url_for("scorecards.index"))
    return redirect(url_for("scorecards.detail", slug=slug))
