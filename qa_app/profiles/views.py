"""Import profiles: the list, the editor (from a sample file or a saved profile), saving,
downloading as a file for the command line, and deleting."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.profiles.blueprint import bp
from qa_app.profiles.editor import (
    Column,
    Editor,
    editor_for_file,
    editor_for_profile,
    kinds_for,
)
from qa_app.profiles.forms import (
    KIND_LABELS,
    ProfileForm,
    SampleFileForm,
    editor_context,
    read_channels,
)
from qa_app.profiles.models import ImportProfile
from qa_app.profiles.services import (
    ProfileError,
    delete_profile,
    profile_definition,
    profile_toml,
    save_profile,
    saved_profiles,
)
from qa_app.uploads.fields import FIELD_ALIASES, KINDS, Kind
from qa_app.uploads.presets import PresetError
from qa_app.web.forms import required_data, to_choices

IMPORT_PAGES: dict[Kind, str] = {
    "statistics": "stats.import",
    "interactions": "interactions.import",
}
USERS = (Role.ADMIN, Role.MANAGER, Role.SUPERVISOR)


def _kind(value: str | None) -> Kind:
    """A kind the signed-in user may work with (400 for no kind, 403 for another's)."""
    kind = next((kind for kind in KINDS if kind == value), None)
    if kind is None:
        abort(400)
    if kind not in kinds_for(current_user.role):
        abort(403)
    return kind


def _profile(profile_id: int) -> ImportProfile:
    row = db.get_or_404(ImportProfile, profile_id)
    _kind(row.kind)
    return row


def render_editor(editor: Editor, form: ProfileForm | None = None) -> str:
    """The editor page for `editor` (a form filled from it unless one is given)."""
    return render_template("profiles/edit.html", **editor_context(editor, form))


@bp.route("/")
@role_required(*USERS)
def index() -> ResponseReturnValue:
    """The saved profiles the user may manage, and a sample upload to make one."""
    return _index_page(SampleFileForm())


def _index_page(form: SampleFileForm) -> str:
    kinds = kinds_for(current_user.role)
    form.kind.choices = to_choices((kind, KIND_LABELS[kind]) for kind in kinds)
    profiles = [row for row in saved_profiles() if row.kind in kinds]
    return render_template("profiles/index.html", profiles=profiles, form=form)


@bp.route("/sample", methods=["POST"])
@role_required(*USERS)
def sample() -> ResponseReturnValue:
    """The editor for an uploaded sample file."""
    form = SampleFileForm()
    form.kind.choices = to_choices(KIND_LABELS.items())
    if not form.validate_on_submit():
        return _index_page(form), 400
    kind = _kind(form.kind.data)
    upload = form.file.data
    editor = editor_for_file(
        kind,
        required_data(form.source.data),
        upload.read(),
        upload.filename or "upload.csv",
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        max_rows=current_app.config["STATS_MAX_ROWS"],
    )
    if editor is None:
        form.file.errors = [
            _("No header row was found in the file; check that it is a table export.")
        ]
        return _index_page(form), 400
    return render_editor(editor)


@bp.route("/<int:profile_id>")
@role_required(*USERS)
def edit(profile_id: int) -> ResponseReturnValue:
    """The editor for a saved profile."""
    return render_editor(editor_for_profile(_profile(profile_id)))


@bp.route("/save", methods=["POST"])
@role_required(*USERS)
def save() -> ResponseReturnValue:
    """Save the editor's choices as the source's profile; the form again with what is wrong."""
    form = ProfileForm()
    kind = _kind(form.kind.data)
    valid = form.validate_on_submit()
    if form.headers.errors:
        abort(400)  # not a header row this page made
    headers = form.header_list()
    fields = request.form.getlist("field")
    if len(fields) != len(headers) or not set(fields) <= {"", *FIELD_ALIASES[kind]}:
        abort(400)  # a select the page does not offer, or not one per column
    if valid:
        source = required_data(form.source.data)
        try:
            definition = profile_definition(
                kind,
                headers,
                fields,
                date_order=form.date_order.data or None,
                timezone=form.timezone.data or None,
                duration_unit=form.duration_unit.data or None,
                channels=read_channels(form.channels.data or ""),
            )
            save_profile(kind, source, definition, current_user)
        except (ProfileError, PresetError) as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            message = _(
                "Import profile for %(source)s saved: upload the file again to import it.",
                source=source,
            )
            flash(message, "success")
            return redirect(url_for(IMPORT_PAGES[kind], source=source))
    columns = [Column(header, field) for header, field in zip(headers, fields, strict=True)]
    return render_editor(Editor(kind, form.source.data or "", columns), form), 400


@bp.route("/<int:profile_id>/profile.toml")
@role_required(*USERS)
def download(profile_id: int) -> ResponseReturnValue:
    """The profile as a file for `--profile FILE`."""
    row = _profile(profile_id)
    return Response(
        profile_toml(row),
        mimetype="application/toml",
        headers={
            "Content-Disposition": f'attachment; filename="{row.kind}-{row.source}.toml"'.replace(
                " ", "_"
            )
        },
    )


@bp.route("/<int:profile_id>/delete", methods=["POST"])
@role_required(*USERS)
def delete(profile_id: int) -> ResponseReturnValue:
    """Delete a profile: the source's files are read as before it again."""
    row = _profile(profile_id)
    source = row.source
    delete_profile(row, current_user)
    db.session.commit()
    flash(_("Import profile for %(source)s deleted.", source=source), "success")
    return redirect(url_for("profiles.index"))
