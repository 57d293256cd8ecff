"""The assistant in Django admin: usage per session and per account, read-only transcripts, the account's only."""

from django.urls import reverse

from assistant.models import Message


def reply(session, seq, **usage):
    return Message.objects.create(session=session, seq=seq, role="assistant", text=f"Reply {seq}", usage=usage)


def test_usage_per_session_and_for_the_account(alice_web, session_a, session_b):
    reply(session_a, 2, input_tokens=100, cache_creation_input_tokens=0, cache_read_input_tokens=900, output_tokens=50)
    reply(session_a, 4, input_tokens=100, cache_creation_input_tokens=0, cache_read_input_tokens=900, output_tokens=50)
    reply(session_b, 2, input_tokens=7777, cache_read_input_tokens=0, output_tokens=1)  # Globex's

    page = alice_web.get(reverse("admin:assistant_assistantusage_changelist")).content.decode()

    assert "Outlook prompts for a password in a loop" in page
    assert "2000 prompt tokens, 100 output tokens, 90% of the prompt read from the cache" in page
    assert "7777" not in page


def test_a_transcript_is_read_only(alice_web, session_a):
    message = reply(session_a, 2, input_tokens=1)

    url = reverse("admin:assistant_message_change", args=[message.pk])
    assert alice_web.get(url).status_code == 200
    alice_web.post(url, {"text": "Edited"})
    message.refresh_from_db()
    assert message.text == "Reply 2"
