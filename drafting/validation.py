"""Model output is untrusted: check it has exactly the kind's sections, in order, and repair what is
mechanical (a preamble, a code fence around the answer, heading spelling)."""

import itertools
import re
from dataclasses import dataclass

from drafting.kinds import DraftKind

_HEADING = re.compile(r"^\s{0,3}#{1,3}\s+(?P<text>.+?)\s*#*\s*$")
_FENCE = re.compile(r"^```[a-z]*\s*\n(?P<body>.*)\n```\s*$", re.DOTALL)


@dataclass(frozen=True)
class FormatCheck:
    markdown: str  # the repaired text (empty when unusable)
    problem: str  # "" when the text is usable

    @property
    def ok(self) -> bool:
        return not self.problem


def _normalise(heading: str) -> str:
    return heading.strip().strip("*_").rstrip(":").replace("\u2019", "'").strip().lower()


def check_format(kind: DraftKind, text: str) -> FormatCheck:
    text = (text or "").strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group("body").strip()
    if not text:
        return FormatCheck("", "the answer was empty")

    expected = {_normalise(heading): heading for heading in kind.headings}
    lines = text.splitlines()
    found: list[tuple[int, str]] = []  # (line number, canonical heading)
    for number, line in enumerate(lines):
        match = _HEADING.match(line)
        if not match:
            continue
        canonical = expected.get(_normalise(match.group("text")))
        if canonical is None:
            if line.lstrip().startswith("## "):
                return FormatCheck("", f'it has a section "{match.group("text")}" that does not belong')
            continue  # a ### sub-heading inside a section is fine
        found.append((number, canonical))

    headings = [heading for _, heading in found]
    if headings != list(kind.headings):
        wanted = ", ".join(kind.headings)
        return FormatCheck("", f"its sections were {headings or 'missing'} instead of {wanted}")

    for line_number, heading in found:
        lines[line_number] = f"## {heading}"
    bounds = [number for number, _ in found] + [len(lines)]
    for start, end in itertools.pairwise(bounds):
        if not "\n".join(lines[start + 1 : end]).strip():
            return FormatCheck("", f'the section "{lines[start][3:]}" was empty')
    return FormatCheck("\n".join(lines[bounds[0] :]).strip(), "")
