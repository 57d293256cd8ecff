"""The conversation with the assistant in the workspace: sending (HTMX and plain POST) and its refusals in
words, the transcript as rendered (model text inert), a streaming reply's markup, the proposal cards' Accept,
Edit and Dismiss with the lane updated out of band, Retry, "Promote to fact", other accounts' ids, and the
workspace's query count however long the conversation.

With no model key a reply fails at once, which most of these need; complete replies with proposals are
written as rows directly."""

import uuid

import pytest
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assistant.models import Message, Proposal
from sessions import services
from sessions.models import DiagnosticCheck, Fact, Session, SuggestedFix
from tests.support.html import Elements, hx_get, hx_post, region, text, triggers


def url(name, session, *args):
    return reverse(name, args=[session.pk, *args])


def workspace(session) -> str:
    return reverse("workspace", args=[session.pk])


def state_version(session) -> int:
    return Session.objects.values_list("state_version", flat=True).get(pk=session.pk)


def next_seq(session) -> int:
    return (Message.objects.filter(session=session).aggregate(last=Max("seq"))["last"] or 0) + 1


def reply_with(session, *proposals, text="Clear the cached credentials, then check **Credential Manager**."):
    """An engineer's question and a complete reply holding `proposals`, each (kind, payload)."""
    seq = next_seq(session)
    Message.objects.create(session=session, seq=seq, role=Message.Role.ENGINEER, text="What should I try next?")
    reply = Message.objects.create(
        session=session, seq=seq + 1, role=Message.Role.ASSISTANT, text=text, state=Message.State.COMPLETE
    )
    for kind, payload in proposals:
        Proposal.objects.create(
            message=reply, session=session, kind=kind, payload=payload, tool_use_id=f"toolu_{uuid.uuid4().hex[:12]}"
        )
    return reply


def streaming_reply(session, text=""):
    seq = next_seq(session)
    Message.objects.create(session=session, seq=seq, role=Message.Role.ENGINEER, text="Here is the output")
    return Message.objects.create(
        session=session, seq=seq + 1, role=Message.Role.ASSISTANT, text=text, state=Message.State.STREAMING
    )


FACT = (Proposal.Kind.FACT, {"text": "Outlook desktop alone prompts; OWA signs in.", "source_summary": "the user"})
CHECK = (
    Proposal.Kind.CHECK,
    {"name": "Stored Office credentials", "command": "cmdkey /list", "expected": "No MicrosoftOffice16 entry"},
)
FIX = (
    Proposal.Kind.FIX,
    {
        "title": "Remove the stale Office credential",
        "description": "cmdkey /delete it, restart Outlook.",
        "confidence_pct": 80,
    },
)
SCRIPT = (
    Proposal.Kind.SCRIPT,
    {
        "template_slug": "map-drive",
        "template_name": "Map drive",
        "parameters": {"share": r"\\fs01\finance", "letter": "X"},
    },
)


def proposal_of(reply, kind) -> Proposal:
    return reply.proposals.get(kind=kind)


def close(session):
    Session.objects.filter(pk=session.pk).update(status=Session.Status.RESOLVED, closed_as="resolved_local")


# Sending


def test_a_message_sent_with_htmx_comes_back_as_the_two_new_messages(bob_web, session_a, model_off):
    response = hx_post(bob_web, url("assistant-send", session_a), {"text": "Outlook prompts. password=hunter2"})

    html = text(response)
    assert response.status_code == 200
    message, reply = Message.objects.filter(session=session_a).order_by("seq")
    assert message.text == "Outlook prompts. password=[REDACTED]"
    engineer = region(html, f"message-{message.pk}")
    assert 'class="message message-engineer"' in engineer
    assert "Outlook prompts. password=[REDACTED]" in engineer
    assert "hunter2" not in html
    # Offline, the reply has failed already: the reason in words, and Retry
    answer = region(html, f"message-{reply.pk}")
    assert "message-assistant message-failed" in answer
    assert "no ANTHROPIC_API_KEY is set" in answer
    assert f'hx-post="{url("assistant-retry", session_a, reply.pk)}"' in answer
    assert '<p id="chat-error" class="chat-error error" hx-swap-oob="true"></p>' in html  # an earlier error cleared


def test_a_message_sent_without_javascript_redirects_to_the_reply_in_the_workspace(bob_web, session_a, model_off):
    response = bob_web.post(url("assistant-send", session_a), {"text": "The user cannot print."})

    reply = Message.objects.get(session=session_a, role=Message.Role.ASSISTANT)
    assert response.status_code == 302
    assert response["Location"] == f"{workspace(session_a)}#message-{reply.pk}"
    page = text(bob_web.get(workspace(session_a)))
    assert "The user cannot print." in region(page, "transcript")


def test_an_empty_message_is_refused_next_to_the_form(bob_web, session_a):
    response = hx_post(bob_web, url("assistant-send", session_a), {"text": "   "})

    assert response.status_code == 400
    assert response["HX-Retarget"] == "#chat-error"
    assert response["HX-Reswap"] == "outerHTML"
    assert 'role="alert">Type a message (or paste the output) first.</p>' in text(response)
    assert not Message.objects.exists()


def test_an_oversize_message_says_the_limit_and_keeps_what_was_typed_without_javascript(bob_web, session_a, settings):
    settings.FLOWPILOT_ASSISTANT_MAX_MESSAGE_CHARS = 50
    typed = "Event 1000 " * 10

    response = bob_web.post(url("assistant-send", session_a), {"text": typed})

    html = text(response)
    assert response.status_code == 400
    assert "the limit is 50" in region(html, "chat-error")
    assert f">{typed}</textarea>" in region(html, "chat-form")
    assert "up to 50 characters" in region(html, "chat-form")
    assert not Message.objects.exists()


def test_a_message_while_a_reply_streams_is_refused_busy_and_send_is_disabled(bob_web, session_a):
    streaming_reply(session_a)

    page = text(bob_web.get(workspace(session_a)))
    refused = hx_post(bob_web, url("assistant-send", session_a), {"text": "Anything yet?"})

    send = [b for b in Elements(region(page, "chat-form")).all("button") if "data-chat-send" in b]
    assert "disabled" in send[0]
    assert refused.status_code == 409
    assert "still answering" in text(refused)
    assert Message.objects.filter(session=session_a).count() == 2


def test_a_closed_session_refuses_a_message_and_shows_its_transcript_read_only(bob_web, session_a):
    reply = reply_with(session_a, FACT)
    close(session_a)

    refused = hx_post(bob_web, url("assistant-send", session_a), {"text": "One more thing"})
    page = text(bob_web.get(workspace(session_a)))

    assert refused.status_code == 409
    assert "This session is closed" in text(refused)
    chat = region(page, "assistant")
    assert "the conversation is read-only" in chat
    assert 'id="chat-form"' not in chat
    assert "Outlook desktop alone prompts" in region(chat, f"proposal-{proposal_of(reply, 'fact').pk}")
    assert url("proposal-accept", session_a, proposal_of(reply, "fact").pk) not in chat


# The transcript


def test_the_transcript_is_a_log_oldest_first_with_model_html_inert(bob_web, session_a):
    Message.objects.create(session=session_a, seq=1, role="engineer", text="Output: <b>Access denied</b>")
    reply_with(
        session_a,
        (Proposal.Kind.FACT, {"text": "<script>alert('card')</script> is in the log", "source_summary": ""}),
        text="Run **this** <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))",
    )

    chat = region(text(bob_web.get(workspace(session_a))), "transcript")

    assert 'role="log" aria-live="polite"' in chat
    assert chat.index("Output: &lt;b&gt;Access denied&lt;/b&gt;") < chat.index("What should I try next?")
    assert "<strong>this</strong>" in chat
    assert "<script" not in chat and "<img" not in chat and "javascript:" not in chat
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in chat
    assert "&lt;script&gt;alert(&#x27;card&#x27;)&lt;/script&gt; is in the log" in chat


def test_a_streaming_reply_carries_its_stream_and_says_to_reload_without_javascript(bob_web, session_a):
    reply = streaming_reply(session_a, text="Check the <DNS> first")

    page = text(bob_web.get(workspace(session_a)))

    row = region(page, f"message-{reply.pk}")
    stream = f"/api/ai-sessions/{session_a.pk}/messages/{reply.pk}/stream"
    assert f'data-stream-url="{stream}"' in row
    assert f'data-message-url="{url("assistant-message", session_a, reply.pk)}"' in row
    assert 'aria-busy="true"' in row
    assert "writing…" in row
    assert "Check the &lt;DNS&gt; first" in row
    assert "reload to see the answer" in row
    assert "static/js/assistant.js" in page


def test_the_stream_answers_the_signed_in_browser(bob_web, session_a):
    reply = reply_with(session_a, FACT)

    response = bob_web.get(f"/api/ai-sessions/{session_a.pk}/messages/{reply.pk}/stream")

    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert "event: proposal" in body and "event: done" in body


def test_the_rendered_message_is_what_the_script_swaps_in_when_the_stream_ends(bob_web, session_a):
    reply = reply_with(session_a, FIX)

    response = hx_get(bob_web, url("assistant-message", session_a, reply.pk))
    plain = bob_web.get(url("assistant-message", session_a, reply.pk))

    html = text(response)
    assert html.lstrip().startswith(f'<div id="message-{reply.pk}" class="message message-assistant message-complete"')
    assert "<strong>Credential Manager</strong>" in html
    assert "Remove the stale Office credential" in region(html, f"proposal-{proposal_of(reply, 'fix').pk}")
    assert "data-stream-url" not in html
    assert plain.status_code == 302 and plain["Location"].endswith(f"#message-{reply.pk}")


def test_retry_asks_again_and_offline_fails_again_with_the_reason(bob_web, session_a, model_off):
    bob_web.post(url("assistant-send", session_a), {"text": "hello"})
    reply = Message.objects.get(session=session_a, role=Message.Role.ASSISTANT)

    response = hx_post(bob_web, url("assistant-retry", session_a, reply.pk))

    assert response.status_code == 200
    assert "no ANTHROPIC_API_KEY is set" in region(text(response), f"message-{reply.pk}")
    assert Message.objects.filter(session=session_a).count() == 2


def test_retry_of_a_reply_that_did_not_fail_is_refused_in_words(bob_web, session_a):
    reply = reply_with(session_a)

    response = hx_post(bob_web, url("assistant-retry", session_a, reply.pk))

    assert response.status_code == 409
    assert "Only a failed reply can be retried." in text(response)


# Proposal cards


def test_each_open_card_offers_accept_edit_and_dismiss(bob_web, session_a, template_a):
    reply = reply_with(session_a, FACT, CHECK, FIX, SCRIPT)

    chat = region(text(bob_web.get(workspace(session_a))), "transcript")

    for kind in ("fact", "check", "fix"):
        card = region(chat, f"proposal-{proposal_of(reply, kind).pk}")
        assert f'hx-post="{url("proposal-accept", session_a, proposal_of(reply, kind).pk)}"' in card
        assert f'hx-post="{url("proposal-dismiss", session_a, proposal_of(reply, kind).pk)}"' in card
        assert '<input type="hidden" name="edited" value="1">' in card
    assert "cmdkey /list" in region(chat, f"proposal-{proposal_of(reply, 'check').pk}")
    assert "80% confident" in region(chat, f"proposal-{proposal_of(reply, 'fix').pk}")
    script = region(chat, f"proposal-{proposal_of(reply, 'script').pk}")
    assert "Map drive" in script and r"\\fs01\finance" in script
    assert "Accept: open the script form" in script


def test_an_accepted_fact_lands_in_the_lane_out_of_band_from_the_ai(bob_web, session_a, fact_a):
    reply = reply_with(session_a, FACT)
    before = state_version(session_a)

    response = hx_post(bob_web, url("proposal-accept", session_a, proposal_of(reply, "fact").pk))

    html = text(response)
    fact = Fact.objects.get(text=FACT[1]["text"])
    assert response.status_code == 200
    assert fact.source_type == Fact.SourceType.AI and fact.source_summary == "the user"
    assert state_version(session_a) == before + 1
    assert "session-changed" in triggers(response)
    card = region(html, f"proposal-{proposal_of(reply, 'fact').pk}")
    assert '<span class="decided decided-accepted">Accepted</span>' in card
    assert "edited" not in card  # no editor on a decided card
    appended = region(html.replace('<ul hx-swap-oob="beforeend:#facts ul.facts">', '<ul id="oob">'), "oob")
    assert f'<li id="fact-{fact.pk}" class="fact">' in appended
    assert '<span class="source source-ai">AI</span>' in appended
    assert '<span id="facts-count" class="count" hx-swap-oob="true">2</span>' in html


def test_an_edited_check_is_recorded_with_its_result_and_the_checks_region_replaced(bob_web, session_a):
    reply = reply_with(session_a, CHECK)
    edited = {"edited": "1", "name": "Office credentials cleared", "command": "cmdkey /list", "expected": "none"}

    response = hx_post(
        bob_web, url("proposal-accept", session_a, proposal_of(reply, "check").pk), {**edited, "result": "passed"}
    )

    check = DiagnosticCheck.objects.get(session=session_a)
    assert (check.name, check.result, check.output_summary) == ("Office credentials cleared", "passed", "")
    checks = region(text(response), "checks")
    assert 'hx-swap-oob="true"' in checks
    assert "Office credentials cleared" in checks
    assert '<span id="checks-count" class="count">1</span>' in checks
    assert "session-changed" in triggers(response)


def test_an_accepted_fix_replaces_the_active_fix_out_of_band(bob_web, session_a, fix_a):
    reply = reply_with(session_a, FIX)

    response = hx_post(bob_web, url("proposal-accept", session_a, proposal_of(reply, "fix").pk))

    active = SuggestedFix.objects.get(session=session_a, superseded_at__isnull=True)
    assert active.title == "Remove the stale Office credential" and active.confidence_pct == 80
    fix = region(text(response), "fix")
    assert 'hx-swap-oob="true"' in fix
    assert "<h3>Remove the stale Office credential</h3>" in fix
    assert "Earlier fixes (1)" in fix


def test_a_script_card_opens_the_script_form_prefilled_without_any_password(bob_web, session_a, template_a):
    reply = reply_with(session_a, SCRIPT)
    before = state_version(session_a)

    response = hx_post(bob_web, url("proposal-accept", session_a, proposal_of(reply, "script").pk))

    scripts = region(text(response), "scripts")
    assert 'hx-swap-oob="true"' in scripts
    assert '<option value="map-drive" selected>' in scripts
    fields = {field.get("name"): field for field in Elements(scripts).all("input", "select")}
    assert fields["param-share"]["value"] == r"\\fs01\finance"
    assert "value" not in fields["param-password"]
    assert "autofocus" in fields["param-password"]
    assert '<option value="X" selected>X</option>' in scripts
    assert proposal_of(reply, "script").state == Proposal.State.ACCEPTED
    assert state_version(session_a) == before  # nothing is written until the engineer generates it


def test_a_script_card_without_javascript_answers_the_workspace_with_the_form_prefilled(bob_web, session_a, template_a):
    reply = reply_with(session_a, SCRIPT)

    response = bob_web.post(url("proposal-accept", session_a, proposal_of(reply, "script").pk))

    assert response.status_code == 200
    fields = {field.get("name"): field for field in Elements(region(text(response), "scripts")).all("input")}
    assert fields["param-share"]["value"] == r"\\fs01\finance"


def test_a_card_accepted_without_javascript_redirects_to_it(bob_web, session_a):
    reply = reply_with(session_a, FACT)
    proposal = proposal_of(reply, "fact")

    response = bob_web.post(url("proposal-accept", session_a, proposal.pk))

    assert response.status_code == 302
    assert response["Location"] == f"{workspace(session_a)}#proposal-{proposal.pk}"
    assert Fact.objects.filter(session=session_a, source_type="ai").count() == 1


def test_a_dismissed_card_says_so_and_writes_nothing(bob_web, session_a):
    reply = reply_with(session_a, FACT)
    before = state_version(session_a)

    response = hx_post(bob_web, url("proposal-dismiss", session_a, proposal_of(reply, "fact").pk))

    assert '<span class="decided decided-dismissed">Dismissed</span>' in text(response)
    assert proposal_of(reply, "fact").state == Proposal.State.DISMISSED
    assert not Fact.objects.filter(session=session_a).exists()
    assert state_version(session_a) == before


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_accepting_twice_is_refused_on_the_card_in_words(bob_web, session_a, htmx):
    reply = reply_with(session_a, FACT)
    accept = url("proposal-accept", session_a, proposal_of(reply, "fact").pk)
    hx_post(bob_web, accept)

    again = hx_post(bob_web, accept) if htmx else bob_web.post(accept)

    assert again.status_code == 409
    card = region(text(again), f"proposal-{proposal_of(reply, 'fact').pk}")
    assert "This proposal was already accepted." in card
    assert Fact.objects.filter(session=session_a).count() == 1


def test_an_invalid_edit_is_refused_naming_the_field_with_the_editor_open_and_kept(bob_web, session_a):
    reply = reply_with(session_a, FIX)
    proposal = proposal_of(reply, "fix")
    edited = {"edited": "1", "title": "Rebuild the profile", "description": "", "confidence_pct": "140"}

    response = hx_post(bob_web, url("proposal-accept", session_a, proposal.pk), edited)

    card = region(text(response), f"proposal-{proposal.pk}")
    assert response.status_code == 400
    assert "confidence_pct must be a whole number from 0 to 100." in card
    assert '<details class="proposal-edit" open>' in card
    assert 'value="Rebuild the profile"' in card and 'value="140"' in card
    assert proposal_of(reply, "fix").state == Proposal.State.OPEN
    assert not SuggestedFix.objects.filter(session=session_a).exists()


def test_an_invalid_edit_without_javascript_shows_the_workspace_with_the_card_in_error(bob_web, session_a):
    reply = reply_with(session_a, FACT)
    proposal = proposal_of(reply, "fact")

    response = bob_web.post(
        url("proposal-accept", session_a, proposal.pk), {"edited": "1", "text": " ", "source_summary": "x"}
    )

    assert response.status_code == 400
    card = region(text(response), f"proposal-{proposal.pk}")
    assert "text must not be empty." in card
    assert 'value="x"' in card


# Promote to fact


def test_promoting_a_selection_offline_offers_it_as_it_is_to_save_as_a_fact_from_the_ai(bob_web, session_a, model_off):
    response = hx_post(bob_web, url("fact-promote", session_a), {"text": "  The DNS server\n is 10.0.0.5  "})

    slot = region(text(response), "promote-slot")
    form = Elements(slot).post_forms[0]
    assert form["hx-post"] == url("fact-add", session_a)
    values = {field.get("name"): field.get("value") for _tag, field in form["_fields"] if field.get("name")}
    assert values["text"] == "The DNS server is 10.0.0.5"
    assert values["source_type"] == "ai"

    saved = hx_post(bob_web, url("fact-add", session_a), values)

    fact = Fact.objects.get(session=session_a)
    assert (fact.text, fact.source_type) == ("The DNS server is 10.0.0.5", Fact.SourceType.AI)
    assert "The DNS server is 10.0.0.5" in region(text(saved), "facts")


def test_promoting_nothing_is_refused_in_words(bob_web, session_a):
    response = hx_post(bob_web, url("fact-promote", session_a), {"text": ""})

    assert response.status_code == 400
    assert "Select some text to promote first." in region(text(response), "promote-slot")


# Other accounts, and the cost of a long conversation


def test_every_assistant_page_is_404_for_another_accounts_session_message_and_proposal(
    bob_web, charlie_web, session_a, session_b
):
    reply = reply_with(session_a, FACT)
    proposal = proposal_of(reply, "fact")
    theirs = reply_with(session_b, FACT)
    their_proposal = proposal_of(theirs, "fact")

    requests = [
        ("post", url("assistant-send", session_a), {"text": "hi"}),
        ("get", url("assistant-message", session_a, reply.pk), None),
        ("post", url("assistant-retry", session_a, reply.pk), None),
        ("post", url("proposal-accept", session_a, proposal.pk), None),
        ("post", url("proposal-dismiss", session_a, proposal.pk), None),
        ("post", url("fact-promote", session_a), {"text": "hi"}),
    ]
    for method, path, data in requests:
        assert getattr(charlie_web, method)(path, data or {}, HTTP_HX_REQUEST="true").status_code == 404, path
    # Bob's own session, with Globex's message and proposal ids in it
    assert hx_get(bob_web, url("assistant-message", session_a, theirs.pk)).status_code == 404
    assert hx_post(bob_web, url("assistant-retry", session_a, theirs.pk)).status_code == 404
    assert hx_post(bob_web, url("proposal-accept", session_a, their_proposal.pk)).status_code == 404
    assert hx_post(bob_web, url("proposal-dismiss", session_a, their_proposal.pk)).status_code == 404
    assert charlie_web.get(f"/api/ai-sessions/{session_a.pk}/messages/{reply.pk}/stream").status_code == 404
    assert proposal_of(reply, "fact").state == Proposal.State.OPEN
    assert Message.objects.filter(session=session_a).count() == 2


def test_the_workspace_costs_the_same_queries_with_2_or_200_messages(bob_web, session_a, bob):
    services.fact_add(session=session_a, user=bob, text="Modern auth is on.")
    reply_with(session_a, FACT)
    with CaptureQueriesContext(connection) as small:
        bob_web.get(workspace(session_a))
    for _ in range(99):
        reply_with(session_a, FACT, FIX)
    with CaptureQueriesContext(connection) as large:
        html = text(bob_web.get(workspace(session_a)))
    assert Message.objects.filter(session=session_a).count() == 200
    assert len(small) == len(large)
    assert html.count('class="message message-assistant message-complete"') == 100
