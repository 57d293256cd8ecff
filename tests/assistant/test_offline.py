"""The assistant with no model: the engineer's message is kept, the reply fails with the reason and a Retry,
and the rest of the session works."""

from assistant.models import Message


def messages_url(session):
    return f"/api/ai-sessions/{session.pk}/messages/"


def test_with_no_key_the_message_is_kept_and_the_reply_fails_with_the_reason(bob_api, session_a, model_off):
    response = bob_api.post(
        messages_url(session_a), {"text": "Outlook asks for a password. password=hunter2"}, format="json"
    )

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["message"]["text"] == "Outlook asks for a password. password=[REDACTED]"
    reply = Message.objects.get(pk=body["reply"]["id"])
    assert reply.state == "failed"
    assert "offline" in reply.error and "no ANTHROPIC_API_KEY is set" in reply.error
    assert "hunter2" not in str(list(Message.objects.values()))

    listed = bob_api.get(messages_url(session_a)).json()
    assert [m["role"] for m in listed["results"]] == ["engineer", "assistant"]
    assert listed["results"][1]["state"] == "failed"


def test_a_failed_reply_can_be_retried_and_fails_again_while_offline(bob_api, session_a, model_off):
    reply_id = bob_api.post(messages_url(session_a), {"text": "hello"}, format="json").json()["reply"]["id"]

    again = bob_api.post(f"{messages_url(session_a)}{reply_id}/retry")

    assert again.status_code == 202, again.content
    assert Message.objects.get(pk=reply_id).state == "failed"
    assert Message.objects.filter(session=session_a).count() == 2
