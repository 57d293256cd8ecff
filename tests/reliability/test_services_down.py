"""The broker or the Redis cache down when a preview or a post is asked for: a clear 503 `{detail, code}`
in plain words through the API, the same words in a toast on the page, and nothing half written (no
handoff left queued to block the next post, the session still open, the engineer's edited text kept,
nothing sent to ConnectWise). Once the service is back, the same post goes through with one note.

The broker is made unreachable for real: this process publishes to a port on 127.0.0.1 that refuses
the connection. The cache tests need no worker and run everywhere; the broker tests need one.
"""

from django.urls import reverse

from drafting.kinds import DraftKind
from drafting.models import DraftEdit
from drafting.services import draft_edit_save
from handoff.models import Handoff
from psa.plaintext import markdown_to_plain_text
from sessions.models import Session
from tests.support.html import hx_post, oob_toasts, region, text
from tests.support.workers import (
    RESOLUTION_TEXT,
    broker_unreachable,
    post,
    post_and_wait,
    retry_and_wait,
    wait_until_finished,
)

RESOLUTION = DraftKind.RESOLUTION_NOTE
EDITED = RESOLUTION_TEXT + "\n\nEdited by Bob before posting."
QUEUE_DOWN = "The task queue is unavailable right now, so nothing was started. Try again in a moment."
CACHE_DOWN = "The draft cache is unavailable right now"


def web_url(name, session):
    return reverse(name, args=[session.pk, RESOLUTION])


def assert_nothing_half_written(session, simulator):
    assert not Handoff.objects.filter(session=session).exists()
    assert Session.objects.get(pk=session.pk).is_open
    assert DraftEdit.objects.get(session=session, kind=RESOLUTION).markdown == EDITED
    assert simulator.state()["requests"] == {}


# The broker


def test_a_post_while_the_broker_is_down_is_a_503_in_words_and_goes_through_once_it_is_back(
    shared_celery_worker, bob, bob_api, session_a, psa_connected, simulator
):
    draft_edit_save(
        session=session_a, kind=RESOLUTION, markdown=EDITED, based_on_state_version=session_a.state_version, user=bob
    )

    with broker_unreachable():
        down = post(bob_api, session_a, markdown=EDITED)
        assert_nothing_half_written(session_a, simulator)
    handoff = post_and_wait(bob_api, session_a, markdown=EDITED)

    assert down.status_code == 503
    assert down.json() == {"detail": QUEUE_DOWN, "code": "service_unavailable"}
    assert handoff["state"] == "succeeded", handoff["error"]
    (note,) = simulator.notes_for(1001)
    assert note["text"] == markdown_to_plain_text(EDITED)


def test_confirm_and_post_while_the_broker_is_down_says_so_and_keeps_the_edited_text(
    shared_celery_worker, bob_web, bob_api, session_a, psa_connected, simulator
):
    form = {
        "markdown": EDITED,
        "from_editor": "1",
        "based_on_state_version": session_a.state_version,
        "confirm_warnings": "1",  # no fix is marked as worked in this session
    }

    with broker_unreachable():
        down = hx_post(bob_web, web_url("handoff-post", session_a), form)
        assert_nothing_half_written(session_a, simulator)
    page = text(bob_web.get(reverse("workspace", args=[session_a.pk])))
    up = hx_post(bob_web, web_url("handoff-post", session_a), form)
    handoff = wait_until_finished(bob_api, Handoff.objects.get(session=session_a).pk)

    assert down.status_code == 200
    assert down["HX-Retarget"] == "#wrap-up"
    assert QUEUE_DOWN in oob_toasts(down)
    assert "Edited by Bob before posting." in region(text(down), "preview-panel")  # the panel reopens with it
    assert "Edited by Bob before posting." in region(page, "preview-panel")
    assert up.status_code == 200
    assert handoff["state"] == "succeeded", handoff["error"]
    assert len(simulator.notes_for(1001)) == 1


def test_a_retry_while_the_broker_is_down_leaves_the_handoff_failed_with_its_text_and_retryable(
    shared_celery_worker, bob_api, session_a, psa_connected, simulator
):
    simulator.set_faults(silent_status_rejection=True)
    failed = post_and_wait(bob_api, session_a)
    simulator.set_faults()

    with broker_unreachable():
        down = bob_api.post(reverse("api-handoff-retry", args=[failed["id"]]), format="json")
    kept = Handoff.objects.get(pk=failed["id"])
    retried = retry_and_wait(bob_api, failed["id"])

    assert down.status_code == 503
    assert down.json() == {"detail": QUEUE_DOWN, "code": "service_unavailable"}
    assert (kept.state, kept.error_code, kept.markdown) == ("failed", "queue_unavailable", RESOLUTION_TEXT)
    assert kept.note_id == failed["psa"]["note_id"] and kept.may_retry
    assert retried["state"] == "succeeded", retried["error"]
    assert len(simulator.notes_for(1001)) == 1


# The cache


def test_a_preview_while_the_cache_is_down_is_a_503_in_words(cache_down, bob_api, session_a):
    asked = bob_api.post(reverse("api-resolution-preview", args=[session_a.pk]), {}, format="json")
    read = bob_api.get(reverse("api-resolution-preview", args=[session_a.pk]))

    for response in (asked, read):
        assert response.status_code == 503
        assert response.json()["code"] == "service_unavailable"
        assert response.json()["detail"].startswith(CACHE_DOWN)


def test_the_page_while_the_cache_is_down_says_so_keeps_the_edit_and_still_posts(
    cache_down, bob, bob_web, session_a, psa_connected, simulator
):
    draft_edit_save(
        session=session_a, kind=RESOLUTION, markdown=EDITED, based_on_state_version=session_a.state_version, user=bob
    )

    preview = hx_post(bob_web, web_url("preview", session_a))
    page = bob_web.get(reverse("workspace", args=[session_a.pk]))
    posted = hx_post(bob_web, web_url("handoff-post", session_a), {"markdown": EDITED, "confirm_warnings": "1"})

    assert preview.status_code == 200
    assert CACHE_DOWN in oob_toasts(preview)
    assert page.status_code == 200
    assert "Edited by Bob before posting." in region(text(page), "preview-panel")
    assert posted.status_code == 200
    assert Handoff.objects.get(session=session_a).state == Handoff.State.SUCCEEDED
    (note,) = simulator.notes_for(1001)
    assert note["text"] == markdown_to_plain_text(EDITED)
