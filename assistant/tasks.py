"""Celery tasks of the assistant: an id in, one service call."""

import logging

from celery import shared_task

from assistant.models import Message
from assistant.turn import reply_fail, reply_run

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def write_reply(self, reply_id: str) -> None:
    """Acknowledged only when done, and redelivered if the worker dies: `reply_run` writes a reply once."""
    try:
        reply_run(reply_id=reply_id)
    except Exception:
        logger.exception("Reply %s broke while being written", reply_id)
        reply = Message.objects.filter(pk=reply_id).first()
        if reply is not None:
            reply_fail(reply, "internal_error", "FlowPilot hit an unexpected error while writing the reply.")
