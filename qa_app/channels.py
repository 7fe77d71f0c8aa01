"""The contact channels, named once: interactions, scorecards and imports use these."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CHANNELS = ("phone", "chat", "email", "in_person", "social")

CHANNEL_LABELS = {
    "phone": _l("Phone"),
    "chat": _l("Chat"),
    "email": _l("E-mail"),
    "in_person": _l("In person"),
    "social": _l("Social media"),
}


def channel_name(channel: str) -> str:
    """A channel in the user's language."""
    return str(CHANNEL_LABELS.get(channel, channel))
