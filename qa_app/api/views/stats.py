"""`POST /stats`: a batch of daily agent statistics, with the file import's rules."""

from __future__ import annotations

import sqlalchemy as sa
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.api import representations
from qa_app.api.auth import token_required
from qa_app.api.batches import MAX_STAT_ROWS, STAT_FIELDS, store_stats
from qa_app.api.blueprint import bp
from qa_app.api.errors import conflict, validation_error
from qa_app.api.params import date_order_param, flag_param, only_params
from qa_app.api.payloads import read_items, read_json_body
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.reader import TableError

# Who imports statistics on the web (stats.import) imports them here.
IMPORTERS = (Role.ADMIN, Role.MANAGER)


@bp.post("/stats")
@token_required(*IMPORTERS)
def post_stats() -> ResponseReturnValue:
    """Store daily rows, all or nothing (every problem listed with its item and field);
    an agent-day sent again replaces the stored one. `dry_run=true` only checks;
    `date_order` decides how slash dates are read."""
    only_params("dry_run", "date_order")
    dry_run = flag_param("dry_run")
    options = ReadOptions(day_first=date_order_param(), tz=get_timezone())
    items = read_items(read_json_body(), STAT_FIELDS, MAX_STAT_ROWS)
    try:
        report = store_stats(items, current_user, options=options, dry_run=dry_run)
        db.session.commit()
    except TableError as error:
        raise validation_error(error) from None
    except sa.exc.IntegrityError:
        raise conflict(_("Another request stored some of these agent-days meanwhile.")) from None
    return representations.stats_report(report)
