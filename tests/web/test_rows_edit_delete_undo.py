"""The workspace's facts and checks row by row: a check is edited inline and deleted like a fact, a deleted
fact or check leaves an Undo in its place, each row says when it was added and whether it was edited, and
the add forms stay folded until used. Each write is tried as HTMX (the row comes back in place) and as a
plain POST (a redirect, or the whole page with the errors in place)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions import services
from sessions.models import DiagnosticCheck, Fact, Session
from tests.support.html import Elements, hx_get, hx_post, oob_toasts, page_toasts, region, text, triggers


@pytest.fixture
def check_a(session_a):
    return services.check_record(
        session=session_a, name="List stored credentials", command="cmdkey /list", result="failed"
    )


def url(name, session, *args):
    return reverse(name, args=[session.pk, *args])


def workspace(session, query: str = "") -> str:
    return reverse("workspace", args=[session.pk]) + query


def state_version(session) -> int:
    return Session.objects.values_list("state_version", flat=True).get(pk=session.pk)


def autofocused(html: str) -> list[str]:
    """What asks for the focus: a field by its id, a link or button by its accessible name."""
    return [
        attrs.get("id") or attrs.get("aria-label", "") for tag, attrs, _ in Elements(html).tags if "autofocus" in attrs
    ]


def close(session) -> None:
    Session.objects.filter(pk=session.pk).update(status="resolved", closed_as="resolved_local")


EDITED_CHECK = {
    "name": "List stored credentials",
    "result": "passed",
    "command": "cmdkey /list",
    "output_summary": "No MicrosoftOffice16 entry left.",
}


# Checks: edit inline, cancel


def test_the_check_editor_comes_back_as_its_row_holding_a_form_with_the_focus_on_the_name(bob_web, session_a, check_a):
    response = hx_get(bob_web, url("check-edit", session_a, check_a.pk))

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith(f'<li id="check-{check_a.pk}" class="check editing">')
    assert f'<form method="post" action="{url("check-edit", session_a, check_a.pk)}"' in html
    assert f'<label for="check{check_a.pk}_name">Check</label>' in html
    assert 'value="List stored credentials"' in html
    assert '<option value="failed" selected>Failed</option>' in html
    assert "Save check" in html and "Cancel" in html
    assert autofocused(html) == [f"check{check_a.pk}_name"]


def test_without_javascript_the_check_editor_opens_inside_the_workspace(bob_web, session_a, check_a):
    response = bob_web.get(url("check-edit", session_a, check_a.pk))

    assert response.status_code == 302
    assert response["Location"] == workspace(session_a, f"?edit_check={check_a.pk}#check-{check_a.pk}")
    row = region(text(bob_web.get(response["Location"])), f"check-{check_a.pk}")
    assert 'class="check editing"' in row
    assert "Save check" in row


def test_an_edited_check_comes_back_as_its_row_marked_edited_with_the_focus_on_its_edit_link(
    bob_web, session_a, check_a
):
    before = state_version(session_a)

    response = hx_post(bob_web, url("check-edit", session_a, check_a.pk), EDITED_CHECK)

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith(f'<li id="check-{check_a.pk}" class="check">')
    assert '<span class="result result-passed">Passed</span>' in html
    assert "No MicrosoftOffice16 entry left." in html
    assert ">edited</time>" in html
    assert autofocused(html) == ["Edit check: List stored credentials"]
    assert triggers(response) == {"session-changed": {}}
    assert state_version(session_a) == before + 1
    check_a.refresh_from_db()
    assert (check_a.result, check_a.output_summary) == ("passed", "No MicrosoftOffice16 entry left.")


def test_a_check_edit_saved_without_javascript_redirects_to_the_check(bob_web, session_a, check_a):
    response = bob_web.post(url("check-edit", session_a, check_a.pk), EDITED_CHECK)

    assert response.status_code == 302
    assert response["Location"] == workspace(session_a, f"#check-{check_a.pk}")
    assert "No MicrosoftOffice16 entry left." in region(text(bob_web.get(response["Location"])), f"check-{check_a.pk}")


def test_a_check_edit_without_a_name_keeps_the_editor_open_with_the_error(bob_web, session_a, check_a):
    before = state_version(session_a)

    response = hx_post(bob_web, url("check-edit", session_a, check_a.pk), {**EDITED_CHECK, "name": ""})

    html = text(response)
    assert 'class="check editing"' in html
    assert "This field is required." in html
    assert autofocused(html) == [f"check{check_a.pk}_name"]
    assert "HX-Trigger" not in response

    plain = bob_web.post(url("check-edit", session_a, check_a.pk), {**EDITED_CHECK, "result": "maybe"})
    assert plain.status_code == 400
    assert "Select a valid choice." in region(text(plain), f"check-{check_a.pk}")
    check_a.refresh_from_db()
    assert (check_a.name, check_a.result) == ("List stored credentials", "failed")
    assert state_version(session_a) == before


def test_cancel_swaps_the_check_back_in_unchanged(bob_web, session_a, check_a):
    html = text(hx_get(bob_web, url("check-row", session_a, check_a.pk)))

    assert html.strip().startswith(f'<li id="check-{check_a.pk}" class="check">')
    assert "<strong>List stored credentials</strong>" in html
    assert "Save check" not in html
    assert "<select" not in html and "<textarea" not in html

    plain = bob_web.get(url("check-row", session_a, check_a.pk))
    assert plain["Location"] == workspace(session_a, f"#check-{check_a.pk}")


# Delete, then Undo


def test_a_deleted_check_leaves_an_undo_in_its_place_and_the_count_drops(bob_web, session_a, check_a):
    before = state_version(session_a)

    response = hx_post(bob_web, url("check-delete", session_a, check_a.pk))

    html = text(response)
    assert response.status_code == 200
    row = region(html, f"check-{check_a.pk}")
    assert 'class="check deleted"' in row
    assert '<p role="status">Check deleted: it will no longer reach drafts.' in row
    assert f'action="{url("check-restore", session_a, check_a.pk)}"' in row
    assert autofocused(html) == ["Undo delete of check: List stored credentials"]
    assert '<span id="checks-count" class="count" hx-swap-oob="true">0</span>' in html
    assert triggers(response) == {"session-changed": {}}
    assert state_version(session_a) == before + 1
    check_a.refresh_from_db()
    assert check_a.deleted_at is not None
    assert "List stored credentials" not in region(text(bob_web.get(workspace(session_a))), "checks")


def test_undo_brings_a_deleted_check_back_in_its_place(bob_web, session_a, check_a):
    hx_post(bob_web, url("check-delete", session_a, check_a.pk))

    response = hx_post(bob_web, url("check-restore", session_a, check_a.pk))

    html = text(response)
    assert html.strip().startswith(f'<li id="check-{check_a.pk}" class="check">')
    assert '<span id="checks-count" class="count" hx-swap-oob="true">1</span>' in html
    assert triggers(response) == {"session-changed": {}}
    assert DiagnosticCheck.objects.live().filter(pk=check_a.pk).exists()


def test_undo_brings_a_deleted_fact_back_with_the_focus_on_its_edit_link(bob_web, session_a, fact_a):
    hx_post(bob_web, url("fact-delete", session_a, fact_a.pk))
    before = state_version(session_a)

    response = hx_post(bob_web, url("fact-restore", session_a, fact_a.pk))

    html = text(response)
    assert response.status_code == 200
    assert html.strip().startswith(f'<li id="fact-{fact_a.pk}" class="fact">')
    assert "Modern auth is enabled on the tenant." in html
    assert autofocused(html) == ["Edit fact: Modern auth is enabled on the tenant."]
    assert '<span id="facts-count" class="count" hx-swap-oob="true">1</span>' in html
    assert triggers(response) == {"session-changed": {}}
    assert state_version(session_a) == before + 1
    fact_a.refresh_from_db()
    assert fact_a.deleted_at is None


def test_without_javascript_delete_shows_the_undo_where_the_fact_was_and_undo_brings_it_back(bob_web, session_a, bob):
    first, middle, last = (services.fact_add(session=session_a, user=bob, text=f"Fact {n}") for n in "ABC")

    deleted = bob_web.post(url("fact-delete", session_a, middle.pk))

    assert deleted["Location"] == workspace(session_a, f"?undo_fact={middle.pk}#fact-{middle.pk}")
    facts = region(text(bob_web.get(deleted["Location"])), "facts")
    assert (
        facts.index(f'id="fact-{first.pk}"')
        < facts.index(f'id="fact-{middle.pk}"')
        < facts.index(f'id="fact-{last.pk}"')
    )
    undo = region(facts, f"fact-{middle.pk}")
    assert "Fact deleted: it will no longer reach drafts." in undo
    assert f'<form method="post" action="{url("fact-restore", session_a, middle.pk)}"' in undo
    assert f'<a href="{workspace(session_a)}#facts" data-dismiss-row>Dismiss</a>' in undo

    restored = bob_web.post(url("fact-restore", session_a, middle.pk))

    assert restored["Location"] == workspace(session_a, f"#fact-{middle.pk}")
    row = region(text(bob_web.get(restored["Location"])), f"fact-{middle.pk}")
    assert 'class="fact"' in row and "Fact B" in row


def test_the_undo_is_shown_only_for_a_deleted_row_of_this_session(bob_web, session_a, fact_a, account_a, bob):
    other = services.session_create(account=account_a, user=bob, title="Other")
    elsewhere = services.fact_add(session=other, user=bob, text="Deleted elsewhere")
    services.fact_delete(fact=elsewhere)

    live = text(bob_web.get(workspace(session_a, f"?undo_fact={fact_a.pk}")))  # not deleted: shown as it is
    foreign = text(bob_web.get(workspace(session_a, f"?undo_fact={elsewhere.pk}")))

    assert 'class="fact deleted"' not in live
    assert "Deleted elsewhere" not in foreign


def test_a_second_delete_of_a_deleted_check_is_404_and_changes_nothing(bob_web, session_a, check_a):
    hx_post(bob_web, url("check-delete", session_a, check_a.pk))
    before = state_version(session_a)

    assert hx_post(bob_web, url("check-delete", session_a, check_a.pk)).status_code == 404
    assert hx_get(bob_web, url("check-edit", session_a, check_a.pk)).status_code == 404
    assert state_version(session_a) == before


# A closed session


def test_undo_in_a_closed_session_is_refused_in_words_and_the_fact_stays_deleted(bob_web, session_a, fact_a):
    services.fact_delete(fact=fact_a)
    close(session_a)

    response = hx_post(bob_web, url("fact-restore", session_a, fact_a.pk))

    assert "This session is closed: Resolved locally. It can no longer change." in oob_toasts(response)
    assert "<form" not in text(response).split('<div id="toasts"')[0]  # the notice, without its Undo
    plain = bob_web.post(url("fact-restore", session_a, fact_a.pk))
    assert plain.status_code == 400
    assert "This session is closed: Resolved locally. It can no longer change." in page_toasts(text(plain))
    fact_a.refresh_from_db()
    assert fact_a.deleted_at is not None


def test_a_closed_session_never_opens_the_check_editor_nor_offers_edit_or_delete(bob_web, session_a, check_a):
    close(session_a)

    page = text(bob_web.get(workspace(session_a, f"?edit_check={check_a.pk}")))
    editor = hx_get(bob_web, url("check-edit", session_a, check_a.pk))

    assert "List stored credentials" in region(page, "checks")
    assert "Save check" not in page and "Delete check" not in page
    assert "Save check" not in text(editor)
    assert "It can no longer change" in oob_toasts(editor)


# When each row was added, and whether it was edited


def test_each_row_says_when_it_was_added_with_the_full_date_in_its_title(bob_web, session_a, fact_a, check_a):
    added = timezone.localtime(fact_a.created_at)

    html = text(bob_web.get(workspace(session_a)))

    row = region(html, f"fact-{fact_a.pk}")
    assert f'<time datetime="{added:%Y-%m-%dT%H:%M:%S}+0000"' in row
    assert f'title="Added {added.day} {added:%b %Y, %H:%M} UTC">Added {added:%H:%M}</time>' in row
    assert "edited" not in row
    assert f">Added {timezone.localtime(check_a.created_at):%H:%M}</time>" in region(html, f"check-{check_a.pk}")


def test_a_row_added_on_an_earlier_day_shows_the_day_too(bob_web, session_a, fact_a):
    earlier = timezone.now() - timedelta(days=3)
    Fact.objects.filter(pk=fact_a.pk).update(created_at=earlier)
    earlier = timezone.localtime(earlier)

    row = region(text(bob_web.get(workspace(session_a))), f"fact-{fact_a.pk}")

    assert f">Added {earlier.day} {earlier:%b, %H:%M}</time>" in row


def test_an_edited_fact_says_so_with_when_in_its_title(bob_web, session_a, fact_a):
    services.fact_update(fact=fact_a, changes={"text": "Modern auth is on; legacy auth is blocked."})
    edited = timezone.localtime(Fact.objects.get(pk=fact_a.pk).edited_at)

    row = region(text(bob_web.get(workspace(session_a))), f"fact-{fact_a.pk}")

    assert f'title="Edited {edited.day} {edited:%b %Y, %H:%M} UTC">edited</time>' in row


# The add forms stay folded until used


def test_the_add_forms_are_folded_under_their_summaries_with_their_labels_kept(bob_web, session_a):
    html = text(bob_web.get(workspace(session_a)))

    for region_id, summary, label in (
        ("facts", "Add a fact", '<label for="fact_text">Fact</label>'),
        ("checks", "Record a check", '<label for="check_name">Check</label>'),
        ("fix", "Set a fix", '<label for="fix_title">Fix to try</label>'),
    ):
        part = region(html, region_id)
        assert f"<summary>{summary}</summary>" in part
        assert " open>" not in part.split(f"<summary>{summary}")[0].rsplit("<details", 1)[1]
        assert label in part
    assert autofocused(html) == []


@pytest.mark.parametrize(
    ("name", "data", "focus"),
    [
        ("fact-add", {"text": "OWA works fine.", "source_type": "engineer"}, "fact_text"),
        ("check-add", {"name": "Ping the gateway", "result": "passed"}, "check_name"),
    ],
    ids=["fact", "check"],
)
def test_after_an_add_the_form_stays_open_empty_with_the_focus_on_its_first_field(
    bob_web, session_a, name, data, focus
):
    response = hx_post(bob_web, url(name, session_a), data)

    html = text(response)
    assert '<details class="add-form" open>' in html
    assert autofocused(html) == [focus]
    field = next(attrs for tag, attrs, _ in Elements(html).tags if attrs.get("id") == focus)
    assert not field.get("value")
    assert data["text" if name == "fact-add" else "name"] in html  # added to the list above the form


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_form_with_errors_comes_back_open_with_the_focus_on_the_field_in_error(bob_web, session_a, htmx):
    post = hx_post if htmx else lambda client, *args: client.post(*args)

    facts = post(bob_web, url("fact-add", session_a), {"text": "", "source_type": "engineer"})
    fix = post(bob_web, url("fix-set", session_a), {"title": "Reset the profile", "confidence_pct": 150})

    assert facts.status_code == fix.status_code == (200 if htmx else 400)
    assert '<details class="add-form" open>' in region(text(facts), "facts")
    assert autofocused(text(facts)) == ["fact_text"]
    assert "<details open>\n            <summary>Set a fix</summary>" in region(text(fix), "fix")
    assert autofocused(text(fix)) == ["fix_confidence_pct"]


def test_once_a_fix_is_set_its_replacement_form_is_folded(bob_web, session_a):
    html = text(hx_post(bob_web, url("fix-set", session_a), {"title": "Reset the profile", "confidence_pct": 60}))

    assert "<h3>Reset the profile</h3>" in html
    assert "<details>\n              <summary>Replace with a new fix</summary>" in html
    assert autofocused(html) == []
