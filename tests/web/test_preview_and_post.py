"""The wrap-up area: the preview panel (draft, stale warning, inline editor with autosave, regenerate,
discard) and Confirm & post, locally and to the ConnectWise simulator, with its failure and retry."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from drafting.kinds import DraftKind
from drafting.models import DraftEdit
from handoff.models import Handoff
from psa.plaintext import markdown_to_plain_text
from sessions.models import Session
from tests.support.html import Elements, hx_get, hx_post, oob_toasts, page_toasts, region, text, triggers

RESOLUTION = DraftKind.RESOLUTION_NOTE
ESCALATION = DraftKind.ESCALATION_PACKAGE
NOTE = "## Problem\n\nOutlook prompted in a loop.\n\n## Resolution\n\nCleared the cached credentials."
NO_KEY = "Drafted without AI: no ANTHROPIC_API_KEY is set."


def url(name, session, kind=RESOLUTION):
    return reverse(name, args=[session.pk, kind])


def workspace(session, query: str = "") -> str:
    return reverse("workspace", args=[session.pk]) + query


def edit(session, markdown: str, **extra):
    return {"markdown": markdown, "based_on_state_version": session.state_version, **extra}


def session_of(session) -> Session:
    return Session.objects.get(pk=session.pk)


# The preview panel


def test_a_preview_answers_the_panel_with_the_draft_for_the_customer(bob_web, session_a, fact_a):
    response = hx_post(bob_web, url("preview", session_a))

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith('<div id="preview-panel"')
    assert "<html" not in html
    assert "<strong>Customer-visible</strong> resolution note on ticket #1001" in html
    assert NO_KEY in html
    article = region(html, "preview-panel").split('<article class="markdown rendered"')[1]
    assert "<h2>What we confirmed</h2>" in article
    assert "<li>Modern auth is enabled on the tenant.</li>" in article
    assert "Confirm &amp; post to #1001" in html
    assert "This account has no PSA connection, so posting to #1001 will fail." in html


def test_an_escalation_preview_is_an_internal_note(bob_web, session_a, fact_a, psa_connected):
    html = text(hx_post(bob_web, url("preview", session_a, ESCALATION)))

    assert '<h3 id="panel-title">Escalation package</h3>' in html
    assert "<strong>Internal note</strong> on ticket #1001: not visible to the customer." in html
    assert "Customer-visible" not in html
    assert "Exactly as it will land on ticket #1001, as <strong>plain text</strong>:" in html
    note = html[html.index('<pre class="note-text"') : html.index("</pre>")]
    assert "\nSuggested next steps\n" in note and "##" not in note
    assert "<article" not in html  # no rendered Markdown: the customer's view is the plain text
    assert "no PSA connection" not in html


def test_the_preview_shows_the_exact_text_the_ticket_will_hold(bob_web, session_a, fact_a, psa_connected, simulator):
    hx_post(bob_web, url("preview", session_a))
    hx_post(bob_web, url("draft-save", session_a), edit(session_a, NOTE))

    html = text(hx_get(bob_web, url("preview", session_a)))
    shown = html[html.index('<pre class="note-text"') : html.index("</pre>")].split(">", 1)[1]
    hx_post(bob_web, url("handoff-post", session_a), {"markdown": NOTE, "confirm_warnings": "1"})

    (posted,) = simulator.notes_for(1001)
    assert shown == escape(posted["text"]) == escape(markdown_to_plain_text(NOTE))


def test_a_session_without_a_ticket_previews_the_rendered_markdown(bob_web, local_session):
    html = text(hx_post(bob_web, url("preview", local_session)))

    assert '<article class="markdown rendered"' in html and "<h2>Problem</h2>" in html
    assert "note-text" not in html


def test_a_draft_still_being_written_shows_progress_and_streams_until_it_is_there(bob_web, session_a, fact_a, settings):
    from django.core.cache import cache

    from drafting import previews

    settings.FLOWPILOT_PREVIEW_WAIT_SECONDS = 0
    lock = previews.lock_key(RESOLUTION, session_a.pk, session_a.state_version)
    cache.add(lock, "generating", 60)  # another request is drafting this very state
    try:
        pending = text(hx_post(bob_web, url("preview", session_a)))
        assert "Drafting the resolution note…" in pending
        stream = f"/api/ai-sessions/{session_a.pk}/resolution-note/preview/stream"
        assert f'data-draft-stream="{stream}"' in pending  # the page follows it, then asks for the panel
        assert f'hx-get="{url("preview", session_a)}" hx-trigger="draft-ready"' in pending
        assert "Confirm &amp; post" not in pending
        assert "Drafting the resolution note…" in text(hx_get(bob_web, url("preview", session_a)))  # still drafting
    finally:
        cache.delete(lock)

    previews.preview_generate(session_id=str(session_a.pk), kind=RESOLUTION, requested_version=session_a.state_version)
    ready = text(hx_get(bob_web, url("preview", session_a)))
    assert "Drafting the resolution note…" not in ready
    assert "Confirm &amp; post to #1001" in ready


def test_a_preview_of_a_session_without_a_ticket_says_nothing_is_posted(bob_web, local_session):
    html = text(hx_post(bob_web, url("preview", local_session)))

    assert "No linked ticket: confirming resolves this session locally. Nothing is posted anywhere." in html
    assert "Customer-visible" not in html
    assert "Confirm &amp; resolve locally</button>" in html  # the button says what will happen


def test_a_preview_without_javascript_redirects_to_the_workspace_with_the_panel_open(bob_web, session_a, fact_a):
    response = bob_web.post(url("preview", session_a))

    assert response.status_code == 302
    assert response["Location"] == workspace(session_a, "?preview=resolution-note#wrap-up")
    panel = region(text(bob_web.get(response["Location"])), "preview-panel")
    assert "Modern auth is enabled on the tenant." in panel
    assert NO_KEY in panel


def test_the_panel_warns_when_the_session_changed_since_the_draft(bob_web, session_a, fact_a):
    fresh = text(hx_post(bob_web, url("preview", session_a)))
    assert "The session changed since this draft" not in fresh
    added = hx_post(
        bob_web, reverse("fact-add", args=[session_a.pk]), {"text": "OWA works.", "source_type": "engineer"}
    )
    assert triggers(added) == {"session-changed": {}}  # what makes the panel GET itself again

    html = text(hx_get(bob_web, url("preview", session_a)))

    assert "The session changed since this draft was written. Regenerate to include the latest facts." in html
    assert "Modern auth is enabled on the tenant." in html  # the older draft stays readable
    regenerated = text(hx_post(bob_web, url("preview", session_a), {"force": "1"}))
    assert "The session changed since this draft" not in regenerated
    assert "OWA works." in regenerated


def test_the_panel_is_empty_before_anything_was_drafted(bob_web, session_a):
    html = text(hx_get(bob_web, url("preview", session_a)))

    assert html.strip().startswith('<div id="preview-panel"')
    assert "<article" not in html
    assert "Confirm" not in html


# Editing the draft


def test_edit_mode_answers_a_labelled_textarea_holding_the_draft(bob_web, session_a, fact_a):
    hx_post(bob_web, url("preview", session_a))

    html = text(hx_get(bob_web, url("preview", session_a), {"mode": "edit"}))

    assert '<label for="draft-markdown">Text to post (Markdown)</label>' in html
    textarea = region(html, "draft-markdown")
    assert "- Modern auth is enabled on the tenant." in textarea
    assert f'name="based_on_state_version" value="{session_a.state_version}"' in html
    assert "<article" not in html
    assert "Done editing" in html


def test_autosave_keeps_the_edit_and_answers_a_small_saved_note(bob_web, bob, session_a, fact_a):
    hx_post(bob_web, url("preview", session_a))

    response = hx_post(bob_web, url("draft-save", session_a), edit(session_a, NOTE, autosave="1"))

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith('<span id="edit-saved"')
    assert "Edits saved at" in html
    saved = DraftEdit.objects.get(session=session_a, kind=RESOLUTION)
    assert (saved.markdown, saved.updated_by) == (NOTE, bob)


def test_the_workspace_reopens_the_panel_with_the_edited_text(bob_web, session_a, fact_a):
    hx_post(bob_web, url("preview", session_a))
    hx_post(bob_web, url("draft-save", session_a), edit(session_a, NOTE, autosave="1"))

    panel = region(text(bob_web.get(workspace(session_a))), "preview-panel")

    assert "Cleared the cached credentials." in panel
    assert "Edited by bob" in panel
    assert "Discard my edits" in panel
    assert 'hx-confirm="Regenerate the draft? Your edits will be replaced."' in panel


def test_done_editing_answers_the_panel_showing_the_edit(bob_web, session_a, fact_a):
    hx_post(bob_web, url("preview", session_a))

    response = hx_post(bob_web, url("draft-save", session_a), edit(session_a, NOTE))

    html = text(response)
    assert html.strip().startswith('<div id="preview-panel"')
    assert "<p>Cleared the cached credentials.</p>" in html
    assert "<textarea" not in html
    plain = bob_web.post(url("draft-save", session_a), edit(session_a, NOTE + "\n\nPlain."))
    assert plain["Location"] == workspace(session_a, "?preview=resolution-note#wrap-up")
    assert DraftEdit.objects.get(session=session_a).markdown.endswith("Plain.")


def test_an_autosave_that_is_too_long_says_it_was_not_saved(bob_web, session_a):
    html = text(hx_post(bob_web, url("draft-save", session_a), edit(session_a, "x" * 20_001, autosave="1")))

    assert "Not saved: The text is longer than 20,000 characters." in html
    assert not DraftEdit.objects.exists()


def test_regenerate_discards_the_edit(bob_web, session_a, fact_a):
    hx_post(bob_web, url("preview", session_a))
    hx_post(bob_web, url("draft-save", session_a), edit(session_a, NOTE, autosave="1"))

    html = text(hx_post(bob_web, url("preview", session_a), {"force": "1"}))

    assert not DraftEdit.objects.filter(session=session_a).exists()
    assert "Cleared the cached credentials." not in html
    assert "Modern auth is enabled on the tenant." in html
    assert NO_KEY in html


def test_discard_drops_the_edit_and_says_so(bob_web, session_a, fact_a):
    hx_post(bob_web, url("preview", session_a))
    hx_post(bob_web, url("draft-save", session_a), edit(session_a, NOTE, autosave="1"))

    response = hx_post(bob_web, url("draft-discard", session_a))

    html = text(response)
    assert html.strip().startswith('<div id="preview-panel"')
    assert "Cleared the cached credentials." not in html
    assert "Modern auth is enabled on the tenant." in html
    assert "Your edits were discarded; the panel shows the draft again." in oob_toasts(response)
    assert not DraftEdit.objects.filter(session=session_a).exists()


def test_discard_without_javascript_redirects_to_the_panel_and_says_so_there(bob_web, session_a, fact_a):
    hx_post(bob_web, url("preview", session_a))
    hx_post(bob_web, url("draft-save", session_a), edit(session_a, NOTE, autosave="1"))

    response = bob_web.post(url("draft-discard", session_a))

    assert response["Location"] == workspace(session_a, "?preview=resolution-note#wrap-up")
    html = text(bob_web.get(response["Location"]))
    assert "Your edits were discarded" in page_toasts(html)
    assert "Cleared the cached credentials." not in html
    assert "Modern auth is enabled on the tenant." in region(html, "preview-panel")


# Confirm & post


def test_confirming_a_session_without_a_ticket_resolves_it_locally(bob_web, local_session):
    hx_post(bob_web, url("preview", local_session))

    response = hx_post(bob_web, url("handoff-post", local_session), {"markdown": NOTE, "confirm_warnings": "1"})

    html = text(response)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#workspace"
    assert response["HX-Reswap"] == "outerHTML"
    assert html.strip().startswith('<div id="workspace"')
    assert "Resolved locally: no ticket is linked, so nothing was posted." in oob_toasts(response)
    assert '<span class="status status-resolved">Resolved locally</span>' in html
    assert '<h2 id="wrap-h">Outcome</h2>' in html
    assert "Preview resolve note" not in html
    assert "hx-post" not in html  # a closed session offers nothing to write
    session = session_of(local_session)
    assert (session.status, session.closed_as) == ("resolved", "resolved_local")
    handoff = Handoff.objects.get(session=local_session)
    assert (handoff.state, handoff.markdown) == ("succeeded", NOTE)


def test_confirming_escalation_of_a_session_without_a_ticket_escalates_it_locally(bob_web, local_session):
    response = hx_post(bob_web, url("handoff-post", local_session, ESCALATION), {"markdown": NOTE})

    assert "Escalated locally" in oob_toasts(response)
    assert session_of(local_session).closed_as == "escalated_local"


def test_confirming_posts_one_note_to_the_ticket_and_names_the_verified_status(
    bob_web, session_a, fact_a, psa_connected, simulator
):
    response = hx_post(bob_web, url("handoff-post", session_a), {"markdown": NOTE, "confirm_warnings": "1"})

    assert response["HX-Retarget"] == "#workspace"
    toast = oob_toasts(response)
    assert "Posted the resolution note to ticket #1001." in toast
    assert "Status verified: the ticket now shows “Resolved”." in toast
    assert "the ticket now shows “Resolved”" in region(text(response), "handoff")
    notes = simulator.notes_for(1001)
    assert len(notes) == 1
    assert notes[0]["text"] == "Problem\n\nOutlook prompted in a loop.\n\nResolution\n\nCleared the cached credentials."
    assert simulator.ticket(1001)["status"]["name"] == "Resolved"
    session = session_of(session_a)
    assert (session.status, session.closed_as) == ("resolved", "resolved")


def test_a_silent_status_rejection_answers_the_wrap_up_with_the_error_and_a_retry(
    bob_web, session_a, fact_a, psa_connected, simulator
):
    simulator.set_faults(silent_status_rejection=True)

    response = hx_post(bob_web, url("handoff-post", session_a), {"markdown": NOTE, "confirm_warnings": "1"})

    html = text(response)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#wrap-up"
    assert html.strip().startswith('<section id="wrap-up"')
    failure = region(html, "handoff")
    assert "The note is on ticket #1001, but its status did not change" in failure
    assert "ConnectWise kept the ticket at New (id 1) instead of moving it to “Resolved” (id 5)." in failure
    assert "The note is already on ticket #1001" in failure
    handoff = Handoff.objects.get(session=session_a)
    assert f'action="{reverse("handoff-retry", args=[handoff.pk])}"' in failure
    assert ">Retry</button>" in failure
    assert "Ticket #1001 is not done: The note was posted, but ConnectWise kept the ticket at New" in oob_toasts(
        response
    )
    assert 'class="toast toast-error" role="alert"' in oob_toasts(response)
    handoff = Handoff.objects.get(session=session_a)
    # The toast itself offers Retry, as the card does.
    assert f'hx-post="{reverse("handoff-retry", args=[handoff.pk])}"' in oob_toasts(response)
    assert 'aria-label="Retry the post to ticket #1001 (from this message)">Retry</button>' in oob_toasts(response)
    assert session_of(session_a).is_open
    assert (handoff.state, handoff.markdown) == ("failed", NOTE)  # the text is kept for the retry
    assert len(simulator.notes_for(1001)) == 1

    simulator.set_faults()
    retried = hx_post(bob_web, reverse("handoff-retry", args=[handoff.pk]))

    assert retried["HX-Retarget"] == "#workspace"
    assert "Status verified: the ticket now shows “Resolved”." in oob_toasts(retried)
    assert len(simulator.notes_for(1001)) == 1  # the retry never posts the note twice
    assert session_of(session_a).closed_as == "resolved"
    handoff.refresh_from_db()
    assert (handoff.state, handoff.attempts) == ("succeeded", 2)


def test_after_a_failure_with_the_note_on_the_ticket_posting_again_is_refused_in_favour_of_retry(
    bob_web, session_a, psa_connected, simulator
):
    simulator.set_faults(silent_status_rejection=True)
    hx_post(bob_web, url("handoff-post", session_a), {"markdown": NOTE, "confirm_warnings": "1"})

    again = hx_post(bob_web, url("handoff-post", session_a), {"markdown": NOTE + " edited", "confirm_warnings": "1"})

    assert "An earlier post already put its note on the ticket; retry that handoff instead" in oob_toasts(again)
    assert Handoff.objects.filter(session=session_a).count() == 1
    assert len(simulator.notes_for(1001)) == 1


def test_after_a_failure_with_the_note_on_the_ticket_only_retry_is_offered(
    bob_web, session_a, fact_a, psa_connected, simulator
):
    hx_post(bob_web, url("preview", session_a))
    simulator.set_faults(silent_status_rejection=True)

    html = text(hx_post(bob_web, url("handoff-post", session_a), {"markdown": NOTE, "confirm_warnings": "1"}))

    assert ">Retry</button>" in html
    assert "Confirm &amp; post" not in html


def test_fact_text_that_looks_like_html_is_never_run_in_the_workspace_or_the_preview(bob_web, session_a, bob):
    hx_post(
        bob_web,
        reverse("fact-add", args=[session_a.pk]),
        {"text": "<script>alert(1)</script><img src=x onerror=alert(2)>", "source_type": "engineer"},
    )
    hx_post(bob_web, url("preview", session_a))
    hx_post(
        bob_web,
        url("draft-save", session_a),
        edit(session_a, "[link](javascript:alert(3)) <img src=x onerror=alert(4)>", autosave="1"),
    )

    html = text(bob_web.get(workspace(session_a)))

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in region(html, "facts")
    tags = Elements(html).tags
    assert all(attrs.get("src") for tag, attrs, _form in tags if tag == "script")  # only the page's own scripts
    assert not [tag for tag, _attrs, _form in tags if tag == "img"]
    assert not [name for _tag, attrs, _form in tags for name in attrs if name.startswith("on")]
    assert not [attrs for _tag, attrs, _form in tags if attrs.get("href", "").startswith("javascript:")]


def test_the_preview_shows_text_in_angle_brackets_that_will_be_posted(bob_web, session_a, bob):
    hx_post(
        bob_web,
        reverse("fact-add", args=[session_a.pk]),
        {"text": "Outlook shows <Need password> in the status bar", "source_type": "engineer"},
    )

    html = text(hx_post(bob_web, url("preview", session_a)))
    article = html[html.index("<article") : html.index("</article>")]

    assert "&lt;Need password&gt;" in article


def test_the_preview_keeps_backslashes_as_they_will_be_posted(bob_web, session_a):
    # The internal package keeps share paths (the customer's resolution note leaves them out).
    hx_post(
        bob_web,
        reverse("fact-add", args=[session_a.pk]),
        {"text": r"The share \\fs01\finance answers by IP", "source_type": "engineer"},
    )

    html = text(hx_post(bob_web, url("preview", session_a, ESCALATION)))
    article = html[html.index("<article") : html.index("</article>")]

    assert r"\\fs01\finance" in article


def test_posting_an_empty_text_is_refused_in_words_and_creates_nothing(bob_web, local_session):
    response = hx_post(bob_web, url("handoff-post", local_session), {"markdown": "   \n "})

    assert response["HX-Retarget"] == "#wrap-up"
    assert text(response).strip().startswith('<section id="wrap-up"')
    assert "There is nothing to post: the text is empty." in oob_toasts(response)
    assert 'class="toast toast-error" role="alert"' in oob_toasts(response)
    assert not Handoff.objects.exists()
    assert session_of(local_session).is_open


def test_a_failed_post_from_the_editor_keeps_the_edited_text(bob_web, session_a, fact_a):
    hx_post(bob_web, url("preview", session_a))
    edited = NOTE + "\n\nEdited in the panel."

    response = hx_post(
        bob_web, url("handoff-post", session_a), edit(session_a, edited, from_editor="1", confirm_warnings="1")
    )

    assert "Ticket #1001 cannot be updated: this account has no PSA connection." in oob_toasts(response)
    assert not Handoff.objects.exists()
    assert DraftEdit.objects.get(session=session_a, kind=RESOLUTION).markdown == edited
    assert "Edited in the panel." in region(text(response), "preview-panel")  # the panel reopens with it
    assert "Edited in the panel." in region(text(bob_web.get(workspace(session_a))), "preview-panel")


def test_a_post_without_javascript_redirects_and_the_result_is_on_the_next_page(bob_web, local_session):
    response = bob_web.post(url("handoff-post", local_session), {"markdown": NOTE, "confirm_warnings": "1"})

    assert response.status_code == 302
    assert response["Location"] == workspace(local_session, "#wrap-up")
    html = text(bob_web.get(response["Location"]))
    assert "Resolved locally: no ticket is linked" in page_toasts(html)
    assert '<span class="status status-resolved">Resolved locally</span>' in html
    assert "Cleared the cached credentials." in region(html, "handoff")  # what was recorded


def test_a_refused_post_without_javascript_shows_the_reason_on_the_next_page(bob_web, local_session):
    response = bob_web.post(url("handoff-post", local_session), {"markdown": ""})

    assert response["Location"] == workspace(local_session, "?preview=resolution-note#wrap-up")
    assert "There is nothing to post: the text is empty." in page_toasts(text(bob_web.get(response["Location"])))


# A post in progress


@pytest.fixture
def queued(session_a, bob):
    return Handoff.objects.create(
        session=session_a, kind=RESOLUTION, markdown=NOTE, ticket_id=1001, created_by=bob, note_kind="resolution"
    )


def test_the_status_of_a_queued_post_polls_every_second(bob_web, session_a, queued):
    response = hx_get(bob_web, reverse("handoff-status", args=[queued.pk]))

    html = text(response)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#wrap-up"
    assert html.strip().startswith('<section id="wrap-up"')
    assert 'hx-trigger="every 1s, handoff-finished"' in html
    assert "Posting the resolution note to ticket #1001…" in html
    assert "Preview resolve note" not in html  # nothing else to start while it runs
    assert oob_toasts(response) == ""  # nothing finished, nothing announced


def test_the_workspace_shows_the_post_in_progress_and_a_plain_status_check_redirects(bob_web, session_a, queued):
    assert 'hx-trigger="every 1s, handoff-finished"' in region(text(bob_web.get(workspace(session_a))), "wrap-up")

    response = bob_web.get(reverse("handoff-status", args=[queued.pk]))

    assert response.status_code == 302
    assert response["Location"] == workspace(session_a, "#wrap-up")


def test_a_second_post_while_one_is_in_progress_is_refused_in_words(bob_web, session_a, queued):
    response = hx_post(bob_web, url("handoff-post", session_a), {"markdown": NOTE, "confirm_warnings": "1"})

    assert "A post for this session is already in progress; wait for it to finish." in oob_toasts(response)
    assert Handoff.objects.filter(session=session_a).count() == 1


def test_resolving_warns_when_no_recorded_fix_says_the_problem_is_fixed(bob_web, bob, session_a):
    from sessions import services

    no_fix = text(hx_post(bob_web, url("preview", session_a)))
    assert "No fix is recorded for this session." in no_fix

    fix = services.fix_set(session=session_a, user=bob, title="Clear the cached credentials", confidence_pct=85)
    proposed = text(hx_post(bob_web, url("preview", session_a)))
    assert "The suggested fix is “Proposed”, not confirmed as fixing it." in proposed
    assert "The suggested fix is" not in text(hx_post(bob_web, url("preview", session_a, ESCALATION)))

    services.fix_record_outcome(fix=fix, outcome="applied_success")
    fixed = text(hx_post(bob_web, url("preview", session_a)))
    assert "not confirmed as fixing it" not in fixed
    assert "No fix is recorded" not in fixed


def test_after_a_post_that_wrote_nothing_a_reload_offers_the_text_again_below_the_failure(
    bob_web, session_a, psa_connected, simulator
):
    simulator.set_faults(server_error={"count": 100, "status": 503})
    hx_post(bob_web, url("handoff-post", session_a), {"markdown": NOTE, "confirm_warnings": "1"})

    page = text(bob_web.get(workspace(session_a)))
    wrap_up = region(page, "wrap-up")

    assert "Nothing was written to the ticket. Retry posts the same text again, or edit it below" in wrap_up
    assert "Confirm &amp; post to #1001" in wrap_up  # the panel is open below the card
    assert simulator.notes_for(1001) == []


def test_a_poll_that_read_the_post_just_before_it_ended_still_announces_the_end(
    bob_web, session_a, queued, monkeypatch
):
    """The worker ends the handoff and closes the session in one commit. A poll that read the handoff a
    moment before that commit, and the session after it, must still re-render the closed workspace and
    announce the end — not a closed wrap-up that never polls again and never says so."""
    from handoff.run import handoff_succeed
    from web import wrapup

    stale = Handoff.objects.get(pk=queued.pk)  # as the poll read it, still queued
    handoff_succeed(Handoff.objects.get(pk=queued.pk), session_of(session_a))  # the worker's commit lands
    monkeypatch.setattr(wrapup, "handoff_for_user", lambda user, handoff_id: stale)

    response = hx_get(bob_web, reverse("handoff-status", args=[queued.pk]))

    assert response["HX-Retarget"] == "#workspace"
    assert "Resolved (posted to the PSA)" in region(text(response), "session-header")
    assert "ticket #1001" in oob_toasts(response)
