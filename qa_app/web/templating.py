"""Template helpers every page uses: durations, ages, paging links, the current language.

The features' own labels (roles, statuses, KPIs, channels) and the navigation are added by
`create_app`, which knows the features; this module knows none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, request, url_for

from qa_app.i18n import duration, example_day, format_age, html_lang


def url_with_page(page: int) -> str:
    """The current page's URL with its query string kept and `page` replaced."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint or "main.index", **(request.view_args or {}), **args)


def register_template_helpers(app: Flask, **feature_helpers: Callable[..., Any]) -> None:
    """Expose the shared helpers, and the features' helpers given, to every template."""
    app.jinja_env.globals.update(
        url_with_page=url_with_page,
        duration=duration,
        age=format_age,
        example_day=example_day,
        current_locale=html_lang,
        **feature_helpers,
    )
