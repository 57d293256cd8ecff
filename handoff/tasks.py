"""Celery tasks of the handoff app: ids in, one service call, the retry policy here."""

import logging
import time

from celery import shared_task
from django.conf import settings

from handoff.run import handoff_give_up, handoff_run, seconds_to_wait
from psa.providers.base import PsaTransientError

logger = logging.getLogger(__name__)

# Backoff 1, 2, 4 … 60 s: a worker keeps trying for about 3 minutes before the handoff fails with its text
# kept. At 10% transient faults per PSA call (make bench) about a quarter of attempts fail, so six retries
# would give up on roughly one handoff in ten thousand; eight make that about one in a hundred thousand.
MAX_POST_RETRIES = 8
INTERNAL_ERROR = (
    "FlowPilot hit an unexpected error while posting. The text is kept: retry, or ask an admin to check the logs."
)
MAX_BACKOFF_SECONDS = 60.0
# Eager Celery (the embedded default) cannot schedule a retry, so it waits inside the engineer's own request:
# a short budget, then the handoff fails with its text kept and the page offers Retry.
EAGER_MAX_RETRIES = 2
EAGER_MAX_WAIT_SECONDS = 5.0


def retry_countdown(retries: int, retry_after: float | None) -> float:
    """Exponential backoff, but never sooner than the PSA's Retry-After (capped, so a bad header can't stall us)."""
    backoff = min(MAX_BACKOFF_SECONDS, settings.FLOWPILOT_POST_RETRY_BASE_SECONDS * 2**retries)
    return max(backoff, seconds_to_wait(retry_after))


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True, max_retries=MAX_POST_RETRIES)
def post_handoff(self, handoff_id: str) -> None:
    """Acknowledged only when done, and redelivered if the worker dies: the service makes that safe."""
    retries = self.request.retries
    max_retries = EAGER_MAX_RETRIES if self.request.is_eager else self.max_retries
    while True:
        try:
            handoff_run(handoff_id=handoff_id)
            return
        except PsaTransientError as exc:
            if retries >= max_retries:
                handoff_give_up(handoff_id=handoff_id, code=exc.code, message=exc.message, count_attempts=True)
                return
            countdown = retry_countdown(retries, exc.retry_after)
            if not self.request.is_eager:
                raise self.retry(countdown=countdown) from None
            time.sleep(min(countdown, EAGER_MAX_WAIT_SECONDS))
            retries += 1
        except Exception:
            # A bug or an outage of our own: never leave the handoff "posting" for ever.
            logger.exception("Handoff %s broke while posting", handoff_id)
            handoff_give_up(handoff_id=handoff_id, code="internal_error", message=INTERNAL_ERROR)
            return
