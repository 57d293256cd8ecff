"""The prompt's stable prefix must be long enough for prompt caching to apply, and identical for
every session and both kinds (otherwise each draft would write a new cache entry)."""

import json

from drafting.kinds import NO_HYPOTHESIS_BELOW_PCT, TRY_FIX_FIRST_ABOVE_PCT, DraftKind
from drafting.prompts import SYSTEM_PROMPT, estimated_tokens, format_correction, system_blocks, user_message

# Sonnet caches nothing under about 2,048 tokens; keep a margin above it.
MIN_CACHEABLE_TOKENS = 2048


def test_the_cacheable_prefix_is_longer_than_the_minimum():
    assert estimated_tokens(SYSTEM_PROMPT) > MIN_CACHEABLE_TOKENS * 1.25
    # Words are a second, independent estimate (English runs about 1.3 tokens per word).
    assert len(SYSTEM_PROMPT.split()) * 1.3 > MIN_CACHEABLE_TOKENS * 1.25


def test_the_system_prompt_is_one_cacheable_block_the_same_for_every_draft():
    blocks = system_blocks()

    assert blocks == [{"type": "text", "text": SYSTEM_PROMPT, "cache_control": {"type": "ephemeral"}}]


def test_the_rules_name_both_formats_and_the_thresholds():
    for kind in DraftKind:
        for heading in kind.headings:
            assert f"## {heading}\n" in SYSTEM_PROMPT
    assert f"below {NO_HYPOTHESIS_BELOW_PCT}%" in SYSTEM_PROMPT
    assert f"above {TRY_FIX_FIRST_ABOVE_PCT}%" in SYSTEM_PROMPT


def test_the_user_message_names_the_kind_and_carries_the_bundle():
    bundle = {"title": "VPN drops", "facts": [{"text": "ÄÖ works", "source": "engineer"}]}

    message = user_message(DraftKind.ESCALATION_PACKAGE, bundle)

    assert message.startswith("Write the internal escalation package")
    session = message.split("<session>\n", 1)[1].rsplit("\n</session>", 1)[0]
    assert json.loads(session) == bundle


def test_the_correction_names_the_problem_and_the_sections():
    correction = format_correction(DraftKind.RESOLUTION_NOTE, "the answer was empty")

    assert "the answer was empty" in correction
    assert "## Problem, ## What we confirmed, ## Root cause, ## Resolution" in correction
