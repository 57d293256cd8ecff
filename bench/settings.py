"""The app's own settings, plus what only the benchmark needs: a trivial authenticated endpoint to
measure against (bench.urls) and a response header counting each request's SQL queries."""

from flowpilot.env import env_str
from flowpilot.settings import *  # noqa: F403
from flowpilot.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.query_count_header", *MIDDLEWARE]  # outermost: counts every query
# Served over plain HTTP on loopback, as behind a TLS-terminating proxy: the login cookie must travel, and
# plain HTTP is not redirected to HTTPS.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
STATIC_ROOT = env_str("BENCH_STATIC_ROOT") or STATIC_ROOT  # noqa: F405
# Each run's tasks go to a queue of its own, so no other worker on the same Redis takes them.
CELERY_TASK_DEFAULT_QUEUE = env_str("BENCH_QUEUE", "celery")
