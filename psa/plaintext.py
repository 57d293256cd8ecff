"""Markdown as plain text, for PSAs whose notes are plain text (ConnectWise): what the customer reads must
show no `##`, `**` or backticks. Section titles stand on their own lines, list items start with `- ` (or
their number), links keep their address in brackets, and paragraphs are separated by one blank line.

The Markdown is parsed (by the same library the preview renders with) rather than stripped with
patterns, so an escaped `\\*` stays a star and a `#` inside a sentence stays a `#`.
"""

from html.parser import HTMLParser

import markdown

BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "pre", "blockquote", "hr", "table"}
# What Markdown makes of the text. Any other tag was typed by the engineer (`<username>`, `a<b and c>d`):
# Markdown passes it through as HTML, and in a plain-text note it is text, kept as typed.
MARKDOWN_TAGS = BLOCKS | {"li", "a", "em", "strong", "code", "br", "img", "thead", "tbody", "tr", "th", "td", "del"}


def markdown_to_plain_text(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["sane_lists"])
    writer = _PlainText()
    writer.feed(html)
    writer.close()
    return writer.text()


class _PlainText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self._blocks: list[str] = []  # finished paragraphs, titles and lists
        self._line: list[str] = []  # the text of the block being written
        self._lists: list[dict] = []  # open lists, innermost last: {"ordered", "number"}
        self._items: list[str] = []  # the lines of the outermost open list
        self._href: list[str | None] = []
        self._in_pre = False

    def handle_starttag(self, tag, attrs):
        if tag not in MARKDOWN_TAGS:
            self.handle_data(self.get_starttag_text())
        elif tag in ("ul", "ol"):
            self._end_item_line()
            self._lists.append({"ordered": tag == "ol", "number": 0})
        elif tag == "li":
            self._end_item_line()
            current = self._lists[-1] if self._lists else {"ordered": False, "number": 0}
            current["number"] += 1
            marker = f"{current['number']}. " if current["ordered"] else "- "
            self._line.append("  " * max(0, len(self._lists) - 1) + marker)
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
        elif tag == "br":
            self._line.append("\n")
        elif tag == "pre":
            self._in_pre = True
        elif tag in BLOCKS and not self._lists:
            self._end_block()

    def handle_endtag(self, tag):
        if tag not in MARKDOWN_TAGS:
            self.handle_data(f"</{tag}>")
        elif tag in ("ul", "ol"):
            self._end_item_line()
            if self._lists:
                self._lists.pop()
            if not self._lists and self._items:
                self._blocks.append("\n".join(self._items))
                self._items = []
        elif tag == "a":
            href = self._href.pop() if self._href else None
            shown = "".join(self._line)
            if href and not href.startswith("#") and href.removeprefix("mailto:") not in shown:
                self._line.append(f" ({href})")
        elif tag == "pre":
            self._in_pre = False
            self._end_block(keep_spacing=True)
        elif tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td", "th") and not self._lists:
            self._end_block()
        elif tag in ("td", "th"):
            self._line.append("  ")

    def handle_data(self, data):
        if self._in_pre:
            self._line.append(data)
        elif self._lists:  # an item is one line
            self._line.append(" ".join(data.split("\n")))
        elif data.strip() or self._line:
            self._line.append(data)  # the author's line breaks stay

    def _end_item_line(self):
        line = "".join(self._line).rstrip()
        self._line = []
        if line.strip():
            indent = line[: len(line) - len(line.lstrip(" "))]
            self._items.append(indent + " ".join(line.split()))

    def _end_block(self, *, keep_spacing: bool = False):
        text = "".join(self._line)
        self._line = []
        if keep_spacing:
            text = text.strip("\n")
        else:
            text = "\n".join(" ".join(line.split()) for line in text.strip().split("\n"))
        if text.strip():
            self._blocks.append(text.rstrip())

    def text(self) -> str:
        self._end_item_line() if self._lists else self._end_block()
        if self._items:
            self._blocks.append("\n".join(self._items))
        return "\n\n".join(self._blocks).strip()
