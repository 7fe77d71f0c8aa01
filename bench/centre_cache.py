"""The centre dashboard served from the cache, and its first view after the cache expired, at
several sizes side by side.

    python -m bench.centre_cache bench/out/b10k.sqlite bench/out/b1m.sqlite \
        --requests 30 --computed 5

The manager of the generated centre opens `/dashboard/centre` (the default view: the last 90
days, every team) on each database, each with a FileSystemCache of its own in a temporary
folder (as the embedded default keeps it in instance/cache). "cached": a GET with the figures
(and what the page keeps beside them) already in the cache. "computed": a GET right after the
cache was emptied, which is what the first view after the 10-minute slice costs: every figure
read from the database and the page rendered in full. The databases take turns request by
request (the smallest first in each round), so a shared machine's load falls on all of them
alike. Scaling ratio = cached p95 on the largest database / cached p95 on the smallest
(target ≤ 1.5).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import database_url, make_app, summary_ms, write_figures
from bench.pages import signed_in

MANAGER = "manager@bench.test"
PAGE = "/dashboard/centre"
WARM_UP = 2


def _timed_get(client: Any) -> float:
    started = time.perf_counter()
    answer = client.get(PAGE)
    took = time.perf_counter() - started
    assert answer.status_code == 200, answer.status_code  # noqa: S101
    return took


def main(argv: Sequence[str] | None = None) -> None:
    """Measure the databases side by side, smallest first, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("databases", nargs="+", help="SQLite files or PostgreSQL URLs")
    parser.add_argument("--requests", type=int, default=30, help="cached views per database")
    parser.add_argument("--computed", type=int, default=5, help="views after expiry each")
    args = parser.parse_args(argv)
    from qa_app.extensions import cache

    with tempfile.TemporaryDirectory() as folder:
        clients, apps = [], []
        for number, target in enumerate(args.databases):
            app = make_app(database_url(target))
            cache_dir = Path(folder) / str(number)
            cache.init_app(app, config={"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": cache_dir})
            apps.append(app)
            clients.append(signed_in(app, MANAGER))
        computed: list[list[float]] = [[] for _ in apps]
        cached: list[list[float]] = [[] for _ in apps]
        for round_ in range(args.computed):
            for app, client, times in zip(apps, clients, computed, strict=True):
                with app.app_context():
                    cache.clear()
                times.append(_timed_get(client))
            print(f"computed round {round_ + 1}: {[round(t[-1], 3) for t in computed]}")
        for client in clients:
            for _ in range(WARM_UP):
                _timed_get(client)
        for _ in range(args.requests):
            for client, times in zip(clients, cached, strict=True):
                times.append(_timed_get(client))
    figures: dict[str, Any] = {
        "requests": args.requests,
        "computed_requests": args.computed,
        "load_average_after": os.getloadavg(),
        "databases": {
            target: {"cached": summary_ms(cached[i]), "computed": summary_ms(computed[i])}
            for i, target in enumerate(args.databases)
        },
    }
    first, last = figures["databases"][args.databases[0]], figures["databases"][args.databases[-1]]
    figures["cached_p95_ratio"] = round(last["cached"]["p95_ms"] / first["cached"]["p95_ms"], 2)
    figures["cached_p50_ratio"] = round(last["cached"]["p50_ms"] / first["cached"]["p50_ms"], 2)
    figures["target"] = 1.5
    write_figures("centre_cache", database_url(args.databases[-1]), figures)


if __name__ == "__main__":
    main()
