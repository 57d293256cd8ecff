"""Celery tasks of the handoff app: ids in, one service call, the retry policy here."""

from celery import shared_task

from handoff.kinds import DraftKind
from handoff.previews import preview_generate


@shared_task(acks_late=True, ignore_result=True)
def generate_preview(session_id: str, kind: str, requested_version: int) -> None:
    # No automatic retry: the drafting pipeline already retried the model and fell back to offline.
    preview_generate(session_id=session_id, kind=DraftKind(kind), requested_version=requested_version)
