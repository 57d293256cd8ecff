"""Celery tasks of drafting: ids in, one service call."""

from celery import shared_task

from drafting.kinds import DraftKind
from drafting.preparation import preview_prepared_generate
from drafting.previews import preview_generate


@shared_task(acks_late=True, ignore_result=True)
def generate_preview(session_id: str, kind: str, requested_version: int) -> None:
    # No automatic retry: the drafting pipeline already retried the model and fell back to offline.
    preview_generate(session_id=session_id, kind=DraftKind(kind), requested_version=requested_version)


@shared_task(acks_late=True, ignore_result=True)
def prepare_preview(session_id: str, kind: str, state_version: int) -> None:
    preview_prepared_generate(session_id=session_id, kind=DraftKind(kind), state_version=state_version)
