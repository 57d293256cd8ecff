"""ConnectWise notes are plain text: the engineer's Markdown lands as text a customer reads, with no markup."""

import pytest

from psa.plaintext import markdown_to_plain_text
from psa.providers.connectwise import ConnectWiseProvider

RESOLUTION = """## Problem

Outlook kept prompting for a password after the **mailbox move**.

## What we confirmed

- Outlook on the web worked
- Only the *desktop* app prompted

## Root cause

Cached credentials from the old mailbox server (see [the article](https://support.example.com/kb/123)).

## Resolution

1. Removed the cached credentials
2. Restarted Outlook

Sara confirmed it works.
Closing the ticket."""


def test_a_resolution_note_reads_as_plain_text():
    assert markdown_to_plain_text(RESOLUTION) == (
        "Problem\n\n"
        "Outlook kept prompting for a password after the mailbox move.\n\n"
        "What we confirmed\n\n"
        "- Outlook on the web worked\n"
        "- Only the desktop app prompted\n\n"
        "Root cause\n\n"
        "Cached credentials from the old mailbox server (see the article (https://support.example.com/kb/123)).\n\n"
        "Resolution\n\n"
        "1. Removed the cached credentials\n"
        "2. Restarted Outlook\n\n"
        "Sara confirmed it works.\n"
        "Closing the ticket."
    )


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("A `cmdkey /list` check.", "A cmdkey /list check."),
        ("Escaped \\*stars\\* and \\# signs stay.", "Escaped *stars* and # signs stay."),
        ("Issue #48213 is a ticket number.", "Issue #48213 is a ticket number."),
        ("- one\n- two\n    - nested", "- one\n- two\n  - nested"),
        ("See <https://example.com>.", "See https://example.com."),
        ("Fish & chips < 5 > 3", "Fish & chips < 5 > 3"),
        ("    indented code\n    kept", "indented code\nkept"),
        ("---\n\nAfter a rule.", "After a rule."),
        ("", ""),
        ("Replace <username> with yours.", "Replace <username> with yours."),
        ("When a<b and c>d it fails.", "When a<b and c>d it fails."),
        ("Write to <sara@example.com>.", "Write to sara@example.com."),
        ("`Get-Item <path>` shows it.", "Get-Item <path> shows it."),
    ],
    ids=[
        "code",
        "escapes",
        "hash",
        "nested-list",
        "autolink",
        "entities",
        "code-block",
        "rule",
        "empty",
        "angle-placeholder",
        "comparison",
        "mail-autolink",
        "angle-in-code",
    ],
)
def test_markup_goes_and_the_words_stay(markdown, plain):
    assert markdown_to_plain_text(markdown) == plain


def test_no_markup_survives_in_a_rendered_draft():
    plain = markdown_to_plain_text(RESOLUTION)
    assert "#" not in plain and "**" not in plain and "`" not in plain and "](" not in plain


def test_connectwise_says_its_notes_are_plain_text_and_renders_them_so():
    assert ConnectWiseProvider.note_format == "plain text"
    assert ConnectWiseProvider.render_note(RESOLUTION) == markdown_to_plain_text(RESOLUTION)
