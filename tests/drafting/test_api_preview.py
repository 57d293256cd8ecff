"""POST and GET /api/ai-sessions/{id}/<kind>/preview as a REST client meets them."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from kombu.exceptions import OperationalError

from drafting import previews, tasks
from drafting.kinds import DraftKind
from drafting.previews import lock_key
from psa.plaintext import markdown_to_plain_text
from sessions import services
from sessions.models import Fact, Session, SuggestedFix


def preview_url(session, kind="resolution"):
    return reverse(f"api-{kind}-preview", args=[session.pk])


def test_it_drafts_offline_without_a_key_and_serves_the_repeat_from_the_cache(model_off, bob_api, rich_session):
    first = bob_api.post(preview_url(rich_session), {}, format="json")
    again = bob_api.post(preview_url(rich_session), {}, format="json")

    assert first.status_code == 200
    body = first.json()
    assert body["markdown"].startswith("## Problem\n\n")
    assert "## What we confirmed" in body["markdown"] and "## Resolution" in body["markdown"]
    assert "<h2>Problem</h2>" in body["html"]
    assert body["target_ticket_ref"] == "#1001"
    assert body["state_version"] == body["current_state_version"] == rich_session.state_version
    assert (body["from_cache"], body["stale"], body["drafted_by"]) == (False, False, "offline")
    assert "no ANTHROPIC_API_KEY" in body["offline_reason"]
    assert again.json()["from_cache"] is True
    assert again.json()["markdown"] == body["markdown"]
    assert (body["ticket_text"], body["ticket_text_format"]) == (None, None)  # Acme has no PSA connection here


def test_it_shows_the_note_exactly_as_it_will_land_on_the_ticket(model_off, bob_api, rich_session, psa_connected):
    body = bob_api.post(preview_url(rich_session), {}, format="json").json()

    assert body["ticket_text_format"] == "plain text"
    assert body["ticket_text"] == markdown_to_plain_text(body["markdown"])
    assert body["ticket_text"].startswith("Problem\n\n") and "##" not in body["ticket_text"]


def test_a_session_without_a_ticket_says_it_resolves_locally(model_off, bob_api, account_a, bob):
    session = services.session_create(account=account_a, user=bob, title="Printer offline")

    response = bob_api.post(preview_url(session, "escalation"), {}, format="json")

    assert response.status_code == 200
    assert response.json()["target_ticket_ref"] is None
    assert "## Suggested next steps" in response.json()["markdown"]
    assert response.json()["ticket_text"] is None


def test_a_cached_repeat_makes_no_model_call(model_on, bob_api, rich_session):
    bob_api.post(preview_url(rich_session), {}, format="json")
    response = bob_api.post(preview_url(rich_session), {}, format="json")

    assert response.json()["from_cache"] is True
    assert response.json()["drafted_by"] == "claude-sonnet-5-5"
    assert model_on.call_count == 1


def test_resolve_and_escalate_never_share_an_entry(model_on, bob_api, rich_session):
    resolution = bob_api.post(preview_url(rich_session, "resolution"), {}, format="json").json()
    escalation = bob_api.post(preview_url(rich_session, "escalation"), {}, format="json").json()

    assert escalation["from_cache"] is False
    assert "## What we've tried" in escalation["markdown"]
    assert "## Root cause" in resolution["markdown"]
    assert model_on.call_count == 2


def _add_fact(session, user):
    services.fact_add(session=session, user=user, text="New fact")


def _edit_fact(session, user):
    services.fact_update(fact=Fact.objects.live().filter(session=session).first(), changes={"text": "Edited"})


def _delete_fact(session, user):
    services.fact_delete(fact=Fact.objects.live().filter(session=session).first())


def _set_fix(session, user):
    services.fix_set(session=session, user=user, title="Recreate the Outlook profile", confidence_pct=65)


def _record_outcome(session, user):
    fix = SuggestedFix.objects.get(session=session, superseded_at__isnull=True)
    services.fix_record_outcome(fix=fix, outcome=SuggestedFix.Outcome.APPLIED_PENDING)


def _generate_script(session, user):
    template = session.account.script_templates.get()
    services.script_generate(
        session=session, user=user, template=template, parameters={"share": "x", "letter": "X", "password": "p"}
    )


def _edit_session(session, user):
    services.session_update(session=session, changes={"problem_domain": "identity"})


@pytest.mark.parametrize(
    "write", [_add_fact, _edit_fact, _delete_fact, _set_fix, _record_outcome, _generate_script, _edit_session]
)
def test_every_write_that_feeds_a_draft_misses_the_cache(model_on, bob_api, rich_session, bob, write):
    before = bob_api.post(preview_url(rich_session), {}, format="json").json()

    write(Session.objects.get(pk=rich_session.pk), bob)
    after = bob_api.post(preview_url(rich_session), {}, format="json").json()

    assert after["from_cache"] is False
    assert after["state_version"] == before["state_version"] + 1
    assert model_on.call_count == 2


def test_force_drafts_again(model_on, bob_api, rich_session):
    bob_api.post(preview_url(rich_session), {}, format="json")
    forced = bob_api.post(preview_url(rich_session), {"force": True}, format="json")

    assert forced.json()["from_cache"] is False
    assert model_on.call_count == 2


def test_get_reads_the_current_state_and_marks_an_older_draft_stale(model_off, bob_api, rich_session, bob):
    none_yet = bob_api.get(preview_url(rich_session))
    bob_api.post(preview_url(rich_session), {}, format="json")
    current = bob_api.get(preview_url(rich_session))
    services.fact_add(session=rich_session, user=bob, text="Changed after the draft")
    stale = bob_api.get(preview_url(rich_session))

    assert none_yet.status_code == 404
    assert none_yet.json()["code"] == "no_draft"
    assert current.status_code == 200
    assert (current.json()["from_cache"], current.json()["stale"]) == (True, False)
    assert stale.status_code == 200
    assert stale.json()["stale"] is True
    assert stale.json()["current_state_version"] == stale.json()["state_version"] + 1


def test_a_draft_cached_by_an_earlier_drafter_is_never_served(model_on, bob_api, rich_session, monkeypatch):
    """After a deploy that bumps DRAFTER_VERSION, an open session's cached draft (same state) is neither
    current nor stale: GET has nothing yet, and POST drafts again with the new drafter."""
    old = bob_api.post(preview_url(rich_session), {}, format="json").json()
    monkeypatch.setattr(previews, "DRAFTER_VERSION", previews.DRAFTER_VERSION + 1)

    read = bob_api.get(preview_url(rich_session))
    drafted = bob_api.post(preview_url(rich_session), {}, format="json")

    assert old["state_version"] == rich_session.state_version
    assert (read.status_code, read.json()["code"]) == (404, "no_draft")
    assert drafted.status_code == 200
    assert drafted.json()["from_cache"] is False
    assert model_on.call_count == 2  # drafted again, not read from the earlier drafter's entry


def test_while_another_request_drafts_the_answer_is_202_pending(settings, model_off, bob_api, rich_session):
    settings.FLOWPILOT_PREVIEW_WAIT_SECONDS = 0.2
    cache.add(lock_key(DraftKind.RESOLUTION_NOTE, rich_session.pk, rich_session.state_version), "generating", 60)

    posted = bob_api.post(preview_url(rich_session), {}, format="json")
    read = bob_api.get(preview_url(rich_session))

    assert posted.status_code == read.status_code == 202
    assert posted.json() == read.json() == {"status": "pending"}


def test_model_html_is_sanitised(model_on, bob_api, rich_session):
    model_on.reply_with(
        {
            "text": "## Problem\n\nA <script>alert('x')</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))"
            "\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC\n\n## Resolution\n\nD"
        }
    )

    html = bob_api.post(preview_url(rich_session), {}, format="json").json()["html"]

    # Angle brackets are text, never markup: the script and the image are shown, inert, as what they are.
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript:' not in html


def test_a_down_task_queue_is_a_clear_503_and_leaves_nothing_locked(model_off, bob_api, rich_session, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.generate_preview, "delay", broker_down)
    down = bob_api.post(preview_url(rich_session), {}, format="json")
    monkeypatch.undo()
    up = bob_api.post(preview_url(rich_session), {}, format="json")

    assert down.status_code == 503
    assert down.json()["code"] == "service_unavailable"
    assert up.status_code == 200


# Access and bad input


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_accounts_session_is_404(charlie_api, session_a, method):
    response = getattr(charlie_api, method)(preview_url(session_a), {}, format="json")

    assert response.status_code == 404


def test_anonymous_is_401(anon_api, session_a):
    assert anon_api.post(preview_url(session_a), {}, format="json").status_code == 401


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_closed_session_is_409(model_off, bob_api, session_a, method):
    Session.objects.filter(pk=session_a.pk).update(status=Session.Status.RESOLVED, closed_as="resolved_local")

    response = getattr(bob_api, method)(preview_url(session_a), {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "session_closed"


@pytest.mark.parametrize("payload", [{"force": "yes"}, {"force": 1}, {"forse": True}, ["force"]])
def test_bad_input_is_400(model_off, bob_api, session_a, payload):
    response = bob_api.post(preview_url(session_a), payload, format="json")

    assert response.status_code == 400


@pytest.mark.parametrize(
    "replies",
    [
        [{"status": 500}, {"status": 500}],
        [{"text": "Sure!"}, {"text": ""}],
        [{"status": 200, "body": {"nonsense": True}}, {"status": 200, "body": {"nonsense": True}}],
    ],
)
def test_a_misbehaving_model_still_answers_200_with_an_offline_draft(model_on, bob_api, rich_session, replies):
    model_on.reply_with(*replies)

    response = bob_api.post(preview_url(rich_session), {}, format="json")

    assert response.status_code == 200
    assert response.json()["drafted_by"] == "offline"
    assert response.json()["offline_reason"].startswith("Drafted without AI: Claude")
    assert response.json()["markdown"].startswith("## Problem")


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_cached_preview_costs_three_queries(model_off, bob_api, rich_session, django_assert_num_queries, method):
    bob_api.post(preview_url(rich_session), {}, format="json")

    with django_assert_num_queries(3):  # the token with its user, the membership, the session
        response = getattr(bob_api, method)(preview_url(rich_session), {}, format="json")

    assert response.json()["from_cache"] is True
