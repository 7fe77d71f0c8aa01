"""Notification e-mails: queued in the database session, sent after its commit.

A notification's e-mail must not go out for a change that was rolled back, and a slow or
failing mail server must not hold or fail the change. So `queue` keeps the message on the
session with the transaction it belongs to; after the commit the whole queue is sent (one
connection per server); a rollback, of the transaction or of the savepoint the message was
queued in, drops it. A failure to send is logged, never raised.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction

from qa_app.extensions import db

logger = logging.getLogger(__name__)
OUTBOX = "notification_outbox"


@dataclass(frozen=True)
class SmtpSettings:
    """Where and as whom to send: SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_TLS,
    SMTP_SENDER and SMTP_TIMEOUT_SECONDS from the configuration."""

    host: str
    port: int
    user: str | None
    password: str | None
    tls: str
    sender: str
    timeout: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings | None:
        """The settings, or None when no SMTP server is configured (no e-mail at all)."""
        if not config.get("SMTP_HOST"):
            return None
        return cls(
            host=config["SMTP_HOST"],
            port=int(config["SMTP_PORT"]),
            user=config.get("SMTP_USER"),
            password=config.get("SMTP_PASSWORD"),
            tls=config.get("SMTP_TLS") or "starttls",
            sender=config["SMTP_SENDER"],
            timeout=float(config.get("SMTP_TIMEOUT_SECONDS") or 10),
        )


@dataclass(frozen=True)
class _Queued:
    transaction: SessionTransaction | None
    message: EmailMessage
    settings: SmtpSettings


def queue(message: EmailMessage, settings: SmtpSettings) -> None:
    """Send `message` once the current transaction commits; drop it if it rolls back."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(OUTBOX, []).append(_Queued(transaction, message, settings))


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _send_after_commit(session: Session) -> None:
    queued: list[_Queued] = session.info.pop(OUTBOX, [])
    if queued:
        send([(entry.message, entry.settings) for entry in queued])


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    queued: list[_Queued] = session.info.get(OUTBOX, [])
    root = previous_transaction.parent is None
    kept = [e for e in queued if not root and not _within(e.transaction, previous_transaction)]
    session.info[OUTBOX] = kept


def _drop_at_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (closed, or a rollback already
    # handled): nothing of it may be sent later with another transaction's commit.
    if transaction.parent is None:
        session.info.pop(OUTBOX, None)


def register_outbox() -> None:
    """Attach the outbox to the app's database sessions (once per process)."""
    for name, listener in (
        ("after_commit", _send_after_commit),
        ("after_soft_rollback", _drop_rolled_back),
        ("after_transaction_end", _drop_at_end),
    ):
        if not sa.event.contains(db.session, name, listener):
            sa.event.listen(db.session, name, listener)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.tls == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        if settings.tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if settings.user:
        smtp.login(settings.user, settings.password or "")
    return smtp


def send(messages: list[tuple[EmailMessage, SmtpSettings]]) -> int:
    """Send the messages, one connection per server; log failures. Returns how many went."""
    sent = 0
    by_server: dict[SmtpSettings, list[EmailMessage]] = {}
    for message, settings in messages:
        by_server.setdefault(settings, []).append(message)
    for settings, batch in by_server.items():
        went = 0
        try:
            with _connect(settings) as smtp:
                for message in batch:
                    try:
                        smtp.send_message(message)
                        went += 1
                    except smtplib.SMTPException as error:
                        logger.warning(
                            "notification e-mail to %s refused: %s", message["To"], error
                        )
        except (OSError, smtplib.SMTPException) as error:
            logger.warning(
                "%d notification e-mail(s) not sent through %s:%d: %s",
                len(batch) - went,
                settings.host,
                settings.port,
                error,
            )
        sent += went
    return sent
