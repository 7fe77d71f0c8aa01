"""The named checks `GET /healthz` runs: a small registry on the app, so that each part
(database, cache, job queue …) adds its own check where it is set up.

A check returns "ok", "not configured" (a part this installation does without: healthy), or
a few words saying what is wrong (unhealthy: /healthz answers 503).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

HealthCheck = Callable[[], str]

OK = "ok"
NOT_CONFIGURED = "not configured"
HEALTHY = frozenset({OK, NOT_CONFIGURED})
EXTENSION = "health_checks"


def register_health_check(
    app: Flask, name: str, check: HealthCheck, *, replace: bool = True
) -> None:
    """Add the check `name` to what /healthz reports; with replace=False only when no check
    of that name is there (a placeholder that the real check may come before or after)."""
    checks: dict[str, HealthCheck] = app.extensions.setdefault(EXTENSION, {})
    if replace or name not in checks:
        checks[name] = check


def run_health_checks(app: Flask) -> tuple[bool, dict[str, str]]:
    """Whether every part is healthy, and each check's answer by name, in registration order.
    A check that raises is reported as failed with the error's kind, never as a 500."""
    states: dict[str, str] = {}
    for name, check in app.extensions.get(EXTENSION, {}).items():
        try:
            states[name] = check()
        except Exception as error:  # noqa: BLE001 - a broken check is a failed check
            app.logger.exception("Health check %s failed", name)
            states[name] = f"error ({type(error).__name__})"
    return all(state in HEALTHY for state in states.values()), states
