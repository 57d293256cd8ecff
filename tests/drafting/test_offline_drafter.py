"""The offline drafter: the kind's sections, every live fact, and the outcome and confidence rules."""

import pytest

from drafting.kinds import NO_HYPOTHESIS_TEXT, DraftKind
from drafting.offline import draft_offline
from drafting.validation import check_format


def bundle(**overrides) -> dict:
    data = {
        "state_version": 4,
        "ticket": "#48213",
        "title": "Outlook prompts for a password",
        "problem_summary": "Outlook asks for credentials every few minutes",
        "problem_domain": "email",
        "intake": "User: Outlook keeps asking for my password.",
        "facts": [
            {
                "text": "Only Outlook desktop prompts",
                "source": "from the engineer",
                "confirmed": True,
                "source_summary": "",
            },
            {
                "text": "A stale credential exists",
                "source": "from a diagnostic check",
                "confirmed": True,
                "source_summary": "",
            },
        ],
        "checks": [
            {"name": "Stored credentials", "command": "cmdkey /list", "result": "failed", "output_summary": "Stale"}
        ],
        "scripts": [
            {
                "template": "Map drive",
                "language": "powershell",
                "times_generated": 1,
                "parameters_used": [{}],
                "script": "x",
            }
        ],
        "active_fix": fix(),
        "earlier_fixes": [],
    }
    data.update(overrides)
    return data


def fix(outcome="proposed", confidence=70, notes=""):
    return {
        "title": "Clear cached credentials",
        "description": "Remove the stale entry.",
        "confidence_pct": confidence,
        "outcome": outcome,
        "outcome_notes": notes,
    }


def section(markdown: str, heading: str) -> str:
    return markdown.split(f"## {heading}\n\n", 1)[1].split("\n\n## ", 1)[0]


@pytest.mark.parametrize("kind", list(DraftKind))
@pytest.mark.parametrize("outcome", ["proposed", "applied_success", "applied_failed", "applied_partial", "dismissed"])
def test_it_always_has_the_kinds_sections_and_every_fact(kind, outcome):
    markdown = draft_offline(kind, bundle(active_fix=fix(outcome, notes="Half done")))

    assert check_format(kind, markdown).ok
    assert "Only Outlook desktop prompts" in markdown
    assert "A stale credential exists" in markdown


@pytest.mark.parametrize("kind", list(DraftKind))
def test_it_copes_with_an_empty_session(kind):
    empty = bundle(facts=[], checks=[], scripts=[], active_fix=None, problem_summary="", intake="", ticket=None)

    assert check_format(kind, draft_offline(kind, empty)).ok


def test_the_resolution_note_keeps_internal_detail_out():
    markdown = draft_offline(DraftKind.RESOLUTION_NOTE, bundle(active_fix=fix("applied_success", confidence=95)))

    assert "95" not in markdown
    assert "cmdkey" not in markdown
    assert "Map drive" not in markdown
    assert "resolved the problem" in section(markdown, "Resolution")


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        ("applied_success", "resolved the problem"),
        ("applied_pending", "should resolve the problem. We have made this change, but we have not yet seen it work."),
        ("applied_failed", "did not resolve"),
        ("applied_partial", "partly resolved the problem. Half done."),
        ("proposed", "We have not made this change yet; reply to this ticket if you would like us to make it."),
    ],
)
def test_the_resolution_follows_the_fix_outcome(outcome, words):
    markdown = draft_offline(DraftKind.RESOLUTION_NOTE, bundle(active_fix=fix(outcome, notes="Half done")))

    assert words in section(markdown, "Resolution")


OUTCOMES = ["proposed", "applied_success", "applied_failed", "applied_partial", "applied_pending", "dismissed"]


@pytest.mark.parametrize("outcome", [None, *OUTCOMES])
def test_the_resolution_note_closes_the_ticket_without_promising_later_work(outcome):
    active_fix = fix(outcome) if outcome else None
    markdown = draft_offline(DraftKind.RESOLUTION_NOTE, bundle(active_fix=active_fix))

    promises = [
        promise
        for promise in ("before closing", "we will confirm", "we will agree", "checked with you", "we will check")
        if promise in markdown.lower()
    ]
    assert promises == [], markdown
    assert "reply to this ticket" in section(markdown, "Resolution")


def test_an_escalation_below_60_pct_has_no_leading_hypothesis():
    markdown = draft_offline(DraftKind.ESCALATION_PACKAGE, bundle(active_fix=fix(confidence=59)))

    assert section(markdown, "Current hypothesis").startswith(NO_HYPOTHESIS_TEXT)


def test_an_escalation_above_80_pct_tries_the_fix_first():
    markdown = draft_offline(DraftKind.ESCALATION_PACKAGE, bundle(active_fix=fix(confidence=81)))

    assert section(markdown, "Suggested next steps").startswith("1. Try the suggested fix: Clear cached credentials.")
    assert "(81% confidence" in section(markdown, "Current hypothesis")


def test_an_escalation_between_the_thresholds_states_the_hypothesis_without_trying_it_first():
    markdown = draft_offline(DraftKind.ESCALATION_PACKAGE, bundle(active_fix=fix(confidence=70)))

    assert not section(markdown, "Current hypothesis").startswith(NO_HYPOTHESIS_TEXT)
    assert "Try the suggested fix" not in markdown


def test_an_escalation_lists_what_was_tried_and_says_so_when_nothing_was():
    tried = draft_offline(
        DraftKind.ESCALATION_PACKAGE, bundle(active_fix=fix("applied_failed"), earlier_fixes=[fix("applied_partial")])
    )
    nothing = draft_offline(DraftKind.ESCALATION_PACKAGE, bundle(checks=[], scripts=[], facts=[], active_fix=None))

    assert "`cmdkey /list`" in section(tried, "What we've tried")
    assert "did not fix the problem" in section(tried, "What we've tried")
    assert section(nothing, "What we've tried") == "Nothing tried yet."
    assert section(nothing, "What we've confirmed") == "Nothing confirmed yet."
    assert section(tried, "Current hypothesis").startswith(NO_HYPOTHESIS_TEXT)


def test_a_pending_fix_asks_the_next_engineer_to_verify_it():
    markdown = draft_offline(DraftKind.ESCALATION_PACKAGE, bundle(active_fix=fix("applied_pending", confidence=90)))

    assert section(markdown, "Suggested next steps").startswith("1. Verify with the user whether")


def test_it_is_deterministic():
    assert draft_offline(DraftKind.ESCALATION_PACKAGE, bundle()) == draft_offline(
        DraftKind.ESCALATION_PACKAGE, bundle()
    )
