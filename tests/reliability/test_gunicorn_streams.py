"""Streams on gunicorn as production serves them (README "Running in production"): gthread workers, so an open
stream holds one thread, not a worker process, and the same worker goes on answering other requests."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rest_framework.authtoken.models import Token

from bench import stack
from devtools.claude_stub import ClaudeStub
from tests.support.workers import closed_port

ANSWER = "Check Credential Manager for stale MicrosoftOffice16 entries, then sign in again. " * 4


@pytest.fixture
def claude_stub():
    with ClaudeStub() as stub:
        yield stub


@pytest.fixture
def worker_env(claude_stub):
    return {"ANTHROPIC_API_KEY": "test-key-not-real", "ANTHROPIC_BASE_URL": claude_stub.url}


@pytest.fixture
def gunicorn(celery_worker, tmp_path):
    """One gthread worker with four threads, on the test database, sending its tasks to the test's worker."""
    port = closed_port()
    env = {
        **celery_worker.env,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_QUEUE": celery_worker.queue,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    process = stack.gunicorn(env, tmp_path, port=port, workers=1, threads=4)
    yield f"http://127.0.0.1:{port}"
    process.stop()


def test_an_open_stream_leaves_the_gthread_worker_answering_other_requests(gunicorn, claude_stub, bob, session_a):
    claude_stub.tokens_per_second = 8  # a reply that takes about ten seconds to write
    claude_stub.reply_with({"text": ANSWER})
    http = requests.Session()
    http.headers["Authorization"] = f"Token {Token.objects.get_or_create(user=bob)[0].key}"
    sent = http.post(
        f"{gunicorn}/api/ai-sessions/{session_a.pk}/messages/", json={"text": "Outlook loops."}, timeout=10
    )
    assert sent.status_code == 202, sent.text
    stream_url = f"{gunicorn}/api/ai-sessions/{session_a.pk}/messages/{sent.json()['reply']['id']}/stream"

    def read_stream() -> list[str]:
        with requests.get(stream_url, headers=http.headers, stream=True, timeout=60) as response:
            return [line for line in response.iter_lines(decode_unicode=True) if line.startswith("event: ")]

    with ThreadPoolExecutor(2) as pool:
        streams = [pool.submit(read_stream) for _ in range(2)]  # two of the worker's four threads held
        time.sleep(1.0)
        answered_in = []
        for _ in range(5):
            started = time.monotonic()
            assert http.get(f"{gunicorn}/api/ai-sessions/", timeout=10).status_code == 200
            answered_in.append(time.monotonic() - started)
        still_streaming = not any(stream.done() for stream in streams)
        events = [stream.result(timeout=60) for stream in streams]

    assert still_streaming, "the reply ended before the other requests were tried"
    assert max(answered_in) < 3.0  # a worker whose threads the streams held would answer after they end (≈ 10 s)
    for names in events:
        assert names[-1] == "event: done"
