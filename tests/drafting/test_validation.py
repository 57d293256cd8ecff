from drafting.kinds import DraftKind
from drafting.validation import check_format

RESOLUTION = "## Problem\n\nA.\n\n## What we confirmed\n\n- B\n\n## Root cause\n\nC.\n\n## Resolution\n\nD."


def test_it_accepts_the_exact_sections():
    check = check_format(DraftKind.RESOLUTION_NOTE, RESOLUTION)

    assert check.ok
    assert check.markdown == RESOLUTION


def test_it_strips_a_preamble_before_the_first_heading():
    check = check_format(DraftKind.RESOLUTION_NOTE, "Sure! Here is the resolution note:\n\n" + RESOLUTION)

    assert check.ok
    assert check.markdown.startswith("## Problem")


def test_it_unwraps_a_code_fence_and_fixes_heading_spelling():
    sloppy = RESOLUTION.replace("## Root cause", "### Root Cause:").replace("## Problem", "# **Problem**")

    check = check_format(DraftKind.RESOLUTION_NOTE, f"```markdown\n{sloppy}\n```")

    assert check.ok
    assert check.markdown == RESOLUTION


def test_it_accepts_typographic_apostrophes_in_escalation_headings():
    headings = DraftKind.ESCALATION_PACKAGE.headings
    text = "\n\n".join(f"## {heading.replace(chr(39), chr(0x2019))}\n\nx" for heading in headings)

    check = check_format(DraftKind.ESCALATION_PACKAGE, text)

    assert check.ok
    assert "## What we've confirmed" in check.markdown


def test_it_refuses_missing_sections_out_of_order_sections_and_foreign_sections():
    missing = RESOLUTION.replace("## Root cause\n\nC.\n\n", "")
    swapped = RESOLUTION.replace("## Root cause", "## X").replace("## Resolution", "## Root cause")
    foreign = RESOLUTION + "\n\n## Next steps\n\nE."

    assert "instead of" in check_format(DraftKind.RESOLUTION_NOTE, missing).problem
    assert not check_format(DraftKind.RESOLUTION_NOTE, swapped).ok
    assert "does not belong" in check_format(DraftKind.RESOLUTION_NOTE, foreign).problem


def test_it_refuses_empty_text_and_empty_sections():
    assert check_format(DraftKind.RESOLUTION_NOTE, "  ").problem == "the answer was empty"
    empty_section = RESOLUTION.replace("C.", "")
    assert "was empty" in check_format(DraftKind.RESOLUTION_NOTE, empty_section).problem


def test_the_other_kinds_headings_are_refused():
    assert not check_format(DraftKind.ESCALATION_PACKAGE, RESOLUTION).ok
