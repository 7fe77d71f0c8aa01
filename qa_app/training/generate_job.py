"""Draft training plans for many agents as a job: "Propose draft plans" on the training list
proposes a draft for every active agent of a team (or of all the coach's teams) who has no
open plan, with the proposal functions of `flask training generate`
(`proposals.propose_plans`). Drafts only, never issued: the coach reviews, edits and issues
each from its page, as after proposing one. All drafts or none; each audited as proposed by
the coach, with the job's id. The coach's role and teams are checked again when the job
runs: they may have lost them since."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import IO, Any

from flask_babel import get_timezone, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.jobs.models import Job
from qa_app.jobs.queue import JobOutcome, register_kind
from qa_app.jobs.services import start_job
from qa_app.teams.models import Team
from qa_app.teams.scope import agents_visible_to, teams_visible_to
from qa_app.training.permissions import COACH_ROLES
from qa_app.training.plans import PlanRuleError, centre_today
from qa_app.training.proposals import Outcome, default_period, propose_plans

DRAFT_PLANS = "training_draft_plans"


def coach_team(user: User, team_id: int | None) -> Team | None:
    """The team `user` may propose plans for (None: all their teams); PlanRuleError when
    the team is out of their sight (the web answers 404 before a job starts)."""
    if team_id is None:
        return None
    team = db.session.scalar(teams_visible_to(user).where(Team.id == team_id))
    if team is None:
        raise PlanRuleError(
            str(_l("You no longer coach this team, so no plans were proposed for it."))
        )
    return team


def agents_to_propose_for(user: User, team_id: int | None) -> list[User]:
    """The active agents of the team (None: of every team `user` coaches), by name."""
    coach_team(user, team_id)
    query = agents_visible_to(user).where(User.active.is_(True))
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    return list(db.session.scalars(query))


def start_draft_plans_job(user: User, team_id: int | None, *, agents: int, language: str) -> Job:
    """Record the proposing of drafts for a team's agents (None: all the coach's) over the
    default evidence period up to today, as a job (the caller commits and submits)."""
    start, end = default_period(centre_today())
    params = {"team_id": team_id, "period": [start.isoformat(), end.isoformat()]}
    return start_job(DRAFT_PLANS, user, params, total=max(agents, 1), language=language)


def _coach(job: Job) -> User:
    """The job's starter, if they still coach (active, a supervisor or a manager)."""
    starter = db.session.get(User, job.started_by_id)
    if starter is None or not starter.active:
        raise PlanRuleError(
            str(
                _l("The account that started this job is no longer active. No plans were proposed.")
            )
        )
    if starter.role not in COACH_ROLES:
        raise PlanRuleError(
            str(
                _l(
                    "The account that started this job no longer coaches agents. No plans were "
                    "proposed."
                )
            )
        )
    return starter


def run_draft_plans(job: Job, _out: IO[bytes], progress: Callable[[int], None]) -> JobOutcome:
    """Propose the drafts as the starter (all or none); what was proposed and why agents were
    skipped, in words."""
    params: dict[str, Any] = job.params
    job_id = job.id
    coach = _coach(job)
    agents = agents_to_propose_for(coach, params["team_id"])
    start, end = (date.fromisoformat(day) for day in params["period"])
    outcomes = propose_plans(
        agents,
        centre_today(),
        coach,
        get_timezone(),
        (start, end),
        progress=progress,
        job_id=job_id,
    )
    return JobOutcome(message=draft_plans_summary(outcomes))


def draft_plans_summary(outcomes: Sequence[Outcome]) -> str:
    """How many drafts were proposed and how many agents were skipped, and why."""
    created = sum(1 for outcome in outcomes if outcome.result == "created")
    open_plans = sum(1 for outcome in outcomes if outcome.result == "open_plan")
    too_few = sum(1 for outcome in outcomes if outcome.too_few_answers)
    no_gap = sum(1 for o in outcomes if o.result == "no_gap" and not o.too_few_answers)
    no_modules = sum(1 for outcome in outcomes if outcome.result == "no_modules")
    skipped = len(outcomes) - created
    sentences = [
        ngettext(
            "Proposed %(num)d draft plan: review it and issue it from its page.",
            "Proposed %(num)d draft plans: review each and issue it from its page.",
            created,
        )
        if created
        else _("No draft plan was proposed.")
    ]
    if skipped:
        sentences.append(ngettext("Skipped %(num)d agent.", "Skipped %(num)d agents.", skipped))
    reasons = [
        (
            open_plans,
            ngettext(
                "%(num)d agent already has an open plan.",
                "%(num)d agents already have an open plan.",
                open_plans,
            ),
        ),
        (
            too_few,
            ngettext(
                "%(num)d agent had too few evaluations in the period to tell.",
                "%(num)d agents had too few evaluations in the period to tell.",
                too_few,
            ),
        ),
        (
            no_gap,
            ngettext(
                "%(num)d agent showed no gap in the period.",
                "%(num)d agents showed no gap in the period.",
                no_gap,
            ),
        ),
        (
            no_modules,
            ngettext(
                "%(num)d agent has focus areas that no catalogue module covers.",
                "%(num)d agents have focus areas that no catalogue module covers.",
                no_modules,
            ),
        ),
    ]
    sentences += [text for count, text in reasons if count]
    return " ".join(sentences)


def register_generate_jobs() -> None:
    """Make the proposing of draft plans known to the queue."""
    register_kind(
        DRAFT_PLANS, run_draft_plans, _l("Draft training plans"), progress_words=_agents_words
    )


def _agents_words(done: str, total: str, count: int) -> str:
    """The job's progress: agents looked at."""
    return ngettext(
        "%(done)s of %(total)s agent", "%(done)s of %(total)s agents", count, done=done, total=total
    )
