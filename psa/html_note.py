"""Markdown as sanitised HTML, for PSAs whose notes are HTML (HaloPSA): headings, lists, emphasis, code and
links render as the customer expects, and nothing else gets through.

HTML the engineer typed (`<username>`, a pasted `<script>`) is text, kept as typed: the Markdown parser is
told not to pass raw HTML through, so it comes out escaped. nh3 then cleans what Markdown made, with a short
list of tags and only web and mail links, so a `javascript:` link or an event handler can never land on a
ticket. Cleaning is idempotent: `canonical_html` of a note a PSA stored (and re-serialised, `<br />` for
`<br>`) gives back the text FlowPilot posted, which is how a retry recognises its own note.
"""

import html

import markdown
import nh3
from markdown.extensions import Extension

ALLOWED_TAGS = {
    *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code"),
    *("ul", "ol", "li", "strong", "em", "del", "a"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"
BLOCK_ENDS = ("</p>", "</li>", "</h1>", "</h2>", "</h3>", "</h4>", "</h5>", "</h6>", "</tr>", "</pre>", "</blockquote>")


class _NoRawHtml(Extension):
    """Raw HTML in the Markdown is shown as text, never passed through as markup."""

    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def markdown_to_html(text: str) -> str:
    """The engineer's Markdown as the sanitised HTML a Halo note holds."""
    rendered = markdown.markdown(text or "", extensions=["sane_lists", "tables", _NoRawHtml()])
    return canonical_html(rendered)


def canonical_html(fragment: str) -> str:
    """An HTML fragment cleaned to the tags a note may hold, in one serialisation (nh3's): the same for the note
    FlowPilot rendered and for the copy a PSA stored and answered back."""
    cleaned = nh3.clean(
        fragment or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=LINK_REL
    )
    return cleaned.strip()


def html_to_text(fragment: str) -> str:
    """What an HTML note says, as plain text for the engineer to read (shown escaped, never as HTML)."""
    spaced = str(fragment or "").replace("<br>", "\n").replace("<br/>", "\n").replace("<br />", "\n")
    for end in BLOCK_ENDS:
        spaced = spaced.replace(end, end + "\n")
    text = html.unescape(nh3.clean(spaced, tags=set()))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()
