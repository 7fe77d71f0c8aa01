"""Two people doing the same thing at once: no lost update, no duplicate row, a clear answer.

Each race runs the first writer's transaction up to just before its commit, starts the second
writer in another thread (another request, another database connection) and checks that the
second waits for, or is refused because of, the first — on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm.exc import StaleDataError

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.auth.passwords import verify_password
from qa_app.evaluations import services
from qa_app.evaluations.models import Dispute, DisputeStatus, Evaluation, EvaluationStatus
from qa_app.extensions import db
from qa_app.interactions.importer import import_interactions
from qa_app.interactions.models import Interaction
from qa_app.stats.importer import import_stats
from qa_app.stats.models import AgentDailyStat
from tests.conftest import PASSWORD, Organisation, csrf_token, post_form, sign_in

STATS = (
    b"Agent;Date;Calls Handled;AHT;Staffed Time\n"
    b"a1@example.test;2026-11-02;80;0:05:00;8:00:00\n"
    b"a1@example.test;2026-11-03;60;0:04:00;7:00:00\n"
    b"a2@example.test;2026-11-02;20;250;14400\n"
)
INTERACTIONS = (
    b"agent,channel,occurred_at,external_ref\n"
    b"a1@example.test,phone,2026-11-02 09:00,CALL-1\n"
    b"a2@example.test,chat,2026-11-02 10:00,CALL-2\n"
)
# Long enough for the second writer to reach its wait; far below SQLite's busy timeout.
SETTLE_SECONDS = 0.5


class Second:
    """Run `work` in another thread with its own application context; keep what it raised."""

    def __init__(self, app: Flask, work: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None

        def run() -> None:
            with app.app_context():
                try:
                    self.result = work()
                    db.session.commit()
                except BaseException as error:  # noqa: BLE001 - inspected by the test
                    db.session.rollback()
                    self.error = error

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def join(self) -> None:
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the second writer never finished"


def _race(app: Flask, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Second]:
    """`first` runs up to its commit; `second` starts meanwhile and must wait for it."""
    with app.app_context():
        result = first()
        db.session.flush()  # the first writer's rows are written, its commit is next
        other = Second(app, second)
        time.sleep(SETTLE_SECONDS)
        assert other.thread.is_alive(), "the second writer did not wait for the first"
        db.session.commit()
    other.join()
    return result, other


def _admin(org: Organisation) -> User:
    return db.session.get(User, org.admin.id)


def _import_stats(org: Organisation) -> Callable[[], Any]:
    def run() -> Any:
        return import_stats(
            STATS,
            "stats.csv",
            source="acd",
            actor=_admin(org),
            max_bytes=1_000_000,
            max_rows=1000,
        )

    return run


def test_two_imports_of_the_same_statistics_file_store_each_agent_day_once(
    app: Flask, org: Organisation
) -> None:
    first, second = _race(app, _import_stats(org), _import_stats(org))

    assert second.error is None, repr(second.error)
    assert (first.new, first.replaced) == (3, 0)
    # The second waited for the first, so it saw and replaced the three agent-days.
    assert (second.result.new, second.result.replaced) == (0, 3)
    with app.app_context():
        rows = db.session.execute(
            sa.select(AgentDailyStat.agent_id, AgentDailyStat.day, AgentDailyStat.channel)
        ).all()
        assert len(rows) == len(set(rows)) == 3
        imports = db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "stats.imported")
        )
        assert imports == 2


def _import_interactions(org: Organisation) -> Callable[[], Any]:
    def run() -> Any:
        from zoneinfo import ZoneInfo

        return import_interactions(
            INTERACTIONS,
            "calls.csv",
            source="acd",
            actor=_admin(org),
            tz=ZoneInfo("UTC"),
            max_bytes=1_000_000,
            max_rows=1000,
        )

    return run


def test_two_imports_of_the_same_interactions_file_insert_each_call_once(
    app: Flask, org: Organisation
) -> None:
    first, second = _race(app, _import_interactions(org), _import_interactions(org))

    assert second.error is None, repr(second.error)
    assert (first.new, first.already_imported) == (2, 0)
    assert (second.result.new, second.result.already_imported) == (0, 2)
    with app.app_context():
        refs = db.session.scalars(sa.select(Interaction.external_ref)).all()
        assert sorted(refs) == ["CALL-1", "CALL-2"]


# --- a dispute decision racing another decision or an edit ----------------------------------


def _dispute(records: dict[str, int]) -> Dispute:
    return db.session.get(Dispute, records["dispute_id"])


def _decide(records: dict[str, int], org: Organisation, how: str) -> Callable[[], Any]:
    """A decision on the open dispute by supervisor A, from a page loaded before any other."""

    def run() -> Any:
        dispute = _dispute(records)
        resolver = db.session.get(User, org.supervisor_a.id)
        if how == "reject":
            return services.reject_dispute(dispute, resolver, "The score stands.")
        evaluation = dispute.evaluation
        edit = services.Edit(
            {"greeting": how == "uphold-yes", "empathy": 5}, {}, {}, evaluation.lock_version
        )
        return services.uphold_dispute(dispute, resolver, "Re-scored.", edit)

    return run


def _state(app: Flask, records: dict[str, int]) -> tuple[str, str, float | None, int]:
    with app.app_context():
        dispute = _dispute(records)
        evaluation = dispute.evaluation
        return dispute.status, evaluation.status, evaluation.score, evaluation.revision


def _decisions(app: Flask) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEvent.action).where(
                    AuditEvent.action.in_(["dispute.upheld", "dispute.rejected"])
                )
            )
        )


@pytest.mark.parametrize(
    ("first", "second", "outcome"),
    [
        ("reject", "uphold-yes", DisputeStatus.REJECTED),
        ("uphold-yes", "reject", DisputeStatus.UPHELD),
        ("uphold-yes", "uphold-no", DisputeStatus.UPHELD),
    ],
)
def test_the_later_of_two_dispute_decisions_is_refused(
    first: str,
    second: str,
    outcome: DisputeStatus,
    app: Flask,
    records: dict[str, int],
    org: Organisation,
) -> None:
    before = _state(app, records)

    _, loser = _race(app, _decide(records, org, first), _decide(records, org, second))

    # The loser read the dispute as open before the winner committed: its write is refused.
    assert isinstance(
        loser.error, StaleDataError | services.StaleEvaluation | services.EvaluationRuleError
    ), repr(loser.error)
    status, evaluation_status, score, revision = _state(app, records)
    assert (status, evaluation_status) == (outcome, EvaluationStatus.RESOLVED)
    assert _decisions(app) == ["dispute." + outcome]
    if outcome == DisputeStatus.REJECTED:
        assert (score, revision) == before[2:]
    else:
        assert revision == before[3] + 1


def test_an_agent_acknowledging_while_a_dispute_is_raised_keeps_one_outcome(
    app: Flask, records: dict[str, int], org: Organisation
) -> None:
    """Two tabs of the same agent: one disputes the feedback, the other acknowledges it."""
    evaluation_id = records["released_id"]

    def dispute() -> Any:
        evaluation = db.session.get(Evaluation, evaluation_id)
        agent = db.session.get(User, org.agent_a1.id)
        return services.raise_dispute(evaluation, agent, {}, "Not fair.", window_days=14)

    def acknowledge() -> Any:
        evaluation = db.session.get(Evaluation, evaluation_id)
        agent = db.session.get(User, org.agent_a1.id)
        return services.acknowledge(evaluation, agent, "Thanks.")

    _, loser = _race(app, dispute, acknowledge)

    assert isinstance(loser.error, StaleDataError | services.EvaluationRuleError), repr(loser.error)
    with app.app_context():
        evaluation = db.session.get(Evaluation, evaluation_id)
        assert evaluation.status == EvaluationStatus.DISPUTED
        assert evaluation.acknowledged_at is None


def test_the_loser_of_a_dispute_decision_is_told_in_words(
    app: Flask, records: dict[str, int], org: Organisation
) -> None:
    """Two resolvers open the same dispute; the later submit gets a message, not a 500."""
    path = f"/disputes/{records['dispute_id']}"
    late = app.test_client()
    assert sign_in(late, org.supervisor_a.email).status_code == 302
    assert late.get(path).status_code == 200
    with app.app_context():
        services.reject_dispute(
            _dispute(records), db.session.get(User, org.supervisor_a.id), "Stands."
        )
        db.session.commit()

    response = post_form(late, path, {"decision": "reject", "note": "Also stands."})

    assert response.status_code == 302
    followed = late.get(response.headers["Location"]).get_data(as_text=True)
    assert "This dispute has already been decided." in followed
    assert _decisions(app) == ["dispute.rejected"]


@pytest.mark.parametrize("step", ["save_draft", "submit"])
def test_two_supervisors_saving_the_same_evaluation_lose_nothing(
    step: str, app: Flask, records: dict[str, int], org: Organisation
) -> None:
    """Both opened the draft at the same version; the later save is refused, not merged."""
    with app.app_context():
        loaded = db.session.get(Evaluation, records["draft_id"]).lock_version

    def save(who: str, greeting: bool) -> Callable[[], Any]:
        def run() -> Any:
            evaluation = db.session.get(Evaluation, records["draft_id"])
            edit = services.Edit({"greeting": greeting, "empathy": 3}, {}, {}, loaded)
            return getattr(services, step)(
                evaluation, edit, db.session.get(User, org.member(who).id)
            )

        return run

    _, loser = _race(app, save("supervisor_a", True), save("manager", False))

    # Refused as stale, or (when the winner's submit released it) as no longer editable.
    assert isinstance(
        loser.error, StaleDataError | services.StaleEvaluation | services.EvaluationRuleError
    ), repr(loser.error)
    with app.app_context():
        evaluation = db.session.get(Evaluation, records["draft_id"])
        assert {row.criterion_key: row.value for row in evaluation.answers}["greeting"] == 1.0
        assert evaluation.lock_version > loaded


# --- password guesses arriving all at once ----------------------------------------------------

# Simultaneous guesses: more than either limit, so a counter that is read, changed and
# written without a lock lets several through at once.
SIMULTANEOUS_GUESSES = 40
# How long each counted password check takes: a production scrypt hash costs about this
# much, and the race needs the check to take some time.
CHECK_SECONDS = 0.05


class PasswordChecks:
    """Counts the password hashes compared (werkzeug's check, behind every verification)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from qa_app.auth import passwords

        self.count = 0
        self._lock = threading.Lock()
        real = passwords.check_password_hash

        def counting(password_hash: str, password: str) -> bool:
            with self._lock:
                self.count += 1
            time.sleep(CHECK_SECONDS)
            return real(password_hash, password)

        monkeypatch.setattr(passwords, "check_password_hash", counting)


def _all_at_once(posts: list[Callable[[], Any]]) -> list[int | BaseException]:
    """Run each POST in its own thread (own request, own database connection), released
    together; the status codes, or what a request raised instead of answering."""
    start = threading.Barrier(len(posts))
    answers: list[int | BaseException] = [RuntimeError("no answer")] * len(posts)

    def run(index: int) -> None:
        start.wait()
        try:
            answers[index] = posts[index]().status_code
        except BaseException as error:  # noqa: BLE001 - a 500 in a test client; inspected
            answers[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a request never finished"
    return answers


def _guess(app: Flask, email: str, *, client_address: str) -> Callable[[], Any]:
    """A browser that has loaded the sign-in page; calling the result posts a wrong guess."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = client_address
    token = csrf_token(browser)
    data = {"email": email, "password": "Summer2026!", "csrf_token": token}
    return lambda: browser.post("/login", data=data)


def _sign_in_from(app: Flask, client_address: str, email: str) -> Any:
    """Sign in with the right password from a new browser at `client_address`."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = client_address
    return sign_in(browser, email)


def _events(app: Flask, action: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == action))


def test_simultaneous_guesses_at_one_account_check_no_more_than_its_limit(
    app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each guess from another client address, so only the account's limit applies."""
    victim = make_user(email="victim@example.test")
    guesses = [
        _guess(app, victim.email, client_address=f"198.51.100.{number}")
        for number in range(1, SIMULTANEOUS_GUESSES + 1)
    ]
    checks = PasswordChecks(monkeypatch)

    answers = _all_at_once(guesses)

    assert answers == [401] * SIMULTANEOUS_GUESSES  # wrong or locked; no 500
    assert checks.count == app.config["SIGN_IN_MAX_FAILURES"]
    # The account stays locked: even the right password is refused.
    refused = _sign_in_from(app, "203.0.113.1", victim.email)
    assert "Too many failed sign-in attempts" in refused.get_data(as_text=True)
    assert checks.count == app.config["SIGN_IN_MAX_FAILURES"]
    assert _events(app, "auth.locked") == 1


def test_simultaneous_guesses_from_one_client_check_no_more_than_its_limit(
    app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Password spraying: one guess at each of many accounts, all from one client address."""
    limit = app.config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"]
    victim = make_user(email="victim@example.test")
    guesses = [
        _guess(app, f"user{number}@example.test", client_address="198.51.100.7")
        for number in range(limit + SIMULTANEOUS_GUESSES // 2)
    ]
    checks = PasswordChecks(monkeypatch)

    answers = _all_at_once(guesses)

    assert answers == [401] * len(guesses)
    assert checks.count == limit
    assert _sign_in_from(app, "198.51.100.7", victim.email).status_code == 401
    assert checks.count == limit
    assert _events(app, "auth.address_locked") == 1


def test_simultaneous_guesses_at_the_current_password_check_no_more_than_the_limit(
    app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stolen session guessing the current password to set a new one, many tabs at once."""
    user = make_user(email="victim@example.test")
    browser = app.test_client()
    assert sign_in(browser, user.email).status_code == 302
    token = csrf_token(browser, "/account")
    cookie = browser.get_cookie("qa_session").value
    new = "a brand new passphrase"

    def tab(number: int) -> Callable[[], Any]:
        other = app.test_client()
        other.set_cookie("qa_session", cookie)
        data = {
            "current_password": f"guess number {number}",
            "new_password": new,
            "confirm": new,
            "csrf_token": token,
        }
        return lambda: other.post("/account/password", data=data)

    tabs = [tab(number) for number in range(SIMULTANEOUS_GUESSES)]
    checks = PasswordChecks(monkeypatch)

    answers = _all_at_once(tabs)

    assert answers == [400] * SIMULTANEOUS_GUESSES
    assert checks.count == app.config["SIGN_IN_MAX_FAILURES"]
    right = {"current_password": PASSWORD, "new_password": new, "confirm": new}
    assert post_form(browser, "/account/password", right).status_code == 400
    assert checks.count == app.config["SIGN_IN_MAX_FAILURES"]
    with app.app_context():
        password_hash = db.session.get(User, user.id).password_hash
    monkeypatch.undo()
    assert verify_password(password_hash, PASSWORD)  # unchanged
    assert _events(app, "auth.locked") == 1
