"""Promotion: the one way a calibration reaches an agent. On a closed session with an
expert, a manager makes the expert's scoring of an interaction a normal evaluation of its
agent (audited, at most once)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.calibration.models import CalibrationItem
from qa_app.calibration.services import CalibrationError, score_of, stored_answers
from qa_app.evaluations.models import Evaluation
from qa_app.evaluations.services import Edit, new_draft, submit
from qa_app.extensions import db


def promote_benchmark(item: CalibrationItem, actor: User) -> Evaluation:
    """Copy the expert's scoring of the interaction into a normal evaluation of its agent,
    scored by the expert and submitted by the manager (released as the team's setting
    says); the only way calibration reaches an agent. Audited."""
    session = item.session
    if actor.role != Role.MANAGER:
        raise CalibrationError(_l("Only a manager promotes a benchmark to an evaluation."))
    if session.is_open:
        raise CalibrationError(_l("Close the session before promoting its benchmark."))
    if session.expert is None:
        raise CalibrationError(
            _l("Only an expert's answers can be promoted; a consensus has no evaluator.")
        )
    if item.promoted_evaluation_id is not None:
        raise CalibrationError(_l("This benchmark is already an evaluation."))
    expert_score = score_of(item, session.expert)
    if expert_score is None or expert_score.submitted_at is None:
        raise CalibrationError(_l("The expert did not submit a scoring of this interaction."))
    interaction = item.interaction
    if interaction.agent_id == session.expert_id:
        raise CalibrationError(_l("The expert cannot evaluate their own interaction."))
    taken = db.session.scalar(
        sa.select(Evaluation.id).where(
            Evaluation.interaction_id == interaction.id,
            Evaluation.evaluator_id == session.expert_id,
        )
    )
    if taken is not None:
        raise CalibrationError(_l("The expert has already evaluated this interaction."))
    evaluation = new_draft(interaction, session.expert.id, session.scorecard_version_id)
    answers, comments = stored_answers(expert_score)
    submit(
        evaluation,
        Edit(
            answers,
            comments,
            {"overall_comment": expert_score.overall_comment},
            evaluation.lock_version,
        ),
        actor,
    )
    item.promoted_evaluation_id = evaluation.id
    record_event(
        "calibration.promoted",
        "calibration_session",
        session.id,
        after={"interaction_id": interaction.id, "evaluation_id": evaluation.id},
        actor_id=actor.id,
    )
    return evaluation
