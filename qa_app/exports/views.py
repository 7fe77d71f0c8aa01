"""Excel exports from the web: the evaluations workbook and an agent's feedback workbook.

Both pages show their form on GET and answer a valid POST with the workbook (POST because
the download writes an audit event). The workbook is built in an anonymous temporary file
(openpyxl's write-only sheets keep their rows on disk too), so memory stays flat; the file
is then sent in chunks and deleted when the response is closed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_file,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from qa_app.audit.services import record_event
from qa_app.auth.access import role_required
from qa_app.auth.models import Role, User
from qa_app.calibration.selection import calibrated_scorecards
from qa_app.calibration.services import can_organise
from qa_app.database import snapshot_read
from qa_app.exports.blueprint import bp
from qa_app.exports.calibration_export import (
    CalibrationFilters,
    export_audit,
    export_calibration,
)
from qa_app.exports.calibration_workbook import (
    AGREEMENT,
    CALIBRATION,
    CALIBRATION_SHEETS,
    PARTICIPANTS,
    SESSIONS,
)
from qa_app.exports.download_names import download_name
from qa_app.exports.feedback_workbook import FEEDBACK_SHEETS, OVERVIEW
from qa_app.exports.forms import (
    CalibrationExportForm,
    ExportForm,
    FeedbackForm,
    PeriodForm,
    ValidityExportForm,
    WorkbookLanguageForm,
)
from qa_app.exports.jobs import (
    EVALUATIONS_WORKBOOK,
    FEEDBACK_WORKBOOK,
    filter_params,
    runs_as_job,
)
from qa_app.exports.queries import count_evaluations
from qa_app.exports.services import (
    export_evaluations,
    export_feedback,
    export_validity,
    feedback_filters,
    record_export,
    workbook_language,
)
from qa_app.exports.training_sheet import TRAINING
from qa_app.exports.validity_workbook import CRITERIA_OUTCOMES, SCORE_OUTCOMES, VALIDITY_SHEETS
from qa_app.exports.workbook import (
    ANSWERS,
    CHART,
    CRITERIA,
    EVALUATIONS,
    EVALUATIONS_SHEETS,
    SUMMARY,
)
from qa_app.extensions import db
from qa_app.i18n import supported_languages
from qa_app.jobs.handover import hand_over
from qa_app.jobs.services import start_job
from qa_app.scorecards.models import Scorecard
from qa_app.stats.filter_form import set_filter_choices
from qa_app.stats.filters import ReportFilters, default_start, scope_of
from qa_app.teams.scope import agents_visible_to, can_see_agent
from qa_app.web.forms import required_data, to_choices
from qa_app.web.params import int_arg

EXPORTERS = (Role.ADMIN, Role.MANAGER, Role.SUPERVISOR)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What each sheet holds, as the pages describe it. Which sheets, and in what order, comes
# from the writers (which refuse to save any other list), so the pages name what is there.
EVALUATIONS_SHEET_TEXTS = {
    SUMMARY: _l("one row per agent: QA average with its interval (95%), pass rate, KPIs"),
    EVALUATIONS: _l("one row per evaluation, one column per criterion"),
    ANSWERS: _l("one row per answer, for analysis in other tools"),
    CRITERIA: _l("the average per team and criterion, and the number of answers behind it"),
    TRAINING: _l("the training plans active in the period, one row per item"),
    CHART: _l("each agent's QA average as a bar chart, printed on a page of its own"),
}
FEEDBACK_SHEET_TEXTS = {
    OVERVIEW: _l("the agent's figures for the period, and each KPI against team and target"),
    EVALUATIONS: _l("the agent's released evaluations, one column per criterion"),
    ANSWERS: _l("every answer and its comment"),
    CRITERIA: _l("the agent's average per criterion beside the team's, weakest first"),
    CHART: _l("those averages as a bar chart, printed on a page of its own"),
}
CALIBRATION_SHEET_TEXTS = {
    SESSIONS: _l("one row per session: closed, scorecard version, benchmark, participants"),
    CALIBRATION: _l(
        "each participant's answer per interaction and criterion beside the benchmark, the "
        "deviation in points and whether it is within the tolerance; an overall row per "
        "interaction"
    ),
    PARTICIPANTS: _l(
        "per session and participant: alignment, share within the tolerance, "
        "critical-fail agreement, score deviation"
    ),
    AGREEMENT: _l(
        "Krippendorff's alpha per criterion and for the overall score, with its "
        "interval (95%) and the percent agreement"
    ),
}

VALIDITY_SHEET_TEXTS = {
    CRITERIA_OUTCOMES: _l(
        "each criterion against CSAT, first-contact resolution and repeat contacts: the rates "
        "when met and not met, the difference with its interval (95%), the p-value and the "
        "verdict"
    ),
    SCORE_OUTCOMES: _l("the QA score's correlation with CSAT and FCR per team, with intervals"),
}


@bp.context_processor
def export_tabs() -> dict[str, object]:
    """Whether the Calibration workbook tab shows (managers and QA leads)."""
    return {"can_export_calibration": current_user.is_authenticated and can_organise(current_user)}


def sheet_list(sheets: Sequence[str], texts: Mapping[str, object]) -> list[tuple[str, str]]:
    """Each sheet of a workbook, in order, named in the page's language, with what it
    holds."""
    titles = workbook_language().sheet_titles(sheets)
    return [(title, str(texts[name])) for title, name in zip(titles, sheets, strict=True)]


@bp.route("/", methods=["GET", "POST"])
@role_required(*EXPORTERS)
def index() -> ResponseReturnValue:
    """The evaluations workbook: choose the filters, then download it."""
    form = _export_form()
    if form.validate_on_submit():
        filters = _export_filters(form, form.agent_id.data or None)
        language = form.language.data
        total = count_evaluations(filters)
        if runs_as_job(total):
            return start_export_job(
                EVALUATIONS_WORKBOOK, {"filters": filter_params(filters)}, total, language
            )
        return send_workbook(
            lambda out: export_evaluations(filters, out, language=language),
            download_name("qa-evaluations", filters.start.isoformat(), filters.end.isoformat()),
            lambda rows: record_export("export.evaluations", filters, rows, via="web"),
        )
    sheets = sheet_list(EVALUATIONS_SHEETS, EVALUATIONS_SHEET_TEXTS)
    page = render_template("exports/index.html", form=form, sheets=sheets)
    return page, 400 if form.errors else 200


@bp.route("/feedback", methods=["GET", "POST"])
@role_required(*EXPORTERS)
def feedback() -> ResponseReturnValue:
    """An agent's feedback workbook for a period, to hand to the agent."""
    form = FeedbackForm()
    form.agent_id.choices = to_choices(_agent_choices())
    if request.method == "GET":
        form.agent_id.data = int_arg("agent")
    _default_period(form)
    _language_choices(form)
    if form.validate_on_submit():
        agent = db.session.get(User, form.agent_id.data)
        if agent is None or not can_see_agent(current_user, agent.id):
            abort(404)
        filters = ReportFilters(
            required_data(form.start.data),
            required_data(form.end.data),
            get_timezone(),
            scope=scope_of(current_user),
        )
        language = form.language.data
        total = count_evaluations(feedback_filters(agent, filters))
        if runs_as_job(total):
            params = {"filters": filter_params(filters), "agent_id": agent.id}
            return start_export_job(FEEDBACK_WORKBOOK, params, total, language)
        name = download_name(
            "qa-feedback", agent.display_name, filters.start.isoformat(), filters.end.isoformat()
        )
        return send_workbook(
            lambda out: export_feedback(agent, filters, out, language=language),
            name,
            lambda rows: record_export(
                "export.feedback",
                feedback_filters(agent, filters),
                rows,
                via="web",
                entity=("user", agent.id),
            ),
        )
    sheets = sheet_list(FEEDBACK_SHEETS, FEEDBACK_SHEET_TEXTS)
    page = render_template("exports/feedback.html", form=form, sheets=sheets)
    return page, 400 if form.errors else 200


@bp.route("/validity", methods=["GET", "POST"])
@role_required(*EXPORTERS)
def validity() -> ResponseReturnValue:
    """The criterion validity workbook: the figures of the criterion validity page."""
    form = ValidityExportForm()
    set_filter_choices(form, current_user)
    _default_period(form)
    _language_choices(form)
    if form.validate_on_submit():
        filters = _export_filters(form)
        language = form.language.data
        return send_workbook(
            lambda out: export_validity(filters, out, language=language),
            download_name("qa-criterion-validity", filters.start.isoformat(),
                          filters.end.isoformat()),
            lambda rows: record_export("export.validity", filters, rows, via="web"),
        )  # fmt: skip
    sheets = sheet_list(VALIDITY_SHEETS, VALIDITY_SHEET_TEXTS)
    page = render_template("exports/validity.html", form=form, sheets=sheets)
    return page, 400 if form.errors else 200


@bp.route("/calibration", methods=["GET", "POST"])
@role_required(Role.MANAGER, Role.SUPERVISOR)
def calibration() -> ResponseReturnValue:
    """The calibration workbook (managers: every session; QA leads: the sessions they
    organised or took part in)."""
    if not can_organise(current_user):
        abort(403)
    form = CalibrationExportForm()
    form.scorecard.choices = to_choices(
        [
            ("", _("All scorecards")),
            *((str(card.id), card.name) for card in calibrated_scorecards()),
        ]
    )
    _default_period(form)
    _language_choices(form)
    if form.validate_on_submit():
        filters = CalibrationFilters(
            required_data(form.start.data),
            required_data(form.end.data),
            get_timezone(),
            scorecard_id=int(form.scorecard.data) if form.scorecard.data else None,
            reader=current_user,
        )
        language = form.language.data
        return send_workbook(
            lambda out: export_calibration(filters, out, language=language),
            download_name("qa-calibration", str(filters.start), str(filters.end)),
            lambda rows: record_event(
                "export.calibration", "export", None, after=export_audit(filters, rows, "web")
            ),
        )
    sheets = sheet_list(CALIBRATION_SHEETS, CALIBRATION_SHEET_TEXTS)
    page = render_template("exports/calibration.html", form=form, sheets=sheets)
    return page, 400 if form.errors else 200


def _export_form() -> ExportForm:
    """The form with the teams, agents, scorecards and channels the user may choose."""
    form = ExportForm()
    set_filter_choices(form, current_user)
    form.agent_id.choices = to_choices([(0, _("All agents")), *_agent_choices()])
    _default_period(form)
    _language_choices(form)
    return form


def _export_filters(
    form: ExportForm | ValidityExportForm, agent_id: int | None = None
) -> ReportFilters:
    """The filters chosen, within the user's scope ("all" is None)."""
    scorecard_id = db.session.scalar(
        sa.select(Scorecard.id).where(Scorecard.slug == form.scorecard.data)
    )
    return ReportFilters(
        required_data(form.start.data),
        required_data(form.end.data),
        get_timezone(),
        team_id=form.team_id.data or None,
        agent_id=agent_id,
        scorecard_id=scorecard_id,
        channel=form.channel.data or None,
        scope=scope_of(current_user),
    )


def _agent_choices() -> list[tuple[int, str]]:
    agents = db.session.execute(
        agents_visible_to(current_user).with_only_columns(User.id, User.display_name, User.email)
    )
    return [(agent_id, f"{name} ({email})") for agent_id, name, email in agents]


def _default_period(form: PeriodForm) -> None:
    """The last 90 days up to today, as on the agent page."""
    if request.method == "GET":
        today: date = datetime.now(get_timezone()).date()
        form.end.data = today
        form.start.data = default_start(today)


def _language_choices(form: WorkbookLanguageForm) -> None:
    """The languages a workbook can be written in; the user's own at first, and when a
    request does not say (a script posting the form as it was before it had a language)."""
    form.language.choices = to_choices(supported_languages())
    if not form.language.data:
        form.language.data = str(get_locale())


def start_export_job(
    kind: str, params: dict[str, Any], total: int, language: str | None
) -> ResponseReturnValue:
    """Queue the export as a job and show its page, which follows its progress."""
    job = start_job(kind, current_user, params, total=total, language=language or str(get_locale()))
    return hand_over(job)


def send_workbook(
    write: Callable[[IO[bytes]], dict[str, int]],
    name: str,
    audit: Callable[[dict[str, int]], object],
) -> Response:
    """Build the workbook in a temporary file from one snapshot, audit it, send it."""
    # Unlinked as soon as it is made, in the app's private directory: a killed worker leaves
    # nothing behind.
    handle = tempfile.TemporaryFile(  # noqa: SIM115 - closed by the response
        suffix=".xlsx", dir=current_app.config["SCRATCH_DIR"]
    )
    try:
        with snapshot_read(db.session):
            rows = write(handle)
        audit(rows)
        db.session.commit()
        size = os.fstat(handle.fileno()).st_size
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    response = send_file(
        handle,
        mimetype=XLSX,
        as_attachment=True,
        download_name=name,
        conditional=False,
        etag=False,
    )
    response.content_length = size
    return response
