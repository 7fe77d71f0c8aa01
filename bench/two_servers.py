"""Two app servers behind one address, under a bounded load (issue 22).

    python -m bench.two_servers bench/out/b10k.sqlite --requests 500 --clients 8
    python -m bench.two_servers postgresql://postgres@127.0.0.1:PORT/b10k --requests 500

Starts two gunicorn instances (deploy/gunicorn.conf.py, `--web-workers` each; `--instances 1
--web-workers 4` puts the same workers behind one for comparison) and one
`flask jobs worker` with production settings on the database (made by bench.generate) and
one Redis (`--redis URL`, or a throw-away redis-server), exactly as
tests/deploy/test_two_servers.py does. Then `--clients` browsers in threads, each from an
address of its own behind the TLS proxy, send `--requests` requests in all, each to the next
instance in turn (round robin, as a load balancer would), so that a browser signs in on one
instance and carries on on the other. Each browser's steps, in a cycle of ten: sign in
afresh, three pages, five API reads with its supervisor's token, one failed token attempt
(401, below API_TOKEN_MAX_FAILURES for its address). Prints p50/p95 per kind and the errors
(an answer other than the expected one, or a failed request; must be 0).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.common import (
    PASSWORD,
    SECRET_KEY,
    database_url,
    each_in_a_thread,
    load_figures,
    make_app,
    write_figures,
)
from bench.load import hidden_fields
from tests.support.app_servers import app_servers, production_environment
from tests.support.redis_server import redis_server

ADDRESS = "qa.example.test"
PAGES = ["/", "/evaluations/", "/notifications/"]
API = ["/api/v1/agents", "/api/v1/evaluations", "/api/v1/scorecards"]
# What each step of a browser's cycle of ten does.
CYCLE = ["sign-in", "page", "api", "page", "api", "page", "api", "api", "api", "failed token"]
EXPECTED = {"sign-in": 302, "page": 200, "api": 200, "failed token": 401}


class Browser:
    """One person's browser behind the one address (https://qa.example.test), from an
    address of its own; its cookies go to whichever instance a request reaches."""

    def __init__(self, number: int, email: str, token: str, bases: list[str]) -> None:
        self.email, self.token, self.bases = email, token, bases
        self.client = httpx.Client(
            follow_redirects=False,
            timeout=60,
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": ADDRESS,
                     "X-Forwarded-For": f"198.18.{number // 250}.{number % 250 + 1}"},
        )  # fmt: skip

    def step(self, number: int) -> tuple[str, float, int]:
        """Request `number` of the whole run: (kind, seconds, status) of the timed request."""
        kind = CYCLE[number % len(CYCLE)]
        # The next instance each time; shifted by one each cycle, so sign-ins alternate too.
        base = self.bases[(number + number // len(CYCLE)) % len(self.bases)]
        if kind == "sign-in":
            self.client.cookies.clear()  # a new session, signed in on this instance
            token = hidden_fields(self._send("GET", f"{base}/login").text)["csrf_token"]
            data = {"email": self.email, "password": PASSWORD, "csrf_token": token}
            return self._timed(kind, "POST", f"{base}/login", data=data,
                               headers={"Referer": f"https://{ADDRESS}/login"})  # fmt: skip
        if kind == "page":
            return self._timed(kind, "GET", base + PAGES[number % len(PAGES)])
        secret = self.token if kind == "api" else "not-a-real-token"
        path = API[number % len(API)]
        return self._timed(kind, "GET", base + path, headers={"Authorization": f"Bearer {secret}"})

    def _timed(self, kind: str, method: str, url: str, **kwargs: Any) -> tuple[str, float, int]:
        started = time.perf_counter()
        response = self._send(method, url, **kwargs)
        return kind, time.perf_counter() - started, response.status_code

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, url, **kwargs)
        # The browser speaks HTTPS to the proxy and sends its Secure cookies back; this client
        # speaks HTTP to the instances, so it is told the cookies may travel on it.
        for cookie in self.client.cookies.jar:
            cookie.secure = False
        return response


def supervisors_with_tokens(url: str, count: int) -> list[tuple[str, str]]:
    """`count` supervisors of the generated centre, each with a new API token of their own."""
    from qa_app.api.tokens import create_token
    from qa_app.auth.models import User
    from qa_app.extensions import db

    app = make_app(url)
    with app.app_context():
        users = db.session.scalars(
            sa.select(User).where(User.role == "supervisor").order_by(User.id).limit(count)
        ).all()
        if not users:
            raise SystemExit("no supervisors: make the database with bench.generate first")
        people = [(user.email, create_token(user, "bench", None, user).secret) for user in users]
        db.session.commit()
        db.engine.dispose()
    return [people[index % len(people)] for index in range(count)]


@contextmanager
def shared_redis(url: str | None, folder: Path) -> Iterator[str]:
    """The Redis given, or a throw-away one for this run."""
    if url:
        yield url
        return
    with redis_server(folder) as started:
        yield started


def run(
    url: str, requests: int, clients: int, web_workers: int, redis: str | None, instances: int = 2
) -> dict[str, Any]:
    """Start the servers, drive them, stop them; the figures."""
    people = supervisors_with_tokens(url, clients)
    with tempfile.TemporaryDirectory(prefix="qa-two-servers-") as scratch:
        folder = Path(scratch)
        with shared_redis(redis, folder) as redis_url:
            env = production_environment(url, redis_url, folder, SECRET_KEY)
            with app_servers(env, folder, instances=instances, web_workers=web_workers) as servers:
                results, errors, elapsed = drive(servers.urls, people, requests)
                if errors:
                    print(servers.logs()[-3000:], file=sys.stderr)
    return {
        "instances": instances,
        "web_workers_per_instance": web_workers,
        "clients": clients,
        **load_figures(results, errors, elapsed),
    }


def drive(
    bases: list[str], people: list[tuple[str, str]], requests: int
) -> tuple[list[tuple[str, float, int]], list[str], float]:
    """`requests` requests in all from one browser per person, in threads."""
    browsers = [Browser(n, email, token, bases) for n, (email, token) in enumerate(people)]
    results: list[tuple[str, float, int]] = []
    errors: list[str] = []
    lock = threading.Lock()
    share, extra = divmod(requests, len(browsers))

    def work(browser: Browser) -> None:
        for number in range(share + (browsers.index(browser) < extra)):
            try:
                kind, seconds, status = browser.step(number)
            except (httpx.HTTPError, KeyError) as error:
                with lock:
                    errors.append(f"{browser.email}: {error!r}")
                continue
            with lock:
                results.append((kind, seconds, status))
                if status != EXPECTED[kind]:
                    errors.append(f"{kind}: HTTP {status}")

    return results, errors, each_in_a_thread(work, browsers)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a SQLite file or a PostgreSQL URL (bench.generate)")
    parser.add_argument("--requests", type=int, default=500, help="requests in all (bounded)")
    parser.add_argument("--clients", type=int, default=8, help="browsers at the same time")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers each")
    parser.add_argument("--redis", help="redis://… (default: a throw-away redis-server)")
    parser.add_argument(
        "--instances", type=int, default=2, help="app servers (1: the same load on one)"
    )
    args = parser.parse_args(argv)
    url = database_url(args.database)
    figures = run(url, args.requests, args.clients, args.web_workers, args.redis, args.instances)
    name = "two_servers" if args.instances == 2 else f"servers_{args.instances}"
    write_figures(name, url, figures)


if __name__ == "__main__":
    main(sys.argv[1:])
