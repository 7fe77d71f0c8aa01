"""The audit trail browser (GET, filtered and paged in the database) and its export (POST:
the download is audited itself)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import IO

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_timezone, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.audit_trail.blueprint import bp
from qa_app.audit_trail.forms import AuditExportForm, AuditFilterForm
from qa_app.audit_trail.services import (
    AuditFilters,
    AuditRow,
    audit_query,
    count_events,
    describe_events,
    export_rows,
    record_audit_export,
)
from qa_app.auth.access import role_required
from qa_app.auth.models import Role
from qa_app.exports.audit_workbook import AuditSheetRow, write_audit_workbook
from qa_app.exports.download_names import download_name
from qa_app.exports.scratch import export_directory
from qa_app.exports.services import workbook_language
from qa_app.exports.views import send_workbook
from qa_app.extensions import db
from qa_app.stats.filters import default_start
from qa_app.web.params import int_arg

READERS = (Role.ADMIN, Role.MANAGER)
PER_PAGE = 50
# A sheet holds 1,048,576 rows, the header one of them.
MAX_EXPORT_ROWS = 1_048_575
# The page of each kind of record, and the roles that may open it from here.
RECORD_PAGES = {
    "evaluation": ("evaluations.history", "evaluation_id", READERS),
    "training_plan": ("training.detail", "plan_id", (Role.MANAGER,)),
    "coaching_session": ("coaching.detail", "session_id", (Role.MANAGER,)),
    "user": ("admin.edit_user", "user_id", (Role.ADMIN,)),
    "team": ("teams.edit", "team_id", (Role.ADMIN,)),
}


@bp.route("/")
@role_required(*READERS)
def index() -> ResponseReturnValue:
    """Every recorded change, newest first, filtered by person, record, action and period."""
    form = AuditFilterForm(request.args)
    if not request.args:  # the last 90 days, as on the other reports
        today = datetime.now(get_timezone()).date()
        form.start.data, form.end.data = default_start(today), today
    elif not form.validate():
        return _page(form, AuditFilters(), 400)
    return _page(form, _filters(form))


@bp.route("/export", methods=["POST"])
@role_required(*READERS)
def export() -> ResponseReturnValue:
    """The events the filters choose, as a workbook; the export is audited."""
    form = AuditExportForm()
    if not form.validate_on_submit():
        return _page(form, AuditFilters(), 400)
    filters = _filters(form)
    tz, locale = get_timezone(), str(get_locale())
    total = count_events(filters, tz)
    if total > MAX_EXPORT_ROWS:
        form.start.errors = [
            ngettext(
                "%(num)d change matches: more than a sheet holds. Choose a shorter period.",
                "%(num)d changes match: more than a sheet holds. Choose a shorter period.",
                total,
            )
        ]
        return _page(form, filters, 400)
    name = download_name("qa-audit-trail", *filters.as_args().values())
    return send_workbook(
        lambda out: _write(out, filters, tz, locale),
        name,
        lambda rows: record_audit_export(filters, sum(rows.values())),
    )


def _write(out: IO[bytes], filters: AuditFilters, tz: tzinfo, locale: str) -> dict[str, int]:
    """The workbook of the events the filters choose, its sheets' files in a private
    directory."""
    with export_directory(current_app.config["SCRATCH_DIR"]) as scratch:
        return write_audit_workbook(
            out,
            (_sheet_row(row, tz) for row in export_rows(filters, tz, locale)),
            scratch=scratch,
            description=_("Audit trail exported by %(name)s", name=current_user.display_name),
            language=workbook_language(),
        )


def _filters(form: AuditFilterForm) -> AuditFilters:
    return AuditFilters(
        actor_id=form.actor_id.data or None,
        entity_type=form.entity_type.data or None,
        entity_id=form.entity_id.data,
        action=form.action.data or None,
        start=form.start.data,
        end=form.end.data,
    )


def _page(form: AuditFilterForm, filters: AuditFilters, status: int = 200) -> ResponseReturnValue:
    """The browser: the filter form, one page of events, and the export button."""
    page = db.paginate(
        audit_query(filters, get_timezone()),
        page=int_arg("page") or 1,
        per_page=PER_PAGE,
        error_out=False,
    )
    rows = describe_events(list(page.items), str(get_locale()))
    return render_template(
        "audit_trail/index.html",
        form=form,
        page=page,
        rows=rows,
        export_args=filters.as_args(),
        export_form=AuditExportForm(formdata=None),
        record_pages={
            kind: (endpoint, name)
            for kind, (endpoint, name, roles) in RECORD_PAGES.items()
            if current_user.role in roles
        },
        show_address=_shows_address(),
    ), status


def _shows_address() -> bool:
    """Network addresses are for administrators (they look into sign-in trouble)."""
    return bool(current_user.role == Role.ADMIN)


def _sheet_row(row: AuditRow, tz: tzinfo) -> AuditSheetRow:
    return AuditSheetRow(
        row.occurred_at.astimezone(tz).replace(tzinfo=None),  # Excel has no time zones
        row.actor or _("system"),
        row.action,
        row.record,
        row.entity_id,
        "\n".join(line.text for line in row.lines),
        row.ip_address if _shows_address() else None,
    )
