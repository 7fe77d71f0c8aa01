"""Import every model so that SQLAlchemy and Alembic see the whole schema."""

from qa_app.api.models import ApiToken
from qa_app.audit.models import AuditEvent
from qa_app.auth.models import AgentIdentity, Role, SignInThrottle, User, UserSession
from qa_app.calibration.models import (
    CalibrationAnswer,
    CalibrationItem,
    CalibrationParticipant,
    CalibrationScore,
    CalibrationSession,
)
from qa_app.coaching.models import CoachingSession
from qa_app.evaluations.models import (
    Answer,
    Assignment,
    Dispute,
    Evaluation,
    EvaluationRevision,
    Sample,
)
from qa_app.interactions.models import Interaction
from qa_app.jobs.models import Job
from qa_app.main.models import HealthProbe
from qa_app.notifications.models import Notification, NotificationSetting
from qa_app.profiles.models import ImportProfile
from qa_app.scorecards.models import Scorecard, ScorecardCriterion, ScorecardVersion
from qa_app.stats.models import AgentDailyStat, ColumnMapping, KpiTarget
from qa_app.teams.models import Team, team_supervisor
from qa_app.training.models import KpiTrainingModule, TrainingModule, TrainingPlan, TrainingPlanItem

__all__ = [
    "AgentIdentity",
    "AgentDailyStat",
    "ApiToken",
    "Answer",
    "Assignment",
    "AuditEvent",
    "CalibrationAnswer",
    "CalibrationItem",
    "CalibrationParticipant",
    "CalibrationScore",
    "CalibrationSession",
    "CoachingSession",
    "ColumnMapping",
    "Dispute",
    "Evaluation",
    "EvaluationRevision",
    "HealthProbe",
    "ImportProfile",
    "Interaction",
    "Job",
    "KpiTarget",
    "KpiTrainingModule",
    "Notification",
    "NotificationSetting",
    "Sample",
    "Role",
    "Scorecard",
    "ScorecardCriterion",
    "ScorecardVersion",
    "SignInThrottle",
    "Team",
    "TrainingModule",
    "TrainingPlan",
    "TrainingPlanItem",
    "User",
    "UserSession",
    "team_supervisor",
]
