"""Figures inside an import's messages, written as the reader's language writes them."""

from __future__ import annotations

from flask_babel import format_decimal, get_locale


def count_text(n: float, pattern: str = "#,##0") -> str:
    """A figure in a message, grouped as the reader's language groups it ("10,000" in
    English, "10.000" in German); English outside an app (no locale to ask)."""
    if get_locale() is None:
        return format(n, ",.1f" if "." in pattern else ",d")
    return str(format_decimal(n, format=pattern))
