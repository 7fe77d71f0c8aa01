"""The centre dashboard served from the cache against computed afresh, at several sizes.

    python -m bench.centre_cache bench/out/b10k.sqlite bench/out/b1m.sqlite --requests 20

The manager of the generated centre opens `/dashboard/centre` (the default view). "cached":
GET with the figures already in the cache (a FileSystemCache in a temporary folder, as the
embedded default keeps them in instance/cache). "computed": the Refresh POST, which computes
every figure and stores it — what the first view after the 10-minute slice costs, plus the
redirect. Scaling ratio = cached p95 on the largest database / cached p95 on the smallest.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from bench.common import database_url, make_app, summary_ms, write_figures
from bench.pages import signed_in

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
MANAGER = "manager@bench.test"
WARM_UP = 2


def measure(url: str, requests: int) -> dict[str, Any]:
    """p50/p95 of the centre page from the cache and computed, on one database."""
    from qa_app.extensions import cache

    app = make_app(url)
    with tempfile.TemporaryDirectory() as folder:
        cache.init_app(app, config={"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": folder})
        client = signed_in(app, MANAGER)
        page = client.get("/dashboard/centre").get_data(as_text=True)
        match = CSRF_INPUT.search(page)
        assert match, "no CSRF token on the centre dashboard"
        token = match.group(1)
        computed, cached = [], []
        for number in range(WARM_UP + requests):
            started = time.perf_counter()
            answer = client.post("/dashboard/centre/refresh", data={"csrf_token": token})
            took = time.perf_counter() - started
            assert answer.status_code == 302, answer.status_code
            if number >= WARM_UP:
                computed.append(took)
            started = time.perf_counter()
            assert client.get("/dashboard/centre").status_code == 200
            if number >= WARM_UP:
                cached.append(time.perf_counter() - started)
    return {"computed": summary_ms(computed), "cached": summary_ms(cached)}


def main(argv: Sequence[str] | None = None) -> None:
    """Measure each database, smallest first, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("databases", nargs="+", help="SQLite files or PostgreSQL URLs")
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"requests": args.requests, "databases": {}}
    for target in args.databases:
        figures["databases"][target] = measure(database_url(target), args.requests)
    first, last = args.databases[0], args.databases[-1]
    figures["cached_p95_ratio"] = round(
        figures["databases"][last]["cached"]["p95_ms"]
        / figures["databases"][first]["cached"]["p95_ms"],
        2,
    )
    write_figures("centre_cache", database_url(last), figures)


if __name__ == "__main__":
    main()
