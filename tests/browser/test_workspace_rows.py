"""Rows of the workspace in a real browser: a check edited inline with the focus moving into the editor
and back, and a fact deleted, undone, deleted again and its notice dismissed, without a page reload."""

import re

from playwright.sync_api import expect

from sessions import services
from sessions.models import Fact
from tests.browser.test_accessibility import assert_accessible
from tests.support.browser import (
    assert_same_document,
    click_and_settle,
    mark_document,
    open_workspace,
    region,
    signed_in,
)


def test_a_check_is_edited_inline_and_the_focus_moves_into_the_editor_and_back(page, shot, bob, session_a):
    check = services.check_record(session=session_a, name="List stored credentials", result="failed")
    signed_in(page, bob)
    open_workspace(page, session_a)
    mark_document(page)
    checks = region(page, "Diagnostic checks")
    expect(checks.get_by_role("listitem").filter(has_text="List stored credentials")).to_contain_text(
        re.compile(r"Added \d\d:\d\d")
    )

    click_and_settle(page, checks.get_by_role("link", name="Edit check: List stored credentials"))
    editor = checks.get_by_role("listitem").filter(has=page.get_by_role("button", name="Save check"))
    expect(editor.get_by_label("Check", exact=True)).to_be_focused()
    assert_accessible(page, "check editor")
    shot("check-editor")
    click_and_settle(page, editor.get_by_role("link", name="Cancel"))
    expect(checks.get_by_role("link", name="Edit check: List stored credentials")).to_be_focused()

    click_and_settle(page, checks.get_by_role("link", name="Edit check: List stored credentials"))
    editor.get_by_label("Result").select_option(label="Passed")
    editor.get_by_label("What it showed").fill("No MicrosoftOffice16 entry left after the cleanup.")
    click_and_settle(page, editor.get_by_role("button", name="Save check"))

    row = checks.get_by_role("listitem").filter(has_text="List stored credentials")
    expect(row).to_contain_text("Passed")
    expect(row).to_contain_text("No MicrosoftOffice16 entry left after the cleanup.")
    expect(row.get_by_text("edited", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Save check")).to_have_count(0)
    expect(checks.get_by_role("link", name="Edit check: List stored credentials")).to_be_focused()
    assert_same_document(page)
    shot("check-edited")
    check.refresh_from_db()
    assert (check.result, check.output_summary) == ("passed", "No MicrosoftOffice16 entry left after the cleanup.")


def test_a_deleted_fact_waits_for_its_undo_and_comes_back_in_its_place(page, shot, bob, session_a):
    first = services.fact_add(session=session_a, user=bob, text="Only Outlook desktop prompts.")
    fact = services.fact_add(session=session_a, user=bob, text="Modern auth is enabled on the tenant.")
    page.on("dialog", lambda dialog: dialog.accept())  # "Delete this fact?"
    page.clock.install()
    signed_in(page, bob)
    open_workspace(page, session_a)
    mark_document(page)
    facts = region(page, "What we know")

    click_and_settle(page, facts.get_by_role("button", name="Delete fact: Modern auth is enabled on the tenant."))
    notice = facts.get_by_role("listitem").filter(has_text="Fact deleted")
    expect(notice.get_by_role("status")).to_contain_text("Fact deleted: it will no longer reach drafts.")
    undo = notice.get_by_role("button", name="Undo delete of fact: Modern auth is enabled on the tenant.")
    expect(undo).to_be_focused()
    expect(facts.get_by_role("heading")).to_have_text("What we know 1")
    assert_accessible(page, "deleted fact with its undo")
    shot("fact-deleted")
    assert Fact.objects.get(pk=fact.pk).deleted_at is not None

    page.clock.run_for("10:00")  # an engineer who looked away finds it still there
    expect(undo).to_be_visible()

    click_and_settle(page, undo)
    expect(facts.get_by_role("link", name="Edit fact: Modern auth is enabled on the tenant.")).to_be_focused()
    expect(facts.get_by_role("heading")).to_have_text("What we know 2")
    texts = facts.get_by_role("listitem").filter(has=page.get_by_role("link", name=re.compile("^Edit fact")))
    expect(texts).to_contain_text(["Only Outlook desktop prompts.", "Modern auth is enabled on the tenant."])
    assert Fact.objects.get(pk=fact.pk).deleted_at is None
    shot("fact-restored")

    click_and_settle(page, facts.get_by_role("button", name="Delete fact: Modern auth is enabled on the tenant."))
    facts.get_by_role("link", name="Dismiss").click()
    expect(facts.get_by_text("Fact deleted")).to_have_count(0)
    expect(facts.get_by_role("link", name="Edit fact: Only Outlook desktop prompts.")).to_be_focused()
    assert_same_document(page)
    assert list(Fact.objects.live().filter(session=session_a)) == [first]
