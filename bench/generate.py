"""Fill a database with a contact centre's worth of realistic data, fast.

    python -m bench.generate bench/out/small.sqlite --size small
    python -m bench.generate postgresql+psycopg://…/bench --evaluations 1000000

The schema comes from the real migrations (`flask db upgrade`) and the scorecards from the
shipped files (`scorecards sync`); then rows go in with bulk inserts: `executemany` in one
transaction on SQLite, `COPY … FROM STDIN` on PostgreSQL. Scores are consistent with the
answers: a few hundred answer patterns per scorecard version are scored by the real engine
(`qa_app.scoring.score_evaluation`) and reused, so the stored score, pass and auto-fail of
every evaluation are what the app would have stored.

Shape at `--size full`: 2,000 agents in teams of 25 with a supervisor each, one million
evaluations over two years (≈20 per agent a month) with ten million answers, disputes, open
drafts and assignments in every supervisor's queue, and 1.5 million agent-days of statistics.
Smaller sizes keep 500 evaluations per agent and the two years, so a team or an agent looks
the same at every size and only the centre grows.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import flask_migrate
import sqlalchemy as sa

from bench.common import PASSWORD, database_url, dialect_of, make_app

SIZES = {"small": 10_000, "medium": 100_000, "full": 1_000_000}
EVALUATIONS_PER_AGENT = 500
TEAM_SIZE = 25
HISTORY_DAYS = 750
DRAFTS_PER_SUPERVISOR = 6
ASSIGNMENTS_PER_SUPERVISOR = 10
PATTERNS_PER_VERSION = 400
BATCH = 20_000
SOURCE = "bench"
QUEUES = ("Billing", "Orders", "Faults", "Moves", "Retention", "General")
COMMENTS = (
    "Good call overall; the opening was rushed.",
    "Clear explanation of the bill, customer thanked you twice.",
    "Verification skipped a step: please follow the ID&V script every time.",
    "Calm with an upset customer, well done.",
    "Long hold without checking back with the customer.",
)
STRENGTHS = ("Warm tone", "Accurate information", "Good ownership", "Clear next steps")
OPPORTUNITIES = ("Summarise before closing", "Fewer holds", "Offer the survey", "Empathy early")


@dataclass(frozen=True)
class Pattern:
    """One scored set of answers, reused by many evaluations."""

    score: float | None
    raw_score: float | None
    auto_failed: bool
    passed: bool | None
    answers: tuple[tuple[str, float | None, bool, float | None], ...]  # key, value, N/A, r


@dataclass(frozen=True)
class Version:
    """A published scorecard version with its scored answer patterns, best first."""

    id: int
    scorecard_id: int
    definition: dict[str, Any]
    patterns: tuple[Pattern, ...]
    drafts: tuple[Pattern, ...]


class Loader:
    """Bulk inserts through the driver: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine: sa.Engine) -> None:
        self.dialect = engine.dialect.name
        self.raw = engine.raw_connection()
        self.driver = self.raw.driver_connection
        self.counts: dict[str, tuple[int, float]] = {}
        if self.dialect == "sqlite":
            self.driver.execute("PRAGMA synchronous = OFF")
            self.driver.execute("PRAGMA cache_size = -400000")
            self.driver.execute("BEGIN")

    def moment(self, value: datetime | None) -> Any:
        """A UTC moment as the UTCDateTime column stores it on this database."""
        if value is None or self.dialect == "postgresql":
            return value
        return value.replace(tzinfo=None).isoformat(" ", timespec="microseconds")

    def day(self, value: date) -> Any:
        """A date as the Date column stores it."""
        return value if self.dialect == "postgresql" else value.isoformat()

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert every row; returns how many."""
        started = time.perf_counter()
        quoted = ", ".join(f'"{name}"' for name in columns)
        count = 0
        if self.dialect == "postgresql":
            with self.driver.cursor() as cursor:
                statement = f'COPY "{table}" ({quoted}) FROM STDIN'
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
        else:
            marks = ", ".join("?" for _ in columns)
            statement = f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})'  # noqa: S608
            cursor = self.driver.cursor()
            for batch in _batches(rows, BATCH):
                cursor.executemany(statement, batch)
                count += len(batch)
            cursor.close()
        elapsed = time.perf_counter() - started
        before = self.counts.get(table, (0, 0.0))
        self.counts[table] = (before[0] + count, before[1] + elapsed)
        rate = count / elapsed if elapsed else 0
        print(f"  {table:<18} {count:>11,} rows {elapsed:8.1f} s {rate:>10,.0f} rows/s")
        return count

    def finish(self) -> None:
        """Commit, move the sequences past the ids given, and refresh planner statistics."""
        if self.dialect == "postgresql":
            with self.driver.cursor() as cursor:
                for table in self.counts:
                    if table == "team_supervisor":
                        continue
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                        f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'  # noqa: S608
                    )
            self.driver.commit()
            # Autovacuum would analyse these tables soon after a real load; do it now.
            self.driver.autocommit = True
            with self.driver.cursor() as cursor:
                cursor.execute("ANALYZE")
        else:
            self.driver.execute("COMMIT")
        self.raw.close()


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _answer_value(criterion: dict[str, Any], rng: random.Random, skill: float) -> object:
    """A plausible answer: mostly good, worse for a weaker `skill` (0..1)."""
    if criterion.get("na_allowed") and rng.random() < 0.12:
        return None
    kind = criterion["kind"]
    good = 0.55 + 0.44 * skill
    if criterion.get("critical"):
        good = 0.93 + 0.065 * skill
    if kind == "yes_no":
        return rng.random() < good
    low, high = (
        (criterion.get("min", 1), criterion.get("max", 5))
        if kind == "scale"
        else (0, criterion["max"])
    )
    if criterion.get("critical") and rng.random() < good:
        return high
    value = round(low + (high - low) * min(1.0, max(0.0, rng.gauss(good, 0.2))))
    return int(value)


def _pattern(
    definition: dict[str, Any], answers: dict[str, object], *, partial: bool = False
) -> Pattern:
    from qa_app.evaluations.answers import stored_value
    from qa_app.scoring import iter_criteria, score_evaluation

    result = score_evaluation(definition, answers, partial=partial)
    rows = tuple(
        (
            criterion["key"],
            stored_value(answers[criterion["key"]]),
            answers[criterion["key"]] is None,
            result.normalised.get(criterion["key"]),
        )
        for _section, criterion in iter_criteria(definition)
        if criterion["key"] in answers
    )
    return Pattern(result.score, result.raw_score, result.auto_failed, result.passed, rows)


def scored_versions(rng: random.Random) -> dict[str, Version]:
    """Each shipped scorecard's latest version, with answer patterns scored by the engine."""
    from qa_app.extensions import db
    from qa_app.scorecards.models import Scorecard, ScorecardVersion
    from qa_app.scoring import iter_criteria

    versions: dict[str, Version] = {}
    for scorecard in db.session.scalars(sa.select(Scorecard).order_by(Scorecard.id)):
        version = db.session.scalar(
            sa.select(ScorecardVersion)
            .where(ScorecardVersion.scorecard_id == scorecard.id)
            .order_by(ScorecardVersion.number.desc())
            .limit(1)
        )
        definition = version.definition
        criteria = [criterion for _section, criterion in iter_criteria(definition)]
        patterns = []
        for index in range(PATTERNS_PER_VERSION):
            skill = index / PATTERNS_PER_VERSION
            answers = {c["key"]: _answer_value(c, rng, skill) for c in criteria}
            patterns.append(_pattern(definition, answers))
        # Best first, so an agent's skill picks a neighbourhood of patterns.
        patterns.sort(key=lambda p: (p.score is None, -(p.score or 0)))
        drafts = []
        for _ in range(20):
            answered = criteria[: max(1, len(criteria) // 2)]
            answers = {c["key"]: _answer_value(c, rng, 0.7) for c in answered}
            drafts.append(_pattern(definition, answers, partial=True))
        versions[scorecard.slug] = Version(
            version.id, scorecard.id, definition, tuple(patterns), tuple(drafts)
        )
    return versions


def prepare(url: str, reset: bool) -> Any:
    """Migrate an empty database and load the shipped scorecards; returns the app."""
    from qa_app.extensions import db
    from qa_app.training.catalogue import sync_library

    app = make_app(url)
    with app.app_context():
        if reset:
            with db.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                    connection.exec_driver_sql("CREATE SCHEMA public")
                else:
                    metadata = sa.MetaData()
                    metadata.reflect(connection)
                    metadata.drop_all(connection)
                    connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        flask_migrate.upgrade()
        from pathlib import Path

        sync_library(Path(app.config["SCORECARDS_DIR"]))
        db.session.commit()
        from qa_app.auth.models import User

        if db.session.scalar(sa.select(sa.func.count(User.id))):
            raise SystemExit("the database already holds users; pass --reset to start again")
    return app


def generate(url: str, evaluations: int, seed: int, reset: bool) -> dict[str, Any]:  # noqa: C901
    """Fill the database at `url`; returns the row counts and timings."""
    from qa_app.auth.passwords import hash_password
    from qa_app.extensions import db

    app = prepare(url, reset)
    rng = random.Random(seed)
    agents_n = min(2000, max(20, evaluations // EVALUATIONS_PER_AGENT))
    teams_n = -(-agents_n // TEAM_SIZE)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.date()
    started = time.perf_counter()
    with app.app_context():
        versions = scored_versions(rng)
        password_hash = hash_password(PASSWORD)
        db.session.remove()  # its BEGIN IMMEDIATE would lock the loader out on SQLite
        load = Loader(db.engine)
        m = load.moment
        created = m(now - timedelta(days=HISTORY_DAYS + 30))

        load.insert(
            "team",
            ("id", "name", "release_mode", "evaluations_per_agent_month", "created_at"),
            ((t, f"Team {t:03d}", "immediate", 20, created) for t in range(1, teams_n + 1)),
        )
        # Users: 1 admin, 1 manager, a supervisor per team, then the agents.
        users: list[tuple[Any, ...]] = [
            (1, "admin@bench.test", "Bench Admin", "admin", None, None),
            (2, "manager@bench.test", "Bench Manager", "manager", None, None),
        ]
        supervisor_of = {t: 2 + t for t in range(1, teams_n + 1)}
        users += [(uid, f"supervisor{t:03d}@bench.test", f"Supervisor {t:03d}", "supervisor",
                   None, None) for t, uid in supervisor_of.items()]  # fmt: skip
        first_agent = 3 + teams_n
        agent_ids = list(range(first_agent, first_agent + agents_n))
        team_of = {a: 1 + i // TEAM_SIZE for i, a in enumerate(agent_ids)}
        users += [(a, f"agent{i + 1:04d}@bench.test", f"Agent {i + 1:04d}", "agent", team_of[a],
                   f"A{i + 1:05d}") for i, a in enumerate(agent_ids)]  # fmt: skip
        load.insert(
            "user",
            ("id", "email", "display_name", "role", "team_id", "external_id", "password_hash",
             "active", "must_change_password", "created_at"),
            ((*u, password_hash, True, False, created) for u in users),
        )  # fmt: skip
        load.insert("team_supervisor", ("team_id", "user_id"), list(supervisor_of.items()))

        skill = {a: min(0.999, max(0.0, rng.betavariate(5, 2))) for a in agent_ids}
        span = timedelta(days=HISTORY_DAYS).total_seconds()
        history_start = now - timedelta(days=HISTORY_DAYS)
        slugs_by_channel = {
            "phone": (("inbound-call", 88), ("complaint-escalation", 12)),
            "chat": (("written-channels", 90), ("complaint-escalation", 10)),
            "email": (("written-channels", 90), ("complaint-escalation", 10)),
        }
        channels = ("phone", "chat", "email")

        # One interaction per evaluation, in time order, so ids grow with time as in life.
        plan: list[tuple[int, datetime, str, str]] = []  # agent, submitted, channel, slug
        for i in range(evaluations):
            submitted = history_start + timedelta(seconds=span * (i + rng.random()) / evaluations)
            channel = rng.choices(channels, (60, 25, 15))[0]
            options = slugs_by_channel[channel]
            slug = rng.choices([o[0] for o in options], [o[1] for o in options])[0]
            plan.append((rng.choice(agent_ids), submitted, channel, slug))

        def interaction_rows() -> Iterator[tuple[Any, ...]]:
            for number, (agent, submitted, channel, _slug) in enumerate(plan, start=1):
                occurred = submitted - timedelta(minutes=rng.randint(30, 72 * 60))
                yield (
                    number, agent, channel, m(occurred), rng.randint(90, 1500), SOURCE,
                    f"B{number:08d}", rng.choice(QUEUES), f"C{rng.randint(1, 10**7):07d}",
                    m(occurred + timedelta(minutes=5)),
                )  # fmt: skip

        interaction_columns = (
            "id", "agent_id", "channel", "occurred_at", "duration_seconds", "source",
            "external_ref", "queue", "customer_ref", "created_at",
        )  # fmt: skip
        load.insert("interaction", interaction_columns, interaction_rows())

        answers: list[tuple[int, Pattern]] = []
        disputes: list[tuple[Any, ...]] = []

        def evaluation_rows() -> Iterator[tuple[Any, ...]]:
            recent = now - timedelta(days=10)
            for number, (agent, submitted, _channel, slug) in enumerate(plan, start=1):
                version = versions[slug]
                size = len(version.patterns)
                index = int(rng.gauss((1 - skill[agent]) * size, size / 6))
                pattern = version.patterns[min(size - 1, max(0, index))]
                evaluator = supervisor_of[team_of[agent]] if rng.random() < 0.9 else 2
                roll = rng.random()
                if submitted > recent:
                    status = "submitted" if roll < 0.3 else "released" if roll < 0.8 else (
                        "acknowledged")  # fmt: skip
                elif roll < 0.05:
                    status = "submitted"
                elif roll < 0.22:
                    status = "released"
                elif roll < 0.245:
                    status = "resolved"
                elif roll < 0.25 and submitted > now - timedelta(days=30):
                    status = "disputed"
                else:
                    status = "acknowledged"
                released = None if status == "submitted" else submitted + timedelta(minutes=1)
                acknowledged = (
                    submitted + timedelta(days=rng.randint(1, 5))
                    if status in ("acknowledged", "resolved")
                    else None
                )
                if status in ("disputed", "resolved"):
                    resolved = status == "resolved"
                    disputes.append((
                        number, agent, json.dumps([]), "I followed the script; listen again.",
                        "upheld" if resolved and rng.random() < 0.3 else (
                            "rejected" if resolved else "open"),
                        m(submitted + timedelta(days=1)),
                        evaluator if resolved else None,
                        m(submitted + timedelta(days=3)) if resolved else None,
                        "Listened again; see the note." if resolved else None,
                    ))  # fmt: skip
                answers.append((number, pattern))
                yield (
                    number, number, agent, evaluator, version.id, status, pattern.score,
                    pattern.raw_score, pattern.auto_failed, pattern.passed,
                    rng.choice(COMMENTS) if roll < 0.3 else None,
                    rng.choice(STRENGTHS) if roll < 0.2 else None,
                    rng.choice(OPPORTUNITIES) if roll < 0.2 else None,
                    1, 3, m(submitted - timedelta(minutes=20)), m(acknowledged or submitted),
                    m(submitted), m(released), m(acknowledged),
                )  # fmt: skip

        evaluation_columns = (
            "id", "interaction_id", "agent_id", "evaluator_id", "scorecard_version_id",
            "status", "score", "raw_score", "auto_failed", "passed", "overall_comment",
            "strengths", "opportunities", "revision", "lock_version", "created_at",
            "updated_at", "submitted_at", "released_at", "acknowledged_at",
        )  # fmt: skip
        load.insert("evaluation", evaluation_columns, evaluation_rows())

        # Open work in every supervisor's queue: drafts (half answered) and assignments.
        next_interaction = len(plan) + 1
        next_evaluation = len(plan) + 1
        draft_rows, draft_interactions, assignment_rows = [], [], []
        for team, supervisor in supervisor_of.items():
            members = [a for a in agent_ids if team_of[a] == team]
            for slot in range(DRAFTS_PER_SUPERVISOR + ASSIGNMENTS_PER_SUPERVISOR):
                agent = members[slot % len(members)]
                occurred = now - timedelta(days=1 + slot % 5, hours=slot)
                draft_interactions.append((
                    next_interaction, agent, "phone", m(occurred), 300, SOURCE,
                    f"B{next_interaction:08d}", "General", None, m(occurred),
                ))  # fmt: skip
                if slot < DRAFTS_PER_SUPERVISOR:
                    version = versions["inbound-call"]
                    pattern = rng.choice(version.drafts)
                    draft_rows.append((
                        next_evaluation, next_interaction, agent, supervisor, version.id,
                        "draft", pattern.score, pattern.raw_score, pattern.auto_failed,
                        pattern.passed, None, None, None, 0, 2, m(now - timedelta(hours=2)),
                        m(now - timedelta(hours=1)), None, None, None,
                    ))  # fmt: skip
                    answers.append((next_evaluation, pattern))
                    next_evaluation += 1
                assignment_rows.append((
                    len(assignment_rows) + 1, next_interaction, supervisor,
                    versions["inbound-call"].scorecard_id, m(occurred),
                ))  # fmt: skip
                next_interaction += 1
        load.insert("interaction", interaction_columns, draft_interactions)
        load.insert("evaluation", evaluation_columns, draft_rows)
        load.insert(
            "assignment",
            ("id", "interaction_id", "evaluator_id", "scorecard_id", "created_at"),
            assignment_rows,
        )

        def answer_rows() -> Iterator[tuple[Any, ...]]:
            number = 0
            for evaluation, pattern in answers:
                for key, value, is_na, normalised in pattern.answers:
                    number += 1
                    yield (number, evaluation, key, value, is_na, normalised, None)

        load.insert(
            "answer",
            ("id", "evaluation_id", "criterion_key", "value", "is_na", "normalised", "comment"),
            answer_rows(),
        )
        answers.clear()
        load.insert(
            "dispute",
            ("id", "evaluation_id", "raised_by_id", "criterion_keys", "reason", "status",
             "raised_at", "resolved_by_id", "resolved_at", "resolution_note"),
            ((n, *row) for n, row in enumerate(disputes, start=1)),
        )  # fmt: skip
        load.insert("agent_daily_stat", STAT_COLUMNS, stat_rows(load, agent_ids, today, rng))
        load.finish()
    elapsed = time.perf_counter() - started
    checked = check_scores(app, 200, rng)
    rows = {table: count for table, (count, _) in load.counts.items()}
    total = sum(rows.values())
    print(f"{total:,} rows in {elapsed:.0f} s: {total / elapsed:,.0f} rows/s overall")
    return {
        "evaluations": evaluations,
        "agents": agents_n,
        "teams": teams_n,
        "rows": rows,
        "seconds": round(elapsed, 1),
        "rows_per_second": round(total / elapsed),
        "scores_checked": checked,
    }


def check_scores(app: Any, count: int, rng: random.Random) -> str:
    """Re-score `count` random evaluations from their stored answers with the engine, as
    the app reads them, and compare with the stored scores: "n/n match"."""
    from qa_app.evaluations.models import Evaluation
    from qa_app.evaluations.services import current_answers
    from qa_app.extensions import db
    from qa_app.scoring import score_evaluation

    with app.app_context():
        last = db.session.scalar(sa.select(sa.func.max(Evaluation.id)))
        same = 0
        for number in rng.sample(range(1, last + 1), min(count, last)):
            evaluation = db.session.get(Evaluation, number)
            answers, _comments = current_answers(evaluation)
            partial = evaluation.status == "draft"
            result = score_evaluation(evaluation.version.definition, answers, partial=partial)
            same += (result.score, result.auto_failed, result.passed) == (
                evaluation.score,
                evaluation.auto_failed,
                evaluation.passed,
            )
        db.session.remove()
    print(f"scores re-checked with the engine: {same}/{min(count, last)} match")
    return f"{same}/{min(count, last)}"


STAT_COLUMNS = (
    "id", "agent_id", "day", "channel", "contacts_handled", "handle_seconds", "talk_seconds",
    "hold_seconds", "acw_seconds", "logged_in_seconds", "csat_responses", "csat_positive",
    "nps_responses", "nps_promoters", "nps_detractors", "fcr_eligible", "fcr_resolved",
    "transfers", "source", "imported_at",
)  # fmt: skip


def stat_values(rng: random.Random) -> tuple[int, ...]:
    """One plausible agent-day of raw totals, in TOTAL_COLUMNS order."""
    contacts = max(0, int(rng.gauss(55, 12)))
    talk, hold, acw = (
        contacts * rng.randint(200, 320),
        contacts * rng.randint(5, 40),
        contacts * rng.randint(20, 70),
    )
    csat = contacts // 5
    nps = contacts // 6
    promoters = int(nps * rng.uniform(0.3, 0.7))
    fcr = contacts // 3
    return (
        contacts, talk + hold + acw, talk, hold, acw, rng.randint(6, 8) * 3600, csat,
        int(csat * rng.uniform(0.7, 0.95)), nps, promoters,
        int((nps - promoters) * rng.uniform(0.2, 0.6)), fcr, int(fcr * rng.uniform(0.6, 0.9)),
        contacts // 12,
    )  # fmt: skip


def stat_rows(
    load: Loader, agent_ids: Sequence[int], today: date, rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    """Every agent's "all"-channel totals for each of the last HISTORY_DAYS days."""
    imported = load.moment(datetime.now(UTC))
    number = 0
    for offset in range(HISTORY_DAYS, 0, -1):
        day = load.day(today - timedelta(days=offset))
        for agent in agent_ids:
            number += 1
            yield (number, agent, day, "all", *stat_values(rng), "import", imported)


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> None:
    """Command line: target database, size, seed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="SQLite file path or postgresql:// URL")
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--evaluations", type=int, help="overrides --size")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--reset", action="store_true", help="drop every table first")
    args = parser.parse_args(argv)
    url = database_url(args.database)
    evaluations = args.evaluations or SIZES[args.size]
    out(f"generating {evaluations:,} evaluations into {dialect_of(url)} ({args.database})")
    figures = generate(url, evaluations, args.seed, args.reset)
    from bench.common import write_figures

    write_figures(f"generate-{evaluations}", url, figures)


if __name__ == "__main__":
    main(sys.argv[1:])
