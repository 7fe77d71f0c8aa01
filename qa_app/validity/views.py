"""The criterion validity page: do our criteria matter to customers?"""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import Role
from qa_app.stats.filter_form import read_dashboard_form
from qa_app.validity.blueprint import bp
from qa_app.validity.relations import Flag
from qa_app.validity.report import reading_notes, validity_report

# As the team dashboard: managers and admins see the centre, supervisors their own teams.
READERS = (Role.ADMIN, Role.MANAGER, Role.SUPERVISOR)


@bp.route("/")
@role_required(*READERS)
def index() -> ResponseReturnValue:
    """Each criterion against the customer outcomes, flagged over all of them at once, and
    the QA score's correlation with CSAT and FCR per team, within the filters."""
    form, valid = read_dashboard_form(request.args, current_user)
    filters = form.filters(current_user)
    report = validity_report(filters)
    return render_template(
        "validity/index.html",
        form=form,
        filters=filters,
        report=report,
        notes=reading_notes(report),
        flags=Flag,
    ), (200 if valid else 400)
