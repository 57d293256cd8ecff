"""DESIGN §4: a closed ticket is not resolved twice. The handoff reads the ticket before it posts: closed
in the PSA → `ticket_closed`, nothing posted, unless the engineer confirmed (the post, or a Retry, says
`confirm_closed_ticket`). And resolving with no fix marked as worked: the API posts as asked and says so."""

import pytest
from django.urls import reverse

from drafting.kinds import DraftKind
from handoff import services
from handoff.models import Handoff
from sessions import services as session_services
from tests.support.html import hx_post, oob_toasts, region, text

RESOLUTION = DraftKind.RESOLUTION_NOTE
NOTE = "## Problem\n\nOutlook prompted in a loop.\n\n## Resolution\n\nCleared the cached credentials."
CLOSED = 6  # the simulator's "Closed" status on the Help Desk board


@pytest.fixture
def closed_in_psa(session_a, psa_connected, simulator):
    """Ticket 1001 was closed in ConnectWise (someone finished it there) while this session was open."""
    simulator.add_ticket(1001, "Outlook prompts for a password", status_id=CLOSED)
    return session_a


def post_url(session, action="post"):
    return f"/api/ai-sessions/{session.pk}/resolution-note/{action}"


def test_a_post_to_a_ticket_closed_in_the_psa_posts_nothing_and_says_why(closed_in_psa, bob, simulator):
    handoff = services.handoff_post(session=closed_in_psa, kind=RESOLUTION, markdown=NOTE, user=bob)

    assert (handoff.state, handoff.error_code, handoff.note_id) == ("failed", "ticket_closed", None)
    assert handoff.error_message.startswith(
        "Ticket #1001 is already closed in ConnectWise (status “Closed”), so nothing was posted."
    )
    assert simulator.notes_for(1001) == []
    assert handoff.session.is_open  # nothing happened: the engineer decides


def test_a_confirmed_retry_posts_exactly_one_note_to_the_closed_ticket(closed_in_psa, bob, simulator):
    refused = services.handoff_post(session=closed_in_psa, kind=RESOLUTION, markdown=NOTE, user=bob)

    done = services.handoff_retry(handoff=refused, confirm_closed_ticket=True)

    assert (done.pk, done.state, done.confirm_closed_ticket) == (refused.pk, "succeeded", True)
    assert len(simulator.notes_for(1001)) == 1


def test_a_plain_retry_of_a_closed_ticket_is_refused_again(closed_in_psa, bob, simulator):
    refused = services.handoff_post(session=closed_in_psa, kind=RESOLUTION, markdown=NOTE, user=bob)

    again = services.handoff_retry(handoff=refused)

    assert (again.state, again.error_code, again.attempts) == ("failed", "ticket_closed", 2)
    assert simulator.notes_for(1001) == []


def test_the_second_session_on_a_ticket_resolved_by_the_first_cannot_resolve_it_again(
    session_a, bob, psa_connected, simulator
):
    """The issue's path: resolve the first session, start another on the same ticket, Confirm & post."""
    first = services.handoff_post(session=session_a, kind=RESOLUTION, markdown=NOTE, user=bob)
    assert first.state == "succeeded"
    second = session_services.session_create(
        account=session_a.account, user=bob, title="Second look", psa_ticket_id=1001
    )

    refused = services.handoff_post(session=second, kind=RESOLUTION, markdown=NOTE, user=bob)

    assert (refused.state, refused.error_code, refused.attempts) == ("failed", "ticket_closed", 0)
    assert refused.error_message.startswith("Ticket #1001 already has a resolution note from FlowPilot: bob posted it")
    assert f"from the session “{session_a.title}”, so nothing was posted." in refused.error_message
    assert len(simulator.notes_for(1001)) == 1  # the first session's note only


def test_a_second_resolution_is_refused_even_when_the_first_left_the_ticket_open(
    session_a, bob, psa_connected, simulator
):
    """No target status set (or one the PSA does not count as closed): the ticket stays open after the first
    resolution, so the PSA's closed flag cannot catch the second. FlowPilot's own record does."""
    from accounts.services import account_settings_update

    account_settings_update(account=session_a.account, changes={"cw_resolved_status_id": None})
    first = services.handoff_post(session=session_a, kind=RESOLUTION, markdown=NOTE, user=bob)
    assert (first.state, simulator.ticket(1001)["closedFlag"]) == ("succeeded", False)
    second = session_services.session_create(account=session_a.account, user=bob, title="Again", psa_ticket_id=1001)

    refused = services.handoff_post(session=second, kind=RESOLUTION, markdown=NOTE, user=bob)
    plain_retry = services.handoff_retry(handoff=refused)
    assert (plain_retry.state, plain_retry.error_code) == ("failed", "ticket_closed")
    assert len(simulator.notes_for(1001)) == 1

    confirmed = services.handoff_retry(handoff=refused, confirm_closed_ticket=True)
    assert confirmed.state == "succeeded"
    assert len(simulator.notes_for(1001)) == 2  # the engineer said they meant it


def test_an_escalation_after_a_resolution_is_not_held_back(session_a, bob, psa_connected, simulator):
    from accounts.services import account_settings_update

    account_settings_update(account=session_a.account, changes={"cw_resolved_status_id": None})
    services.handoff_post(session=session_a, kind=RESOLUTION, markdown=NOTE, user=bob)
    second = session_services.session_create(account=session_a.account, user=bob, title="Again", psa_ticket_id=1001)

    escalated = services.handoff_post(session=second, kind=DraftKind.ESCALATION_PACKAGE, markdown=NOTE, user=bob)

    assert escalated.state == "succeeded"  # an internal note tells the customer nothing twice


# Through the API


def test_the_api_answers_ticket_closed_and_posts_nothing(bob_api, closed_in_psa, simulator):
    response = bob_api.post(post_url(closed_in_psa), {"markdown": NOTE}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert (body["state"], body["error"]["code"]) == ("failed", "ticket_closed")
    assert simulator.notes_for(1001) == []


def test_the_api_posts_to_a_closed_ticket_when_the_post_confirms_it(bob_api, closed_in_psa, simulator):
    response = bob_api.post(post_url(closed_in_psa), {"markdown": NOTE, "confirm_closed_ticket": True}, format="json")

    assert response.json()["state"] == "succeeded"
    assert len(simulator.notes_for(1001)) == 1


def test_the_api_retry_accepts_the_confirmation(bob_api, closed_in_psa, simulator):
    refused = bob_api.post(post_url(closed_in_psa), {"markdown": NOTE}, format="json").json()

    response = bob_api.post(f"/api/handoffs/{refused['id']}/retry", {"confirm_closed_ticket": True}, format="json")

    assert (response.status_code, response.json()["state"]) == (202, "succeeded")
    assert len(simulator.notes_for(1001)) == 1


def test_the_api_refuses_a_confirmation_that_is_not_a_boolean(bob_api, closed_in_psa):
    response = bob_api.post(post_url(closed_in_psa), {"markdown": NOTE, "confirm_closed_ticket": "yes"}, format="json")
    assert response.status_code == 400
    assert not Handoff.objects.exists()


def test_the_api_posts_a_resolution_without_a_working_fix_and_warns(bob_api, session_a, psa_connected, simulator):
    response = bob_api.post(post_url(session_a), {"markdown": NOTE}, format="json")

    assert response.status_code == 202
    assert response.json()["state"] == "succeeded"
    assert response.json()["warnings"] == [
        "No fix is recorded for this session. Resolve only if the problem is really fixed, or escalate instead."
    ]


def test_the_api_has_no_warning_when_the_fix_worked(bob_api, session_a, bob, psa_connected):
    fix = session_services.fix_set(session=session_a, user=bob, title="Clear cached credentials", confidence_pct=80)
    session_services.fix_record_outcome(fix=fix, outcome="applied_success")

    assert bob_api.post(post_url(session_a), {"markdown": NOTE}, format="json").json()["warnings"] == []


def test_an_escalation_needs_no_working_fix(bob_api, session_a, psa_connected):
    response = bob_api.post(
        f"/api/ai-sessions/{session_a.pk}/escalation-package/post", {"markdown": NOTE}, format="json"
    )
    assert response.json()["warnings"] == []


# On the page


def confirmed(**extra):
    return {"markdown": NOTE, "confirm_warnings": "1", **extra}


def test_the_page_shows_the_closed_ticket_and_offers_to_post_anyway(bob_web, closed_in_psa, simulator):
    response = hx_post(bob_web, reverse("handoff-post", args=[closed_in_psa.pk, RESOLUTION]), confirmed())

    card = region(text(response), "handoff")
    assert "Ticket #1001 looks done already: nothing was posted" in card
    assert "(status “Closed”)" in card
    assert "Post to closed ticket #1001 anyway" in card
    assert 'name="confirm_closed_ticket" value="1"' in card
    assert ">Retry<" not in oob_toasts(response)  # a plain retry would only be refused again
    assert simulator.notes_for(1001) == []


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_posting_anyway_from_the_page_writes_one_note(bob_web, closed_in_psa, simulator, htmx):
    hx_post(bob_web, reverse("handoff-post", args=[closed_in_psa.pk, RESOLUTION]), confirmed())
    handoff = Handoff.objects.get()
    retry = reverse("handoff-retry", args=[handoff.pk])

    response = (
        hx_post(bob_web, retry, {"confirm_closed_ticket": "1"})
        if htmx
        else bob_web.post(retry, {"confirm_closed_ticket": "1"})
    )

    assert response.status_code in (200, 302)
    assert Handoff.objects.get().state == "succeeded"
    assert len(simulator.notes_for(1001)) == 1


def test_resolving_without_a_working_fix_asks_to_confirm_on_the_page(bob_web, session_a, psa_connected, simulator):
    panel = text(hx_post(bob_web, reverse("preview", args=[session_a.pk, RESOLUTION])))
    assert 'name="confirm_warnings" value="1" required' in panel
    assert "Resolve anyway: I have checked the problem is fixed" in panel

    refused = hx_post(bob_web, reverse("handoff-post", args=[session_a.pk, RESOLUTION]), {"markdown": NOTE})

    assert "Nothing was posted. No fix is recorded for this session." in oob_toasts(refused)
    assert not Handoff.objects.exists()
    assert simulator.notes_for(1001) == []

    hx_post(bob_web, reverse("handoff-post", args=[session_a.pk, RESOLUTION]), confirmed())
    assert len(simulator.notes_for(1001)) == 1


def test_a_failed_post_says_which_attempt_failed_and_when(bob_web, closed_in_psa):
    hx_post(bob_web, reverse("handoff-post", args=[closed_in_psa.pk, RESOLUTION]), confirmed())
    handoff = Handoff.objects.get()
    services.handoff_retry(handoff=handoff)

    card = region(text(bob_web.get(reverse("workspace", args=[closed_in_psa.pk]))), "handoff")

    finished = Handoff.objects.get().finished_at
    assert f'Attempt 2, failed at <time datetime="{finished.isoformat()}">' in card


def test_the_page_asks_first_when_the_ticket_looks_done_and_posts_once_confirmed(
    bob_web, bob, session_a, psa_connected, simulator
):
    first = services.handoff_post(session=session_a, kind=RESOLUTION, markdown=NOTE, user=bob)
    assert first.state == "succeeded"
    second = session_services.session_create(account=session_a.account, user=bob, title="Again", psa_ticket_id=1001)

    panel = text(hx_post(bob_web, reverse("preview", args=[second.pk, RESOLUTION])))
    assert "Ticket #1001 already has a resolution note from FlowPilot: bob posted it on" in panel
    assert 'name="confirm_closed_ticket" value="1" required' in panel
    assert "Post to ticket #1001 anyway: I have checked it in the PSA" in panel

    hx_post(bob_web, reverse("handoff-post", args=[second.pk, RESOLUTION]), confirmed(confirm_closed_ticket="1"))

    assert Handoff.objects.get(session=second).state == "succeeded"
    assert len(simulator.notes_for(1001)) == 2


def test_the_page_asks_first_when_the_workspace_saw_the_ticket_closed(bob_web, closed_in_psa):
    bob_web.get(reverse("ticket-context", args=[closed_in_psa.pk]), HTTP_HX_REQUEST="true")  # the workspace read it

    panel = text(hx_post(bob_web, reverse("preview", args=[closed_in_psa.pk, RESOLUTION])))

    assert "Ticket #1001 is already closed in the PSA (status “Closed”)." in panel
    assert 'name="confirm_closed_ticket" value="1" required' in panel
