"""A statistics file whose every row is bad, refused: seconds, peak memory, other users' saves.

    python -m bench.bad_rows bench/out/b10k.sqlite --rows 30000 80000

Each row names a known agent and has no day, the case that once rescanned every earlier
problem (issue 17, finding 5: 30,000 rows 16 s, 80,000 rows 266 s). Each size runs in a
fresh interpreter (its own peak memory) through `import_stats`, as the CLI calls it. Meanwhile
another connection saves a user's name every 50 ms, waiting at most 100 ms for a lock, as
another user's save would: on SQLite they all failed with "database is locked" while the
upload held the write lock. Target: refused in under 10 s and under 1 GiB at 30,000 rows.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from bench.common import (
    OUT_DIR,
    database_url,
    dialect_of,
    make_app,
    peak_rss_mb,
    run_in_subprocess,
    write_figures,
)

SAVE_EVERY = 0.05  # seconds between the other user's saves
LOCK_WAIT = 0.1  # how long each of them waits for a lock


class OtherUser:
    """Saves a user's name again and again on its own connection until stopped."""

    def __init__(self, url: str, user_id: int) -> None:
        sqlite = dialect_of(url) == "sqlite"
        self.engine = sa.create_engine(
            url,
            connect_args={"timeout": LOCK_WAIT} if sqlite else {"options": "-c lock_timeout=100"},
            poolclass=sa.pool.NullPool,
        )
        self.user_id = user_id
        self.saved = self.refused = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        sa.text('UPDATE "user" SET display_name = display_name WHERE id = :id'),
                        {"id": self.user_id},
                    )
                self.saved += 1
            except sa.exc.OperationalError:
                self.refused += 1
            self.stop.wait(SAVE_EVERY)

    def __enter__(self) -> OtherUser:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.engine.dispose()


def one_size(url: str, rows: int) -> dict[str, Any]:
    """Import a file of `rows` bad rows once; the figures."""
    from qa_app.auth.models import User
    from qa_app.extensions import db
    from qa_app.stats.importer import import_stats
    from qa_app.uploads.reader import TableError

    app = make_app(url)
    with app.app_context():
        agent = db.session.scalar(
            sa.select(User).where(User.role == "agent", User.external_id.is_not(None))
        )
        actor = db.session.scalar(sa.select(User).where(User.role == "admin"))
        assert agent is not None and actor is not None, "a generated database is needed"
        other_id = actor.id
        data = b"Agent ID,Date,Calls Handled\n" + f"{agent.external_id},,80\n".encode() * rows
        db.session.commit()
        error: TableError | None = None
        with OtherUser(url, other_id) as other:
            started = time.perf_counter()
            try:
                import_stats(
                    data,
                    "bad-rows.csv",
                    source="bench",
                    actor=actor,
                    max_bytes=len(data) + 1,
                    max_rows=rows,
                )
            except TableError as refused:
                error = refused
            seconds = time.perf_counter() - started
            db.session.rollback()
        db.session.remove()
    assert error is not None, "the file was not refused"
    return {
        "rows": rows,
        "file_mb": round(len(data) / 1024 / 1024, 2),
        "seconds": round(seconds, 2),
        "peak_rss_mb": peak_rss_mb(),
        "problems_total": error.total,
        "problems_listed": len(error.problems),
        "other_saves_done": other.saved,
        "other_saves_refused": other.refused,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a generated database (one of its agents is used)")
    parser.add_argument("--rows", type=int, nargs="+", default=[30_000, 80_000])
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    url = database_url(args.database)
    if args.one:  # the child: one size, its figures as the last line
        import json

        print(json.dumps(one_size(url, args.rows[0])))
        return
    OUT_DIR.mkdir(exist_ok=True)
    sizes = [
        run_in_subprocess("bench.bad_rows", args.database, "--one", "--rows", str(rows))
        for rows in args.rows
    ]
    write_figures(
        "bad_rows",
        url,
        {"sizes": sizes, "target": "30,000 rows refused in < 10 s and < 1024 MB"},
    )


if __name__ == "__main__":
    main(sys.argv[1:])
