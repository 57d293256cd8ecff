"""FlowPilot settings: every value comes from the environment, with an embedded default.

Nothing set → SQLite, a local-memory cache and eager Celery tasks (see README.md).
"""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from flowpilot.env import (
    broker_url,
    database_config,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_proxy_ssl_header,
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
    # Signing in (see "Signing in" below): failed sign-ins throttled, TOTP with recovery codes. Before `accounts`,
    # whose admin module re-registers their admins as superuser-only.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # FlowPilot's apps, from the ground up (docs/architecture.md): each imports only those below it.
    "accounts",
    "psa",
    "llm",
    "sessions.apps.AiSessionsConfig",
    "assistant",
    "drafting",
    "handoff",
    "web",
]
# The PSA simulators, the Claude stub and the demo data, with their commands: development, `make run` and the
# tests have them; production (DEBUG off) does not, unless FLOWPILOT_DEVTOOLS=1 asks (the bench's simulator).
FLOWPILOT_DEVTOOLS = env_bool("FLOWPILOT_DEVTOOLS", default=DEBUG)
if FLOWPILOT_DEVTOOLS:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # security headers: see "Security headers" below
    "flowpilot.security_headers.permissions_policy",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): signed in with the second factor
    "accounts.auth_middleware.mfa_enforced",  # a session the second factor must verify (or set up) does that first
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a locked-out sign-in into the lockout answer
]

ROOT_URLCONF = "flowpilot.urls"
FORM_RENDERER = "flowpilot.forms.FormRenderer"
WSGI_APPLICATION = "flowpilot.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The pages' templates come first: their registration/ pages override django.contrib.admin's.
        "DIRS": [BASE_DIR / "web" / "templates"],
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
# The ConnectWise API version every call pins in its Accept header, so a release cannot change the shapes we read.
FLOWPILOT_CW_API_VERSION = env_str("FLOWPILOT_CW_API_VERSION", "2025.1")

# Drafting with Claude (drafting app, through llm). No ANTHROPIC_API_KEY → the offline drafter. ANTHROPIC_BASE_URL
# is the SDK's own variable (a local stub in tests). Models per action: the newest Sonnet the pinned SDK knows.
ANTHROPIC_API_KEY = env_str("ANTHROPIC_API_KEY")
ANTHROPIC_BASE_URL = env_str("ANTHROPIC_BASE_URL")
FLOWPILOT_DRAFT_MODELS = {
    "resolution_note": env_str("FLOWPILOT_MODEL_RESOLUTION_NOTE", "claude-sonnet-5-5"),
    "escalation_package": env_str("FLOWPILOT_MODEL_ESCALATION_PACKAGE", "claude-sonnet-5-5"),
    # The assistant (assistant app): its replies, and "Promote to fact" on a small fast model.
    "assistant_chat": env_str("FLOWPILOT_MODEL_ASSISTANT_CHAT", "claude-sonnet-5-5"),
    "fact_synthesis": env_str("FLOWPILOT_MODEL_FACT_SYNTHESIS", "claude-haiku-5-5"),
}
# Thinking per action. Sonnet 5.x thinks adaptively when a request does not say, and thinking counts against
# max_tokens; a draft restates what the session recorded, so both actions turn it off. `disabled`, `adaptive`
# (the model decides), or an effort level `low` … `max` (adaptive thinking at that effort).
DRAFT_THINKING_CHOICES = ("disabled", "adaptive", "low", "medium", "high", "xhigh", "max")
FLOWPILOT_DRAFT_THINKING = {
    "resolution_note": env_str("FLOWPILOT_THINKING_RESOLUTION_NOTE", "disabled"),
    "escalation_package": env_str("FLOWPILOT_THINKING_ESCALATION_PACKAGE", "disabled"),
    # The engineer waits for the first word: the assistant answers without thinking first unless told to.
    "assistant_chat": env_str("FLOWPILOT_THINKING_ASSISTANT_CHAT", "disabled"),
    "fact_synthesis": env_str("FLOWPILOT_THINKING_FACT_SYNTHESIS", "disabled"),
}
for _action, _thinking in FLOWPILOT_DRAFT_THINKING.items():
    if _thinking not in DRAFT_THINKING_CHOICES:
        raise ImproperlyConfigured(
            f"FLOWPILOT_THINKING_{_action.upper()}={_thinking!r} is not one of {', '.join(DRAFT_THINKING_CHOICES)}."
        )
# One attempt waits at most the timeout; 429/529/5xx and dropped connections are tried again up to MAX_RETRIES
# times (never sooner than retry-after), and the whole draft — retries, a format correction, a re-ask — stays
# within the budget: a wait longer than what is left of it is not waited out, the offline drafter takes over.
FLOWPILOT_DRAFT_TIMEOUT_SECONDS = env_float("FLOWPILOT_DRAFT_TIMEOUT_SECONDS", 30.0)
FLOWPILOT_DRAFT_MAX_RETRIES = env_int("FLOWPILOT_DRAFT_MAX_RETRIES", 2)
FLOWPILOT_DRAFT_BUDGET_SECONDS = env_float("FLOWPILOT_DRAFT_BUDGET_SECONDS", 45.0)
# An answer cut off at max_tokens is never a draft: it is asked for once more with the roomier limit.
FLOWPILOT_DRAFT_MAX_TOKENS = env_int("FLOWPILOT_DRAFT_MAX_TOKENS", 2000)
FLOWPILOT_DRAFT_MAX_TOKENS_RETRY = env_int("FLOWPILOT_DRAFT_MAX_TOKENS_RETRY", 4000)
if FLOWPILOT_DRAFT_MAX_TOKENS_RETRY <= FLOWPILOT_DRAFT_MAX_TOKENS:
    raise ImproperlyConfigured("FLOWPILOT_DRAFT_MAX_TOKENS_RETRY must be larger than FLOWPILOT_DRAFT_MAX_TOKENS.")
# The assistant: how long an engineer's message may be (a pasted log fits), how long a reply may run, how long
# one read of its stream may wait. Background work (its replies, drafts prepared ahead) without a broker runs in
# a "thread" of the web process (the embedded default: beside the request, so the page streams) or "inline"
# (inside the request; tests).
FLOWPILOT_ASSISTANT_MAX_MESSAGE_CHARS = env_int("FLOWPILOT_ASSISTANT_MAX_MESSAGE_CHARS", 20000)
FLOWPILOT_ASSISTANT_MAX_TOKENS = env_int("FLOWPILOT_ASSISTANT_MAX_TOKENS", 2000)
FLOWPILOT_ASSISTANT_BUDGET_SECONDS = env_float("FLOWPILOT_ASSISTANT_BUDGET_SECONDS", 120.0)
FLOWPILOT_ASSISTANT_READ_TIMEOUT_SECONDS = env_float("FLOWPILOT_ASSISTANT_READ_TIMEOUT_SECONDS", 60.0)
FLOWPILOT_BACKGROUND_IN = env_str("FLOWPILOT_BACKGROUND_IN", "thread")
if FLOWPILOT_BACKGROUND_IN not in ("thread", "inline"):
    raise ImproperlyConfigured("FLOWPILOT_BACKGROUND_IN must be thread or inline.")
# Drafts prepared before the click (drafting.preparation): this long after the last write that makes a state likely
# final, so a burst of edits prepares once.
FLOWPILOT_PREPARE_DELAY_SECONDS = env_float("FLOWPILOT_PREPARE_DELAY_SECONDS", 3.0)
FLOWPILOT_PREPARE_DRAFTS = env_bool("FLOWPILOT_PREPARE_DRAFTS", default=True)  # the deployment's switch; accounts too
# How often a post's card in the page asks for its status: the fallback when the handoff's pushed end does not come.
FLOWPILOT_HANDOFF_POLL_SECONDS = env_int("FLOWPILOT_HANDOFF_POLL_SECONDS", 1)
if FLOWPILOT_HANDOFF_POLL_SECONDS < 1:  # htmx reads "every 0s" as no poll at all: a card whose push is lost would spin
    raise ImproperlyConfigured("FLOWPILOT_HANDOFF_POLL_SECONDS must be 1 or more.")
# How long a preview request waits for a draft another request is generating before answering 202.
FLOWPILOT_PREVIEW_WAIT_SECONDS = env_float("FLOWPILOT_PREVIEW_WAIT_SECONDS", 3.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Signing in (DESIGN §2). django-axes counts failed sign-ins (the sign-in page, Django admin's, the token endpoint)
# in the database and refuses a locked-out attempt before any password is checked. Bars, within the cool-off
# since the last failure: AXES_FAILURE_LIMIT failures per username (from anywhere) and per username + address;
# FLOWPILOT_SIGNIN_ADDRESS_FAILURE_LIMIT, far higher, per address alone, because a whole MSP office signs in
# from one address: one engineer's typos never lock a colleague out (accounts.auth_lockout.SignInAttempts).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "accounts.auth_lockout.SignInAttempts"
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("FLOWPILOT_SIGNIN_FAILURE_LIMIT", 5)
FLOWPILOT_SIGNIN_ADDRESS_FAILURE_LIMIT = env_int("FLOWPILOT_SIGNIN_ADDRESS_FAILURE_LIMIT", 50)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("FLOWPILOT_SIGNIN_LOCKOUT_MINUTES", 15))
# Attempts while locked out are refused without being counted, so the wait shown is the wait there is; a
# successful sign-in clears the user's own failures.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.auth_lockout.lockout_response"  # the sign-in page (or JSON) with the wait
# The client's address: REMOTE_ADDR, unless a proxy in front of FlowPilot sets a header naming it (e.g.
# X-Forwarded-For, whose right-most entry is the one that proxy added); a header nothing trusted sets is ignored.
FLOWPILOT_CLIENT_IP_HEADER = env_str("FLOWPILOT_CLIENT_IP_HEADER")
AXES_CLIENT_IP_CALLABLE = "accounts.auth_lockout.client_ip"
# MFA (django-otp): TOTP apps and single-use recovery codes. A wrong code makes the next wait twice as long
# (factor x 2^(failures-1) seconds) on each device; nothing here is ever shown again after enrolment.
OTP_TOTP_ISSUER = "FlowPilot"
OTP_TOTP_THROTTLE_FACTOR = env_int("FLOWPILOT_OTP_THROTTLE_FACTOR", 2)
OTP_STATIC_THROTTLE_FACTOR = env_int("FLOWPILOT_OTP_THROTTLE_FACTOR", 2)
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
FLOWPILOT_RECOVERY_CODES = 10
FLOWPILOT_MFA_SIGN_IN_SECONDS = 300  # how long the code step waits after a right password

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
    # POST /api/auth/token/ (accounts.auth_lockout): every request, right or wrong, per address and per username.
    "DEFAULT_THROTTLE_RATES": {
        "sign_in_address": env_str("FLOWPILOT_TOKEN_RATE_PER_ADDRESS", "60/min"),
        "sign_in_username": env_str("FLOWPILOT_TOKEN_RATE_PER_USERNAME", "10/min"),
    },
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
    # Choice sets that share a field name get names of their own, not a numbered collision.
    "ENUM_NAME_OVERRIDES": {
        "MemberRoleEnum": "accounts.models.Membership.Role",
        "MessageRoleEnum": "assistant.models.Message.Role",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO" if DEBUG else "WARNING"},
}

# Security headers. Production (DEBUG off) is HTTPS only unless the environment says otherwise: plain HTTP is
# redirected, HSTS asks browsers for HTTPS for a year (subdomains and preload included), cookies travel only
# over HTTPS; `manage.py check --deploy` passes clean. Development (DEBUG on) turns each of them off.
_HTTPS_ONLY = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=_HTTPS_ONLY)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_HTTPS_ONLY)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=_HTTPS_ONLY)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=_HTTPS_ONLY)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=_HTTPS_ONLY)
# The TLS-terminating proxy's header saying a request came over HTTPS, as "Header-Name: value"; empty when
# clients reach Django directly (then none can claim HTTPS with a header of its own).
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header(
    "SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https" if _HTTPS_ONLY else ""
)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): the pages render model output, so this is the wall behind sanitising.
# Scripts and styles only from our own static files: no inline <script>, style="" or hx-on, no eval (htmx is
# told so in base.html's htmx-config). /api/docs/ alone adds `img-src data:` for Swagger UI's icons (urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    },
}
# Browser features no FlowPilot page uses, denied to every origin (flowpilot.security_headers).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

if not DEBUG:
    # Production serves collected static files itself (runserver does it in development).
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
