"""FlowPilot settings: every value comes from the environment, with an embedded default.

Nothing set → SQLite, a local-memory cache and eager Celery tasks (see README.md).
"""

import base64
import hashlib
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from flowpilot.env import (
    broker_url,
    database_config,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    is_fernet_key,
    redis_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-flowpilot-development-only"
# Fernet key for PSA secrets at rest (psa.crypto). Development derives one from SECRET_KEY.
FLOWPILOT_ENCRYPTION_KEY = env_str("FLOWPILOT_ENCRYPTION_KEY")
if not FLOWPILOT_ENCRYPTION_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FLOWPILOT_ENCRYPTION_KEY must be set when DEBUG is off "
            '(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
        )
    FLOWPILOT_ENCRYPTION_KEY = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
elif not is_fernet_key(FLOWPILOT_ENCRYPTION_KEY):
    raise ImproperlyConfigured("FLOWPILOT_ENCRYPTION_KEY must be a Fernet key: 32 bytes, url-safe base64.")
# The PSA site URL must be https on a public host, unless this opt-in is set (the simulator, tests).
FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS = env_bool("FLOWPILOT_PSA_ALLOW_PRIVATE_HOSTS", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "accounts",
    "sessions.apps.AiSessionsConfig",
    "psa",
    "handoff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "flowpilot.urls"
FORM_RENDERER = "flowpilot.forms.FormRenderer"
WSGI_APPLICATION = "flowpilot.wsgi.application"

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
            ],
        },
    },
]

# Database: SQLite file by default; PostgreSQL (psycopg 3) through DATABASE_URL. Connections stay
# open between requests: a new PostgreSQL connection per request nearly doubles a small request.
DATABASES = {
    "default": database_config(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = redis_url("REDIS_URL", env_str("REDIS_URL"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Deployments sharing one Redis keep apart with their own prefix.
            "KEY_PREFIX": env_str("FLOWPILOT_CACHE_KEY_PREFIX", "flowpilot"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: a broker from CELERY_BROKER_URL (Redis or RabbitMQ), else REDIS_URL; with neither, tasks run inline.
CELERY_BROKER_URL = broker_url("CELERY_BROKER_URL", env_str("CELERY_BROKER_URL")) or REDIS_URL
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task whose worker died unacknowledged is redelivered once it is this old, by a sweep every
# `unacked_restore_interval` seconds (Redis broker; kombu's own default sweep is every 100 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 3600),
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL_SECONDS", 10),
    "unacked_restore_throttle": 1,
}
# Posting to the PSA: retries back off from this many seconds (doubling), never sooner than Retry-After.
FLOWPILOT_POST_RETRY_BASE_SECONDS = env_float("FLOWPILOT_POST_RETRY_BASE_SECONDS", 1.0)
# How long a PSA call waits for its answer once connected. A call that outlasts it may still have been
# applied: a retry looks on the ticket before posting a note again.
FLOWPILOT_PSA_READ_TIMEOUT_SECONDS = env_float("FLOWPILOT_PSA_READ_TIMEOUT_SECONDS", 15.0)

# Drafting with Claude (handoff app). No ANTHROPIC_API_KEY → the offline drafter. ANTHROPIC_BASE_URL is the
# SDK's own variable (a local stub in tests). Models per action: the newest Sonnet the pinned SDK knows.
ANTHROPIC_API_KEY = env_str("ANTHROPIC_API_KEY")
ANTHROPIC_BASE_URL = env_str("ANTHROPIC_BASE_URL")
FLOWPILOT_DRAFT_MODELS = {
    "resolution_note": env_str("FLOWPILOT_MODEL_RESOLUTION_NOTE", "claude-sonnet-5-5"),
    "escalation_package": env_str("FLOWPILOT_MODEL_ESCALATION_PACKAGE", "claude-sonnet-5-5"),
}
FLOWPILOT_DRAFT_TIMEOUT_SECONDS = env_float("FLOWPILOT_DRAFT_TIMEOUT_SECONDS", 30.0)
FLOWPILOT_DRAFT_MAX_RETRIES = env_int("FLOWPILOT_DRAFT_MAX_RETRIES", 2)
FLOWPILOT_DRAFT_MAX_TOKENS = env_int("FLOWPILOT_DRAFT_MAX_TOKENS", 2000)
# How long a preview request waits for a draft another request is generating before answering 202.
FLOWPILOT_PREVIEW_WAIT_SECONDS = env_float("FLOWPILOT_PREVIEW_WAIT_SECONDS", 3.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# Request bodies: 1 MB is far above any legitimate FlowPilot payload.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000

REST_FRAMEWORK = {
    # Token first, so an anonymous call answers 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsAccountMember"],
    "DEFAULT_PAGINATION_CLASS": "flowpilot.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "flowpilot.schema.AutoSchema",
    "EXCEPTION_HANDLER": "flowpilot.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["flowpilot.api.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FlowPilot API",
    "DESCRIPTION": "Troubleshooting sessions, drafting and PSA write-back for MSP engineers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI from the installed sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO" if DEBUG else "WARNING"},
}

if not DEBUG:
    # Production serves collected static files itself (runserver does it in development).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
