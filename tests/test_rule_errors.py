"""Every domain rule error is a RuleError, so one place (web.transaction.committing) can
answer it; the few exceptions that are not say why below."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask_babel import lazy_gettext as _l

import qa_app
from qa_app.errors import RuleError

# An exception class defined in qa_app that is not a RuleError must be listed here, with
# the reason: a new one that is neither fails the test below.
NOT_RULE_ERRORS = {
    # Invariant guards in ORM events: reaching them is a bug, so they must end in a 500.
    "qa_app.audit.models.AuditEventImmutable": "append-only audit log",
    "qa_app.scorecards.models.PublishedVersionImmutable": "published versions never change",
    # Optimistic-lock conflicts (like SQLAlchemy's StaleDataError): nobody broke a rule,
    # someone else saved first; each view answers with its own page (a 409 with the diff, a
    # warning and the current draft).
    "qa_app.evaluations.services.StaleEvaluation": "concurrent save",
    "qa_app.scorecards.drafts.DraftConflict": "concurrent save",
    # The API's transport answer (status, code, details), rendered as JSON by api.errors.
    "qa_app.api.errors.ApiError": "API error response",
    # Files and tools failing under `flask backup`/`restore` (unreadable file, pg_dump's exit
    # status, a locked database): an operator's environment problem, printed by the CLI, with
    # server paths no web page should flash.
    "qa_app.maintenance.backup.BackupError": "operator-facing I/O failure",
}

RULE_ERRORS = [
    "qa_app.admin.services.AdminRuleError",
    "qa_app.teams.services.TeamRuleError",
    "qa_app.api.tokens.TokenRuleError",
    "qa_app.calibration.services.CalibrationError",
    "qa_app.coaching.sessions.SessionRuleError",
    "qa_app.evaluations.sampling.SamplingError",
    "qa_app.evaluations.assignments.ReassignmentError",
    "qa_app.evaluations.services.EvaluationRuleError",
    "qa_app.interactions.services.DuplicateReference",
    "qa_app.privacy.anonymise.AnonymiseError",
    "qa_app.scorecards.definition.DefinitionError",
    "qa_app.scorecards.drafts.DraftRuleError",
    "qa_app.scoring.AnswerError",
    "qa_app.training.plans.PlanRuleError",
    "qa_app.uploads.dates.DateOrderError",
    "qa_app.uploads.presets.PresetError",
    "qa_app.profiles.services.ProfileError",
    "qa_app.uploads.reader.TableError",
    "qa_app.jobs.services.JobQueueUnavailable",
    "qa_app.exports.jobs.StarterGone",
    "qa_app.stats.import_job.ImportStarterGone",
    "qa_app.maintenance.jobs.MaintenanceStarterGone",
    "qa_app.maintenance.jobs.BackupFailed",
    "qa_app.interactions.import_job.ImportStarterGone",
]


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in a qa_app module, by its dotted name."""
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(qa_app.__path__, "qa_app."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_every_exception_class_is_a_rule_error_or_says_why_not() -> None:
    classes = _exception_classes()
    unlisted = sorted(
        name
        for name, cls in classes.items()
        if not issubclass(cls, RuleError) and name not in NOT_RULE_ERRORS
    )
    assert unlisted == [], "make these RuleErrors, or list them in NOT_RULE_ERRORS with why"
    assert sorted(name for name, cls in classes.items() if issubclass(cls, RuleError)) == sorted(
        ["qa_app.errors.RuleError", *RULE_ERRORS]
    )
    assert set(NOT_RULE_ERRORS) <= set(classes), "a listed class no longer exists"
    assert not any(issubclass(classes[name], RuleError) for name in NOT_RULE_ERRORS)


@pytest.mark.parametrize("name", RULE_ERRORS)
def test_rule_errors_stay_value_errors(name: str) -> None:
    """Each kept ValueError in its bases, so code that caught ValueError still does."""
    module_name, class_name = name.rsplit(".", 1)
    cls = getattr(importlib.import_module(module_name), class_name)
    assert issubclass(cls, RuleError)
    assert issubclass(cls, ValueError)


def test_message_is_the_user_facing_text() -> None:
    assert RuleError("The plan is closed.").message == "The plan is closed."


def test_message_resolves_a_lazy_translation(app_context: None) -> None:
    error = RuleError(_l("Draft deleted."))
    assert error.message == "Draft deleted."
    assert isinstance(error.message, str)
