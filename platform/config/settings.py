"""Quorum settings, read from the environment (see the README's configuration table).

With nothing set, Quorum runs on SQLite and the embedded broker (workers/spool.py) in ./var.
"""

import re

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from environs import validate

from config.env import BASE_DIR, DEV_SECRET_KEY, default_broker_url, env, sqlite_url

VAR_DIR = env.path("QUORUM_VAR_DIR", BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY", DEV_SECRET_KEY if DEBUG else "")
PRODUCTION = env.bool("QUORUM_PRODUCTION", not DEBUG)
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 32 characters in production "
        "(or set DEBUG=true for local development)."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "common",
    "accounts",
    "catalog",
    "submissions",
    "evaluation",
    "reviews",
    "leaderboards",
    "webhooks",
    "curation",
    "api",
    "ops",
    "csp",
]

MIDDLEWARE = [
    "ops.middleware.OpsEndpointsMiddleware",
    "ops.middleware.RequestIdMiddleware",
    "ops.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "api.middleware.ApiRequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "common.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": env.dj_db_url("DATABASE_URL", sqlite_url(VAR_DIR / "quorum.sqlite3"))}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A restarted server leaves dead connections behind: each is tested before a request uses it
    # (by the pool's backend, or by Django's health check when there is no pool).
    if env.bool("DATABASE_POOL", True):
        DATABASES["default"]["ENGINE"] = "common.postgresql"
        DATABASES["default"]["OPTIONS"] = {
            "pool": {
                "min_size": env.int("DATABASE_POOL_MIN", 1),
                "max_size": env.int("DATABASE_POOL_MAX", 10),
            }
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", 60)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "catalog:question_list"
LOGOUT_REDIRECT_URL = "catalog:question_list"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
FORMS_URLFIELD_ASSUME_HTTPS = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", VAR_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = env.str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "quorum@localhost")
# The site's public address, for links in emails.
QUORUM_SITE_URL = env.str("QUORUM_SITE_URL", "http://127.0.0.1:8000")

# Celery: the embedded broker (a folder, workers/spool.py) needs no server; set
# CELERY_BROKER_URL for Redis/RabbitMQ.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default_broker_url())
CELERY_BROKER_DIR = env.path("QUORUM_BROKER_DIR", VAR_DIR / "broker")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", False)
# The demo's local judge: run_embedded serves SmolLM2-135M through llama.cpp's
# OpenAI-compatible server at this address, and seed_demo points the demo validator at it.
QUORUM_DEMO_JUDGE = env.bool("QUORUM_DEMO_JUDGE", True)
QUORUM_DEMO_JUDGE_ADDR = env.str("QUORUM_DEMO_JUDGE_ADDR", "127.0.0.1:8001", validate=validate.Regexp(r"^[\w.\-\[\]:]+:\d+$"))
# Seconds a published validation may take before the sweeper publishes it again.
QUORUM_VALIDATION_LEASE_S = env.int("QUORUM_VALIDATION_LEASE_S", 7200)
# First back-off (doubling per attempt) after a transient judge failure; after a broker failure.
QUORUM_VALIDATION_RETRY_S = env.int("QUORUM_VALIDATION_RETRY_S", 60)
QUORUM_BROKER_RETRY_S = env.int("QUORUM_BROKER_RETRY_S", 30)
QUORUM_SWEEP_EVERY_S = env.float("QUORUM_SWEEP_EVERY_S", 30.0)
# Outbound allow-lists (common/outbound.py): `host:port`, `host:*` (any port) or a bare `host`
# (ports 80 and 443 only); IPv6 in brackets, `[fd00::5]:8000`.
OUTBOUND_ENTRY = r"^(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]/@\\%]+)(:(\d{1,5}|\*))?$"


def _allow_list(name: str, entries: list[str]) -> list[str]:
    bad = [entry for entry in entries if not re.match(OUTBOUND_ENTRY, entry)]
    if bad:
        raise ImproperlyConfigured(f"{name}: {bad[0]!r} is not host, host:port or host:*.")
    return entries


# Generation runs call builders' endpoints from the workers: host:port allowed although they
# resolve to private or loopback addresses (e.g. a model server next to the workers).
QUORUM_GENERATION_ALLOWED_HOSTS = _allow_list(
    "QUORUM_GENERATION_ALLOWED_HOSTS", env.list("QUORUM_GENERATION_ALLOWED_HOSTS", [])
)
# Webhooks: host:port allowed although private or loopback; seconds to wait for a receiver;
# attempts per delivery; the first back-off (tripled per attempt, with jitter, at most 12 hours).
QUORUM_WEBHOOK_ALLOWED_HOSTS = _allow_list("QUORUM_WEBHOOK_ALLOWED_HOSTS", env.list("QUORUM_WEBHOOK_ALLOWED_HOSTS", []))
QUORUM_WEBHOOK_TIMEOUT_S = env.float("QUORUM_WEBHOOK_TIMEOUT_S", 10.0)
QUORUM_WEBHOOK_MAX_ATTEMPTS = env.int("QUORUM_WEBHOOK_MAX_ATTEMPTS", 8)
QUORUM_WEBHOOK_RETRY_S = env.int("QUORUM_WEBHOOK_RETRY_S", 60)
# Expert review: reviews wanted per answer, claim duration, and the resolution rule.
QUORUM_REVIEWS_WANTED = env.int("QUORUM_REVIEWS_WANTED", 2)
QUORUM_CLAIM_MINUTES = env.int("QUORUM_CLAIM_MINUTES", 30)
QUORUM_REVIEW_MIN_REVIEWS = env.int("QUORUM_REVIEW_MIN_REVIEWS", 2)
QUORUM_REVIEW_ACCEPT_P = env.float("QUORUM_REVIEW_ACCEPT_P", 0.9)
QUORUM_REVIEW_REJECT_P = env.float("QUORUM_REVIEW_REJECT_P", 0.1)
QUORUM_REVIEWS_PER_MINUTE = env.int("QUORUM_REVIEWS_PER_MINUTE", 30)
# Leaderboard rows with fewer expert-resolved answers are marked provisional.
QUORUM_LEADERBOARD_MIN_REVIEWED = env.int("QUORUM_LEADERBOARD_MIN_REVIEWED", 5)
# How often beat rebuilds the tallies the leaderboards read (they lag by at most this).
QUORUM_LEADERBOARD_REFRESH_S = env.float("QUORUM_LEADERBOARD_REFRESH_S", 60.0)
# How often beat refits each site's expert reliabilities (Dawid–Skene) when its reviews changed.
QUORUM_REVIEW_REFIT_S = env.float("QUORUM_REVIEW_REFIT_S", 300.0)
# Exports: where archives are written, how long they are kept, rows per chunk (and per
# progress update), the licence of Quorum's own data, and the key of reviewer pseudonyms
# (empty: derived from SECRET_KEY, so rotating SECRET_KEY changes the pseudonyms).
QUORUM_EXPORT_DIR = env.path("QUORUM_EXPORT_DIR", VAR_DIR / "exports")
QUORUM_EXPORT_KEEP_DAYS = env.int("QUORUM_EXPORT_KEEP_DAYS", 7)
QUORUM_EXPORT_CHUNK_ROWS = env.int("QUORUM_EXPORT_CHUNK_ROWS", 2000)
QUORUM_DATA_LICENSE = env.str("QUORUM_DATA_LICENSE", "CC-BY-SA-4.0")
QUORUM_EXPORT_PSEUDONYM_KEY = env.str("QUORUM_EXPORT_PSEUDONYM_KEY", "")
# Curation: the Stack Exchange API (a key raises the daily quota from 300 to 10,000 requests;
# the base URL is a setting so tests and mirrors can stand in), questions per page (at most
# 100), seconds to wait for a response, how often beat re-checks public questions at their
# source and how many per run; candidates per pre-screen chunk (cancel is seen between chunks).
QUORUM_SE_API_URL = env.str("QUORUM_SE_API_URL", "https://api.stackexchange.com/2.3")
QUORUM_SE_API_KEY = env.str("QUORUM_SE_API_KEY", "")
QUORUM_SE_PAGE_SIZE = env.int("QUORUM_SE_PAGE_SIZE", 100)
QUORUM_SE_TIMEOUT_S = env.float("QUORUM_SE_TIMEOUT_S", 30.0)
QUORUM_SE_RECHECK_EVERY_S = env.float("QUORUM_SE_RECHECK_EVERY_S", 86400.0)
QUORUM_SE_RECHECK_BATCH = env.int("QUORUM_SE_RECHECK_BATCH", 2000)
QUORUM_SCREEN_CHUNK = env.int("QUORUM_SCREEN_CHUNK", 8)

QUORUM_PAGE_SIZE = env.int("QUORUM_PAGE_SIZE", 25)
QUORUM_MAX_BULK_ANSWERS = env.int("QUORUM_MAX_BULK_ANSWERS", 1000)
QUORUM_MAX_ANSWER_CHARS = env.int("QUORUM_MAX_ANSWER_CHARS", 100_000)
# Largest API request body accepted (413 beyond): room for a full bulk of large answers.
QUORUM_MAX_API_REQUEST_BYTES = env.int("QUORUM_MAX_API_REQUEST_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = QUORUM_MAX_API_REQUEST_BYTES

CACHES = {"default": env.dj_cache_url("CACHE_URL", "locmem://")}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScopePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "read": env.str("QUORUM_THROTTLE_READ", "1200/min"),
        "submit": env.str("QUORUM_THROTTLE_SUBMIT", "120/min"),
        "anon": env.str("QUORUM_THROTTLE_ANON", "300/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Quorum API",
    "DESCRIPTION": (
        "Submit model answers to open questions and read their validation and review status. "
        "Authenticate with `Authorization: Bearer qrm_…` (tokens from your profile page)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
}

# Content-Security-Policy (django-csp 4): scripts, styles and fonts only from our own static
# files; htmx runs with allowEval false and KaTeX sets styles through the DOM, not markup.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

if PRODUCTION:
    # Behind a TLS-terminating proxy that sets this header (and strips it from clients):
    # the header's name, e.g. X-Forwarded-Proto; empty when nothing sits in front.
    PROXY_SSL_HEADER = env.str("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto")
    if PROXY_SSL_HEADER:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + PROXY_SSL_HEADER.upper().replace("-", "_"), "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# /metrics: a bearer token, or scrapers' addresses (CIDR); neither set: nobody may read it.
QUORUM_METRICS_TOKEN = env.str("QUORUM_METRICS_TOKEN", "")
QUORUM_METRICS_ALLOWED_IPS = env.networks("QUORUM_METRICS_ALLOWED_IPS", "")

# Logs: one JSON object per line in production (text when developing), each with its request id.
LOG_FORMAT = env.str("LOG_FORMAT", "text" if DEBUG else "json", validate=validate.OneOf(["json", "text"]))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
}
# Celery workers log through the same configuration instead of replacing the root logger.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
