import logging
import os
import threading

from celery import Celery
from django.conf import settings
from django.db import close_old_connections, transaction
from kombu.exceptions import OperationalError

from flowpilot.errors import ServiceUnavailable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowpilot.settings")

app = Celery("flowpilot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue(task, *args, countdown: float | None = None) -> None:
    """`task.delay(*args)` (or after `countdown` seconds); a broker that cannot be reached is a clear 503."""
    try:
        task.apply_async(args, countdown=countdown) if countdown else task.delay(*args)
    except OperationalError:
        logging.getLogger(__name__).error("Could not enqueue %s%r: the task broker is unreachable", task.name, args)
        raise ServiceUnavailable(
            "The task queue is unavailable right now, so nothing was started. Try again in a moment."
        ) from None


def start_in_background(task, *args, countdown: float = 0.0) -> None:
    """Run `task` away from the request that asks for it: on a worker (after `countdown` seconds) where there
    is a broker. Eager (no broker: the embedded default), where `enqueue` would run it inside the request, it
    runs in a thread of this process after `countdown`, so the request returns (an assistant's reply streams
    to the page meanwhile); FLOWPILOT_BACKGROUND_IN=inline runs it at once in the request instead (tests)."""
    if not app.conf.task_always_eager:
        enqueue(task, *args, countdown=countdown or None)
        return
    if settings.FLOWPILOT_BACKGROUND_IN == "inline":
        enqueue(task, *args)  # eager: runs here and now
        return

    def run() -> None:
        try:
            task.apply(args)
        finally:
            close_old_connections()

    timer = threading.Timer(countdown, run)
    timer.daemon = True
    timer.start()


def enqueue_on_commit(task, *args, on_unavailable=None, background: bool = False) -> None:
    """`enqueue` once the current transaction commits, so a worker finds what it wrote, and an eager task
    (no broker: the embedded default) runs outside the transaction, holding none of its locks and
    committing its own steps as a worker would (`background`: `start_in_background` instead). A broker that is
    down raises `ServiceUnavailable` from the commit, after `on_unavailable` tidied up."""

    def send() -> None:
        try:
            (start_in_background if background else enqueue)(task, *args)
        except ServiceUnavailable:
            if on_unavailable is not None:
                on_unavailable()
            raise

    transaction.on_commit(send, robust=False)
