"""A notification for one user, and each user's choice of e-mail."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model
from qa_app.labels import TitledEnum


class NotificationKind(TitledEnum):
    """What happened; the title is the e-mail's subject, the text comes from `messages`."""

    FEEDBACK_RELEASED = "feedback_released"
    DISPUTE_DECIDED = "dispute_decided"
    PLAN_ISSUED = "plan_issued"
    COACHING_RECORDED = "coaching_recorded"
    DISPUTE_RAISED = "dispute_raised"
    PLAN_ACKNOWLEDGED = "plan_acknowledged"
    ITEMS_OVERDUE = "items_overdue"
    ASSIGNMENTS_DUE = "assignments_due"
    CALIBRATION_INVITED = "calibration_invited"
    CALIBRATION_CLOSED = "calibration_closed"
    CALIBRATION_DUE = "calibration_due"

    __titles__ = {
        "feedback_released": _l("New feedback"),
        "dispute_decided": _l("Your dispute was decided"),
        "plan_issued": _l("New training plan"),
        "coaching_recorded": _l("Coaching session recorded"),
        "dispute_raised": _l("A dispute to decide"),
        "plan_acknowledged": _l("Training plan acknowledged"),
        "items_overdue": _l("Training plan items overdue"),
        "assignments_due": _l("Interactions waiting to be scored"),
        "calibration_invited": _l("Invitation to a calibration session"),
        "calibration_closed": _l("Calibration results ready"),
        "calibration_due": _l("Calibration scoring due"),
    }


# The reminders `flask notifications remind` sends at most once a day per recipient.
DAILY_KINDS = (
    NotificationKind.ITEMS_OVERDUE,
    NotificationKind.ASSIGNMENTS_DUE,
    NotificationKind.CALIBRATION_DUE,
)


def _in(column: str, values: Any) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Notification(Model):
    """Something that happened, for one recipient: its kind and parameters (user ids, names
    of things, days, counts), rendered in the reader's language when shown, and the page it
    leads to (an endpoint and its arguments)."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", NotificationKind), name="kind"),
        # The unread count in the navigation bar reads this index alone.
        sa.Index("ix_notification_recipient_read", "recipient_id", "read_at"),
        # A daily reminder is written once per recipient, kind and day (NULL elsewhere).
        sa.UniqueConstraint("recipient_id", "kind", "reminder_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    link_endpoint: Mapped[str | None] = mapped_column(sa.String(64))
    link_args: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    reminder_on: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} → {self.recipient_id}>"


class NotificationSetting(Model):
    """A user's choice about notifications; no row means the defaults (e-mail on)."""

    __tablename__ = "notification_setting"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
