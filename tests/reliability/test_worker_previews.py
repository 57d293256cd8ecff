"""Previews drafted by a real Celery worker: the web process waits briefly or answers 202, and
twenty simultaneous requests still make one model call (the lock lives in Redis)."""

import pytest
from django.urls import reverse

from devtools.claude_stub import ClaudeStub
from drafting.models import Draft
from tests.support.clients import api_client_for, post_all_at_once, wait_for

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


def test_a_draft_written_by_the_worker_streams_through_redis_within_300_ms_of_the_first_token(
    settings, celery_worker, claude_stub, bob, session_a
):
    import time

    settings.FLOWPILOT_PREVIEW_WAIT_SECONDS = 0  # answer 202 at once, then follow the stream
    claude_stub.delay_seconds = 0
    claude_stub.first_token_delay_seconds = 1.5  # subscribed well before the first token
    claude_stub.tokens_per_second = 80
    client = api_client_for(bob)
    url = reverse("api-resolution-preview", args=[session_a.pk])

    assert client.post(url, {}, format="json").status_code == 202
    response = client.get(reverse("api-resolution-preview-stream", args=[session_a.pk]))
    arrivals = []
    for chunk in response.streaming_content:
        if chunk.startswith(b"event: delta"):
            arrivals.append(time.monotonic())
        if chunk.startswith(b"event: done"):
            break

    assert len(arrivals) > 1
    assert (arrivals[0] - claude_stub.requests[-1]["first_delta_at"]) * 1000 < 300
    assert client.get(url).json()["drafted_by"] == "claude-sonnet-5-5"
