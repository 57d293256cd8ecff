"""A turn through the real SDK against the Claude stub: what is sent, what is kept, what is proposed."""

import json

import pytest

from assistant.models import Message, Proposal
from sessions import services as session_services
from sessions.models import Session

SECRET = "Sup3r-Secret-Pa55"


def messages_url(session):
    return f"/api/ai-sessions/{session.pk}/messages/"


def send(client, session, text, status=202):
    response = client.post(messages_url(session), {"text": text}, format="json")
    assert response.status_code == status, response.content
    return response.json()


def fact_call(text="The mailbox is on Exchange Online.", **extra):
    return {"name": "propose_fact", "input": {"text": text, "source_summary": "the engineer", **extra}}


FIX_CALL = {
    "name": "suggest_fix",
    "input": {"title": "Clear cached credentials", "description": "…", "confidence_pct": 70},
}
CHECK_CALL = {"name": "propose_check", "input": {"name": "DNS", "command": "nslookup mail", "expected": "resolves"}}


def assistant_requests(stub):
    return [r["body"] for r in stub.requests if r["body"].get("tools")]


def test_a_turn_sends_the_system_block_tools_state_and_transcript_with_two_breakpoints(
    bob_api, session_a, model_on, template_a, fact_a
):
    model_on.reply_with({"text": "First answer.", "tool_calls": [fact_call()]}, {"text": "Second answer."})
    send(bob_api, session_a, "Outlook asks for the password again.")
    send(bob_api, session_a, f"Here is the config: password={SECRET}")

    first, second = assistant_requests(model_on)
    assert first["stream"] is True
    assert first["model"] == "claude-sonnet-5-5"
    assert first["thinking"] == {"type": "disabled"}
    assert [tool["name"] for tool in first["tools"]] == [
        "propose_fact",
        "propose_check",
        "suggest_fix",
        "suggest_script",
    ]
    assert all(tool["input_schema"]["type"] == "object" for tool in first["tools"])
    assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "MSP" in first["system"][0]["text"]
    # Turn 1: one user turn, the state then the engineer's words.
    (only,) = first["messages"]
    state = json.loads(only["content"][0]["text"].removeprefix("<session_state>\n").removesuffix("\n</session_state>"))
    assert state["ticket"] and state["facts"][0]["text"] == fact_a.text
    assert state["script_templates"][0]["slug"] == "map-drive"
    assert only["content"][1]["text"] == "Outlook asks for the password again."
    # Turn 2 replays turn 1 exactly, answers its tool use, and puts the breakpoint at the end of it.
    user1, assistant1, user2 = second["messages"]
    assert user1["content"][-1]["text"] == "Outlook asks for the password again."
    assert len(user1["content"]) == 1  # an old state block is never replayed
    tool_use = next(block for block in assistant1["content"] if block["type"] == "tool_use")
    assert user2["content"][0]["type"] == "tool_result"
    assert user2["content"][0]["tool_use_id"] == tool_use["id"]
    assert user2["content"][0]["cache_control"] == {"type": "ephemeral"}
    breakpoints = [b for m in second["messages"] for b in m["content"] if "cache_control" in b]
    assert len(breakpoints) == 1
    assert SECRET not in json.dumps(model_on.requests)
    assert SECRET not in json.dumps(list(Message.objects.values("text")))


def test_a_reply_streams_into_a_complete_message_with_its_proposals(bob_api, session_a, model_on):
    model_on.reply_with(
        {"text": "Check the **cached credentials**.", "tool_calls": [fact_call(), FIX_CALL, CHECK_CALL]}
    )

    body = send(bob_api, session_a, "Outlook loops on the password prompt.")

    reply = bob_api.get(f"{messages_url(session_a)}{body['reply']['id']}/").json()
    assert reply["state"] == "complete"
    assert reply["text"] == "Check the **cached credentials**."
    assert [p["kind"] for p in reply["proposals"]] == ["fact", "fix", "check"]
    assert all(p["state"] == "open" for p in reply["proposals"])
    assert reply["usage"]["output_tokens"] > 0
    assert Session.objects.get(pk=session_a.pk).state_version == session_a.state_version  # nothing accepted yet


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        ({"name": "delete_everything", "input": {}}, "no tool named"),
        ({"name": "suggest_fix", "input": {"title": "Reboot", "confidence_pct": 250}}, "confidence_pct"),
        ({"name": "propose_fact", "input": {"text": ""}}, "text must not be empty"),
        ({"name": "propose_fact", "input": "garbage"}, "must be an object"),
        (
            {"name": "suggest_script", "input": {"template_slug": "map-drive", "parameters": {"password": "x"}}},
            "password",
        ),
    ],
)
def test_an_invalid_tool_call_is_dropped_and_the_model_is_told_why(
    bob_api, session_a, model_on, template_a, call, reason, caplog
):
    model_on.reply_with({"text": "Answer.", "tool_calls": [call, fact_call()]}, {"text": "Next."})

    first = send(bob_api, session_a, "first")
    send(bob_api, session_a, "second")

    reply = Message.objects.get(pk=first["reply"]["id"])
    assert reply.state == "complete"
    assert [p.kind for p in reply.proposals.all()] == ["fact"]  # the valid one only
    refused, shown = assistant_requests(model_on)[1]["messages"][2]["content"][:2]
    assert refused["is_error"] is True and reason in refused["content"]
    assert "is_error" not in shown
    assert reason in caplog.text


@pytest.mark.parametrize("thinking", ["adaptive", "low"])
def test_with_thinking_on_each_tool_use_turn_goes_on_after_its_thinking_as_the_api_requires(
    bob_api, session_a, model_on, settings, thinking
):
    # The stub refuses (400) a tool-use turn continued without the thinking that came with it, and any thinking
    # block it did not issue with that very text: three turns, each after one with tool calls (one dropped, its
    # input not kept), show the transcript sends the thinking back first and unchanged.
    settings.FLOWPILOT_DRAFT_THINKING = {**settings.FLOWPILOT_DRAFT_THINKING, "assistant_chat": thinking}
    dropped = {"name": "suggest_fix", "input": {"title": "Reboot", "confidence_pct": 250}}
    model_on.reply_with(
        {"text": "First answer.", "tool_calls": [fact_call(), dropped]},
        {"text": "Second answer.", "tool_calls": [FIX_CALL]},
        {"text": "Third answer."},
    )

    replies = [send(bob_api, session_a, words)["reply"]["id"] for words in ("Outlook loops.", "Still.", "Fixed.")]

    assert [Message.objects.get(pk=pk).state for pk in replies] == ["complete"] * 3
    first, second = (Message.objects.get(pk=pk).content for pk in replies[:2])
    third = assistant_requests(model_on)[2]["messages"]
    assert [third[1]["content"], third[3]["content"]] == [first, second]  # replayed as kept
    assert third[4]["content"][0]["type"] == "tool_result"
    kept_first_blocks = [first[0]["type"], second[0]["type"]]
    assert kept_first_blocks == (["thinking", "thinking"] if thinking == "adaptive" else ["text", "text"])
    if thinking == "adaptive":
        assert [first[0]["signature"], second[0]["signature"]] == ["stub-signature-1", "stub-signature-2"]


def test_a_model_that_fails_mid_answer_fails_the_reply_with_the_reason(bob_api, session_a, model_on):
    model_on.reply_with({"text": "Start of an answer that will not finish", "stream_error": {"after_chars": 10}})

    body = send(bob_api, session_a, "hello")

    reply = Message.objects.get(pk=body["reply"]["id"])
    assert reply.state == "failed"
    assert "middle of its answer" in reply.error
    assert not reply.proposals.exists()


def test_an_overloaded_model_is_retried_before_the_first_word(bob_api, session_a, model_on):
    from devtools.claude_stub import overloaded

    model_on.reply_with(overloaded(), {"text": "Here I am."})

    body = send(bob_api, session_a, "hello")

    assert Message.objects.get(pk=body["reply"]["id"]).text == "Here I am."


def accept(client, session, proposal, payload=None, status=200):
    data = {} if payload is None else {"payload": payload}
    response = client.post(f"/api/ai-sessions/{session.pk}/proposals/{proposal.pk}/accept", data, format="json")
    assert response.status_code == status, response.content
    return response.json()


def proposals_after(client, session, stub, *calls):
    stub.reply_with({"text": "Proposals.", "tool_calls": list(calls)})
    reply_id = send(client, session, "go")["reply"]["id"]
    return list(Proposal.objects.filter(message_id=reply_id).order_by("created_at", "id"))


def test_accepting_a_fact_writes_it_as_an_ai_fact_and_bumps_the_state_version(bob_api, session_a, model_on):
    (proposal,) = proposals_after(bob_api, session_a, model_on, fact_call())
    before = Session.objects.get(pk=session_a.pk).state_version

    body = accept(bob_api, session_a, proposal)

    assert body["proposal"]["state"] == "accepted"
    assert body["result"]["type"] == "fact"
    fact = session_a.facts.get(pk=body["result"]["id"])
    assert (fact.text, fact.source_type) == ("The mailbox is on Exchange Online.", "ai")
    assert Session.objects.get(pk=session_a.pk).state_version == before + 1


def test_accepting_an_edited_check_and_a_fix(bob_api, session_a, model_on, fix_a):
    check, fix = proposals_after(bob_api, session_a, model_on, CHECK_CALL, FIX_CALL)

    checked = accept(bob_api, session_a, check, {"name": "DNS resolves mail", "result": "passed"})
    fixed = accept(bob_api, session_a, fix, {"confidence_pct": 85})

    recorded = session_a.checks.get(pk=checked["result"]["id"])
    assert (recorded.name, recorded.command, recorded.result) == ("DNS resolves mail", "nslookup mail", "passed")
    assert recorded.output_summary == ""  # the expected result stays on the card, never as what the check showed
    active = session_a.fixes.get(superseded_at__isnull=True)
    assert str(active.pk) == fixed["result"]["id"]
    assert (active.title, active.confidence_pct) == ("Clear cached credentials", 85)
    fix_a.refresh_from_db()
    assert fix_a.superseded_at is not None


def test_accepting_a_script_writes_nothing_and_answers_the_form_prefilled(bob_api, session_a, model_on, template_a):
    call = {"name": "suggest_script", "input": {"template_slug": "map-drive", "parameters": {"letter": "S"}}}
    (proposal,) = proposals_after(bob_api, session_a, model_on, call)
    before = Session.objects.get(pk=session_a.pk).state_version

    body = accept(bob_api, session_a, proposal)

    assert body["result"] == {"type": "script_form", "id": "map-drive", "parameters": {"letter": "S"}}
    assert Session.objects.get(pk=session_a.pk).state_version == before


def test_deciding_twice_is_409_and_an_invalid_edit_is_400_naming_the_field(bob_api, session_a, model_on):
    fact, fix = proposals_after(bob_api, session_a, model_on, fact_call(), FIX_CALL)

    refused = accept(bob_api, session_a, fix, {"confidence_pct": 101}, status=400)
    assert refused["code"] == "invalid" and "confidence_pct" in refused["errors"]
    assert Proposal.objects.get(pk=fix.pk).state == "open"

    dismissed = bob_api.post(f"/api/ai-sessions/{session_a.pk}/proposals/{fact.pk}/dismiss")
    assert dismissed.json()["proposal"]["state"] == "dismissed"
    assert accept(bob_api, session_a, fact, status=409)["code"] == "proposal_decided"
    assert not session_a.facts.filter(source_type="ai").exists()


def test_only_accepted_proposals_reach_a_draft_and_the_transcript_never_does(bob_api, session_a, model_on):
    accepted, dismissed, _left_open = proposals_after(
        bob_api,
        session_a,
        model_on,
        fact_call("Autodiscover points at the old server."),
        fact_call("The user is in the Sales group."),
        fact_call("The laptop runs Windows 11."),
    )
    accept(bob_api, session_a, accepted)
    bob_api.post(f"/api/ai-sessions/{session_a.pk}/proposals/{dismissed.pk}/dismiss")
    model_on.reply_with(
        {"text": "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."}
    )

    preview = bob_api.post(f"/api/ai-sessions/{session_a.pk}/resolution-note/preview", {}, format="json")

    assert preview.status_code == 200, preview.content
    draft_request = json.dumps(model_on.requests[-1]["body"])
    assert "Autodiscover points at the old server." in draft_request
    assert "The user is in the Sales group." not in draft_request
    assert "The laptop runs Windows 11." not in draft_request
    assert "Proposals." not in draft_request  # the assistant's words
    assert '"go"' not in draft_request  # the engineer's message to the assistant


def test_a_closed_session_is_read_only(bob_api, session_a, model_on):
    (proposal,) = proposals_after(bob_api, session_a, model_on, fact_call())
    session_services.session_update(session=session_a, changes={"psa_ticket_id": None})
    from drafting.kinds import DraftKind
    from handoff import services as handoff_services

    handoff_services.handoff_post(
        session=session_a,
        kind=DraftKind.RESOLUTION_NOTE,
        markdown="## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD.",
        user=None,
        warnings_confirmed=True,
    )

    assert send(bob_api, session_a, "more", status=409)["code"] == "session_closed"
    assert accept(bob_api, session_a, proposal, status=409)["code"] == "session_closed"
    assert bob_api.get(messages_url(session_a)).status_code == 200


def test_a_message_while_a_reply_streams_is_409_assistant_busy(bob_api, session_a, model_off):
    Message.objects.create(session=session_a, seq=1, role="engineer", text="first")
    Message.objects.create(session=session_a, seq=2, role="assistant", state="streaming")

    assert send(bob_api, session_a, "second", status=409)["code"] == "assistant_busy"
    assert Message.objects.filter(session=session_a).count() == 2


@pytest.mark.parametrize(("text", "field"), [("", "text"), ("   \n ", "text"), ("x" * 20_001, "text")])
def test_empty_and_oversize_messages_are_400(bob_api, session_a, model_off, text, field):
    body = send(bob_api, session_a, text, status=400)
    assert field in body["errors"]
    assert not Message.objects.filter(session=session_a).exists()


def test_another_accounts_session_message_proposal_and_stream_are_404(charlie_api, bob_api, session_a, model_on):
    (proposal,) = proposals_after(bob_api, session_a, model_on, fact_call())
    reply = proposal.message
    base = f"/api/ai-sessions/{session_a.pk}"

    for method, path in [
        ("get", f"{base}/messages/"),
        ("post", f"{base}/messages/"),
        ("get", f"{base}/messages/{reply.pk}/"),
        ("get", f"{base}/messages/{reply.pk}/stream"),
        ("post", f"{base}/messages/{reply.pk}/retry"),
        ("post", f"{base}/proposals/{proposal.pk}/accept"),
        ("post", f"{base}/proposals/{proposal.pk}/dismiss"),
        ("post", f"{base}/facts/promote"),
    ]:
        response = getattr(charlie_api, method)(path, {"text": "x"} if method == "post" else None, format="json")
        assert response.status_code == 404, (method, path, response.content)
    assert Proposal.objects.get(pk=proposal.pk).state == "open"


def test_promote_to_fact_asks_the_small_model_for_one_line(bob_api, session_a, model_on):
    model_on.reply_with({"text": "The user's DNS server is 8.8.8.8.\n"})

    response = bob_api.post(
        f"/api/ai-sessions/{session_a.pk}/facts/promote",
        {"text": "Address:  8.8.8.8 ... can't find fileserver01"},
        format="json",
    )

    assert response.json() == {"text": "The user's DNS server is 8.8.8.8."}
    request = model_on.requests[-1]["body"]
    assert request["model"] == "claude-haiku-5-5"
    assert request["messages"][0]["content"].startswith("Rewrite as one fact line:")
    assert not session_a.facts.exists()  # a suggestion, not saved


def test_promote_offline_answers_the_selection_as_it_is(bob_api, session_a, model_off):
    response = bob_api.post(
        f"/api/ai-sessions/{session_a.pk}/facts/promote", {"text": "  DNS  is\n8.8.8.8 "}, format="json"
    )
    assert response.json() == {"text": "DNS is 8.8.8.8"}
    assert (
        bob_api.post(f"/api/ai-sessions/{session_a.pk}/facts/promote", {"text": ""}, format="json").status_code == 400
    )


def test_a_connection_dropped_mid_answer_fails_the_reply_with_the_reason(bob_api, session_a, model_on):
    model_on.reply_with({"text": "An answer whose connection drops half way through it.", "drop_after_chars": 12})

    body = send(bob_api, session_a, "hello")

    reply = Message.objects.get(pk=body["reply"]["id"])
    assert reply.state == "failed"
    assert "connection to Claude was lost" in reply.error


def test_the_stubs_own_answer_is_a_demo_turn_with_a_fact_and_a_fix(bob_api, session_a, model_on):
    body = send(bob_api, session_a, "Outlook asks for the password again and again since this morning.")

    reply = Message.objects.get(pk=body["reply"]["id"])
    assert reply.state == "complete"
    assert "Outlook asks for the password again" in reply.text  # the engineer's words, not the state block
    assert sorted(p.kind for p in reply.proposals.all()) == ["fact", "fix"]


def test_secrets_in_the_session_never_reach_the_model(bob_api, bob, session_a, model_on, template_a):
    session_services.fact_add(session=session_a, user=bob, text=f"The service account password={SECRET}")
    session_services.check_record(
        session=session_a, name="Map", result="failed", command=f"net use S: /user:svc {SECRET}"
    )
    session_services.session_update(
        session=session_a, changes={"intake_text": f"My password is {SECRET}, password={SECRET}"}
    )
    model_on.reply_with(
        {
            "text": "Noted.",
            "tool_calls": [
                {"name": "suggest_script", "input": {"template_slug": "map-drive", "parameters": {"password": SECRET}}}
            ],
        },
        {"text": "Next."},
    )

    send(bob_api, session_a, "first")
    send(bob_api, session_a, "second")

    assert SECRET not in json.dumps([r["body"] for r in model_on.requests])  # the dropped call's input is not replayed
    assert SECRET not in json.dumps(list(Message.objects.values("text", "content")))


def test_accepting_a_check_or_a_fix_bumps_the_state_version_through_the_sessions_services(
    bob_api, session_a, model_on, monkeypatch
):
    check, fix = proposals_after(bob_api, session_a, model_on, CHECK_CALL, FIX_CALL)
    calls = []
    for service in ("check_record", "fix_set"):
        real = getattr(session_services, service)
        monkeypatch.setattr(
            session_services, service, lambda _real=real, _service=service, **kw: calls.append(_service) or _real(**kw)
        )
    before = Session.objects.get(pk=session_a.pk).state_version

    accept(bob_api, session_a, check)
    accept(bob_api, session_a, fix)

    assert calls == ["check_record", "fix_set"]
    assert Session.objects.get(pk=session_a.pk).state_version == before + 2


def test_a_message_or_proposal_of_another_session_of_the_same_account_is_404(
    bob_api, bob, account_a, session_a, model_on
):
    (proposal,) = proposals_after(bob_api, session_a, model_on, fact_call())
    other = session_services.session_create(account=account_a, user=bob, title="Another session")

    assert bob_api.get(f"/api/ai-sessions/{other.pk}/messages/{proposal.message_id}/").status_code == 404
    assert (
        bob_api.post(f"/api/ai-sessions/{other.pk}/proposals/{proposal.pk}/accept", {}, format="json").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("messages/", {"text": "nul\x00here"}, "text"),
        ("facts/promote", {"text": "nul\x00here"}, "text"),
    ],
)
def test_a_nul_character_is_a_400_naming_the_field(bob_api, session_a, model_off, path, body, field):
    response = bob_api.post(f"/api/ai-sessions/{session_a.pk}/{path}", body, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body.get("errors", body)  # DRF's own field errors, or a service's


def test_an_edit_with_a_nul_or_a_payload_that_is_no_object_is_400(bob_api, session_a, model_on):
    (proposal,) = proposals_after(bob_api, session_a, model_on, fact_call())

    assert accept(bob_api, session_a, proposal, {"text": "a\x00b"}, status=400)["errors"]["text"]
    bad = bob_api.post(
        f"/api/ai-sessions/{session_a.pk}/proposals/{proposal.pk}/accept", {"payload": "x"}, format="json"
    )
    assert bad.status_code == 400


def test_a_retried_reply_streams_its_new_run_not_the_failure_before_it(bob_api, session_a, model_on):
    model_on.reply_with({"text": "Half an answ", "stream_error": {"after_chars": 5}}, {"text": "The whole answer."})
    reply_id = send(bob_api, session_a, "hello")["reply"]["id"]
    assert Message.objects.get(pk=reply_id).state == "failed"

    again = bob_api.post(f"{messages_url(session_a)}{reply_id}/retry")
    events = b"".join(bob_api.get(f"{messages_url(session_a)}{reply_id}/stream").streaming_content).decode()

    assert again.status_code == 202
    assert "event: error" not in events
    assert '"The whole answer."' in events and "event: done" in events
    assert Message.objects.get(pk=reply_id).run == 2


def test_a_reply_whose_writer_died_long_ago_is_failed_so_the_session_is_not_stuck(bob_api, session_a, model_off):
    from datetime import timedelta

    from django.utils import timezone

    Message.objects.create(session=session_a, seq=1, role="engineer", text="first")
    stuck = Message.objects.create(session=session_a, seq=2, role="assistant", state="streaming")
    Message.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    send(bob_api, session_a, "second")

    stuck.refresh_from_db()
    assert (stuck.state, stuck.error_code) == ("failed", "assistant_interrupted")


def test_a_down_task_queue_keeps_the_message_and_fails_the_reply_with_retry(bob_api, session_a, model_off, monkeypatch):
    from flowpilot import celery
    from flowpilot.errors import ServiceUnavailable

    def down(*args, **kwargs):
        raise ServiceUnavailable("The task queue is unavailable right now.")

    monkeypatch.setattr(celery, "start_in_background", down)

    body = send(bob_api, session_a, "hello")

    assert body["message"]["text"] == "hello"
    assert (body["reply"]["state"], body["reply"]["error_code"]) == ("failed", "queue_unavailable")
