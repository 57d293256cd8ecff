import logging
import os

from celery import Celery
from kombu.exceptions import OperationalError

from flowpilot.errors import ServiceUnavailable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowpilot.settings")

app = Celery("flowpilot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue(task, *args) -> None:
    """`task.delay(*args)`; a broker that cannot be reached is a clear 503, never a 500."""
    try:
        task.delay(*args)
    except OperationalError:
        logging.getLogger(__name__).error("Could not enqueue %s%r: the task broker is unreachable", task.name, args)
        raise ServiceUnavailable(
            "The task queue is unavailable right now, so nothing was started. Try again in a moment."
        ) from None
