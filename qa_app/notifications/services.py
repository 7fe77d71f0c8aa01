"""Adding notifications, reading them, marking them read, and the e-mail choice.

Services call `notify` inside their transaction: the rows are added, never flushed (the
caller's flush and commit write them with the change they report), and the e-mails are
queued to go out after the commit (qa_app.notifications.mail). Reads here never flush, so
a service's half-made change is not written early.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.models import User
from qa_app.database import utcnow
from qa_app.extensions import db
from qa_app.i18n import html_lang
from qa_app.notifications import mail, messages
from qa_app.notifications.models import Notification, NotificationKind, NotificationSetting

PER_PAGE = 20
# The navigation bar counts up to this many unread notifications ("99+" beyond).
UNREAD_CAP = 100
Link = tuple[str, Mapping[str, Any]]


def notify(
    recipients: Iterable[User | None],
    kind: NotificationKind,
    params: Mapping[str, Any],
    link: Link | None = None,
    *,
    reminder_on: date | None = None,
) -> list[Notification]:
    """Add a notification of `kind` for each active recipient (once each), and queue its
    e-mail for those who take e-mail when SMTP is configured."""
    people = {user.id: user for user in recipients if user is not None and user.active}
    endpoint, args = link if link is not None else (None, {})
    added = []
    for user in people.values():
        notification = Notification(
            recipient_id=user.id,
            kind=kind.value,
            params=dict(params),
            link_endpoint=endpoint,
            link_args=dict(args),
            reminder_on=reminder_on,
        )
        db.session.add(notification)
        added.append(notification)
    settings = mail.SmtpSettings.from_config(current_app.config)
    if settings is not None and people:
        with db.session.no_autoflush:
            for user in _taking_email(list(people.values())):
                mail.queue(_email(user, kind, params, link, settings), settings)
    return added


def _taking_email(users: Sequence[User]) -> list[User]:
    """The users among `users` with an address who have not turned e-mail off."""
    declined = set(
        db.session.scalars(
            sa.select(NotificationSetting.user_id).where(
                NotificationSetting.user_id.in_([user.id for user in users]),
                NotificationSetting.email.is_(False),
            )
        )
    )
    return [user for user in users if user.email and user.id not in declined]


def names_of(ids: Iterable[int]) -> dict[int, str]:
    """Display names by user id, in one query (without flushing the session)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    with db.session.no_autoflush:
        rows = db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(wanted)))
        return {user_id: name for user_id, name in rows}


def _language_of(user: User) -> str:
    if user.locale and user.locale in current_app.config["LANGUAGES"]:
        return user.locale
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _base_url() -> str | None:
    """Where users open the app, for links in e-mails: PUBLIC_URL, else the request's."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return str(configured).rstrip("/") + "/"
    return request.url_root if has_request_context() else None


def absolute_link(link: Link | None) -> str | None:
    """The full address of a notification's page, for an e-mail (None when unknown)."""
    base = _base_url()
    if link is None or base is None:
        return None
    endpoint, args = link
    path = current_app.url_map.bind("localhost").build(endpoint, dict(args))
    return base + path.lstrip("/")


def _email(
    user: User,
    kind: NotificationKind,
    params: Mapping[str, Any],
    link: Link | None,
    settings: mail.SmtpSettings,
) -> EmailMessage:
    """The e-mail of one notification, in the recipient's language."""
    names = names_of(messages.user_ids([params]))
    address = absolute_link(link)
    account = absolute_link(("auth.account", {}))
    with force_locale(_language_of(user)):
        lines = [
            _("Hello %(name)s,", name=user.display_name),
            "",
            messages.text(kind, params, names),
        ]
        if address:
            lines += ["", _("Open it in QA Coach: %(address)s", address=address)]
        lines += [
            "",
            "-- ",
            _("You receive this because notifications by e-mail are on for your account."),
        ]
        if account:
            lines.append(_("Turn them off on your account page: %(address)s", address=account))
        subject = _("QA Coach: %(what)s", what=kind.label)
        language = html_lang()
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = user.email
    message.set_content("\n".join(lines))
    # RFC 3282 (after set_content, which clears Content-* headers): mail programs choose
    # their spelling check and "translate this" offer by it.
    message["Content-Language"] = language
    return message


def unread_count(user_id: int) -> int:
    """How many of the user's notifications are unread, counted up to UNREAD_CAP."""
    unread = (
        sa.select(Notification.id)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
        .limit(UNREAD_CAP)
        .subquery()
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(unread)) or 0


def unread_for_current_user() -> int:
    """The signed-in user's unread count for the navigation bar: one query per request."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = unread_count(current_user.id)
        except sa.exc.SQLAlchemyError:
            # A hint in the navigation bar: an error page must render without it.
            current_app.logger.warning("unread notifications could not be counted")
            g.unread_notifications = 0
    return int(g.unread_notifications)


def notifications_of(user: User) -> sa.Select[Notification]:
    """The user's own notifications, newest first (the only ones anyone sees)."""
    return (
        sa.select(Notification)
        .where(Notification.recipient_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def shown(notifications: Sequence[Notification]) -> list[dict[str, Any]]:
    """Each notification as the list page shows it: text, link, time, read or not."""
    names = names_of(messages.user_ids(n.params for n in notifications))
    return [
        {
            "id": n.id,
            "text": messages.text(n.kind, n.params, names),
            "link": messages.link(n.link_endpoint, n.link_args),
            "created_at": n.created_at,
            "unread": n.read_at is None,
        }
        for n in notifications
    ]


def mark_read(notification: Notification) -> None:
    """Mark one notification read (it stays read)."""
    if notification.read_at is None:
        notification.read_at = utcnow()


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def takes_email(user: User) -> bool:
    """Whether the user takes notifications by e-mail (the default)."""
    setting = db.session.get(NotificationSetting, user.id)
    return setting is None or setting.email


def set_email(user: User, wanted: bool) -> None:
    """Turn the user's notification e-mails on or off."""
    setting = db.session.get(NotificationSetting, user.id)
    if setting is None:
        db.session.add(NotificationSetting(user_id=user.id, email=wanted))
    else:
        setting.email = wanted
