"""Counting failed API token attempts per client address, so that a flood of bad tokens is
refused (429) before any more are checked.

The counting is the `limits` library's (the one under Flask-Limiter), with a moving window of
API_TOKEN_FAILURE_MINUTES: in Redis when REDIS_URL is set, so every app instance and worker
counts into one total; otherwise in each process's memory, where with N gunicorn workers an
address gets up to N × API_TOKEN_MAX_FAILURES before each has refused it. Only failures are
counted, so scripts with a valid token are never slowed down; while an address is over the
limit, every token it sends is refused unchecked, or a guess could still succeed.

Flask-Limiter's decorators count requests, not failures, and answer in HTML: the two calls
below are all the API needs, and its 429 is in the API's JSON shape.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import cast

from flask import Flask, current_app
from flask_babel import ngettext
from limits import RateLimitItemPerMinute
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from qa_app.api.errors import ApiError

EXTENSION = "api_token_failures"
# The namespace of the counters in a shared Redis.
KEY = "qa-coach-api-token-failures"


@dataclass(frozen=True)
class TokenFailureLimit:
    """API_TOKEN_MAX_FAILURES failures per API_TOKEN_FAILURE_MINUTES, counted in `storage`."""

    storage: Storage
    limiter: MovingWindowRateLimiter
    item: RateLimitItemPerMinute


def init_token_failure_limit(app: Flask) -> None:
    """Attach the limit's storage to `app` (none when API_TOKEN_MAX_FAILURES is 0)."""
    failures = app.config["API_TOKEN_MAX_FAILURES"]
    if not failures:
        app.extensions[EXTENSION] = None
        return
    # A redis:// or memory:// URL names a synchronous storage, never limits.aio's.
    storage = cast(Storage, storage_from_string(app.config.get("REDIS_URL") or "memory://"))
    app.extensions[EXTENSION] = TokenFailureLimit(
        storage,
        MovingWindowRateLimiter(storage),
        RateLimitItemPerMinute(failures, app.config["API_TOKEN_FAILURE_MINUTES"]),
    )


def _limit() -> TokenFailureLimit | None:
    limit: TokenFailureLimit | None = current_app.extensions.get(EXTENSION)
    return limit


def refuse_when_over_limit(address: str) -> None:
    """ApiError 429, with Retry-After, when `address` has used up its failures."""
    limit = _limit()
    if limit is None:
        return
    try:
        if limit.limiter.test(limit.item, KEY, address):
            return
        reset_at = limit.limiter.get_window_stats(limit.item, KEY, address).reset_time
    except (RedisError, OSError) as error:
        # The API keeps answering while Redis is away; /healthz reports the cache's state.
        current_app.logger.warning("API token failures could not be read: %s", error)
        return
    seconds = max(1, math.ceil(reset_at - time.time()))
    message = ngettext(
        "Too many failed token attempts from your address. Try again in %(num)d second.",
        "Too many failed token attempts from your address. Try again in %(num)d seconds.",
        seconds,
    )
    raise ApiError(429, "too_many_failures", message, headers={"Retry-After": str(seconds)})


def count_failure(address: str) -> None:
    """Count one failed token attempt from `address`."""
    limit = _limit()
    if limit is None:
        return
    try:
        limit.limiter.hit(limit.item, KEY, address)
    except (RedisError, OSError) as error:
        current_app.logger.warning("An API token failure could not be counted: %s", error)
