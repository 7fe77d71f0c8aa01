"""The life of an evaluation: start, save, submit, release, acknowledge, dispute, resolve.

Every transition checks its rule here (not in a view) and writes an AuditEvent. Saves carry
the `lock_version` the editor loaded, so a stale save is refused rather than overwriting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from qa_app.audit.services import record_event
from qa_app.auth.models import User
from qa_app.database import utcnow
from qa_app.errors import RuleError
from qa_app.evaluations.answers import engine_value, stored_value
from qa_app.evaluations.deciders import deciders_of
from qa_app.evaluations.models import (
    Answer,
    Dispute,
    DisputeStatus,
    Evaluation,
    EvaluationRevision,
    EvaluationStatus,
)
from qa_app.evaluations.permissions import can_edit, can_release, can_resolve
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.notifications import events as notify
from qa_app.scorecards.models import Scorecard
from qa_app.scorecards.services import latest_version
from qa_app.scorecards.texts import criterion_labels
from qa_app.scoring import EvaluationScore, iter_criteria, score_evaluation
from qa_app.teams.models import Team
from qa_app.teams.scope import can_score

TEXT_FIELDS = ("overall_comment", "strengths", "opportunities")
# The longest reason an agent may give (a criterion's or the whole evaluation's).
TEXT_LIMIT = 4000


class EvaluationRuleError(RuleError, ValueError):
    """A step the rules do not allow now (the message is user-facing)."""


class StaleEvaluation(RuntimeError):
    """Someone saved the evaluation after this editor loaded it."""


@dataclass(frozen=True)
class Edit:
    """What an editor sends: answers for the engine, comments, the three texts."""

    answers: Mapping[str, object]
    comments: Mapping[str, str]
    texts: Mapping[str, str | None]
    lock_version: int


def start_evaluation(evaluator: User, interaction: Interaction, scorecard: Scorecard) -> Evaluation:
    """Open (or reopen) the evaluator's draft of an interaction on the scorecard's latest
    version."""
    existing = db.session.scalar(
        sa.select(Evaluation).where(
            Evaluation.interaction_id == interaction.id, Evaluation.evaluator_id == evaluator.id
        )
    )
    if existing is not None:
        return existing
    if not can_score(evaluator, interaction.agent_id):
        raise EvaluationRuleError(_l("You cannot evaluate this agent."))
    version = latest_version(scorecard)
    if version is None or scorecard.is_archived:
        raise EvaluationRuleError(_l("This scorecard has no active published version."))
    evaluation = new_draft(interaction, evaluator.id, version.id)
    record_event(
        "evaluation.started",
        "evaluation",
        evaluation.id,
        after={"interaction_id": interaction.id, "version_id": version.id},
        actor_id=evaluator.id,
    )
    return evaluation


def new_draft(interaction: Interaction, evaluator_id: int, version_id: int) -> Evaluation:
    """A new draft evaluation of the interaction's agent (added and flushed: it has an id);
    the caller has checked that the evaluator may score it and records the event."""
    evaluation = Evaluation(
        interaction_id=interaction.id,
        agent_id=interaction.agent_id,
        evaluator_id=evaluator_id,
        scorecard_version_id=version_id,
        status=EvaluationStatus.DRAFT,
    )
    db.session.add(evaluation)
    db.session.flush()
    return evaluation


def current_answers(evaluation: Evaluation) -> tuple[dict[str, object], dict[str, str]]:
    """The stored answers as the engine takes them, and the comments."""
    kinds = {c["key"]: c["kind"] for _, c in iter_criteria(evaluation.version.definition)}
    answers: dict[str, object] = {}
    comments: dict[str, str] = {}
    for row in evaluation.answers:
        if row.is_na or row.value is not None:
            answers[row.criterion_key] = engine_value(
                kinds[row.criterion_key], row.value, row.is_na
            )
        if row.comment:
            comments[row.criterion_key] = row.comment
    return answers, comments


def _snapshot(evaluation: Evaluation) -> dict[str, Any]:
    answers, comments = current_answers(evaluation)
    return {
        "answers": {
            key: {"value": value, "comment": comments.get(key)} for key, value in answers.items()
        },
        **{name: getattr(evaluation, name) for name in TEXT_FIELDS},
    }


def _apply(evaluation: Evaluation, edit: Edit, result: EvaluationScore) -> None:
    rows = {row.criterion_key: row for row in evaluation.answers}
    for _section, criterion in iter_criteria(evaluation.version.definition):
        key = criterion["key"]
        answered = key in edit.answers
        comment = edit.comments.get(key) or None
        row = rows.get(key)
        if not answered and comment is None:
            if row is not None:
                evaluation.answers.remove(row)
            continue
        if row is None:
            row = Answer(criterion_key=key)
            evaluation.answers.append(row)
        value = edit.answers.get(key)
        row.is_na = answered and value is None
        row.value = stored_value(value)
        row.normalised = result.normalised.get(key)
        row.comment = comment
    for name in TEXT_FIELDS:
        setattr(evaluation, name, (edit.texts.get(name) or "").strip() or None)
    # Always an UPDATE of the evaluation row, so its lock_version moves on every save, even
    # one that only changed answers or comments.
    evaluation.updated_at = utcnow()
    evaluation.score = result.score
    evaluation.raw_score = result.raw_score
    evaluation.auto_failed = result.auto_failed
    evaluation.passed = result.passed


def save_draft(evaluation: Evaluation, edit: Edit, actor: User) -> EvaluationScore:
    """Store whatever is answered so far (invalid values raise AnswerError, nothing saved).

    Only drafts: a submitted evaluation is corrected by submitting it again, complete.
    """
    _check_editable(evaluation, edit, actor)
    if evaluation.status != EvaluationStatus.DRAFT:
        raise EvaluationRuleError(
            _l("A submitted evaluation is corrected by submitting it again, complete.")
        )
    result = score_evaluation(evaluation.version.definition, edit.answers, partial=True)
    before = _snapshot(evaluation)
    _apply(evaluation, edit, result)
    after = _snapshot(evaluation)
    if before != after:
        record_event(
            "evaluation.saved",
            "evaluation",
            evaluation.id,
            before=_changed(before, after),
            after=_changed(after, before),
            actor_id=actor.id,
        )
    return result


def submit(evaluation: Evaluation, edit: Edit, actor: User) -> EvaluationScore:
    """Save and submit: every criterion must be answered (AnswerError lists each one).

    The team's release setting decides whether the agent sees it at once.
    """
    _check_editable(evaluation, edit, actor)
    result = score_evaluation(evaluation.version.definition, edit.answers)
    _apply(evaluation, edit, result)
    first = evaluation.status == EvaluationStatus.DRAFT
    evaluation.status = EvaluationStatus.SUBMITTED
    evaluation.submitted_at = evaluation.submitted_at or utcnow()
    _add_revision(evaluation, actor, "submitted" if first else "corrected before release")
    record_event(
        "evaluation.submitted",
        "evaluation",
        evaluation.id,
        after={
            "score": result.score,
            "raw_score": result.raw_score,
            "auto_failed": result.auto_failed,
            "revision": evaluation.revision,
        },
        actor_id=actor.id,
    )
    team = db.session.get(Team, evaluation.agent.team_id) if evaluation.agent.team_id else None
    if team is None or team.release_mode == "immediate":
        release(evaluation, actor)
    return result


def _check_editable(evaluation: Evaluation, edit: Edit, actor: User) -> None:
    if not can_edit(actor, evaluation):
        raise EvaluationRuleError(_l("This evaluation can no longer be changed here."))
    if edit.lock_version != evaluation.lock_version:
        raise StaleEvaluation


def _changed(one: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    answers = {
        key: value for key, value in one["answers"].items() if other["answers"].get(key) != value
    }
    texts = {name: one[name] for name in TEXT_FIELDS if one[name] != other[name]}
    return {"answers": answers, **texts} if answers else texts


def _add_revision(evaluation: Evaluation, actor: User, reason: str) -> EvaluationRevision:
    evaluation.revision += 1
    # Write the evaluation first: its version check then refuses a concurrent writer with
    # StaleDataError (a "reload" message) before the revision row could collide.
    db.session.flush()
    revision = EvaluationRevision(
        evaluation_id=evaluation.id,
        number=evaluation.revision,
        score=evaluation.score,
        raw_score=evaluation.raw_score,
        auto_failed=evaluation.auto_failed,
        passed=evaluation.passed,
        content=_snapshot(evaluation),
        reason=reason,
        created_by_id=actor.id,
    )
    db.session.add(revision)
    return revision


def release(evaluation: Evaluation, actor: User) -> None:
    """Show a submitted evaluation to its agent."""
    if not can_release(actor, evaluation):
        raise EvaluationRuleError(_l("Only a submitted evaluation can be released."))
    evaluation.status = EvaluationStatus.RELEASED
    evaluation.released_at = utcnow()
    record_event(
        "evaluation.released",
        "evaluation",
        evaluation.id,
        before={"status": EvaluationStatus.SUBMITTED.value},
        after={"status": EvaluationStatus.RELEASED.value},
        actor_id=actor.id,
    )
    notify.feedback_released(evaluation)


def acknowledge(evaluation: Evaluation, agent: User, comment: str | None) -> None:
    """The agent confirms they have read the feedback (optionally with a comment)."""
    if evaluation.agent_id != agent.id or evaluation.status != EvaluationStatus.RELEASED:
        raise EvaluationRuleError(_l("Only new feedback can be acknowledged."))
    evaluation.status = EvaluationStatus.ACKNOWLEDGED
    evaluation.acknowledged_at = utcnow()
    evaluation.acknowledgement_comment = (comment or "").strip() or None
    record_event(
        "evaluation.acknowledged",
        "evaluation",
        evaluation.id,
        after={"comment": evaluation.acknowledgement_comment},
        actor_id=agent.id,
    )


def dispute_deadline(evaluation: Evaluation, window_days: int) -> datetime | None:
    """The last moment the agent may dispute (None before release)."""
    if evaluation.released_at is None:
        return None
    return evaluation.released_at + timedelta(days=window_days)


def raise_dispute(
    evaluation: Evaluation,
    agent: User,
    criteria: Mapping[str, str],
    reason: str,
    *,
    window_days: int,
    now: datetime | None = None,
) -> Dispute:
    """Challenge released feedback within the window: named criteria (key → the agent's
    reason for it, one each), or with no criteria the evaluation as a whole (`reason`)."""
    now = now or utcnow()
    if evaluation.agent_id != agent.id or evaluation.status != EvaluationStatus.RELEASED:
        raise EvaluationRuleError(
            _l("Only new feedback that you have not acknowledged can be disputed.")
        )
    deadline = dispute_deadline(evaluation, window_days)
    if deadline is None or now > deadline:
        raise EvaluationRuleError(
            lazy_ngettext(
                "The %(num)d day for disputing this evaluation has passed.",
                "The %(num)d days for disputing this evaluation have passed.",
                window_days,
            )
        )
    reasons = {key: (text or "").strip() for key, text in dict(criteria).items()}
    _check_dispute_reasons(evaluation, reasons, reason)
    dispute = Dispute(
        evaluation=evaluation,
        raised_by_id=agent.id,
        criterion_keys=sorted(reasons),
        criterion_reasons=reasons,
        reason=reason.strip(),
        revision_before=evaluation.revision,
    )
    db.session.add(dispute)
    evaluation.status = EvaluationStatus.DISPUTED
    db.session.flush()
    record_event(
        "dispute.raised",
        "evaluation",
        evaluation.id,
        after={"dispute_id": dispute.id, "criteria": dispute.criterion_keys},
        actor_id=agent.id,
    )
    notify.dispute_raised(dispute, deciders_of(dispute))
    return dispute


def _check_dispute_reasons(evaluation: Evaluation, reasons: Mapping[str, str], reason: str) -> None:
    """Criteria of this evaluation, each with its own reason; without criteria, a reason."""
    labels = criterion_labels(evaluation.version.definition)
    if any(key not in labels for key in reasons):
        raise EvaluationRuleError(
            _l("Choose criteria of this evaluation, and give a reason for each one.")
        )
    missing = [label for key, label in labels.items() if key in reasons and not reasons[key]]
    if missing:
        raise EvaluationRuleError(
            _l(
                "Say why you dispute %(criteria)s: each disputed criterion needs its own reason.",
                criteria=", ".join(missing),
            )
        )
    too_long = [label for key, label in labels.items() if len(reasons.get(key, "")) > TEXT_LIMIT]
    if too_long or len(reason.strip()) > TEXT_LIMIT:
        raise EvaluationRuleError(
            lazy_ngettext(
                "Each reason may have at most %(num)d character.",
                "Each reason may have at most %(num)d characters.",
                TEXT_LIMIT,
            )
        )
    if not reasons and not reason.strip():
        raise EvaluationRuleError(
            _l(
                "Give a reason: tick the criteria you dispute and say why beside each one, or "
                "explain why you dispute the evaluation as a whole."
            )
        )


def _check_resolvable(dispute: Dispute, resolver: User, note: str) -> None:
    if dispute.status != DisputeStatus.OPEN:
        raise EvaluationRuleError(_l("This dispute has already been decided."))
    if not can_resolve(resolver, dispute):
        raise EvaluationRuleError(
            _l(
                "Another supervisor or a manager must decide this dispute: "
                "nobody decides about their own evaluation."
            )
        )
    if not note.strip():
        raise EvaluationRuleError(_l("Explain the decision to the agent."))


def reject_dispute(dispute: Dispute, resolver: User, note: str) -> None:
    """Keep the score as it is and tell the agent why."""
    _check_resolvable(dispute, resolver, note)
    _close(dispute, resolver, note, DisputeStatus.REJECTED)
    record_event(
        "dispute.rejected",
        "evaluation",
        dispute.evaluation_id,
        after={"dispute_id": dispute.id, "note": dispute.resolution_note},
        actor_id=resolver.id,
    )


def uphold_dispute(dispute: Dispute, resolver: User, note: str, edit: Edit) -> EvaluationScore:
    """Re-score the evaluation as a new revision (the old one is kept) and close the dispute."""
    _check_resolvable(dispute, resolver, note)
    evaluation = dispute.evaluation
    if edit.lock_version != evaluation.lock_version:
        raise StaleEvaluation
    result = score_evaluation(evaluation.version.definition, edit.answers)
    before = {
        "score": evaluation.score,
        "raw_score": evaluation.raw_score,
        "auto_failed": evaluation.auto_failed,
        "revision": evaluation.revision,
    }
    _apply(evaluation, edit, result)
    _add_revision(evaluation, resolver, "dispute upheld")
    _close(dispute, resolver, note, DisputeStatus.UPHELD)
    record_event(
        "dispute.upheld",
        "evaluation",
        evaluation.id,
        before=before,
        after={
            "score": result.score,
            "raw_score": result.raw_score,
            "auto_failed": result.auto_failed,
            "revision": evaluation.revision,
            "dispute_id": dispute.id,
        },
        actor_id=resolver.id,
    )
    return result


def _close(dispute: Dispute, resolver: User, note: str, status: DisputeStatus) -> None:
    dispute.status = status
    dispute.resolved_by_id = resolver.id
    dispute.resolved_at = utcnow()
    dispute.resolution_note = note.strip()
    dispute.revision_after = dispute.evaluation.revision
    dispute.evaluation.status = EvaluationStatus.RESOLVED
    notify.dispute_decided(dispute)


def delete_draft(evaluation: Evaluation, actor: User) -> None:
    """Throw away a draft nobody else has seen (audited with what it held)."""
    if evaluation.status != EvaluationStatus.DRAFT or not can_edit(actor, evaluation):
        raise EvaluationRuleError(_l("Only a draft can be deleted."))
    record_event(
        "evaluation.deleted",
        "evaluation",
        evaluation.id,
        before=_snapshot(evaluation),
        actor_id=actor.id,
    )
    db.session.delete(evaluation)
