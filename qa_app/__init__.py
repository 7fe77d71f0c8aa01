"""QA Coach: quality assurance and coaching for contact centres."""

from __future__ import annotations

import os

from flask import Flask

from config import Config, ConfigError, DevelopmentConfig, config_from_environment
from qa_app.uploads.xlsx_safety import require_defused_xml


def create_app(config: Config | type[Config] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, errors, commands."""
    app = Flask(__name__, instance_relative_config=True)
    if config is None:
        config = config_from_environment()
    elif isinstance(config, type):
        config = config()
    if isinstance(config, DevelopmentConfig):
        config.resolve_instance_secret(app.instance_path)
    config.validate()
    require_defused_xml()
    app.config.from_object(config)

    prepare_scratch(app)
    prepare_cache_dir(app)
    register_extensions(app)
    register_jobs(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_commands(app)
    register_health_checks(app)
    return app


def prepare_scratch(app: Flask) -> None:
    """The private directory for exports' temporary files, cleared of what killed workers
    left there (qa_app.exports.scratch)."""
    from qa_app.exports.scratch import scratch_root, sweep

    path = app.config.get("SCRATCH_DIR") or os.path.join(app.instance_path, "scratch")
    try:
        app.config["SCRATCH_DIR"] = str(scratch_root(path))
    except OSError as exc:
        raise ConfigError(
            f"cannot create the private directory for temporary files {path!r}: {exc}. "
            "Set QA_SCRATCH_DIR to a directory the app may write."
        ) from exc
    sweep(app.config["SCRATCH_DIR"])


def prepare_cache_dir(app: Flask) -> None:
    """The filesystem cache's private directory (instance/cache unless QA_CACHE_DIR says)."""
    if app.config["CACHE_TYPE"] != "FileSystemCache":
        return
    path = app.config.get("CACHE_DIR") or os.path.join(app.instance_path, "cache")
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the cache directory {path!r}: {exc}. "
            "Set QA_CACHE_DIR to a directory the app may write, or QA_CACHE=redis."
        ) from exc
    app.config["CACHE_DIR"] = path


def register_extensions(app: Flask) -> None:
    """Bind the extensions to this app and configure the database engine."""
    from qa_app import models  # noqa: F401  (every model known before the engine is used)
    from qa_app.api.token_limits import init_token_failure_limit
    from qa_app.database import configure_engine
    from qa_app.extensions import babel, bootstrap, cache, csrf, db, login_manager, migrate
    from qa_app.i18n import (
        format_clock,
        format_day,
        format_moment,
        format_month,
        format_number,
        format_share,
        select_locale,
    )
    from qa_app.notifications.mail import register_outbox

    db.init_app(app)
    register_outbox()  # notification e-mails go out after the commit, never inside it
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    babel.init_app(app, locale_selector=select_locale)
    bootstrap.init_app(app)
    cache.init_app(app)
    init_token_failure_limit(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    app.jinja_env.filters.update(
        number=format_number,
        share=format_share,
        day=format_day,
        moment=format_moment,
        month=format_month,
        clock=format_clock,
    )


def register_jobs(app: Flask) -> None:
    """The job queue (qa_app.jobs) and the kinds of job the features run on it."""
    from qa_app.exports.jobs import register_export_jobs
    from qa_app.interactions.import_job import register_interaction_import_jobs
    from qa_app.jobs import queue
    from qa_app.jobs.metrics import job_metrics
    from qa_app.jobs.services import execute_job, tidy
    from qa_app.maintenance.jobs import register_maintenance_jobs
    from qa_app.stats.import_job import register_import_jobs
    from qa_app.training.generate_job import register_generate_jobs
    from qa_app.web.metrics import register_metrics_source

    register_export_jobs()
    register_import_jobs()
    register_interaction_import_jobs()
    register_generate_jobs()
    register_maintenance_jobs()
    queue.init_app(app, execute_job, tidy)
    register_metrics_source(app, "jobs", job_metrics)


def register_blueprints(app: Flask) -> None:
    """Attach every feature's blueprint (each declares its URL prefix in blueprint.py).

    `<int:…>` in every route matches ids the database can hold only (web.params.IdConverter):
    a larger number names nothing and is a 404, never a 500 from the database."""
    from qa_app.web.params import IdConverter

    app.url_map.converters["int"] = IdConverter
    from qa_app.admin.views import bp as admin_bp
    from qa_app.api.token_views import bp as api_tokens_bp
    from qa_app.api.views import bp as api_bp
    from qa_app.audit_trail.views import bp as audit_trail_bp
    from qa_app.auth.views import bp as auth_bp
    from qa_app.calibration.views import bp as calibration_bp
    from qa_app.coaching.views import bp as coaching_bp
    from qa_app.dashboards.views import bp as dashboards_bp
    from qa_app.disputes.views import bp as disputes_bp
    from qa_app.evaluations.views import bp as evaluations_bp
    from qa_app.exports.views import bp as exports_bp
    from qa_app.feedback.views import bp as feedback_bp
    from qa_app.interactions.views import bp as interactions_bp
    from qa_app.jobs.views import bp as jobs_bp
    from qa_app.main.views import bp as main_bp
    from qa_app.maintenance.views import bp as maintenance_bp
    from qa_app.notifications.views import bp as notifications_bp
    from qa_app.privacy.views import bp as privacy_bp
    from qa_app.profiles.views import bp as profiles_bp
    from qa_app.scorecards.views import bp as scorecards_bp
    from qa_app.stats.views import bp as stats_bp
    from qa_app.teams.views import bp as teams_bp
    from qa_app.training.views import bp as training_bp
    from qa_app.validity.views import bp as validity_bp

    for blueprint in (
        auth_bp,
        main_bp,
        admin_bp,
        teams_bp,
        scorecards_bp,
        interactions_bp,
        evaluations_bp,
        feedback_bp,
        disputes_bp,
        stats_bp,
        training_bp,
        coaching_bp,
        calibration_bp,
        exports_bp,
        dashboards_bp,
        validity_bp,
        api_tokens_bp,
        privacy_bp,
        profiles_bp,
        notifications_bp,
        audit_trail_bp,
        jobs_bp,
        maintenance_bp,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(api_bp, url_prefix="/api/v1")


def register_request_hooks(app: Flask) -> None:
    """Error pages (the API's in JSON), security headers and template helpers."""
    from qa_app.api.errors import http_error_response, is_api_request
    from qa_app.audit.changes import action_label, entity_label
    from qa_app.auth.models import Role
    from qa_app.channels import channel_name
    from qa_app.evaluations.models import DisputeStatus, EvaluationStatus
    from qa_app.interactions.outcomes import nps_group
    from qa_app.labels import label_of
    from qa_app.main.navigation import nav_items
    from qa_app.notifications.services import unread_for_current_user
    from qa_app.notifications.views import email_configured, email_setting_form
    from qa_app.stats.display import composite_flag_label, kpi_label, kpi_value
    from qa_app.training.models import ItemStatus, PlanStatus
    from qa_app.web.error_pages import register_error_handlers
    from qa_app.web.metrics import register_metrics
    from qa_app.web.nul_guard import register_nul_guard
    from qa_app.web.security import register_security_headers, trust_reverse_proxy
    from qa_app.web.templating import register_template_helpers

    # The statuses templates name with status_label(): evaluations, disputes, plans, items.
    statuses = (EvaluationStatus, DisputeStatus, PlanStatus, ItemStatus)
    register_metrics(app)  # first: its timer starts before every other hook
    register_error_handlers(app, json_errors=(is_api_request, http_error_response))
    register_nul_guard(app, checked_elsewhere=is_api_request)
    register_security_headers(app)
    trust_reverse_proxy(app)
    register_template_helpers(
        app,
        nav_items=nav_items,
        role_label=lambda role: Role(role).label,
        status_label=lambda status: label_of(status, statuses),
        channel_name=channel_name,
        kpi_label=kpi_label,
        kpi_value=kpi_value,
        unread_notifications=unread_for_current_user,
        notification_email_form=email_setting_form,
        notification_email_configured=email_configured,
        action_label=action_label,
        entity_label=entity_label,
        composite_flag_label=composite_flag_label,
        nps_group=nps_group,
    )


def register_health_checks(app: Flask) -> None:
    """What /healthz checks (qa_app.web.health): the database, the cache, the job queue."""
    from qa_app.main.health import register_health_checks as register_main_checks

    register_main_checks(app)


def register_commands(app: Flask) -> None:
    """The `flask --app run …` commands, each in its feature's cli.py."""
    from qa_app.admin.cli import agents_group, create_user_command
    from qa_app.api.cli import api_token_group
    from qa_app.demo.cli import seed_demo_command
    from qa_app.exports.cli import export_group
    from qa_app.interactions.cli import import_interactions_command
    from qa_app.jobs.cli import jobs_group
    from qa_app.maintenance.cli import backup_group, integrity_group
    from qa_app.privacy.cli import privacy_group
    from qa_app.reminders.cli import notifications_group
    from qa_app.stats.cli import import_stats_command, report_group
    from qa_app.training.cli import scorecards_group, training_group

    for command in (
        create_user_command,
        agents_group,
        seed_demo_command,
        scorecards_group,
        import_stats_command,
        import_interactions_command,
        report_group,
        training_group,
        export_group,
        api_token_group,
        privacy_group,
        backup_group,
        integrity_group,
        notifications_group,
        jobs_group,
    ):
        app.cli.add_command(command)
