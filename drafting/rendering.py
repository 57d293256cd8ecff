"""Drafts are markdown written by a model or an engineer: render, then sanitise, before any HTML use."""

import markdown
import nh3
from markdown.extensions import Extension

ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li", "strong", "em", "code", "pre",
    "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


class LiteralText(Extension):
    """The preview shows what the PSA will show. Angle brackets are text, never markup (`<Need password>`
    stays, and a model's `<script>` is inert before nh3 even looks); backslashes are text, never escapes
    (`\\\\fs01\\finance` stays a UNC path)."""

    def extendMarkdown(self, md):  # python-markdown's hook name
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.inlinePatterns.deregister("escape")


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["sane_lists", "tables", "fenced_code", LiteralText()])
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
