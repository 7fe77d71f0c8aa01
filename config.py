"""Configuration classes, read from environment variables only.

`QA_CONFIG` chooses the class (`production` by default, `development` for `make run`).
Every setting an operator may change is listed in README.md.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

# Values that are never acceptable as a production secret: empty, the Flask docs' examples,
# and what people paste from tutorials.
WEAK_SECRET_KEYS = frozenset(
    {"", "dev", "secret", "changeme", "change-me", "secret-key", "default"}
)


# Where jobs wait for the worker: a SQLite file under instance/ (one server), Redis (several
# servers), or inside the request that starts them (the test suite).
JOBS_BACKENDS = ("sqlite", "redis", "immediate")


# How notification e-mails reach the SMTP server: STARTTLS, TLS from the start, or plain.
SMTP_TLS_MODES = ("starttls", "ssl", "off")

# Where the centre dashboard's figures are cached (QA_CACHE), as Flask-Caching names them:
# files in instance/ shared by one machine's workers, Redis shared by several machines, one
# process's memory, or nothing.
CACHE_BACKENDS = {
    "filesystem": "FileSystemCache",
    "redis": "RedisCache",
    "simple": "SimpleCache",
    "none": "NullCache",
}


class ConfigError(RuntimeError):
    """The environment does not describe a configuration the app can start with."""


def normalise_database_url(url: str) -> str:
    """Return a SQLAlchemy URL; the `postgres://` forms hosting providers give map to psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _flag(environ: Mapping[str, str], name: str) -> bool:
    raw = (environ.get(name) or "").strip().lower()
    if raw in ("", "0", "off", "false", "no"):
        return False
    if raw in ("1", "on", "true", "yes"):
        return True
    raise ConfigError(f"{name} must be on or off, got {raw!r}")


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    TESTING = False
    DEBUG = False

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.SECRET_KEY = env.get("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            env.get("DATABASE_URL") or "sqlite:///qa_coach.sqlite"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SQLITE_BUSY_TIMEOUT_MS = _int(env, "SQLITE_BUSY_TIMEOUT_MS", 15_000)

        # Sessions: server-side session rows (auth.models.UserSession) carry the absolute
        # lifetime; the signed cookie carries the last-activity time for the idle timeout.
        self.SESSION_COOKIE_NAME = "qa_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = False
        self.SESSION_IDLE_MINUTES = _int(env, "SESSION_IDLE_MINUTES", 60)
        self.SESSION_ABSOLUTE_HOURS = _int(env, "SESSION_ABSOLUTE_HOURS", 12)
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=self.SESSION_ABSOLUTE_HOURS)
        self.REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

        # CSRF tokens live as long as the session, so a long scoring form never expires first.
        self.WTF_CSRF_TIME_LIMIT = self.SESSION_ABSOLUTE_HOURS * 3600
        self.WTF_I18N_ENABLED = True

        self.SIGN_IN_MAX_FAILURES = _int(env, "SIGN_IN_MAX_FAILURES", 5)
        self.SIGN_IN_LOCK_MINUTES = _int(env, "SIGN_IN_LOCK_MINUTES", 15)
        # From one client address, over all e-mail addresses; 0 turns it off. Behind a reverse
        # proxy set PROXY_FIX_HOPS, or every user shares the proxy's address.
        self.SIGN_IN_MAX_FAILURES_PER_ADDRESS = _int(env, "SIGN_IN_MAX_FAILURES_PER_ADDRESS", 30)
        # Failed API token attempts from one client address within the window; then 429 until
        # the window has passed. Counted in Redis when REDIS_URL is set (every instance), else
        # in each process's memory. 0 turns it off.
        self.API_TOKEN_MAX_FAILURES = _int(env, "API_TOKEN_MAX_FAILURES", 20)
        self.API_TOKEN_FAILURE_MINUTES = _int(env, "API_TOKEN_FAILURE_MINUTES", 15)
        self.PASSWORD_MIN_LENGTH = _int(env, "PASSWORD_MIN_LENGTH", 10)
        self.PASSWORD_HASH_METHOD = env.get("PASSWORD_HASH_METHOD") or "scrypt"

        self.STATS_MAX_ROWS = _int(env, "STATS_MAX_ROWS", 1_000_000)
        self.STATS_MAX_MB = _int(env, "STATS_MAX_MB", 200)
        self.COMPOSITE_QA_WEIGHT = _int(env, "COMPOSITE_QA_WEIGHT", 60)
        self.COMPOSITE_KPI_WEIGHT = _int(env, "COMPOSITE_KPI_WEIGHT", 40)
        self.MIN_EVALUATIONS = _int(env, "MIN_EVALUATIONS", 3)
        # ± points of the interval "How many evaluations are enough?" and sampling aim for.
        self.EVALUATIONS_NEEDED_HALF_WIDTH = _int(env, "EVALUATIONS_NEEDED_HALF_WIDTH", 5)
        self.IMPORT_MAX_ROWS = _int(env, "IMPORT_MAX_ROWS", 200_000)
        self.PROXY_FIX_HOPS = _int(env, "PROXY_FIX_HOPS", 0)
        self.MAX_CONTENT_LENGTH = _int(env, "MAX_UPLOAD_MB", 16) * 1024 * 1024
        # Exports' temporary files (private, mode 0700); empty: instance/scratch.
        self.SCRATCH_DIR = env.get("QA_SCRATCH_DIR") or None

        # Redis, shared by every app instance: the cache and the API token limit use it when set.
        self.REDIS_URL = env.get("REDIS_URL") or None
        backend = (env.get("QA_CACHE") or ("redis" if self.REDIS_URL else "filesystem")).strip()
        self.QA_CACHE = backend.lower()
        # The centre dashboard's figures are at most this old (and "as of" the time shown).
        self.CACHE_MINUTES = _int(env, "CACHE_MINUTES", 10)
        self.CACHE_TYPE = CACHE_BACKENDS.get(self.QA_CACHE, "NullCache")
        self.CACHE_DEFAULT_TIMEOUT = self.CACHE_MINUTES * 60
        self.CACHE_KEY_PREFIX = "qa-coach:"
        self.CACHE_NO_NULL_WARNING = True  # QA_CACHE=none turns the cache off on purpose
        self.CACHE_REDIS_URL = self.REDIS_URL
        # Files of the filesystem cache; empty: instance/cache.
        self.CACHE_DIR = env.get("QA_CACHE_DIR") or None
        # Prometheus metrics at /metrics (qa_app.web.metrics); off: /metrics is a 404.
        self.METRICS_ENABLED = _flag(env, "QA_METRICS")
        # The job queue (qa_app.jobs): Redis when REDIS_URL is given, else a SQLite file.
        self.JOBS_BACKEND = (
            (env.get("JOBS_BACKEND") or ("redis" if self.REDIS_URL else "sqlite")).strip().lower()
        )
        self.JOBS_SQLITE_PATH = env.get("JOBS_SQLITE_PATH") or None  # empty: instance/jobs.sqlite
        # Finished jobs' files (exports), shared by every app server; empty: instance/job-results.
        self.JOB_RESULTS_DIR = env.get("JOB_RESULTS_DIR") or None
        self.JOB_RESULTS_DAYS = _int(env, "JOB_RESULTS_DAYS", 7)
        # An export of at least this many evaluations runs as a job (0: every export).
        self.EXPORT_JOB_MIN_EVALUATIONS = _int(env, "EXPORT_JOB_MIN_EVALUATIONS", 1000)
        # A confirmed statistics file of at least this many MB is imported by the worker.
        self.STATS_IMPORT_JOB_MIN_MB = _int(env, "STATS_IMPORT_JOB_MIN_MB", 2)
        # A confirmed interaction file of at least this many MB is imported by the worker.
        self.INTERACTION_IMPORT_JOB_MIN_MB = _int(env, "INTERACTION_IMPORT_JOB_MIN_MB", 2)

        # Each has a catalogue in qa_app/translations (en_GB: English words, British formats).
        self.LANGUAGES = ["en", "en_GB", "de", "pl", "fi", "nb"]
        # The centre's language: for users who chose none and whose browser asks for none
        # of LANGUAGES, and for the CLI.
        self.BABEL_DEFAULT_LOCALE = (env.get("QA_DEFAULT_LOCALE") or "en").strip().replace("-", "_")
        self.BABEL_DEFAULT_TIMEZONE = env.get("QA_TIMEZONE") or "UTC"
        self.BOOTSTRAP_SERVE_LOCAL = True

        # Notification e-mails (qa_app.notifications.mail): none while SMTP_HOST is empty.
        self.SMTP_HOST = env.get("SMTP_HOST") or None
        self.SMTP_TLS = (env.get("SMTP_TLS") or "starttls").strip().lower()
        self.SMTP_PORT = _int(env, "SMTP_PORT", 465 if self.SMTP_TLS == "ssl" else 587)
        self.SMTP_USER = env.get("SMTP_USER") or None
        self.SMTP_PASSWORD = env.get("SMTP_PASSWORD") or None
        self.SMTP_SENDER = env.get("SMTP_SENDER") or None
        self.SMTP_TIMEOUT_SECONDS = _int(env, "SMTP_TIMEOUT_SECONDS", 10)
        # Where users open the app (https://qa.example.com/), for the links in e-mails that
        # `flask notifications remind` sends; requests use their own address when unset.
        self.PUBLIC_URL = env.get("PUBLIC_URL") or None

        self.DISPUTE_WINDOW_DAYS = _int(env, "DISPUTE_WINDOW_DAYS", 7)
        # The tolerance band a new calibration session proposes (points on the 0–100 scale,
        # DESIGN.md "Calibration"); each session keeps the one it was created with.
        self.CALIBRATION_TOLERANCE_POINTS = _int(env, "CALIBRATION_TOLERANCE_POINTS", 5)
        # An open dispute older than this is flagged as overdue on its deciders' pages.
        self.DISPUTE_OVERDUE_DAYS = _int(env, "DISPUTE_OVERDUE_DAYS", 5)
        # Customer outcomes on interactions (qa_app.interactions.outcomes): the lowest CSAT
        # score that counts as positive when a file gives the score only (4: the top two
        # boxes of a 1–5 survey), and how many days after a contact the same customer's
        # next one is a repeat contact.
        self.CSAT_POSITIVE_FROM = _int(env, "CSAT_POSITIVE_FROM", 4)
        self.REPEAT_CONTACT_DAYS = _int(env, "REPEAT_CONTACT_DAYS", 7)
        # Training proposals (DESIGN.md "Training plans").
        self.TRAINING_PERIOD_DAYS = _int(env, "TRAINING_PERIOD_DAYS", 90)
        self.TRAINING_THRESHOLD_PCT = _int(env, "TRAINING_THRESHOLD_PCT", 80)
        self.TRAINING_MIN_ANSWERS = _int(env, "TRAINING_MIN_ANSWERS", 2)
        self.TRAINING_KPI_THRESHOLD_PCT = _int(env, "TRAINING_KPI_THRESHOLD_PCT", 90)
        self.TRAINING_PLAN_ITEMS = _int(env, "TRAINING_PLAN_ITEMS", 3)
        self.TRAINING_DUE_DAYS = _int(env, "TRAINING_DUE_DAYS", 14)
        # The agent's home lists plan items due within this many days (and overdue ones).
        self.TRAINING_DUE_SOON_DAYS = _int(env, "TRAINING_DUE_SOON_DAYS", 14)
        # "Did coaching work?": days compared on each side of a plan's issue (shorter while
        # the plan is younger, so that both sides always have the same length).
        self.FOLLOW_UP_DAYS = _int(env, "FOLLOW_UP_DAYS", 60)
        self.SCORECARDS_DIR = env.get("SCORECARDS_DIR") or str(
            Path(__file__).resolve().parent / "scorecards"
        )
        self.DEMO_PASSWORD = "demo1234"  # noqa: S105 - the documented demo login, not a secret

    def validate(self) -> None:
        """Raise ConfigError when the settings cannot run safely."""
        if self.BABEL_DEFAULT_LOCALE not in self.LANGUAGES:
            raise ConfigError(
                f"QA_DEFAULT_LOCALE must be one of {', '.join(self.LANGUAGES)}, "
                f"got {self.BABEL_DEFAULT_LOCALE!r}"
            )
        if self.SMTP_TLS not in SMTP_TLS_MODES:
            raise ConfigError(
                f"SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}, got {self.SMTP_TLS!r}"
            )
        if not 0 <= self.CALIBRATION_TOLERANCE_POINTS <= 100:
            raise ConfigError(
                "CALIBRATION_TOLERANCE_POINTS is points on the 0–100 scale: a whole number "
                f"from 0 to 100, got {self.CALIBRATION_TOLERANCE_POINTS}"
            )
        if self.QA_CACHE not in CACHE_BACKENDS:
            raise ConfigError(
                f"QA_CACHE must be one of {', '.join(CACHE_BACKENDS)}, got {self.QA_CACHE!r}"
            )
        if self.QA_CACHE == "redis" and not self.REDIS_URL:
            raise ConfigError(
                "QA_CACHE is redis but REDIS_URL is not set: set REDIS_URL to the Redis server, "
                "for example redis://127.0.0.1:6379/0, or choose QA_CACHE=filesystem."
            )
        # Both the cache (redis-py) and the API token limit (limits) read these two forms.
        if self.REDIS_URL and not self.REDIS_URL.startswith(("redis://", "rediss://")):
            raise ConfigError(
                f"REDIS_URL must start with redis:// or rediss://, got {self.REDIS_URL!r}"
            )
        if not 1 <= self.CACHE_MINUTES <= 60:
            raise ConfigError(f"CACHE_MINUTES must be between 1 and 60, got {self.CACHE_MINUTES}")
        if self.API_TOKEN_MAX_FAILURES < 0 or self.API_TOKEN_FAILURE_MINUTES < 1:
            raise ConfigError(
                "API_TOKEN_MAX_FAILURES must be 0 (off) or more and API_TOKEN_FAILURE_MINUTES "
                f"at least 1, got {self.API_TOKEN_MAX_FAILURES} and "
                f"{self.API_TOKEN_FAILURE_MINUTES}"
            )
        if self.JOBS_BACKEND not in JOBS_BACKENDS:
            raise ConfigError(
                f"JOBS_BACKEND must be one of {', '.join(JOBS_BACKENDS)}, got {self.JOBS_BACKEND!r}"
            )
        if self.JOBS_BACKEND == "redis" and not self.REDIS_URL:
            raise ConfigError(
                "JOBS_BACKEND=redis needs REDIS_URL, for example redis://127.0.0.1:6379/0."
            )
        if self.JOB_RESULTS_DAYS < 1:
            raise ConfigError(
                f"JOB_RESULTS_DAYS must be at least 1 (days a job's result is kept), "
                f"got {self.JOB_RESULTS_DAYS}"
            )
        if self.EXPORT_JOB_MIN_EVALUATIONS < 0:
            raise ConfigError(
                "EXPORT_JOB_MIN_EVALUATIONS must be 0 (every export runs as a job) or more, "
                f"got {self.EXPORT_JOB_MIN_EVALUATIONS}"
            )
        for name in ("STATS_IMPORT_JOB_MIN_MB", "INTERACTION_IMPORT_JOB_MIN_MB"):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"{name} must be 0 (every confirmed import runs as a job) or more, "
                    f"got {getattr(self, name)}"
                )
        if self.SMTP_HOST and not self.SMTP_SENDER:
            raise ConfigError(
                "SMTP_HOST is set but SMTP_SENDER is not: set SMTP_SENDER to the address "
                "notification e-mails come from, for example qa-coach@example.com."
            )


class DevelopmentConfig(Config):
    """`make run`: a local server with a per-checkout secret kept in instance/."""

    ENV_NAME = "development"
    DEBUG = False

    def resolve_instance_secret(self, instance_path: str) -> None:
        """Use SECRET_KEY from the environment, or a random one stored in instance/ once."""
        if self.SECRET_KEY:
            return
        path = Path(instance_path) / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32), encoding="ascii")
            path.chmod(0o600)
        self.SECRET_KEY = path.read_text(encoding="ascii").strip()


class TestingConfig(Config):
    """The test suite: its own database, fast password hashes."""

    ENV_NAME = "testing"
    TESTING = True

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        env = os.environ if environ is None else environ
        self.SECRET_KEY = "test-only-" + secrets.token_hex(8)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            env.get("TEST_DATABASE_URL") or "sqlite://"
        )
        # Figures computed on every view, as before the cache: tests of figures see each
        # change at once. The cache's own tests turn it on (tests/dashboards/test_figures_cache).
        if not env.get("QA_CACHE"):
            self.QA_CACHE, self.CACHE_TYPE = "none", CACHE_BACKENDS["none"]
        # Jobs run inside the request that starts them unless a test asks for a real queue.
        self.JOBS_BACKEND = (env.get("TEST_JOBS_BACKEND") or "immediate").strip().lower()
        # Cheap hashes keep factories fast; production keeps scrypt.
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a method name


class ProductionConfig(Config):
    """gunicorn behind a TLS proxy: secure cookies and a mandatory secret."""

    ENV_NAME = "production"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        self.SESSION_COOKIE_SECURE = True

    def validate(self) -> None:
        """Refuse a missing or well-known SECRET_KEY, with the fix in the message."""
        super().validate()
        key = self.SECRET_KEY or ""
        if key.strip().lower() in WEAK_SECRET_KEYS or len(key) < 16:
            raise ConfigError(
                "SECRET_KEY is missing or too weak for production. Set the SECRET_KEY "
                "environment variable to a long random value, for example the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`."
            )


CONFIGS: dict[str, type[Config]] = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}


def config_from_environment(environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration named by QA_CONFIG (default: production)."""
    env = os.environ if environ is None else environ
    name = (env.get("QA_CONFIG") or "production").strip().lower()
    if name not in CONFIGS:
        raise ConfigError(f"QA_CONFIG must be one of {', '.join(sorted(CONFIGS))}, got {name!r}")
    return CONFIGS[name](env)
