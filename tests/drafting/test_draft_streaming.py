"""A draft streams into the preview panel as the model writes it, on the embedded defaults (a thread of the web
process) over real HTTP; a draft already cached is done at once."""

import json
import time

import pytest
import requests
from django.core.cache import cache

from drafting.kinds import DraftKind
from drafting.previews import preview_generate, preview_key
from sessions.models import Session
from tests.support.data import PASSWORD

RESOLUTION = (
    "## Problem\n\nOutlook asked again and again.\n\n## What we confirmed\n\n- The saved sign-in was stale.\n\n"
    "## Root cause\n\nA stale saved sign-in.\n\n## Resolution\n\nWe removed it and signed in again."
)
FIRST_TOKEN_DELAY = 1.5  # the stream is subscribed to well before the first token, however loaded the machine


def events(response):
    name = None
    for line in response.iter_lines(chunk_size=1, decode_unicode=True):
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield time.monotonic(), name, json.loads(line.removeprefix("data: "))
            if name in ("done", "error"):
                return


@pytest.fixture
def web(transactional_db, live_server, bob):
    http = requests.Session()
    http.get(f"{live_server.url}/accounts/login/", timeout=10)
    signed_in = http.post(
        f"{live_server.url}/accounts/login/",
        data={"username": "bob", "password": PASSWORD, "csrfmiddlewaretoken": http.cookies["csrftoken"]},
        timeout=10,
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text[:300]
    http.base = live_server.url
    yield http
    http.close()


def test_a_draft_streams_into_the_panel_within_300_ms_of_the_models_first_token(
    web, session_a, fact_a, model_on, background_in_a_thread
):
    model_on.first_token_delay_seconds = FIRST_TOKEN_DELAY
    model_on.tokens_per_second = 60
    model_on.reply_with({"text": RESOLUTION})

    clicked = web.post(
        f"{web.base}/sessions/{session_a.pk}/resolution-note/preview/",
        headers={"HX-Request": "true", "X-CSRFToken": web.cookies["csrftoken"]},
        timeout=10,
    )
    assert "Drafting the resolution note…" in clicked.text  # the click does not wait for the model
    stream = f"{web.base}/api/ai-sessions/{session_a.pk}/resolution-note/preview/stream"
    with web.get(stream, stream=True, timeout=30) as response:
        received = list(events(response))

    deltas = [(at, data["text"]) for at, name, data in received if name == "delta"]
    assert len(deltas) > 1
    first_token_at = model_on.requests[-1]["first_delta_at"]
    assert (deltas[0][0] - first_token_at) * 1000 < 300
    assert "".join(text for _, text in deltas).startswith("## Problem")
    assert received[-1][1] == "done"
    panel = web.get(
        f"{web.base}/sessions/{session_a.pk}/resolution-note/preview/", headers={"HX-Request": "true"}, timeout=10
    ).text
    assert "<h2>Problem</h2>" in panel or "Outlook asked again and again." in panel


def test_a_cached_draft_is_done_at_once(bob_api, session_a, fact_a, model_off):
    state = Session.objects.get(pk=session_a.pk).state_version
    preview_generate(session_id=str(session_a.pk), kind=DraftKind.RESOLUTION_NOTE, requested_version=state)
    assert cache.get(preview_key(DraftKind.RESOLUTION_NOTE, session_a.pk, state)) is not None

    body = b"".join(bob_api.get(f"/api/ai-sessions/{session_a.pk}/resolution-note/preview/stream").streaming_content)

    assert body == f'event: done\ndata: {{"state_version": {state}}}\n\n'.encode()


def test_a_draft_nobody_is_writing_is_done_at_once_so_the_panel_asks(bob_api, session_a, model_off):
    started = time.monotonic()
    body = b"".join(bob_api.get(f"/api/ai-sessions/{session_a.pk}/escalation-package/preview/stream").streaming_content)

    assert body.endswith(
        b"event: done\ndata: " + json.dumps({"state_version": session_a.state_version}).encode() + b"\n\n"
    )
    assert time.monotonic() - started < 2  # nobody writing it: no waiting on the channel


def test_another_accounts_draft_stream_is_404(charlie_api, session_a):
    response = charlie_api.get(
        f"/api/ai-sessions/{session_a.pk}/resolution-note/preview/stream", HTTP_ACCEPT="text/event-stream"
    )
    assert response.status_code == 404


def test_a_draft_asked_again_streams_anew(session_a, fact_a, model_on):
    from drafting.previews import draft_stream_id
    from flowpilot.channel import channel, text_so_far

    model_on.reply_with({"text": "Here is the note you asked for."}, {"text": RESOLUTION})  # a format correction
    state = Session.objects.get(pk=session_a.pk).state_version

    preview_generate(session_id=str(session_a.pk), kind=DraftKind.RESOLUTION_NOTE, requested_version=state)

    backlog = channel().read(draft_stream_id(DraftKind.RESOLUTION_NOTE, session_a.pk, state), "0", wait_seconds=0.01)
    text, rest = text_so_far(backlog)
    assert "reset" in [event.name for event in backlog]
    assert text.startswith("## Problem") and "Here is the note" not in text
    assert [event.name for event in rest] == ["done"]
