"""The app under gunicorn (2 workers) on loopback, driven by a bounded mix of users.

    python -m bench.load bench/out/b10k.sqlite --requests 600 --users 8

Starts `gunicorn -w 2 run:app` on a free 127.0.0.1 port against the database, then runs
`--users` simulated people in threads (httpx), stopping after `--requests` requests in all
(and never after more than `--max-seconds`): half are supervisors scoring (GET their draft's
form, POST it back as a saved draft with the form's own CSRF token and lock version), half
are agents reading (their feedback inbox and their own page). Reports throughput, p50/p95
and every error (a non-2xx/3xx answer or a failed request; must be 0). Stops gunicorn.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
import sqlalchemy as sa

from bench.common import (
    PASSWORD,
    ROOT,
    SECRET_KEY,
    database_url,
    each_in_a_thread,
    load_figures,
    make_app,
    write_figures,
)

HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|lock_version)"[^>]*value="([^"]*)"')
HIDDEN_REVERSED = re.compile(r'<input[^>]*value="([^"]*)"[^>]*name="(csrf_token|lock_version)"')
ANSWER = re.compile(r'name="(answer-[a-z_]+)"[^>]*value="([^"]+)"')


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hidden_fields(html: str) -> dict[str, str]:
    """The CSRF token and lock version of a form page."""
    found = {name: value for name, value in HIDDEN.findall(html)}
    found.update({name: value for value, name in HIDDEN_REVERSED.findall(html)})
    return found


class Person:
    """One signed-in browser doing its part of the mix."""

    def __init__(self, base: str, email: str, paths: list[str], draft: int | None) -> None:
        self.client = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
        self.email, self.paths, self.draft = email, paths, draft

    def sign_in(self) -> None:
        """Post the sign-in form."""
        page = self.client.get("/login").text
        token = hidden_fields(page)["csrf_token"]
        response = self.client.post(
            "/login", data={"email": self.email, "password": PASSWORD, "csrf_token": token}
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in as {self.email}: {response.status_code}")

    def step(self, number: int) -> list[tuple[str, float, int]]:
        """One action: (what, seconds, status) of each request it made."""
        if self.draft is None:
            path = self.paths[number % len(self.paths)]
            return [self._get(path, "agent reads")]
        path = f"/evaluations/{self.draft}/edit"
        started = time.perf_counter()
        form = self.client.get(path)
        results = [("supervisor opens form", time.perf_counter() - started, form.status_code)]
        fields = hidden_fields(form.text)
        data = {**fields, **dict(ANSWER.findall(form.text)[:1]), "overall_comment": f"n{number}"}
        started = time.perf_counter()
        saved = self.client.post(path, data=data)
        results.append(("supervisor saves draft", time.perf_counter() - started, saved.status_code))
        return results

    def _get(self, path: str, what: str) -> tuple[str, float, int]:
        started = time.perf_counter()
        response = self.client.get(path)
        return what, time.perf_counter() - started, response.status_code


def people(url: str, users: int) -> list[tuple[str, list[str], int | None]]:
    """Half supervisors with one of their drafts, half agents with their pages."""
    from qa_app.auth.models import User
    from qa_app.evaluations.models import Evaluation
    from qa_app.extensions import db

    app = make_app(url)
    result: list[tuple[str, list[str], int | None]] = []
    with app.app_context():
        # A draft of its own for each scoring person: two editing one draft would get the
        # app's (correct) 409 for a stale save.
        drafts = db.session.execute(
            sa.select(User.email, Evaluation.id)
            .join(Evaluation, Evaluation.evaluator_id == User.id)
            .where(Evaluation.status == "draft")
            .order_by(Evaluation.id)
        ).all()
        agents = db.session.execute(
            sa.select(User.email, User.id).where(User.role == "agent").order_by(User.id)
        ).all()
        db.session.remove()
    for index in range(users):
        if index % 2 == 0 and index // 2 < len(drafts):
            email, draft = drafts[index // 2]
            result.append((email, [], draft))
        else:
            email, agent_id = agents[(index // 2) % len(agents)]
            result.append((email, ["/feedback/", f"/stats/agents/{agent_id}"], None))
    return result


def run(url: str, requests: int, users: int, max_seconds: float) -> dict[str, Any]:
    """Start gunicorn, drive it, stop it."""
    port = free_port()
    # The development settings are production's without the Secure-only cookie, which a
    # plain-HTTP client on loopback would never send back.
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "QA_CONFIG": "development"}
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "run:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        crowd = []
        for email, paths, draft in people(url, users):
            person = Person(base, email, paths, draft)
            person.sign_in()
            crowd.append(person)
        results: list[tuple[str, float, int]] = []
        errors: list[str] = []
        counter = iter(range(requests))
        lock = threading.Lock()
        stop_at = time.monotonic() + max_seconds

        def work(person: Person) -> None:
            while time.monotonic() < stop_at:
                with lock:
                    number = next(counter, None)
                if number is None:
                    return
                try:
                    done = person.step(number)
                except httpx.HTTPError as error:
                    errors.append(f"{person.email}: {error!r}")
                    continue
                with lock:
                    results.extend(done)
                    errors.extend(
                        f"{what}: HTTP {status}" for what, _, status in done if status >= 400
                    )

        elapsed = each_in_a_thread(work, crowd)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"users": users, **load_figures(results, errors, elapsed)}


def main(argv: Sequence[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("--requests", type=int, default=600, help="actions in all (bounded)")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=240)
    args = parser.parse_args(argv)
    url = database_url(args.database)
    write_figures("load", url, run(url, args.requests, args.users, args.max_seconds))


if __name__ == "__main__":
    main(sys.argv[1:])
