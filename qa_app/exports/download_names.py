"""Names for downloaded workbooks that are safe in a Content-Disposition header."""

from __future__ import annotations

import re

# Anything but letters (of any script), digits, "_", "." and "-" becomes "-": no quotes,
# slashes, spaces or line breaks reach the header.
_UNSAFE = re.compile(r"[^\w.-]+")
MAX_LENGTH = 120


def download_name(*parts: str, suffix: str = ".xlsx") -> str:
    """`parts` joined by "_" with unsafe characters replaced, e.g.
    `qa-feedback_Jürgen-Müller_2026-11-01_2026-11-30.xlsx`.

    Letters outside ASCII are kept: the response sends them in RFC 5987's `filename*`,
    with an ASCII-only `filename` beside it for old browsers (Werkzeug's `send_file`).
    """
    cleaned = (_UNSAFE.sub("-", part).strip("-.") for part in parts)
    name = "_".join(part for part in cleaned if part)[:MAX_LENGTH]
    return (name or "export") + suffix
