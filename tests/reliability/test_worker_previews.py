"""Previews drafted by a real Celery worker: the web process waits briefly or answers 202, and
twenty simultaneous requests still make one model call (the lock lives in Redis)."""

import pytest
from django.urls import reverse

from handoff.claude_stub import ClaudeStub
from handoff.models import Draft
from tests.conftest import api_client_for, post_all_at_once, wait_for

THREADS = 20


@pytest.fixture
def claude_stub():
    with ClaudeStub() as stub:
        stub.delay_seconds = 0.5
        yield stub


@pytest.fixture
def worker_env(claude_stub):
    return {"ANTHROPIC_API_KEY": "test-key-not-real", "ANTHROPIC_BASE_URL": claude_stub.url}


def test_twenty_simultaneous_previews_make_one_model_call_through_the_worker(
    settings, celery_worker, claude_stub, bob, session_a
):
    settings.FLOWPILOT_PREVIEW_WAIT_SECONDS = 0.2  # answer 202 quickly: the worker takes longer
    url = reverse("api-resolution-preview", args=[session_a.pk])
    statuses = [response.status_code for response in post_all_at_once(bob, url, {}, count=THREADS)]
    client = api_client_for(bob)

    def draft_ready():
        response = client.get(url)
        return response if response.status_code == 200 else None

    ready = wait_for(draft_ready, timeout=30, what="the draft")

    assert sorted(set(statuses)) == [202]
    assert claude_stub.call_count == 1
    assert ready.json()["drafted_by"] == "claude-sonnet-5-5"
    assert Draft.objects.filter(session=session_a).count() == 1
