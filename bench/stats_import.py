"""The statistics import of a 1-million-row CSV against the floor: `csv` + `executemany`.

    python -m bench.stats_import bench/out/b100k.sqlite --rows 1000000

A CSV in a phone system's shape (agent external id, date, totals, durations as hh:mm:ss)
is written for the database's agents on days from the first day an import accepts
(`qa_app.day_range.FIRST_DAY`) on, under sources of its own (`bench`, `floor`), so both
runs insert new agent-days beside the generated history, whose source is another. The
real import (`qa_app.stats.importer.import_stats`, as the CLI calls it, then commit) runs
first; its rows are deleted; then the floor parses the same file with the `csv` module and
inserts the same rows with one `executemany` in one transaction. Ratio = floor time / import
time (target ≥ 0.5). The rows are deleted again.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import OUT_DIR, database_url, make_app, peak_rss_mb, write_figures
from bench.generate import stat_values

HEADERS = (
    "Agent ID", "Date", "Calls Handled", "Talk Time", "Hold Time", "ACW", "Logged In Time",
    "CSAT Responses", "CSAT Positive", "NPS Responses", "NPS Promoters", "NPS Detractors",
    "FCR Eligible", "FCR Resolved", "Transfers",
)  # fmt: skip


def _clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def write_csv(path: Path, agents: Sequence[str], first_day: date, rows: int) -> None:
    """`rows` agent-days: every agent on each day from `first_day` on."""
    rng = random.Random(1)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for number in range(rows):
            day = first_day + timedelta(days=number // len(agents))
            v = stat_values(rng)
            writer.writerow(
                (agents[number % len(agents)], day.isoformat(), v[0], _clock(v[2]),
                 _clock(v[3]), _clock(v[4]), _clock(v[5]), *v[6:])
            )  # fmt: skip


def floor(url: str, path: Path, agents: dict[str, int]) -> float:
    """Parse with `csv`, insert with one executemany in one transaction: seconds."""

    def seconds(text: str) -> int:
        hours, minutes, secs = text.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + int(secs)

    engine = sa.create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    columns = ("agent_id", "day", "channel", "contacts_handled", "handle_seconds",
               "talk_seconds", "hold_seconds", "acw_seconds", "logged_in_seconds",
               "csat_responses", "csat_positive", "nps_responses", "nps_promoters",
               "nps_detractors", "fcr_eligible", "fcr_resolved", "transfers", "source",
               "imported_at")  # fmt: skip
    statement = (
        f"INSERT INTO agent_daily_stat ({', '.join(columns)}) "
        f"VALUES ({', '.join(mark for _ in columns)})"
    )
    now = datetime.now(UTC)
    imported: Any = now.replace(tzinfo=None).isoformat(" ") if sqlite else now
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            rows = []
            for r in reader:
                talk, hold, acw = seconds(r[3]), seconds(r[4]), seconds(r[5])
                rows.append((
                    agents[r[0]], r[1] if sqlite else date.fromisoformat(r[1]), "all",
                    int(r[2]), talk + hold + acw, talk, hold, acw, seconds(r[6]),
                    *(int(value) for value in r[7:]), "floor", imported,
                ))  # fmt: skip
        cursor = raw.cursor()
        if sqlite:
            raw.driver_connection.execute("BEGIN")
        cursor.executemany(statement, rows)
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return time.perf_counter() - started


def delete_benchmark_rows(url: str) -> None:
    """Remove the benchmark's agent-days again (its own sources only)."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("DELETE FROM agent_daily_stat WHERE source IN ('bench', 'floor')")
        )
    engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a generated database (its agents are used)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    url = database_url(args.database)

    from qa_app.auth.models import User
    from qa_app.day_range import FIRST_DAY, last_day
    from qa_app.extensions import db
    from qa_app.stats.importer import import_stats

    app = make_app(url)
    with app.app_context():
        agents = dict(
            db.session.execute(
                sa.select(User.external_id, User.id).where(User.role == "agent")
            ).all()
        )
        db.session.remove()
    days = -(-args.rows // len(agents))
    if FIRST_DAY + timedelta(days=days - 1) > last_day():
        sys.exit(
            f"{args.rows:,} rows over {len(agents):,} agents need {days:,} days, more than an "
            f"import accepts ({FIRST_DAY} to {last_day()}): use fewer rows or a larger database"
        )
    OUT_DIR.mkdir(exist_ok=True)
    path = OUT_DIR / f"stats-{args.rows}.csv"
    write_csv(path, sorted(agents), FIRST_DAY, args.rows)
    delete_benchmark_rows(url)

    with app.app_context():
        actor = db.session.scalar(sa.select(User).where(User.role == "admin"))
        data = path.read_bytes()
        started = time.perf_counter()
        report = import_stats(
            data,
            path.name,
            source="bench",
            actor=actor,
            max_bytes=len(data) + 1,
            max_rows=args.rows,
        )
        db.session.commit()
        import_seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    import_rss = peak_rss_mb()
    delete_benchmark_rows(url)
    floor_seconds = floor(url, path, agents)
    delete_benchmark_rows(url)
    write_figures(
        "stats_import",
        url,
        {
            "rows": args.rows,
            "file_mb": round(path.stat().st_size / 1024 / 1024, 1),
            "agent_days": report.agent_days,
            "import_seconds": round(import_seconds, 1),
            "floor_seconds": round(floor_seconds, 1),
            "import_rows_per_second": round(args.rows / import_seconds),
            "floor_rows_per_second": round(args.rows / floor_seconds),
            "ratio": round(floor_seconds / import_seconds, 3),
            "target": 0.5,
            "peak_rss_mb_after_import": import_rss,
        },
    )


if __name__ == "__main__":
    main(sys.argv[1:])
