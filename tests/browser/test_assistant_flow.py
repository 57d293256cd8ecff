"""The assistant in a real browser (DESIGN §10), its replies written by a thread of the live server and the
model on the project's Claude stub: a message with pasted output streams a reply word by word, its cards are
accepted (one edited first) and reach the lane and the resolution note's draft; text is promoted to a fact; a
reload mid-reply carries on; the keyboard alone does it all; the chat passes axe and fits a phone."""

import re
import time

import pytest
from playwright.sync_api import expect

from assistant.models import Message, Proposal
from sessions.models import Fact, SuggestedFix
from tests.browser.test_accessibility import assert_accessible
from tests.support.browser import (
    assert_same_document,
    click_and_settle,
    mark_document,
    open_preview,
    open_workspace,
    region,
    settled,
    signed_in,
    tab_to,
)

PHONE = {"width": 390, "height": 844}
PASTED_OUTPUT = (
    "Currently stored credentials:\n\n    Target: MicrosoftOffice16_Data:SSPI:bob@acme.example\n    Type: Generic"
)
FIRST_TOKEN_DELAY = 3.0  # "thinking…" stays long enough to be seen on a busy machine
TOKENS_PER_SECOND = 12  # a delta (three words, four characters a token) every 0.3 s or so: five seconds in all
REPLY_TEXT = (
    "The stored credential list shows a stale MicrosoftOffice16 entry for bob. Outlook keeps offering that "
    "cached token, the tenant refuses it under modern authentication, and the prompt comes back every few "
    "minutes. Remove the entry and sign in again once."
)
ACCEPTED_FACT = "Credential Manager holds a stale MicrosoftOffice16 entry for bob."
DISMISSED_FACT = "The mailbox was migrated from on-premises Exchange last week."
OPEN_FACT = "Bob's laptop runs Office build 2408."
FIX = {
    "title": "Remove the cached Office credentials",
    "description": "Delete the MicrosoftOffice16 entries in Credential Manager, then restart Outlook.",
    "confidence_pct": 60,
}
RESOLUTION_NOTE = (
    "## Problem\n\nOutlook asked for the password every few minutes.\n\n"
    f"## What we confirmed\n\n{ACCEPTED_FACT}\n\n"
    "## Root cause\n\nA stale cached credential.\n\n"
    "## Resolution\n\nRemoved the cached Office credentials; Outlook signs in without prompting."
)


@pytest.fixture
def assistant_on(model_on, live_server, background_in_a_thread):
    return model_on


def chat(page):
    return region(page, "Assistant")


def send_button(page):
    return chat(page).get_by_role("button", name="Send")


def replies(page):
    return page.locator("#transcript .message-assistant")


def message_box(page):
    return chat(page).get_by_label("Message the assistant")


def card(page, heading: str, text: str):
    return page.get_by_role("article", name=re.compile(rf"^{re.escape(heading)}")).filter(has_text=text)


def reply_finished(page, reply):
    """Wait until the streamed reply has been swapped for its rendered, complete version (and htmx settled)."""
    expect(reply).to_have_class(re.compile(r"\bmessage-complete\b"), timeout=30_000)
    settled(page)


def send(page, text: str):
    message_box(page).fill(text)
    message_box(page).press("Enter")


def watch_stream(page, reply, full_text: str, *, on_second_piece=None) -> list[int]:
    """The lengths the reply's text had, each time it changed, until it is no longer streaming: each must be
    the start of `full_text` (in order, nothing doubled), with "writing…" shown and Send disabled meanwhile."""
    read_streamed = "reply => reply.querySelector('[data-stream-text]')?.textContent ?? null"  # null once complete
    lengths = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = reply.evaluate(read_streamed)
        if text is None:
            break
        if text and (not lengths or len(text) != lengths[-1]):
            assert full_text.startswith(text), f"streamed text out of order or doubled: {text!r}"
            assert not lengths or len(text) > lengths[-1], f"the streamed text shrank to {text!r}"
            lengths.append(len(text))
            if len(lengths) == 2:
                expect(reply.get_by_text("writing…")).to_be_visible()
                expect(send_button(page)).to_be_disabled()
                if on_second_piece:
                    on_second_piece()
        page.wait_for_timeout(100)
    return lengths


def test_a_message_with_pasted_output_streams_its_reply_and_its_cards_reach_the_lane_and_the_draft(
    page, shot, bob, session_a, assistant_on
):
    stub = assistant_on
    stub.tokens_per_second = TOKENS_PER_SECOND
    stub.reply_with(
        {
            "text": REPLY_TEXT,
            "first_token_delay": FIRST_TOKEN_DELAY,
            "tool_calls": [
                {"name": "propose_fact", "input": {"text": ACCEPTED_FACT, "source_summary": "cmdkey /list"}},
                {"name": "propose_fact", "input": {"text": DISMISSED_FACT, "source_summary": "A guess"}},
                {"name": "propose_fact", "input": {"text": OPEN_FACT, "source_summary": "A guess"}},
                {"name": "suggest_fix", "input": FIX},
            ],
        }
    )
    signed_in(page, bob)
    open_workspace(page, session_a)
    mark_document(page)
    expect(chat(page)).to_contain_text("Describe what you see or paste a command's output")

    box = message_box(page)
    box.click()
    page.keyboard.type("Outlook keeps asking for the password. cmdkey /list says:")
    page.keyboard.press("Shift+Enter")
    page.keyboard.insert_text(PASTED_OUTPUT)  # as a paste arrives: its line breaks are not key presses
    typed = f"Outlook keeps asking for the password. cmdkey /list says:\n{PASTED_OUTPUT}"
    expect(box).to_have_value(typed)  # Shift+Enter broke the line instead of sending
    assert not replies(page).count()
    shot("message-typed")

    box.press("Enter")
    sent = page.locator("#transcript .message-engineer")
    expect(sent).to_have_count(1)
    expect(sent.locator(".message-text")).to_have_text(typed)  # the pasted lines as they were, breaks and indent
    reply = replies(page).last
    expect(reply.get_by_text("thinking…")).to_be_visible()
    expect(send_button(page)).to_be_disabled()
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    shot("reply-thinking")

    lengths = watch_stream(page, reply, REPLY_TEXT, on_second_piece=lambda: shot("reply-writing"))
    assert len(lengths) >= 3, f"the reply did not arrive in pieces: lengths seen {lengths}"
    assert lengths[0] < len(REPLY_TEXT)

    reply_finished(page, reply)
    expect(reply.locator(".message-text")).to_have_text(REPLY_TEXT)
    expect(reply.get_by_text("thinking…")).to_have_count(0)
    expect(send_button(page)).to_be_enabled()
    stub.tokens_per_second = None  # the draft and everything after: at once

    fact_card = card(page, "Proposed fact", ACCEPTED_FACT)
    fix_card = card(page, "Suggested fix", FIX["title"])
    expect(fact_card).to_be_visible()
    expect(fix_card).to_contain_text("60% confident")
    shot("reply-with-cards")

    click_and_settle(page, fact_card.get_by_role("button", name=re.compile("^Accept fact: Credential Manager")))
    expect(fact_card.get_by_text("Accepted", exact=True)).to_be_visible()
    expect(fact_card.get_by_text("Added to what we know.")).to_be_visible()
    facts = region(page, "What we know")
    expect(facts.get_by_role("listitem").filter(has_text=ACCEPTED_FACT)).to_be_visible()
    expect(facts.get_by_role("heading")).to_have_text("What we know 1")
    expect(facts.get_by_text("Nothing confirmed yet")).to_be_hidden()

    click_and_settle(
        page, card(page, "Proposed fact", DISMISSED_FACT).get_by_role("button", name=re.compile("^Dismiss"))
    )
    expect(card(page, "Proposed fact", DISMISSED_FACT).get_by_text("Dismissed", exact=True)).to_be_visible()

    fix_card.get_by_text("Edit the fix before accepting it").click()
    fix_card.get_by_label("Confidence (%)").fill("85")
    click_and_settle(page, fix_card.get_by_role("button", name="Accept edited fix"))
    expect(fix_card.get_by_text("Accepted", exact=True)).to_be_visible()
    expect(fix_card.get_by_text("Now the session's suggested fix.")).to_be_visible()
    fix = region(page, "Suggested fix")
    expect(fix.get_by_role("heading", name=FIX["title"])).to_be_visible()
    expect(fix.get_by_text("85% confident")).to_be_visible()
    assert_same_document(page)
    shot("cards-accepted")

    assert list(Fact.objects.live().filter(session=session_a).values_list("text", "source_type")) == [
        (ACCEPTED_FACT, Fact.SourceType.AI)
    ]
    assert SuggestedFix.objects.get(session=session_a, superseded_at__isnull=True).confidence_pct == 85
    assert Message.objects.filter(session=session_a, role="assistant").count() == 1

    stub.reply_with({"text": RESOLUTION_NOTE})
    asked_before = len(stub.requests)
    wrap_up = open_preview(page)
    expect(wrap_up.get_by_role("heading", name="Resolution note")).to_be_visible()
    expect(wrap_up.locator("article.rendered")).to_contain_text(ACCEPTED_FACT)
    shot("resolution-preview")
    drafts = [r["body"] for r in stub.requests[asked_before:] if not r["body"].get("tools")]
    assert len(drafts) == 1, f"expected one draft request, got {len(drafts)}"
    draft_request = str(drafts[0]["messages"])
    assert ACCEPTED_FACT in draft_request
    assert FIX["title"] in draft_request and "85" in draft_request
    assert DISMISSED_FACT not in draft_request and OPEN_FACT not in draft_request
    assert "cmdkey /list says" not in draft_request  # the transcript is never quoted in a draft


def test_text_selected_in_a_message_is_promoted_to_a_fact_after_confirming_it(page, shot, bob, session_a, assistant_on):
    assistant_on.reply_with({"text": "Noted."})
    signed_in(page, bob)
    open_workspace(page, session_a)
    mark_document(page)
    send(page, "Checked the tenant. The stale MicrosoftOffice16 entry is in Credential Manager. Nothing else.")
    reply_finished(page, replies(page).last)

    promote = chat(page).get_by_role("button", name="Promote to fact")
    expect(promote).to_be_hidden()
    page.evaluate(
        """() => {
            const text = document.querySelector('#transcript .message-engineer .message-text').firstChild;
            const start = text.data.indexOf('The stale');
            const range = document.createRange();
            range.setStart(text, start);
            range.setEnd(text, text.data.indexOf('Nothing else'));
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }"""
    )
    expect(promote).to_be_visible()
    shot("text-selected")
    click_and_settle(page, promote)

    line = chat(page).get_by_label("Promote to fact: check the line, then save it")
    expect(line).to_have_value("The stale MicrosoftOffice16 entry is in Credential Manager.")  # the small model's line
    expect(line).to_be_focused()
    synthesis = [r["body"] for r in assistant_on.requests if not r["body"].get("tools")]
    assert "Rewrite as one fact line: The stale MicrosoftOffice16 entry is in Credential Manager." in str(synthesis)
    assert not Fact.objects.filter(session=session_a).exists()  # shown for confirmation, not saved yet
    shot("promote-confirm")

    line.fill("Credential Manager holds a stale MicrosoftOffice16 entry.")
    click_and_settle(page, chat(page).get_by_role("button", name="Save fact"))
    facts = region(page, "What we know")
    expect(
        facts.get_by_role("listitem").filter(has_text="Credential Manager holds a stale MicrosoftOffice16 entry.")
    ).to_be_visible()
    expect(line).to_have_count(0)
    assert_same_document(page)
    shot("promoted")
    fact = Fact.objects.get(session=session_a)
    assert (fact.text, fact.source_type) == ("Credential Manager holds a stale MicrosoftOffice16 entry.", "ai")


def test_a_reload_mid_reply_shows_the_text_so_far_and_carries_on_to_the_end(page, shot, bob, session_a, assistant_on):
    assistant_on.tokens_per_second = TOKENS_PER_SECOND / 2.5  # about twelve seconds in all: time to reload mid-reply
    assistant_on.reply_with({"text": REPLY_TEXT})
    signed_in(page, bob)
    open_workspace(page, session_a)
    send(page, "Outlook keeps asking for the password.")
    streamed = replies(page).last.locator("[data-stream-text]")
    expect(streamed).to_have_text(re.compile(r"\S+ \S+ \S+ \S+ \S+ \S+ \S+"), timeout=15_000)  # a few deltas in
    before_reload = streamed.text_content()
    assert len(before_reload) < len(REPLY_TEXT)

    page.reload()
    reply = replies(page).last
    expect(reply).to_have_class(re.compile(r"\bmessage-streaming\b"))
    so_far = reply.locator("[data-stream-text]")
    expect(so_far).to_have_text(re.compile("^" + re.escape(before_reload.strip())))
    expect(send_button(page)).to_be_disabled()
    shot("reloaded-mid-reply")
    assert len(watch_stream(page, reply, REPLY_TEXT)) >= 2, "the reply did not carry on streaming after the reload"

    reply_finished(page, reply)
    expect(reply.locator(".message-text")).to_have_text(REPLY_TEXT)  # carried on, nothing doubled
    expect(send_button(page)).to_be_enabled()
    shot("reloaded-reply-finished")
    stored = Message.objects.get(session=session_a, role="assistant")
    assert (stored.state, stored.text) == ("complete", REPLY_TEXT)


def test_the_keyboard_alone_sends_a_message_and_accepts_a_card(page, shot, bob, session_a, assistant_on):
    assistant_on.reply_with(
        {"text": "Worth writing down.", "tool_calls": [{"name": "propose_fact", "input": {"text": ACCEPTED_FACT}}]}
    )
    signed_in(page, bob)
    open_workspace(page, session_a)

    tab_to(page, message_box(page))
    page.keyboard.type("cmdkey /list shows a stale MicrosoftOffice16 entry.")
    page.keyboard.press("Enter")
    reply_finished(page, replies(page).last)

    accept = card(page, "Proposed fact", ACCEPTED_FACT).get_by_role("button", name=re.compile("^Accept fact"))
    tab_to(page, accept)
    page.keyboard.press("Enter")
    settled(page)
    expect(card(page, "Proposed fact", ACCEPTED_FACT).get_by_text("Accepted", exact=True)).to_be_visible()
    expect(region(page, "What we know").get_by_role("listitem").filter(has_text=ACCEPTED_FACT)).to_be_visible()
    shot("keyboard-accepted")
    page.keyboard.press("Tab")  # the card was swapped: the next Tab carries on from where it was, in the chat
    assert page.evaluate("document.activeElement.closest('#assistant') !== null"), "Tab left the chat after Accept"
    assert Proposal.objects.get(session=session_a).state == "accepted"


def test_the_chat_with_its_transcript_and_cards_passes_axe_and_fits_a_phone(page, shot, bob, session_a, assistant_on):
    assistant_on.reply_with(
        {
            "text": "## What I would check first\n\n1. `cmdkey /list`\n2. The Outlook profile",
            "tool_calls": [
                {"name": "propose_fact", "input": {"text": ACCEPTED_FACT}},
                {"name": "propose_check", "input": {"name": "List stored credentials", "command": "cmdkey /list"}},
                {"name": "suggest_fix", "input": FIX},
            ],
        }
    )
    signed_in(page, bob)
    open_workspace(page, session_a)
    send(page, f"Outlook keeps asking for the password.\n{PASTED_OUTPUT}")
    reply_finished(page, replies(page).last)
    expect(card(page, "Proposed check", "List stored credentials")).to_be_visible()
    card(page, "Suggested fix", FIX["title"]).get_by_text("Edit the fix before accepting it").click()  # editor open
    assert_accessible(page, "workspace with a transcript and open cards")
    shot("chat-audited")

    page.set_viewport_size(PHONE)
    expect(message_box(page)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for part in (message_box(page), send_button(page), card(page, "Suggested fix", FIX["title"]), replies(page).last):
        part.scroll_into_view_if_needed()
        box = part.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], part
    assert_accessible(page, "the chat on a phone")
    shot("chat-on-a-phone")
