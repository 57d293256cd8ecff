"""Previews drafted by a real Celery worker: the web process waits briefly or answers 202, and
twenty simultaneous requests still make one model call (the lock lives in Redis)."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from handoff.claude_stub import ClaudeStub
from handoff.models import Draft
from tests.conftest import api_client_for
from tests.integration.conftest import wait_for

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
    clients = [api_client_for(bob) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    statuses = []

    def ask(client):
        barrier.wait()
        try:
            statuses.append(client.post(url, {}, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    ready = wait_for(
        lambda: clients[0].get(url).json().get("markdown") and clients[0].get(url), timeout=30, what="the draft"
    )

    assert sorted(set(statuses)) == [202]
    assert claude_stub.call_count == 1
    assert ready.json()["drafted_by"] == "claude-sonnet-5-5"
    assert Draft.objects.filter(session=session_a).count() == 1
